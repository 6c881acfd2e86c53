"""The wizard App: owns the session and the current draft, and runs the navigator loop.

Each step is pushed with ``push_screen_wait`` from one worker and dismisses with
``(action, draft, target)``; the loop keeps the latest draft, so Back/Next never lose a value.

Started with a ``loader`` instead of a session, the App paints the Repository step in its "scanning"
state first and scans the repo in a thread after that first frame (the scan imports pydantic and
ruamel and runs git: it is what kept the first paint over budget).
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import Callable, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from screens.crash import NoLocalsOnCrash
from screens.draft import Draft
from screens.flow import STEP_NAMES, STEPS, FlowError, Session, save_answers
from screens.steps import step_class

EXIT_CANCELLED = 130


class WizardApp(NoLocalsOnCrash, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "k8s-wizard new-cluster"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+s", "save_answers", "Save answers", priority=True, show=False, id="save"),
        Binding("ctrl+q", "cancel", "Quit", priority=True, show=False, id="quit"),
    ]

    def __init__(self, session: Session | None, draft: Draft | None, *, start: str = "repo",
                 root: Path | None = None, loader: Callable[[], tuple[Session, Draft]] | None = None,
                 answers_file: str | None = None) -> None:
        super().__init__()
        if session is None and (loader is None or root is None):
            raise ValueError("WizardApp needs a session and a draft, or a repo root and a loader")
        self.session = session
        self.draft = draft if draft is not None else Draft()
        self.start = start
        self.root = root if root is not None else session.repo
        self.loader = loader
        #: The ``--answers`` file the loader reads (named on the scanning screen).
        self.answers_file = answers_file
        #: What the operator asked for on the Done screen ("bootstrap" to start it after exit).
        self.then: str | None = None
        #: The FlowError that ended a deferred scan (``run_wizard`` prints it).
        self.failure: FlowError | None = None

    def on_mount(self) -> None:
        self.navigate()

    @work(exclusive=True, group="navigator")
    async def navigate(self) -> None:
        if self.session is None and not await self.scan():
            return
        index = STEP_NAMES.index(self.start)
        while True:
            screen = step_class(STEP_NAMES[index])(self.session, self.draft)
            action, draft, target = await self.push_screen_wait(screen)
            self.draft = draft
            if action == "next" and STEP_NAMES[index] != "done":
                index += 1
            elif action == "back":
                index = max(0, index - 1)
            elif action == "goto" and target in STEP_NAMES:
                index = STEP_NAMES.index(target)
            elif action == "saved":
                index = STEP_NAMES.index("done")
            elif action == "bootstrap":
                self.then = "bootstrap"
                self.exit(0)
                return
            else:  # quit from Done (or next on Done)
                self.exit(0)
                return

    async def scan(self) -> bool:
        """Show the Repository step's scanning state, then run the loader in a thread once it is painted."""
        from screens.steps.repo import ScanningStep

        scanning = ScanningStep(self.root, answers_file=self.answers_file)
        await self.push_screen(scanning)
        await scanning.painted.wait()
        try:
            self.session, self.draft = await asyncio.to_thread(self.loader)
        except Exception as exc:  # noqa: BLE001 - ends the app with a message, never a traceback
            self.failure = exc if isinstance(exc, FlowError) else FlowError(
                f"cannot scan {self.root}: {type(exc).__name__}: {exc}", exit_code=1)
            self.exit(self.failure.exit_code, return_code=self.failure.exit_code)
            return False
        await self.pop_screen()
        return True

    # ---- app-wide actions ----------------------------------------------------------------------
    def current_draft(self) -> Draft:
        collect = getattr(self.screen, "collect", None)
        return collect() if callable(collect) else self.draft

    def action_save_answers(self) -> None:
        answers, problems = self.current_draft().to_answers()
        if answers is None:
            first = problems[0]
            self.notify(f"cannot save yet: {first.field}: {first.message}", severity="error")
            return
        try:
            path = save_answers(self.session, answers)
        except (OSError, FlowError) as exc:
            self.notify(f"cannot save the answers: {exc}", severity="error")
            return
        self.notify(f"answers saved to {path}")

    def action_cancel(self) -> None:
        self.exit(EXIT_CANCELLED, return_code=EXIT_CANCELLED)

    async def action_quit(self) -> None:
        """Ctrl-Q (Textual's own binding) is a cancel too: nothing is written."""
        self.exit(EXIT_CANCELLED, return_code=EXIT_CANCELLED)

    def jump(self, step: str) -> None:
        goto = getattr(self.screen, "goto", None)
        if callable(goto) and step != getattr(self.screen, "STEP", None):
            goto(step)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for n, (step, title) in enumerate(STEPS[:-1], 1):
            yield SystemCommand(f"Go to step {n}: {title}", f"Jump to the {title} screen (values are kept)",
                                partial(self.jump, step))
        yield SystemCommand("Save answers", "Write the answers file now (Ctrl-S)", self.action_save_answers)
