"""Step 9, Done: what was written, the answers file for headless replay, and the next command."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Static

from screens.steps.base import StepScreen


class DoneStep(StepScreen):
    STEP = "done"
    NEXT_LABEL = "Quit"
    HELP = """The cluster's files are in the repo. Commit and push them (Flux syncs from the remote), then
run the bootstrap: `k8s-wizard bootstrap <name>` (or *Bootstrap now*). The answers file replays
this run headless: `k8s-wizard new-cluster --answers <file> --yes`."""

    def compose_body(self) -> ComposeResult:
        s, name = self.session, self.draft.name
        rel = lambda p: str(p.relative_to(s.repo)) if p.is_relative_to(s.repo) else str(p)  # noqa: E731
        if s.outcome == "dry-run":
            head = "Dry run: nothing was written."
        elif s.outcome == "saved":
            head = "Saved the answers only; no cluster files were written."
        elif s.written:
            head = f"Wrote {len(s.written)} file(s) for cluster {name} in {s.repo}:"
        else:
            head = f"Nothing to write: the repo already matches the answers of {name}."
        yield Static(head, id="done-head", markup=False)
        yield Static(f"Next: commit and push, then run\n  k8s-wizard bootstrap {name}", id="done-next", markup=False)
        if s.written and not s.dry_run:
            yield Button(f"Bootstrap {name} now", id="bootstrap-now", variant="success", compact=True)
        answers = s.answers_saved or s.answers_path(name)
        yield Static(f"Answers file: {rel(answers)}\n  replay headless: k8s-wizard new-cluster --answers {rel(answers)} --yes",
                     id="done-answers", markup=False)
        files = "\n".join(f"  {rel(p)}" for p in sorted(s.written))
        if files:
            yield Static("Files written:\n" + files, id="done-files", markup=False)

    def focus_target(self):
        return self.query_one("#next")

    def action_back(self) -> None:
        """Nothing to go back to once the files are written."""

    @on(Button.Pressed, "#bootstrap-now")
    def _bootstrap(self) -> None:
        self.dismiss(("bootstrap", self.draft, None))

    def action_next(self) -> None:
        self.dismiss(("quit", self.draft, None))
