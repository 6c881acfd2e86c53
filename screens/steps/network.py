"""Step 3, Network: node CIDR, gateway, VIP, pod/service CIDRs, nameservers, BGP (all or nothing)."""

from __future__ import annotations

from textual import on
from textual.widgets import Input

from screens.fields import NETWORK, check_value
from screens.flow import network_defaults
from screens.steps.base import StepScreen


class NetworkStep(StepScreen):
    STEP = "network"
    FIELDS = NETWORK
    HELP = """CIDRs must be canonical (`10.25.13.0/24`, not `10.25.13.5/24`) and must not overlap each other
or any existing cluster's node, pod or service CIDR (the next free /16 pair is suggested).
Gateway and VIP must lie inside the node CIDR; the VIP is the API endpoint `https://<vip>:6443`
(Talos moves it between control planes; bootstrap itself talks to the first control plane's IP).
Gateway and VIP are filled from the node CIDR (.1 and .10) when empty.
**BGP**: fill local ASN, peer address and peer ASN, or leave all three empty."""

    @on(Input.Changed, "#f-network-nodeCidr")
    def _cidr(self, event: Input.Changed) -> None:
        spec = self.row("network.nodeCidr").spec
        if check_value(spec, event.value):
            return
        filled = network_defaults(self.collect())
        for path in ("network.gateway", "network.vip", "network.nameservers"):
            row = self.row(path)
            if row is not None and not row.read() and filled.get(path):
                row.widget.value = filled.get(path)
