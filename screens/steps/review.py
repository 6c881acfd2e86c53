"""Step 8, Review: validation summary (select one to jump to its step), every file to be written with
create/update/unchanged and its diff (secrets only as ciphertext), "save answers only" and "write"."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, OptionList, Static
from textual.widgets.option_list import Option

from screens.draft import Draft
from screens.fields import step_of
from screens.flow import STEPS, FlowError, blocking, make_plan, review_findings, save_answers, write
from screens.steps.base import StepScreen

_TITLES = dict(STEPS)


def diff_text(diff: str) -> Text:
    text = Text()
    for line in diff.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "cyan" if line.startswith("@@") else ""
        text.append(line + "\n", style=style)
    return text


class ReviewStep(StepScreen):
    STEP = "review"
    NEXT_LABEL = "Write"
    HELP = """**Findings**: errors block writing; select one (Enter) to jump to the step that owns the field.
Warnings are advice. **Files**: every file of the cluster with create / update / unchanged; select a
row to see its diff below (encrypted files only as ciphertext: `ENC[...]`).
**Write** (Ctrl-N) writes all files in one transaction; **Save answers only** writes just
`clusters/<name>/cluster-answers.yaml` (or the `--answers` file) for a later headless run."""

    def __init__(self, session, draft: Draft) -> None:
        super().__init__(session, draft)
        self.findings: list = []
        self.prepared = None
        self.answers = None

    def compose_body(self) -> ComposeResult:
        yield Static("Checking the answers…", id="review-summary", markup=False)
        yield OptionList(id="findings")
        files: DataTable = DataTable(id="files", cursor_type="row", zebra_stripes=True)
        files.add_column("action", key="action")
        files.add_column("file", key="file")
        yield files
        with VerticalScroll(id="diff-box"):
            yield Static("", id="diff", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Save answers only", id="save-only")

    def on_mount(self) -> None:
        self.answers, problems = self.draft.to_answers()
        self.findings = problems if self.answers is None else review_findings(self.session, self.answers)
        self.show_findings()
        super().on_mount()
        if self.answers is not None and not blocking(self.findings):
            self.query_one("#next", Button).disabled = True
            self.plan_worker(self.answers)

    def focus_target(self):
        return self.query_one("#findings") if self.findings else self.query_one("#files")

    def show_findings(self) -> None:
        box = self.query_one("#findings", OptionList)
        box.clear_options()
        for i, f in enumerate(self.findings):
            tag = "error" if f.is_error else "warning"
            step = _TITLES.get(step_of(f.field), "Review")
            box.add_option(Option(Text(f"{tag} ({step}) {f.field}: {f.message}"), id=str(i)))
        box.display = bool(self.findings)
        if self.findings:
            box.highlighted = 0
        errs = blocking(self.findings)
        summary = self.query_one("#review-summary", Static)
        if errs:
            summary.update(f"{len(errs)} error(s) block writing: select one to go to its step.")
        else:
            warns = len(self.findings)
            summary.update(f"Answers valid{f' ({warns} warning(s))' if warns else ''}. Planning the files…")
        summary.set_class(bool(errs), "-error")
        self.query_one("#next", Button).disabled = bool(errs)

    @work(thread=True, exclusive=True, group="plan")
    def plan_worker(self, answers) -> None:
        try:
            prepared = make_plan(self.session, answers)
        except FlowError as exc:
            self.app.call_from_thread(self.plan_failed, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a worker crash would print locals (keys) to the terminal
            self.app.call_from_thread(self.plan_failed, f"internal error {type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self.show_plan, prepared)

    def plan_failed(self, message: str) -> None:
        summary = self.query_one("#review-summary", Static)
        summary.update(f"Cannot write: {message}")
        summary.add_class("-error")

    def show_plan(self, prepared) -> None:
        self.prepared = prepared
        plan = prepared.plan
        table = self.query_one("#files", DataTable)
        table.clear()
        first_plain = 0
        for i, f in enumerate(plan.files):
            label = f.path + ("  (encrypted)" if f.file.secret else "")
            table.add_row(f.action, label, key=str(i))
        c = plan.counts()
        notes = "; ".join(prepared.warnings)
        self.query_one("#review-summary", Static).update(
            f"{c['create']} to create, {c['update']} to update, {c['unchanged']} unchanged"
            + (" (dry run: nothing will be written)" if self.session.dry_run else "") + (f". {notes}" if notes else ""))
        first_plain = next((i for i, f in enumerate(plan.files) if not f.file.secret and f.action != "unchanged"), 0)
        table.move_cursor(row=first_plain)
        self.show_diff(first_plain)
        self.query_one("#next", Button).disabled = False

    def show_diff(self, index: int) -> None:
        if self.prepared is None or not 0 <= index < len(self.prepared.plan.files):
            return
        f = self.prepared.plan.files[index]
        body = diff_text(f.diff) if f.diff else Text(f"{f.path}: unchanged")
        self.query_one("#diff", Static).update(body)

    @on(DataTable.RowHighlighted, "#files")
    def _file(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.show_diff(int(event.row_key.value))

    @on(OptionList.OptionSelected, "#findings")
    def _goto(self, event: OptionList.OptionSelected) -> None:
        finding = self.findings[int(event.option.id)]
        step = step_of(finding.field)
        if step != "review":
            self.goto(step)

    @on(Button.Pressed, "#save-only")
    def _save(self) -> None:
        if self.answers is None:
            self.notify("the answers are incomplete: fix the errors listed first", severity="error")
            return
        try:
            path = save_answers(self.session, self.answers)
        except OSError as exc:
            self.notify(f"cannot save the answers: {exc}", severity="error")
            return
        self.session.written = []
        self.dismiss(("saved", self.draft, str(path)))

    def collect(self) -> Draft:
        return self.draft

    def action_next(self) -> None:
        if self.answers is None or blocking(self.findings):
            self.query_one("#findings").focus()
            return
        if self.prepared is None:
            self.notify("the plan is not ready yet", severity="warning")
            return
        self.query_one("#next", Button).disabled = True
        self.write_worker(self.answers)

    @work(thread=True, exclusive=True, group="write")
    def write_worker(self, answers) -> None:
        try:
            write(self.session, answers)
        except FlowError as exc:
            self.app.call_from_thread(self.plan_failed, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - see plan_worker
            self.app.call_from_thread(self.plan_failed, f"internal error {type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self.dismiss, ("next", self.draft, None))
