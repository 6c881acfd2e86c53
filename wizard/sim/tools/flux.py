"""Fake ``flux`` (v2.7 texts): ``check [--pre]`` (►/✔/✗ lines on stderr, waits for the controllers up
to --timeout), ``get sources git`` / ``get ks`` (tab tables on stdout), ``reconcile``, ``version``."""

from __future__ import annotations

import re

from wizard.sim import kubeobj
from wizard.sim.args import parse
from wizard.sim.cluster import View
from wizard.sim.fmt import tab_table
from wizard.sim.kubeaccess import reach
from wizard.sim.main import Fail, Unsupported
from wizard.sim.releases import WORKLOADS
from wizard.sim.timing import parse_duration

VALUES = {"kubeconfig", "context", "namespace", "timeout", "components", "components-extra", "poll-interval",
          "status-selector"}
ALIASES = {"n": "namespace", "A": "all-namespaces"}
IMAGES = {"helm-controller": "v1.4.2", "kustomize-controller": "v1.7.1", "notification-controller": "v1.7.3",
          "source-controller": "v1.7.2"}
_HEX = re.compile(r"[0-9a-f]{40,128}")


def _min_k8s(flux: str) -> str:
    minor = int(flux.lstrip("v").split(".")[1])
    return {4: "1.28", 5: "1.30", 6: "1.31", 7: "1.32"}.get(minor, "1.28" if minor < 4 else "1.33") + ".0-0"


def _reach(call, a, st, v):
    return reach(call, st, v, kubeconfig=a.get("kubeconfig"), context=a.get("context"), style="flux")


def check(call, a) -> int:
    timeout = parse_duration(a.get("timeout", "5m"), 300.0)
    deadline = call.now() + timeout
    call.err("► checking prerequisites")
    with call.state(write=False) as st:
        v = View(st, call.now())
        _reach(call, a, st, v)
        k8s, flux = st["versions"]["kubernetes"].lstrip("v"), st["versions"]["flux"].lstrip("v")
    call.err(f"✔ Kubernetes {k8s} >={_min_k8s(flux)}")
    if a.flag("pre"):
        call.err("✔ prerequisites checks passed")
        return 0
    call.err("► checking version in cluster")
    call.err(f"✔ distribution: flux-v{flux}")
    call.err("✔ bootstrapped: false")
    call.err("► checking controllers")
    ctrls = sorted(n for _, n in WORKLOADS["flux"])
    while True:
        with call.state(write=False) as st:
            v = View(st, call.now())
            started = any(r.get("started_at") for r in v.releases() if r["kind"] in ("flux", "flux-instance"))
            ready = v.reached(v.flux_ctrl_at()) and "deploy_not_ready" not in call.forced
        if not started:
            call.err("✗ no controllers found in the 'flux-system' namespace with the label selector "
                     "'app.kubernetes.io/part-of=flux'")
            raise Fail("✗ check failed")
        if ready or call.now() >= deadline or "deploy_not_ready" in call.forced:
            break
        call.poll()
    for c in ctrls:
        if ready:
            call.err(f"✔ {c}: deployment ready")
            call.err(f"► ghcr.io/fluxcd/{c}:{IMAGES[c]}")
        else:
            call.err(f"✗ {c}: deployment not ready")
    if not ready:
        raise Fail("✗ check failed")
    call.err("► checking crds")
    with call.state(write=False) as st:
        v = View(st, call.now())
        names = sorted(n for n in st["crds"] if n.endswith("toolkit.fluxcd.io") and v.crd(n))
        for n in names:
            call.err(f"✔ {n}/{st['crds'][n]['versions'][-1]}")
    call.err("✔ all checks passed")
    return 0


def _trunc(text: str) -> str:
    return _HEX.sub(lambda m: m.group(0)[:8], text)


