"""Simulated latencies (virtual seconds) and the virtual clock persisted in the state.

The numbers follow runner.md's [est] timings, shortened so a whole 6-node bootstrap at speed 1 (the
README demo) takes about three minutes: e.g. install + reboot 40 s instead of 2-5 min, helmfile about
a minute instead of 5-10. They are durations of *virtual* time, which runs ``K8S_WIZARD_SIM_SPEED``
times faster than the wall clock (tests use >= 100). docs/simulator.md lists them.

The clock: ``virtual_now = vbase + (real_now - rbase) * speed``. A call with another speed than the
stored one re-bases it first (vbase = virtual_now under the old speed, rbase = real_now), so virtual
time is continuous and never goes back whatever the speeds of successive calls.
"""

from __future__ import annotations

import time

#: Duration of one call of a tool (the process's own run time), by "tool subcommand" then "tool".
CALL = {
    "talosctl apply-config": 1.0,
    "talosctl bootstrap": 0.5,
    "talosctl kubeconfig": 0.5,
    "talosctl": 0.3,
    "talhelper genconfig": 1.0,
    "talhelper": 0.2,
    "helmfile template": 1.5,
    "helmfile": 0.5,
    "helm": 0.3,
    "kubectl apply": 0.4,
    "kubectl": 0.15,
    "flux": 0.3,
    "cilium": 0.5,
    "op": 0.4,
    "git": 0.5,
}

#: Cluster transitions, measured from the event that starts them.
PHASE = {
    "install": 25.0,  # apply-config -> installer writes the disk (API: connection refused)
    "reboot": 15.0,  # -> node reboots (connection refused), then "running" with mTLS
    "boot_settle": 2.0,  # running, but `bootstrap is not available yet` for this long
    "etcd_up": 10.0,  # bootstrap -> etcd healthy, VIP assigned
    "etcd_join": 3.0,  # other control planes join etcd once running and etcd is healthy
    "api_up": 15.0,  # etcd healthy -> kube-apiserver answers /readyz
    "register": 5.0,  # API up and node running -> Node object (Ready=False, no CNI)
    "node_ready": 3.0,  # Cilium deployed -> node Ready=True
    "cilium_crds": 1.0,  # Cilium deployed -> cilium-operator registered the cilium.io CRDs
    "crd_established": 0.5,  # CRD created -> Established
    "webhook_ready": 3.0,  # cert-manager deployed -> its webhook answers
    "flux_controllers": 0.0,  # flux chart deployed (helm --wait) -> controllers Available
    "git_ready": 5.0,  # GitRepository applied and controllers up -> artifact stored
    "ks_ready": 8.0,  # source Ready -> Kustomization applied
    "bgp_up": 15.0,  # Cilium deployed -> BGP sessions established
    "connectivity": 30.0,  # `cilium connectivity test` (real: 5-15 min)
    "poll": 0.25,  # poll interval of waiting tools (kubectl wait, flux check, health)
}

#: helm install/upgrade time of a release with --wait, by chart kind (see helm.chart_kind).
RELEASE = {
    "cilium": 20.0,
    "coredns": 6.0,
    "spegel": 5.0,
    "cert-manager": 12.0,
    "flux": 10.0,
    "flux-operator": 8.0,
    "flux-instance": 6.0,
    "other": 5.0,
}

#: helm's default --timeout (5m0s); helmfile's helmDefaults.timeout overrides it.
HELM_TIMEOUT = 300.0


def call_latency(tool: str, sub: str) -> float:
    return CALL.get(f"{tool} {sub}", CALL.get(tool, 0.2))


def now() -> float:
    # Wall clock: the tools are separate processes, so monotonic clocks cannot be compared.
    return time.time()


def new_clock(speed: float = 1.0, real: float | None = None) -> dict:
    """A clock whose virtual time equals the wall clock at its start (dates printed by the tools look
    current)."""
    real = time.time() if real is None else real
    return {"vbase": real, "rbase": real, "speed": float(speed)}


def virtual_now(clock: dict, real: float | None = None) -> float:
    real = time.time() if real is None else real
    # max(0, ...): a wall clock stepped back (NTP) must not move virtual time back
    return clock["vbase"] + max(0.0, real - clock["rbase"]) * clock["speed"]


def rebase(clock: dict, speed: float, real: float | None = None) -> dict:
    """The same virtual instant, running at ``speed`` from now on."""
    real = time.time() if real is None else real
    return {"vbase": virtual_now(clock, real), "rbase": real, "speed": float(speed)}


def sleep(virtual_seconds: float, speed: float) -> None:
    if virtual_seconds > 0:
        time.sleep(virtual_seconds / speed)


def parse_duration(text: str, default: float) -> float:
    """Go/kubectl durations: ``10m``, ``1m30s``, ``300s``, ``2h``, ``500ms``, a bare number = seconds."""
    import re

    text = (text or "").strip()
    if not text:
        return default
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total, pos = 0.0, 0
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text):
        if m.start() != pos:
            raise ValueError(text)
        total += float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]
        pos = m.end()
    if pos != len(text):
        raise ValueError(text)
    return total


def go_duration(seconds: float) -> str:
    """Go's time.Duration rounded to seconds (helmfile's DURATION column): ``1m5s``, ``21s``, ``0s``."""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h{m}m{sec}s"
    if m:
        return f"{m}m{sec}s"
    return f"{sec}s"
