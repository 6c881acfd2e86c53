"""Step 4, Nodes: a table of the nodes plus a form to add or edit one, and "fill 3+3 from the node CIDR"."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Static

from screens.draft import NODE_FIELDS, Draft
from screens.fields import NODE, check_value
from screens.flow import fill_nodes
from screens.steps.base import StepScreen
from screens.widgets.form import FieldRow

COLUMNS = ("hostname", "address", "role", "installDisk", "interface", "macs")


class NodesStep(StepScreen):
    STEP = "nodes"
    HELP = """The table lists the nodes; select a row to load it into the form below.
**Fill 3+3** (Ctrl-F) replaces the table with `<name>-cp-1..3` at .11-.13 and `<name>-wk-1..3` at .14-.16
of the node CIDR (the seed's pattern). In the form, **Enter** saves the node (new hostname = add,
existing = update); **Remove** (Ctrl-D) deletes the selected node.
Rules: at least one control plane and an odd number of them (etcd quorum), unique hostnames, addresses
and MACs, every address inside the node CIDR and different from the gateway and VIP."""
    BINDINGS = [
        Binding("ctrl+f", "fill", "Fill 3+3"),
        Binding("ctrl+d", "remove", "Remove node"),
    ]

    def __init__(self, session, draft: Draft) -> None:
        super().__init__(session, draft)
        self.nodes: list[dict[str, str]] = [dict(n) for n in draft.nodes]
        self.selected: int | None = None

    def compose_body(self) -> ComposeResult:
        table: DataTable = DataTable(id="nodes", cursor_type="row", zebra_stripes=True)
        for col in COLUMNS:
            table.add_column(col, key=col)
        yield table
        yield Static("", id="node-count", markup=False)
        for spec in NODE:
            yield FieldRow(spec, "worker" if spec.path == "role" else "", id_prefix="node-")
        with Horizontal(id="node-actions"):
            yield Button("Save node", id="node-save")
            yield Button("Remove", id="node-remove")
            yield Button("Fill 3+3 from node CIDR", id="node-fill")

    def on_mount(self) -> None:
        self.refresh_table()
        super().on_mount()

    def focus_target(self):
        return self.query_one("#nodes")

    # ---- table -----------------------------------------------------------------------------------
    def refresh_table(self) -> None:
        table = self.query_one("#nodes", DataTable)
        table.clear()
        for i, n in enumerate(self.nodes):
            table.add_row(*(n.get(c, "") for c in COLUMNS), key=str(i))
        cps = sum(1 for n in self.nodes if n.get("role") == "controlplane")
        problems = self.node_problems()
        text = f"{cps} control plane(s), {len(self.nodes) - cps} worker(s); {len(problems)} error(s)"
        if problems:
            text += ": " + problems[0]
        count = self.query_one("#node-count", Static)
        count.update(text)
        count.set_class(bool(problems), "-error")

    def node_problems(self) -> list[str]:
        out = []
        for i, n in enumerate(self.nodes):
            for spec in NODE:
                msg = check_value(spec, n.get(spec.path, ""))
                if msg:
                    out.append(f"node {i + 1} ({n.get('hostname') or '?'}) {spec.label.lower()}: {msg}")
        return out

    def form_rows(self) -> list[FieldRow]:
        return [r for r in self.query(FieldRow)]

    @on(DataTable.RowHighlighted, "#nodes")
    def _load(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        self.selected = int(event.row_key.value)
        node = self.nodes[self.selected]
        for row in self.form_rows():
            value = node.get(row.spec.path, "")
            w = row.widget
            if isinstance(w, Input):
                w.value = value
            else:
                w.value = value or "worker"
            row.show(None)

    # ---- actions ---------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # Textual also calls the base class handler (Next) otherwise
        if event.input.id and event.input.id.startswith("node-"):
            self.action_save_node()
        else:
            self.action_next()

    @on(Button.Pressed, "#node-save")
    def action_save_node(self) -> None:
        values = {r.spec.path: r.read().strip() for r in self.form_rows()}
        errors = []
        for r in self.form_rows():
            msg = check_value(r.spec, values[r.spec.path])
            r.show(msg)
            if msg:
                errors.append(r)
        if errors:
            errors[0].widget.focus()
            return
        same = next((i for i, n in enumerate(self.nodes) if n.get("hostname") == values["hostname"]), None)
        if same is None:
            self.nodes.append(values)
            same = len(self.nodes) - 1
        else:
            self.nodes[same] = values
        self.refresh_table()
        self.query_one("#nodes", DataTable).move_cursor(row=same)
        self.query_one("#node-f-hostname", Input).focus()

    @on(Button.Pressed, "#node-remove")
    def action_remove(self) -> None:
        table = self.query_one("#nodes", DataTable)
        if not self.nodes or table.cursor_row is None or table.cursor_row >= len(self.nodes):
            return
        del self.nodes[table.cursor_row]
        self.refresh_table()

    @on(Button.Pressed, "#node-fill")
    def action_fill(self) -> None:
        draft = self.draft
        if not draft.get("network.nodeCidr") or not draft.name:
            self.notify("set the cluster name and node CIDR first (steps Identity and Network)", severity="error")
            return
        try:
            filled = fill_nodes(draft)
        except ValueError as exc:  # a node CIDR too small for .16
            self.notify(str(exc), severity="error")
            return
        self.nodes = [dict(n) for n in filled.nodes]
        self.refresh_table()
        self.query_one("#nodes", DataTable).focus()

    # ---- draft -----------------------------------------------------------------------------------
    def collect(self) -> Draft:
        return self.draft.with_nodes([{k: n.get(k, "") for k in NODE_FIELDS} for n in self.nodes])

    def extra_checks(self, draft: Draft):
        self.refresh_table()
        problems = self.node_problems()
        if not self.nodes:
            problems = ["add at least one node (or Fill 3+3)"]
        if problems:
            count = self.query_one("#node-count", Static)
            count.update(f"{len(problems)} error(s): {problems[0]}")
            count.add_class("-error")
            return [(self.query_one("#nodes", DataTable), problems[0])]
        return []

    def check_fields(self):
        return []  # the form holds the node being edited, not the answers: only the table counts

    def show_loose(self, findings) -> None:
        super().show_loose(findings)
        if findings:
            count = self.query_one("#node-count", Static)
            count.update("; ".join(f"{f.field}: {f.message}" for f in findings[:2]))
            count.set_class(any(f.is_error for f in findings), "-error")
