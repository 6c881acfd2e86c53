"""Fake ``helm`` (v3 texts): status, list, history, rollback, uninstall, upgrade --install, version."""

from __future__ import annotations

import json
import time

from wizard.sim import releases as rel
from wizard.sim.args import parse
from wizard.sim.cluster import View
from wizard.sim.fmt import tab_table
from wizard.sim.kubeaccess import reach
from wizard.sim.main import Fail, Unsupported
from wizard.sim.timing import HELM_TIMEOUT, parse_duration

VALUES = {"namespace", "kubeconfig", "kube-context", "output", "timeout", "version", "filter", "max", "values",
          "set", "post-renderer", "description"}
ALIASES = {"n": "namespace", "o": "output", "A": "all-namespaces", "a": "all", "f": "values", "q": "short"}


def _release(st: dict, name: str, ns: str) -> dict:
    r = st["releases"].get(f"{ns}/{name}")
    if r is None:
        raise Fail("Error: release: not found")
    return r


def status(call, a, ns) -> int:
    name = a.pos[1] if len(a.pos) > 1 else ""
    with call.state(write=False) as st:
        reach(call, st, View(st, call.now()), kubeconfig=a.get("kubeconfig"),
              context=a.get("kube-context"), style="helm")
        r = _release(st, name, ns)
        t = r.get("deployed_at") or r.get("started_at") or 0
        if a.get("output") == "json":
            call.out(json.dumps({"name": r["name"], "namespace": ns, "version": r["revision"],
                                 "info": {"status": r["status"], "last_deployed": rel.list_time(t),
                                          "description": r["history"][-1]["description"]},
                                 "chart": {"metadata": {"name": rel.chart_name(r["chart"]), "version": r["version"]}}}))
        else:
            call.out(rel.status_text(r, t))
    return 0


def list_(call, a, ns) -> int:
    with call.state(write=False) as st:
        reach(call, st, View(st, call.now()), kubeconfig=a.get("kubeconfig"),
              context=a.get("kube-context"), style="helm")
        rs = sorted(st["releases"].values(), key=lambda r: (r["namespace"], r["name"]))
    if not a.flag("all-namespaces"):
        rs = [r for r in rs if r["namespace"] == ns]
    if a.flag("pending"):
        rs = [r for r in rs if r["status"].startswith("pending-")]
    elif a.flag("failed"):
        rs = [r for r in rs if r["status"] == "failed"]
    elif not a.flag("all"):
        rs = [r for r in rs if r["status"] in ("deployed", "failed")]
    if a.get("filter"):
        import re

        rs = [r for r in rs if re.search(a.get("filter"), r["name"])]
    rows = [{"name": r["name"], "namespace": r["namespace"], "revision": str(r["revision"]),
             "updated": rel.list_time(r["history"][-1]["updated"]), "status": r["status"],
             "chart": f"{rel.chart_name(r['chart'])}-{r['version']}", "app_version": r["version"]} for r in rs]
    if a.get("output") == "json":
        call.out(json.dumps(rows))
        return 0
    if a.flag("short"):
        if rows:
            call.out("\n".join(r["name"] for r in rows))
        return 0
    table = [["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"]]
    table += [[r["name"], r["namespace"], r["revision"], r["updated"], r["status"], r["chart"], r["app_version"]]
              for r in rows]
    call.out(tab_table(table))
    return 0


def history(call, a, ns) -> int:
    name = a.pos[1] if len(a.pos) > 1 else ""
    with call.state(write=False) as st:
        r = _release(st, name, ns)
        rows = [["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"]]
        rows += [[str(h["revision"]), time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(h["updated"])),
                  h["status"], h["chart"], h["app_version"], h["description"]] for h in r["history"]]
    call.out(tab_table(rows))
    return 0


