"""``talosctl health``: the server-side checks in order, one stderr line per state change, blocking on
the first failing check until it passes or ``--wait-timeout`` (scaled) runs out. Before a CNI the
"all k8s nodes to report ready" check cannot pass (talos#7967)."""

from __future__ import annotations

from wizard.sim.cluster import View
from wizard.sim.main import Fail
from wizard.sim.timing import parse_duration


def _checks(v: View, cps: list[dict], wks: list[dict]):
    alln = cps + wks

    def names(ns):
        return "[" + " ".join(n["hostname"] for n in ns) + "]"

    def need(cond, ok_nodes, msg):
        bad = [n for n in ok_nodes if not cond(n)]
        return None if not bad else f"{msg}: {names(bad)}"

    yield "etcd to be healthy", lambda: None if v.reached(v.etcd_up_at()) else "etcd is not healthy yet"
    yield "etcd members to be consistent across nodes", lambda: need(
        lambda n: v.reached(v.etcd_member_at(n)), cps, "some control plane nodes are not etcd members")
    yield "etcd members to be control plane nodes", lambda: None
    yield "apid to be ready", lambda: need(lambda n: v.phase(n) == "running", alln, "some nodes are not reachable")
    yield "all nodes memory sizes", lambda: None
    yield "all nodes disk sizes", lambda: None
    yield "no diagnostics", lambda: None
    yield "kubelet to be healthy", lambda: need(lambda n: v.phase(n) == "running", alln, "kubelet is not healthy")
    yield "all nodes to finish boot sequence", lambda: need(lambda n: v.phase(n) == "running", alln,
                                                           "some nodes are still booting")
    yield "all k8s nodes to report", lambda: need(lambda n: v.reached(v.registered_at(n)), alln,
                                                 "some nodes are not registered")
    yield "all control plane static pods to be running", lambda: need(
        lambda n: v.reached(v.api_up_at(n)), cps, "static pods are not running on")
    yield "all control plane components to be ready", lambda: need(
        lambda n: v.reached(v.api_up_at(n)), cps, "control plane components are not ready on")
    yield "all k8s nodes to report ready", lambda: need(lambda n: v.reached(v.node_ready_at(n)), alln,
                                                       "some nodes are not ready")
    yield "kube-proxy to report ready", lambda: "SKIP"
    yield "coredns to report ready", lambda: None if v.deployed_at("coredns") is not None else "SKIP"
    yield "all k8s nodes to report schedulable", lambda: None


def health(call, a, require_one, secure) -> int:
    ip = require_one(a, "health")
    call.begin("health", node=ip)
    try:
        wait = parse_duration(a.get("wait-timeout", "20m"), 1200.0)
    except ValueError:
        raise Fail(f'invalid argument "{a.get("wait-timeout")}" for "--wait-timeout" flag: time: invalid duration') from None
    deadline = call.now() + wait
    with call.state(write=False) as st:
        v = View(st, call.now())
        secure(v, "health", ip, False)
        cp_ips, wk_ips = a.csv("control-plane-nodes"), a.csv("worker-nodes")
        if cp_ips or wk_ips:
            cps = [v.node(x) or {"hostname": x, "address": x, "role": "controlplane", "applied_at": None}
                   for x in cp_ips]
            wks = [v.node(x) or {"hostname": x, "address": x, "role": "worker", "applied_at": None} for x in wk_ips]
        else:
            # discovery: the nodes that have joined (running); unconfigured ones are invisible
            cps = [n for n in v.nodes if v.is_cp(n) and v.phase(n) == "running"]
            wks = [n for n in v.nodes if not v.is_cp(n) and v.phase(n) == "running"]
    if a.flag("server", True):
        call.err("discovered nodes: [" + " ".join(f'"{n["address"]}"' for n in cps + wks) + "]")
    count = len(list(_checks(v, cps, wks)))
    for i in range(count):
        last = None
        while True:
            with call.state(write=False) as st:
                v = View(st, call.now())
                desc, fn = list(_checks(v, cps, wks))[i]
                res = fn()
            if res is None or res == "SKIP":
                call.err(f"waiting for {desc}: {'OK' if res is None else 'SKIP'}")
                break
            if res != last:
                call.err(f"waiting for {desc}: {res}")
                last = res
            if call.now() >= deadline:
                raise Fail("healthcheck error: rpc error: code = DeadlineExceeded desc = context deadline exceeded")
            call.poll()
    return 0
