"""Fake ``cilium`` (cilium-cli v0.18 texts): ``status [--wait]`` (with ANSI colours, as the real one
always prints), ``bgp peers`` (exit 0 even when no session is established), ``connectivity test``
(summary only), ``config view``, ``version``."""

from __future__ import annotations

from wizard.sim.args import parse
from wizard.sim.cluster import View
from wizard.sim.fmt import table
from wizard.sim.kubeaccess import reach
from wizard.sim.main import Fail, Unsupported
from wizard.sim.timing import PHASE, go_duration, parse_duration

VALUES = {"namespace", "context", "kubeconfig", "wait-duration", "output", "node", "test", "test-namespace",
          "namespace-labels", "junit-file", "timeout", "external-target", "external-ip", "external-cidr",
          "test-concurrency", "helm-release-name", "agent-pod-selector"}
ALIASES = {"n": "namespace", "o": "output"}
GREEN, RED, YELLOW, RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"


def _logo(i: int) -> str:
    c = ("\x1b[33m", "\x1b[31m", "\x1b[32m", "\x1b[34m", "\x1b[36m", "\x1b[35m")
    rows = ["    /¯¯\\", " /¯¯\\__/¯¯\\", " \\__/¯¯\\__/", " /¯¯\\__/¯¯\\", " \\__/¯¯\\__/", "    \\__/"]
    return f"{c[i % len(c)]}{rows[i]}{RESET}" + " " * (15 - len(rows[i]))


def _status(v: View) -> tuple[str, bool]:
    nodes = [n for n in v.nodes if v.reached(v.registered_at(n))]
    rels = [r for r in v.releases("cilium")]
    r = rels[0] if rels else None
    deployed = r is not None and r.get("first_deployed_at") is not None
    want = len(nodes)
    ready = want if deployed else 0
    errors = []
    if r is None:
        errors = [["cilium", "cilium", 'daemonsets.apps "cilium" not found'],
                  ["cilium-operator", "cilium-operator", 'deployments.apps "cilium-operator" not found']]
    elif not deployed:
        errors = [["cilium", "cilium", f"{want - ready} pods of DaemonSet cilium are not ready"]]

    def word(ok: bool, n_err: int) -> str:
        return f"{GREEN}OK{RESET}" if ok else f"{RED}{n_err} errors{RESET}"

    comp = [("Cilium:", word(deployed, 1)), ("Operator:", word(deployed, 1)), ("Envoy DaemonSet:", word(deployed, 1)),
            ("Hubble Relay:", "disabled"), ("ClusterMesh:", "disabled")]
    lines = [_logo(0).rstrip()] + [f"{_logo(i + 1)}{k:<20}{val}" for i, (k, val) in enumerate(comp)]
    lines.append("")
    body = [["DaemonSet", "cilium", f"Desired: {want}, Ready: {ready}/{want}, Available: {ready}/{want}"],
            ["DaemonSet", "cilium-envoy", f"Desired: {want}, Ready: {ready}/{want}, Available: {ready}/{want}"],
            ["Deployment", "cilium-operator", f"Desired: 2, Ready: {2 if deployed else 0}/2, "
                                              f"Available: {2 if deployed else 0}/2"]]
    if deployed:
        body += [["Containers:", "cilium", f"Running: {want}"], ["", "cilium-envoy", f"Running: {want}"],
                 ["", "cilium-operator", "Running: 2"],
                 ["Cluster Pods:", f"{want * 2}/{want * 2} managed by Cilium", ""],
                 ["Helm chart version:", r["version"], ""],
                 ["Image versions", "cilium", f"quay.io/cilium/cilium:v{r['version']}: {want}"]]
    lines.append(table(body, padding=3))
    if errors:
        lines.append(table([["Errors:" if i == 0 else "", *e] for i, e in enumerate(errors)], padding=3))
    return "\n".join(lines), deployed and not errors


def status(call, a) -> int:
    wait = a.flag("wait")
    deadline = call.now() + parse_duration(a.get("wait-duration", "5m"), 300.0)
    while True:
        with call.state(write=False) as st:
            v = View(st, call.now())
            reach(call, st, v, kubeconfig=a.get("kubeconfig"), context=a.get("context"), style="cilium")
            text, ok = _status(v)
        if ok or not wait:
            call.out(text)
            return 0
        if call.now() >= deadline:
            call.err(text)
            raise Fail("\nError: Unable to determine status:  timeout while waiting for status to become successful: "
                       "context deadline exceeded")
        call.poll()