def get(call, a) -> int:
    what = a.pos[1:]
    if what[:2] in (["sources", "git"], ["source", "git"]):
        kind, title, name = "GitRepository", "GitRepository", (what[2:3] or [None])[0]
    elif what[:1] in (["ks"], ["kustomizations"], ["kustomization"]):
        kind, title, name = "Kustomization", "Kustomization", (what[1:2] or [None])[0]
    elif what[:1] in (["hr"], ["helmreleases"], ["helmrelease"]):
        kind, title, name = "HelmRelease", "HelmRelease", (what[1:2] or [None])[0]
    else:
        raise Unsupported("get " + " ".join(what))
    ns = a.get("namespace", "flux-system")
    all_ns = a.flag("all-namespaces")
    with kubeobj.synced_state(call) as (st, v):
        _reach(call, a, st, v)
        if v.crd_for_kind(kind) is None:
            raise Fail(f"✗ unable to retrieve the complete list of server APIs: no matches for kind \"{kind}\"")
        objs = sorted((o for o in st["objects"].values() if o["kind"] == kind and v.now >= o["created_at"]
                       and (all_ns or o["namespace"] == ns) and name in (None, o["name"])),
                      key=lambda o: (o["namespace"], o["name"]))
        if name and not objs:
            raise Fail(f"✗ {title} object '{name}' not found in '{ns}' namespace")
        rows = []
        for o in objs:
            status, _, msg = v.flux_condition(o) if kind != "HelmRelease" else ("Unknown", "", "")
            rev = msg.split("'")[1] if status == "True" and kind == "GitRepository" else (
                msg.split(": ", 1)[1] if status == "True" else "")
            cells = [o["name"], _trunc(rev), "False", status or "False", _trunc(msg)]
            rows.append(([o["namespace"]] if all_ns else []) + cells)
    sel = a.get("status-selector")
    if sel:
        want = sel.split("=", 1)[1].lower() if "=" in sel else "true"
        rows = [r for r in rows if r[-2].lower() == want]
    if not rows:
        where = "any namespace" if all_ns else f"{ns} namespace"
        raise Fail(f"✗ no {title} objects found in {where}")
    head = (["NAMESPACE"] if all_ns else []) + ["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"]
    call.out(tab_table(rows if a.flag("no-header") else [head, *rows]))
    return 0


def _reconcile_one(call, a, kind: str, name: str, ns: str, timeout: float) -> None:
    plural = {"GitRepository": "gitrepositories.source.toolkit.fluxcd.io",
              "Kustomization": "kustomizations.kustomize.toolkit.fluxcd.io"}[kind]
    with call.state(write=False) as st:
        v = View(st, call.now())
        _reach(call, a, st, v)
        if v.obj(kind, ns, name) is None:
            raise Fail(f'✗ {plural} "{name}" not found')
    call.err(f"► annotating {kind} {name} in {ns} namespace")
    call.err(f"✔ {kind} annotated")
    call.err(f"◎ waiting for {kind} reconciliation")
    deadline = call.now() + timeout
    while True:
        with call.state(write=False) as st:
            v = View(st, call.now())
            status, _, msg = v.flux_condition(v.obj(kind, ns, name))
        if status == "True":
            rev = msg.split("'")[1] if kind == "GitRepository" else msg.split(": ", 1)[1]
            call.err(f"✔ {'fetched' if kind == 'GitRepository' else 'applied'} revision {rev}")
            return
        if call.now() >= deadline:
            raise Fail(f"✗ {msg}" if status == "False" else "✗ timeout waiting for the reconciliation")
        call.poll()


def reconcile(call, a) -> int:
    what = a.pos[1:]
    ns = a.get("namespace", "flux-system")
    timeout = parse_duration(a.get("timeout", "5m"), 300.0)
    if what[:2] in (["source", "git"],) and len(what) > 2:
        _reconcile_one(call, a, "GitRepository", what[2], ns, timeout)
        return 0
    if what[:1] in (["ks"], ["kustomization"]) and len(what) > 1:
        if a.flag("with-source"):
            with call.state(write=False) as st:
                o = st["objects"].get(f"Kustomization/{ns}/{what[1]}")
            ref = ((o or {}).get("spec") or {}).get("sourceRef") or {}
            if ref.get("kind", "GitRepository") == "GitRepository" and ref.get("name"):
                _reconcile_one(call, a, "GitRepository", ref["name"], ref.get("namespace") or ns, timeout)
        _reconcile_one(call, a, "Kustomization", what[1], ns, timeout)
        return 0
    raise Unsupported("reconcile " + " ".join(what[:2]))


def run(call) -> int:
    a = parse(call.argv, values=VALUES, aliases=ALIASES)
    sub = a.pos[0] if a.pos else ""
    if a.flag("version") or sub == "version":
        call.begin("version")
        with call.state(write=False) as st:
            ver = st["versions"]["flux"].lstrip("v")
        call.out(f"flux: v{ver}" if sub == "version" else f"flux version {ver}")
        return 0
    fns = {"check": check, "get": get, "reconcile": reconcile}
    if sub not in fns:
        raise Unsupported(sub or "(no subcommand)")
    call.begin(sub)
    return fns[sub](call, a)
