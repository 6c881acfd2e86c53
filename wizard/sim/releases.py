"""Helm release storage and ``helm upgrade --install`` (used by the fake helm and, in-process, helmfile).

A release goes pending-install/pending-upgrade when the install starts and deployed when it ends, so a
process killed mid-install leaves it pending: the next upgrade fails with helm's "another operation
(install/upgrade/rollback) is in progress" until ``helm rollback`` (or ``helm uninstall``).
"""

from __future__ import annotations

import os
import time

from wizard.sim import crds as crdcat
from wizard.sim import effects
from wizard.sim.cluster import View, chart_kind
from wizard.sim.timing import PHASE, RELEASE

WORKLOADS = {
    "cilium": [("DaemonSet", "cilium"), ("DaemonSet", "cilium-envoy"), ("Deployment", "cilium-operator")],
    "coredns": [("Deployment", "coredns")],
    "spegel": [("DaemonSet", "spegel")],
    "cert-manager": [("Deployment", "cert-manager"), ("Deployment", "cert-manager-webhook"),
                     ("Deployment", "cert-manager-cainjector")],
    "flux": [("Deployment", f"{c}-controller") for c in ("helm", "kustomize", "notification", "source")],
    "flux-operator": [("Deployment", "flux-operator")],
    "flux-instance": [("Deployment", f"{c}-controller") for c in ("helm", "kustomize", "notification", "source")],
}


class HelmError(Exception):
    def __init__(self, text: str, rc: int = 1):
        super().__init__(text)
        self.text, self.rc = text, rc


def chart_name(chart: str) -> str:
    return chart.rstrip("/").rsplit("/", 1)[-1]


def helm_date(t: float) -> str:
    return time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(t))


def list_time(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S.000000000 +0000 UTC", time.gmtime(t))


def status_text(r: dict, t: float) -> str:
    return (f"NAME: {r['name']}\nLAST DEPLOYED: {helm_date(t)}\nNAMESPACE: {r['namespace']}\n"
            f"STATUS: {r['status']}\nREVISION: {r['revision']}\nTEST SUITE: None")


def _start(call, st: dict, name: str, ns: str, chart: str, version: str, forced_pending: bool) -> tuple[dict, bool]:
    key = f"{ns}/{name}"
    r = st["releases"].get(key)
    new = r is None or not any(h["status"] in ("deployed", "superseded") for h in r["history"])
    if r is not None and r["status"].startswith("pending-"):
        raise HelmError(effects.helm_failed("UPGRADE", effects.HELM_PENDING))
    now = call.now()
    if r is None:
        r = {"name": name, "namespace": ns, "chart": chart, "version": version, "revision": 0, "status": "",
             "history": [], "first_deployed_at": None, "deployed_at": None,
             "kind": chart_kind(name, chart)}
        st["releases"][key] = r
    for h in r["history"]:
        if h["status"] == "deployed":
            h["status"] = "superseded"
    r.update(chart=chart, version=version, revision=r["revision"] + 1, started_at=now, pid=os.getpid(),
             status="pending-install" if new else "pending-upgrade")
    r["history"].append({"revision": r["revision"], "status": r["status"], "updated": now,
                         "chart": f"{chart_name(chart)}-{version}", "app_version": version,
                         "description": "Initial install underway" if new else "Preparing upgrade"})
    st.setdefault("objects", {}).setdefault(f"Namespace//{ns}", {
        "kind": "Namespace", "apiVersion": "v1", "name": ns, "namespace": None, "labels": {}, "spec": {},
        "created_at": now, "origin": "helm"})
    if forced_pending:
        # a previous helm process died mid-operation: the release stays pending (not our pid)
        r["pid"] = None
        raise HelmError(effects.helm_failed("UPGRADE", effects.HELM_PENDING))
    cat = crdcat.catalog_key(name, chart)
    if cat:  # helm installs the chart's CRDs before its templates
        for entry in crdcat.CATALOG[cat][1]:
            cname = f"{entry[3]}.{entry[0]}"
            st["crds"].setdefault(cname, crdcat.record(entry, now, f"helm:{key}", PHASE["crd_established"]))
    return r, new


def killed(call, name: str, ns: str, chart: str, version: str) -> None:
    """A helm process killed mid-install/upgrade (exit 137): the release it had started stays
    pending-install/pending-upgrade, owned by no live process."""
    with call.state() as st:
        try:
            _start(call, st, name, ns, chart, version, False)
            st["releases"][f"{ns}/{name}"]["pid"] = None
        except HelmError:
            pass  # already pending: nothing more to leave behind
    call.event("helm-killed", release=f"{ns}/{name}")


def _finish(call, st: dict, key: str, ok: bool, desc: str) -> dict:
    r = st["releases"][key]
    now = call.now()
    r["status"] = "deployed" if ok else "failed"
    r["pid"] = None
    r["history"][-1].update(status=r["status"], updated=now, description=desc)
    if ok:
        r["deployed_at"] = now
        if r.get("first_deployed_at") is None:
            r["first_deployed_at"] = now
        if r["kind"] == "cilium":
            at = now + PHASE["cilium_crds"]
            for entry in crdcat.CILIUM:
                st["crds"].setdefault(f"{entry[3]}.{entry[0]}", crdcat.record(
                    entry, at, "cilium-operator", PHASE["crd_established"]))
    return r


def upgrade_install(call, *, name: str, ns: str, chart: str, version: str, timeout: float, wait: bool,
                    host: str | None, emit) -> dict:
    """Install or upgrade one release; ``emit(line)`` prints helm's stdout; raises HelmError."""
    key = f"{ns}/{name}"
    forced = "helm_pending" in call.forced
    call.forced.discard("helm_pending")
    failed = None
    with call.state() as st:
        v = View(st, call.now())
        if host is not None and v.api_error(host):
            raise HelmError(effects.helm_unreachable(host, v.api_error(host)))
        try:
            r, new = _start(call, st, name, ns, chart, version, forced)
            kind = r["kind"]
        except HelmError as e:
            failed = e  # raised after the with-block so a release forced pending is saved
    if failed is not None:
        call.event("helm-failed", release=key, reason="pending")
        raise failed
    call.event("helm-start", release=key, revision=r["revision"], new=new)
    if new:
        emit(f'Release "{name}" does not exist. Installing it now.')
    verb = "INSTALLATION" if new else "UPGRADE"
    started = call.now()
    deadline = started + timeout
    dur = RELEASE.get(kind, RELEASE["other"])
    while True:
        if not wait:
            done_at = started + min(dur, 1.0)  # objects created; pods are not waited for
        elif kind == "cilium":
            done_at = started + dur
        else:
            # pods of every chart but the CNI itself stay Pending until Cilium makes the nodes Ready
            with call.state(write=False) as st:
                cni = View(st, call.now()).cni_at()
            done_at = None if cni is None else max(started, cni + PHASE["node_ready"]) + dur
        t = call.now()
        if done_at is not None and t >= done_at:
            break
        if t >= deadline:
            with call.state() as st:
                _finish(call, st, key, False, f"Release \"{name}\" failed: context deadline exceeded")
            call.event("helm-failed", release=key, reason="timeout")
            raise HelmError(effects.helm_failed(verb, "context deadline exceeded"))
        call.wait_until(min(deadline, done_at if done_at is not None else deadline))
    with call.state() as st:
        r = _finish(call, st, key, True, "Install complete" if new else "Upgrade complete")
    call.event("helm-deployed", release=key, revision=r["revision"])
    if not new:
        emit(f'Release "{name}" has been upgraded. Happy Helming!')
    emit(status_text(r, r["deployed_at"]))
    return r
