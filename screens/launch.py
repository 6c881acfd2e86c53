"""``new-cluster`` without ``--yes``: open the Textual wizard (prefilled from ``--answers`` / ``--like``)."""

from __future__ import annotations

import sys
from typing import Any


def _say(msg: str) -> None:
    print(f"k8s-wizard new-cluster: {msg}", file=sys.stderr)


def build_app(args: Any, *, defer_scan: bool = False):
    """The App for ``args`` (tests drive it with ``run_test``). Raises FlowError for a bad repo/answers.

    ``defer_scan`` (what ``run_wizard`` uses): only the repo root is found before the App starts; the
    scan and the ``--answers`` file are loaded after the first frame is painted, and a problem with
    either ends the App with the message (``app.failure``). Without it the App starts scanned."""
    from functools import partial

    from screens.app import WizardApp
    from screens.flow import locate_repo, open_session

    root = locate_repo(args)
    if not defer_scan:
        return WizardApp(*open_session(args, root))
    answers = getattr(args, "answers", None)
    return WizardApp(None, None, root=root, loader=partial(open_session, args, root),
                     answers_file=str(answers) if answers else None)


def run_wizard(args: Any) -> int:
    from screens.flow import FlowError

    try:
        app = build_app(args, defer_scan=True)
    except FlowError as exc:
        _say(str(exc))
        return exc.exit_code
    from screens.app import EXIT_CANCELLED

    rc = app.run()
    if app.failure is not None:
        _say(str(app.failure))
        return app.failure.exit_code
    code = app.return_code if app.return_code is not None else (rc or 0)
    s = app.session
    if s is None:  # quit while the repo was being scanned
        _say("cancelled: no changes were made to the repo")
        return EXIT_CANCELLED
    if code == EXIT_CANCELLED or (code == 0 and not s.outcome):
        _say("cancelled: no changes were made to the repo" if s.outcome != "saved"
             else f"cancelled; only the answers were saved to {s.answers_saved}")
        return code
    if s.outcome == "written":
        _say(f"wrote {len(s.written)} file(s); next: commit and push, then k8s-wizard bootstrap {app.draft.name}")
    elif s.outcome == "saved":
        _say(f"answers saved to {s.answers_saved}; write later with: k8s-wizard new-cluster --answers "
             f"{s.answers_saved} --yes")
    if app.then == "bootstrap":
        from wizard.cli import main

        return main(["bootstrap", app.draft.name, "--repo", str(s.repo)])
    return int(code)
