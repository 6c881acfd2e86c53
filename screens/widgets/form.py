"""Form pieces: a labelled field row (Input or Select) with its message line, and the step header bar."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from screens.fields import FieldSpec


class FieldRow(Vertical):
    """Label + input + a message line under it (error in red, warning in yellow, help dimmed)."""

    DEFAULT_CSS = """
    FieldRow { height: auto; margin: 0 0 0 0; }
    FieldRow > Horizontal { height: auto; }
    FieldRow .label { width: 24; padding: 0 1 0 0; text-align: right; }
    FieldRow Input, FieldRow Select { width: 1fr; }
    FieldRow .msg { padding: 0 0 0 24; color: $text-muted; height: auto; }
    FieldRow .msg.-error { color: $error; text-style: bold; }
    FieldRow .msg.-warning { color: $warning; }
    """

    def __init__(self, spec: FieldSpec, value: str, *, id_prefix: str = "") -> None:
        super().__init__(id=f"row-{id_prefix}{spec.widget_id}")
        self.spec = spec
        self.value = value
        self.input_id = f"{id_prefix}{spec.widget_id}"
        self.shown = spec.help

    def compose(self) -> ComposeResult:
        spec = self.spec
        with Horizontal():
            yield Static(spec.label, classes="label")
            if spec.choices:
                options = list(spec.choices)
                if self.value and self.value not in options:  # keep a loaded value; its check flags it
                    options.append(self.value)
                yield Select([(o, o) for o in options], value=self.value or Select.NULL,
                             allow_blank=spec.optional, id=self.input_id, compact=True)
            else:
                yield Input(self.value, placeholder=spec.placeholder, id=self.input_id, compact=True)
        yield Static(spec.help, classes="msg", markup=False)

    @property
    def widget(self) -> Input | Select:
        return self.query_one(f"#{self.input_id}")

    def read(self) -> str:
        w = self.widget
        if isinstance(w, Select):
            return "" if w.is_blank() else str(w.value)
        return w.value

    def show(self, message: str | None, severity: str = "error") -> None:
        msg = self.query_one(".msg", Static)
        text = message or self.spec.help
        if text != self.shown:  # unchanged text: no relayout on every keystroke
            self.shown = text
            msg.update(text)
        msg.set_class(bool(message) and severity == "error", "-error")
        msg.set_class(bool(message) and severity == "warning", "-warning")
        self.widget.set_class(bool(message) and severity == "error", "-invalid")

    @property
    def has_error(self) -> bool:
        return self.query_one(".msg", Static).has_class("-error")


class StepHeader(Static):
    """One line: step number and title, and the cluster being created."""

    DEFAULT_CSS = """
    StepHeader { dock: top; height: 1; background: $primary; color: $text; padding: 0 1; text-style: bold; }
    """

    def __init__(self, index: int, total: int, title: str, cluster: str) -> None:
        super().__init__(self.text(index, total, title, cluster), markup=False)

    @staticmethod
    def text(index: int, total: int, title: str, cluster: str) -> str:
        name = cluster or "(unnamed)"
        return f"k8s-wizard new-cluster · step {index + 1}/{total}: {title} · cluster {name}"


def rows(widget: Widget) -> list[FieldRow]:
    return list(widget.query(FieldRow))
