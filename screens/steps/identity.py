"""Step 2, Identity: name, id, domain, branch, observability role and target, git source."""

from __future__ import annotations

from textual import on
from textual.widgets import Select

from screens.draft import Draft
from screens.fields import IDENTITY
from screens.flow import default_branch
from screens.steps.base import StepScreen


class IdentityStep(StepScreen):
    STEP = "identity"
    FIELDS = IDENTITY
    HELP = """**Name**: a DNS label, unique among `clusters/*` (it names the folders, hostnames and kube context).
**Id**: 1-255 and unique (Cilium `cluster.id`); the next free id is suggested.
**Branch**: Flux follows it. A spoke usually tracks `release` so changes reach it after the hub (staged rollout).
**Observability**: the hub runs the metrics store; a spoke needs the hub's remote-write URL as target.
**Git URL**: `ssh://git@github.com/owner/repo.git` (Flux uses a deploy key) or `https://...` (public repo)."""

    def on_mount(self) -> None:
        super().on_mount()
        self._show_target(self.draft.get("cluster.observability.role") or "hub")

    def _show_target(self, role: str) -> None:
        row = self.row("cluster.observability.target")
        if row is not None:
            row.display = role == "spoke"

    @on(Select.Changed, "#f-cluster-observability-role")
    def _role(self, event: Select.Changed) -> None:
        role = "" if event.select.is_blank() else str(event.value)
        self._show_target(role)
        branch = self.row("cluster.branch")
        # only an operator's change of role re-suggests the branch (not the value set on mount)
        if branch is not None and self.app.focused is event.select and branch.read() in ("", "main", "release"):
            branch.widget.value = default_branch(role)

    def collect(self) -> Draft:
        draft = super().collect()
        if draft.get("cluster.observability.role") != "spoke":
            draft = draft.with_values(**{"cluster.observability.target": ""})
        return draft
