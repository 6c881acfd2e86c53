"""Step 5, Bonding / MTU: bond on or off, its members and mode, MTU and VLAN, with the consequences."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select, Static, Switch

from screens.draft import Draft
from screens.fields import BONDING, LINK
from screens.steps.base import StepScreen
from screens.widgets.form import FieldRow


def consequences(bond: bool, mode: str, mtu: str, vlan: str) -> str:
    """What the chosen link settings require outside the cluster, in plain words."""
    lines = []
    if bond and mode == "802.3ad":
        lines.append("LACP (802.3ad): every node's member ports must be in an LACP port-channel (LAG) on the "
                     "switch, or the bond never comes up and the node is unreachable.")
    elif bond and mode == "active-backup":
        lines.append("active-backup: one link carries traffic, the other takes over on failure; no switch "
                     "configuration needed, no extra bandwidth.")
    elif bond and mode:
        lines.append(f"{mode}: check that your switch supports this mode without a port-channel.")
    if not bond:
        lines.append("No bond: each node uses one NIC (the first physical link, or the per-node NIC name).")
    if mtu.strip() == "9000":
        lines.append("MTU 9000 (jumbo frames): every NIC, switch port, VLAN and router between the nodes must "
                     "allow 9000 bytes, or large packets are silently dropped (pods hang on big transfers).")
    elif mtu.strip() and mtu.strip() != "1500":
        lines.append(f"MTU {mtu.strip()}: unusual; it must match end to end on the node network.")
    if vlan.strip():
        lines.append(f"VLAN {vlan.strip()}: the switch ports must carry it tagged; the node address, VIP and "
                     "routes move onto the VLAN interface.")
    return "\n".join(f"• {x}" for x in lines)


class BondingStep(StepScreen):
    STEP = "bonding"
    HELP = """**Bond**: combine two or more NICs per node. Give members as NIC names (`enp1s0f0, enp1s0f1`) or
as MAC selectors (`aa:bb:cc:*`), not both. 802.3ad (LACP) needs the switch side configured as an
LACP port-channel; active-backup needs nothing on the switch.
**MTU**: 1500 is standard; 9000 (jumbo frames) only if the whole path allows it.
**VLAN**: optional tag for the node network. The consequences of your choices are listed below the fields."""

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="bond-toggle"):
            yield Static("Bond NICs", classes="label")
            yield Switch(self.draft.bond, id="bond-on")
        with Vertical(id="bond-fields"):
            yield from self.field_rows(BONDING)
        yield from self.field_rows(LINK)
        yield Static("", id="consequences", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#bond-fields").display = self.draft.bond
        self.explain()

    def focus_target(self):
        return self.query_one("#bond-on")

    def explain(self) -> None:
        d = self.collect()
        self.query_one("#consequences", Static).update(
            consequences(d.bond, d.get("network.bond.mode"), d.get("network.mtu"), d.get("network.vlan")))

    @on(Switch.Changed, "#bond-on")
    def _toggle(self, event: Switch.Changed) -> None:
        self.query_one("#bond-fields").display = event.value
        self.explain()

    @on(Select.Changed)
    @on(Input.Changed)
    def _changed(self) -> None:
        self.explain()

    def collect(self) -> Draft:
        draft = super().collect()
        return draft.evolve(bond=self.query_one("#bond-on", Switch).value)

    def check_fields(self):
        errors = super().check_fields()
        return [(w, m) for w, m in errors if self._visible(w)]

    def _visible(self, widget) -> bool:
        row = next((a for a in widget.ancestors if isinstance(a, FieldRow)), None)
        return row is None or not row.spec.path.startswith("network.bond.") or self.query_one("#bond-on", Switch).value
