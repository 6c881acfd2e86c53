"""Step 6, Versions & components: Talos, Kubernetes and the charts, with Kubernetes-vs-Talos advice."""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from screens.fields import VERSIONS
from screens.steps.base import StepScreen

#: Talos' support matrix (Talos docs "Support Matrix"): Talos 1.<m> runs Kubernetes 1.<m+18> to 1.<m+23>,
#: e.g. Talos 1.12 supports Kubernetes 1.30-1.35. Advice only: the wizard does not block on it.
_K8S_SPAN = (18, 23)


def compatibility(talos: str, kubernetes: str) -> str | None:
    """A warning when Kubernetes is outside the range the Talos release supports, else None."""
    t = re.match(r"v?1\.(\d+)\.", talos.strip() + ".")
    k = re.match(r"v?1\.(\d+)\.", kubernetes.strip() + ".")
    if not t or not k:
        return None
    lo, hi = int(t.group(1)) + _K8S_SPAN[0], int(t.group(1)) + _K8S_SPAN[1]
    minor = int(k.group(1))
    if lo <= minor <= hi:
        return None
    side = "newer" if minor > hi else "older"
    return (f"Kubernetes 1.{minor} is {side} than Talos 1.{t.group(1)} supports (1.{lo}-1.{hi}): "
            f"pick Kubernetes 1.{hi} or a Talos release that supports 1.{minor}")


class VersionsStep(StepScreen):
    STEP = "versions"
    FIELDS = VERSIONS
    HELP = """Defaults come from the seed's stack, or from the cluster you started "like".
Talos, Kubernetes and cert-manager keep the leading `v` (`v1.12.0`); chart versions have none (`1.18.5`).
Kubernetes must be within the range the Talos release supports (a warning appears under Kubernetes)."""

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield Static("", id="compat", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.advise()

    @on(Input.Changed)
    def advise(self) -> None:
        d = self.collect()
        msg = compatibility(d.get("versions.talos"), d.get("versions.kubernetes"))
        compat = self.query_one("#compat", Static)
        compat.update(f"⚠ {msg}" if msg else "Talos and Kubernetes versions are compatible.")
        compat.set_class(bool(msg), "-warning")
