"""The step screen every wizard screen extends: header, field rows, Back/Next, inline validation.

A step is a stateless view of the draft: ``compose`` shows the draft's values, ``collect`` reads the
widgets back into a new draft, and the screen dismisses with ``(action, draft, target)``, where action
is next/back/goto/cancel. The navigator in ``screens.app`` decides what comes next.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Select, Static

from screens.draft import Draft
from screens.fields import FieldSpec, check_value_severity, findings_for
from screens.flow import STEPS, Session
from screens.widgets.form import FieldRow, StepHeader

StepResult = tuple[str, Draft, str | None]


class HelpScreen(ModalScreen[None]):
    """The current step's help text; any key closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-height: 24; border: round $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark,f1,enter", "app.pop_screen", "Close")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it is not needed until help is asked for

        with VerticalScroll():
            yield Markdown(self.text)


class StepScreen(Screen[StepResult]):
    STEP: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()
    NEXT_LABEL: ClassVar[str] = "Next"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "app.save_answers", "Save answers", priority=True),
        Binding("f1,question_mark", "help", "Help"),
        Binding("ctrl+q", "app.cancel", "Quit", priority=True),
    ]

    def __init__(self, session: Session, draft: Draft) -> None:
        super().__init__(id=f"step-{self.STEP}")
        self.session = session
        self.draft = draft
        self.index = [s for s, _ in STEPS].index(self.STEP)
        self.title_text = STEPS[self.index][1]

    # ---- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StepHeader(self.index, len(STEPS), self.title_text, self.draft.name)
        with VerticalScroll(id="body"):
            yield from self.compose_body()
        with Horizontal(id="nav"):
            yield Static("", id="nav-status", markup=False)
            if self.index > 0:
                yield Button("Back", id="back", compact=True)
            yield Button(self.NEXT_LABEL, id="next", variant="primary", compact=True)
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from self.field_rows(self.FIELDS)

    def field_rows(self, specs: tuple[FieldSpec, ...]) -> ComposeResult:
        for spec in specs:
            yield FieldRow(spec, self.draft.get(spec.path))

    def on_mount(self) -> None:
        first = self.focus_target()
        if first is not None:
            first.focus()

    def focus_target(self) -> Widget | None:
        inputs = list(self.query("#body Input, #body Select, #body DataTable, #body RadioSet, #body Button"))
        return inputs[0] if inputs else self.query_one("#next")

    # ---- reading and checking ------------------------------------------------------------------
    def collect(self) -> Draft:
        """The draft with this screen's values (no validation)."""
        updates = {row.spec.path: row.read() for row in self.query(FieldRow) if "." in row.spec.path}
        return self.draft.with_values(**updates) if updates else self.draft

    def row(self, path: str) -> FieldRow | None:
        for r in self.query(FieldRow):
            if r.spec.path == path:
                return r
        return None

    def check_fields(self) -> list[tuple[Widget, str]]:
        """Run every field's check (touched or not); show messages; return the errors in screen order."""
        errors = []
        for r in self.query(FieldRow):
            if not r.display:
                continue
            msg, severity = check_value_severity(r.spec, r.read())
            r.show(msg, severity)
            if msg and severity == "error":
                errors.append((r.widget, msg))
        return errors

    def check_cross(self, draft: Draft) -> list[tuple[Widget, str]]:
        """validate_answers findings owned by this step, shown under their field (or in the status line)."""
        errors = []
        loose = []
        for f in findings_for(self.STEP, draft, self.session.inventory):
            r = self.row(f.field) or next((x for x in self.query(FieldRow) if x.spec.path.startswith(f.field + ".")), None)
            if r is not None and r.display:
                if not r.has_error:
                    r.show(f.message, f.severity)
                if f.is_error:
                    errors.append((r.widget, f.message))
            else:
                loose.append(f)
                if f.is_error:
                    errors.append((self.loose_target(f), f"{f.field}: {f.message}"))
        self.show_loose(loose)
        return errors

    def loose_target(self, finding) -> Widget:
        return self.focus_target() or self.query_one("#next")

    def show_loose(self, findings) -> None:
        status = self.query_one("#nav-status", Static)
        status.update("; ".join(f"{f.field}: {f.message}" for f in findings[:2]))
        status.set_class(any(f.is_error for f in findings), "-error")

    def extra_checks(self, draft: Draft) -> list[tuple[Widget, str]]:
        return []

    def validate_step(self) -> tuple[Draft, list[tuple[Widget, str]]]:
        draft = self.collect()
        errors = self.check_fields() + self.extra_checks(draft)
        if not errors:
            errors = self.check_cross(draft)
        else:
            self.show_loose([])
        return draft, errors

    # ---- events ----------------------------------------------------------------------------------
    @on(Input.Changed)
    def _inline(self, event: Input.Changed) -> None:
        row = next((a for a in event.input.ancestors if isinstance(a, FieldRow)), None)
        if row is not None and event.input.has_focus:  # typed by the operator, not set on mount
            row.show(*check_value_severity(row.spec, event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    def action_next(self) -> None:
        draft, errors = self.validate_step()
        if errors:
            widget, _ = errors[0]
            widget.focus()
            self.draft = draft
            return
        self.dismiss(("next", self.before_next(draft), None))

    def before_next(self, draft: Draft) -> Draft:
        return draft

    def action_back(self) -> None:
        if self.index > 0:
            self.dismiss(("back", self.collect(), None))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(f"# {self.title_text}\n\n{self.HELP}\n\n" + KEYS_HELP))

    def goto(self, step: str) -> None:
        self.dismiss(("goto", self.collect(), step))


KEYS_HELP = """**Keys**: Tab / Shift-Tab move between fields · Enter or Ctrl-N = Next · Esc = Back ·
Ctrl-S save the answers file · Ctrl-P command palette (jump to any step) · F1 or ? help · Ctrl-Q quit (nothing is written)."""


def select_value(select: Select) -> str:
    return "" if select.is_blank() else str(select.value)
