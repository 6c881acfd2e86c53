"""Step 6, Versions & components: Talos, Kubernetes and the charts, with Kubernetes-vs-Talos/Flux advice."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from screens.fields import VERSIONS
from screens.steps.base import StepScreen


class VersionsStep(StepScreen):
    STEP = "versions"
    FIELDS = VERSIONS
    HELP = """Defaults come from the seed's stack, or from the cluster you started "like".
Talos, Kubernetes and cert-manager keep the leading `v` (`v1.12.0`); chart versions have none (`1.18.5`).
Kubernetes should be within the range the Talos release supports, and not older than the Flux release\nneeds (warnings appear under the fields; they do not block)."""

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield Static("", id="compat", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.advise()

    @on(Input.Changed)
    def advise(self) -> None:
        """Live advice from the core's rules (the same warnings the answers file and Review get)."""
        from wizard.validation import kubernetes_flux_warning, kubernetes_talos_warning

        d = self.collect()
        k8s = d.get("versions.kubernetes")
        msgs = [m for m in (kubernetes_talos_warning(k8s, d.get("versions.talos")),
                            kubernetes_flux_warning(k8s, d.get("versions.flux"))) if m]
        compat = self.query_one("#compat", Static)
        compat.update("\n".join(f"⚠ {m}" for m in msgs) if msgs else "Talos, Kubernetes and Flux versions are compatible.")
        compat.set_class(bool(msgs), "-warning")