def rollback(call, a, ns) -> int:
    name = a.pos[1] if len(a.pos) > 1 else ""
    with call.state() as st:
        reach(call, st, View(st, call.now()), kubeconfig=a.get("kubeconfig"),
              context=a.get("kube-context"), style="helm")
        r = _release(st, name, ns)
        want = int(a.pos[2]) if len(a.pos) > 2 and a.pos[2].isdigit() and int(a.pos[2]) > 0 else r["revision"] - 1
        prev = next((h for h in r["history"] if h["revision"] == want), None)
        if prev is None:
            raise Fail(f"Error: release has no {want} version")
        for h in r["history"]:
            if h["status"] in ("deployed",) or h["status"].startswith("pending-"):
                h["status"] = "superseded" if h["status"] == "deployed" else "failed"
        now = call.now()
        r.update(revision=r["revision"] + 1, status="deployed", deployed_at=now, pid=None)
        r["history"].append({"revision": r["revision"], "status": "deployed", "updated": now, "chart": prev["chart"],
                             "app_version": prev["app_version"], "description": f"Rollback to {want}"})
        if r.get("first_deployed_at") is None:
            r["first_deployed_at"] = now
    call.event("helm-rollback", release=f"{ns}/{name}", to=want)
    call.out("Rollback was a success! Happy Helming!")
    return 0


def uninstall(call, a, ns) -> int:
    name = a.pos[1] if len(a.pos) > 1 else ""
    with call.state() as st:
        reach(call, st, View(st, call.now()), kubeconfig=a.get("kubeconfig"),
              context=a.get("kube-context"), style="helm")
        if f"{ns}/{name}" not in st["releases"]:
            raise Fail(f"Error: uninstall: Release not loaded: {name}: release: not found")
        del st["releases"][f"{ns}/{name}"]
    call.event("helm-uninstall", release=f"{ns}/{name}")
    call.out(f'release "{name}" uninstalled')
    return 0


def upgrade(call, a, ns) -> int:
    if not a.flag("install"):
        raise Unsupported("upgrade without --install")
    if len(a.pos) < 3:
        raise Fail('Error: "helm upgrade" requires 2 arguments')
    name, chart = a.pos[1], a.pos[2]
    with call.state(write=False) as st:
        host = reach(call, st, View(st, call.now()), kubeconfig=a.get("kubeconfig"),
                     context=a.get("kube-context"), style="helm")
    try:
        timeout = parse_duration(a.get("timeout", ""), HELM_TIMEOUT)
        rel.upgrade_install(call, name=name, ns=ns, chart=chart, version=a.get("version", "0.0.0"), timeout=timeout,
                            wait=a.flag("wait"), host=host, emit=call.out)
    except rel.HelmError as e:
        raise Fail(e.text, e.rc) from None
    return 0


def run(call) -> int:
    a = parse(call.argv, values=VALUES, aliases=ALIASES)
    sub = a.pos[0] if a.pos else ""
    ns = a.get("namespace", "default")
    release = a.pos[1] if len(a.pos) > 1 and sub in ("status", "rollback", "uninstall", "history", "upgrade") else None
    if sub == "version":
        call.begin("version")
        call.out("v3.19.0+g3d8990f" if a.flag("short") else 'version.BuildInfo{Version:"v3.19.0", '
                 'GitCommit:"3d8990f0836691f0229297773f3524598f46bda6", GitTreeState:"clean", GoVersion:"go1.24.7"}')
        return 0
    fns = {"status": status, "list": list_, "ls": list_, "history": history, "rollback": rollback,
           "uninstall": uninstall, "delete": uninstall, "upgrade": upgrade}
    if sub not in fns:
        raise Unsupported(sub or "(no subcommand)")
    try:
        call.begin(sub, release=release)
    except Fail as f:
        if f.rc == 137 and sub == "upgrade" and a.flag("install") and len(a.pos) > 2:
            # killed mid-install (the `crash` effect): like real helm, the release stays pending
            rel.killed(call, a.pos[1], ns, a.pos[2], a.get("version", "0.0.0"))
        raise
    return fns[sub](call, a, ns)
