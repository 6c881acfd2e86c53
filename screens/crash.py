"""What an App prints when one of its handlers crashes: the traceback *without* local variables.

Textual's default crash report shows every frame's locals, and ours hold answers, rendered files and,
during a bootstrap, decrypted secrets (the age identity, the deploy key). Both Apps mix this in.
"""

from __future__ import annotations


class NoLocalsOnCrash:
    """Mixin for ``textual.app.App`` (first in the bases); overrides the crash report only."""

    def _fatal_error(self) -> None:  # textual 8.2.8 App._fatal_error, with show_locals=False
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()  # type: ignore[attr-defined]
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(  # type: ignore[attr-defined]
            Segments(self.console.render(traceback, self.console.options))  # type: ignore[attr-defined]
        )
        self._close_messages_no_wait()  # type: ignore[attr-defined]