def bgp_peers(call, a) -> int:
    with call.state(write=False) as st:
        v = View(st, call.now())
        reach(call, st, v, kubeconfig=a.get("kubeconfig"), context=a.get("context"), style="cilium")
        if v.cni_at() is None:
            raise Fail("\nError: Unable to get peering status: no cilium agent pods found (label k8s-app=cilium) in "
                       "namespace kube-system")
        bgp = st.get("bgp")
        rows = [["Node", "Local AS", "Peer AS", "Peer Address", "Session State", "Uptime", "Family", "Received",
                 "Advertised"]]
        # one cilium agent per registered node (the DaemonSet), each peering on its own
        nodes = sorted((n for n in v.nodes if v.reached(v.registered_at(n))), key=lambda n: n["hostname"])
        if a.get("node"):
            nodes = [n for n in nodes if n["hostname"] == a.get("node")]
        for n in nodes if bgp else []:
            t = v.bgp_at(n)
            up = v.reached(t) and "bgp_not_established" not in call.forced
            rows.append([n["hostname"], str(bgp["local_asn"]), str(bgp["peer_asn"]), bgp["peer_address"],
                         "established" if up else "active", go_duration(v.now - t) if up else "0s", "ipv4/unicast",
                         "2" if up else "0", "3" if up else "0"])
    call.out(table(rows, padding=3, minwidth=5))
    return 0


def connectivity(call, a) -> int:
    if a.pos[1:2] != ["test"]:
        raise Unsupported("connectivity " + " ".join(a.pos[1:2]))
    ns = a.get("test-namespace", "cilium-test") + "-1"
    with call.state(write=False) as st:
        v = View(st, call.now())
        reach(call, st, v, kubeconfig=a.get("kubeconfig"), context=a.get("context"), style="cilium")
        ctx = f"admin@{st['cluster']}"
        ok = v.cni_at() is not None and all(v.reached(v.node_ready_at(n)) for n in v.nodes)
    if not ok:
        raise Fail("\nError: Unable to run connectivity test: cilium is not ready in namespace kube-system "
                   "(run `cilium status --wait`)")
    total, actions, skipped = (12, 96, 4) if a.all("test") else (73, 588, 50)
    call.out("ℹ️  Monitor aggregation detected, will skip some flow validation steps")
    call.out(f"✨ [{ctx}] Creating namespace {ns} for connectivity check...")
    call.out(f"✨ [{ctx}] Deploying echo-same-node service...")
    call.out(f"⌛ [{ctx}] Waiting for deployment {ns}/client to become ready...")
    call.sleep(PHASE["connectivity"] * (0.2 if a.all("test") else 1.0))
    call.out(f"🏃[{ns}] Running {total + skipped} tests ...")
    call.out(f"✅ [{ns}] All {total} tests ({actions} actions) successful, {skipped} tests skipped, "
             "1 scenarios skipped.")
    return 0


def config_view(call, a) -> int:
    if a.pos[1:2] != ["view"]:
        raise Unsupported("config " + " ".join(a.pos[1:2]))
    with call.state(write=False) as st:
        v = View(st, call.now())
        reach(call, st, v, kubeconfig=a.get("kubeconfig"), context=a.get("context"), style="cilium")
        if v.cni_at() is None:
            raise Fail('\nError: Unable to retrieve configuration: configmaps "cilium-config" not found')
        items = {"cluster-id": str(st["cluster_id"]), "cluster-name": st["cluster"],
                 "enable-bgp-control-plane": "true" if st.get("bgp") else "false", "ipam": "kubernetes",
                 "kube-proxy-replacement": "true", "routing-mode": "native", "enable-bpf-masquerade": "true"}
    call.out("\n".join(f"{k:<49} {val}" for k, val in sorted(items.items())))
    return 0


def run(call) -> int:
    a = parse(call.argv, values=VALUES, aliases=ALIASES)
    sub = a.pos[0] if a.pos else ""
    if sub == "version":
        call.begin("version")
        call.out("cilium-cli: v0.18.7 compiled with go1.24.6 on linux/amd64\ncilium image (default): v1.18.1\n"
                 "cilium image (stable): v1.18.5")
        return 0
    if sub == "bgp" and a.pos[1:2] == ["peers"]:
        call.begin("bgp")
        return bgp_peers(call, a)
    fns = {"status": status, "connectivity": connectivity, "config": config_view}
    if sub not in fns:
        raise Unsupported(" ".join(a.pos[:2]) or "(no subcommand)")
    call.begin(sub)
    return fns[sub](call, a)
