"""Kubernetes objects of the virtual cluster as the API would return them (dicts with status), the
resource-name registry kubectl resolves (``ks``, ``crd``, ``deploy``...), and kubectl's table columns."""

from __future__ import annotations

from wizard.sim.cluster import View
from wizard.sim.fmt import age, iso
from wizard.sim.releases import WORKLOADS

# kind -> (group, version, plural, namespaced, short names)
BUILTIN = {
    "Node": ("", "v1", "nodes", False, ("no", "node")),
    "Namespace": ("", "v1", "namespaces", False, ("ns", "namespace")),
    "ConfigMap": ("", "v1", "configmaps", True, ("cm", "configmap")),
    "Secret": ("", "v1", "secrets", True, ("secret",)),
    "Pod": ("", "v1", "pods", True, ("po", "pod")),
    "ServiceAccount": ("", "v1", "serviceaccounts", True, ("sa", "serviceaccount")),
    "Service": ("", "v1", "services", True, ("svc", "service")),
    "Deployment": ("apps", "v1", "deployments", True, ("deploy", "deployment")),
    "DaemonSet": ("apps", "v1", "daemonsets", True, ("ds", "daemonset")),
    "CustomResourceDefinition": ("apiextensions.k8s.io", "v1", "customresourcedefinitions", False, ("crd", "crds")),
    "ClusterRole": ("rbac.authorization.k8s.io", "v1", "clusterroles", False, ()),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", False, ()),
    "Role": ("rbac.authorization.k8s.io", "v1", "roles", True, ()),
    "RoleBinding": ("rbac.authorization.k8s.io", "v1", "rolebindings", True, ()),
}
SHORT = {"Kustomization": ("ks",), "GitRepository": ("gitrepo",), "HelmRelease": ("hr",),
         "HelmRepository": ("helmrepo",), "OCIRepository": ("ocirepo",)}
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
WEBHOOK_KINDS = {"Certificate", "Issuer", "ClusterIssuer", "CertificateRequest"}


class Res:
    def __init__(self, kind: str, group: str, version: str, plural: str, namespaced: bool):
        self.kind, self.group, self.version, self.plural, self.namespaced = kind, group, version, plural, namespaced

    @property
    def qualified(self) -> str:
        """kubectl's printed resource: ``node``, ``deployment.apps``, ``kustomization.kustomize.toolkit.fluxcd.io``."""
        return self.kind.lower() + (f".{self.group}" if self.group else "")

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def resolve(v: View, name: str) -> Res | None:
    """A resource type from a kubectl argument (plural, singular, short name, kind, or ``plural.group``)."""
    low = name.lower()
    for kind, (group, ver, plural, nsd, shorts) in BUILTIN.items():
        if low in (plural, kind.lower(), *shorts) or low in (f"{plural}.{group}", f"{kind.lower()}.{group}"):
            return Res(kind, group, ver, plural, nsd)
    for cname in v.st["crds"]:
        c = v.crd(cname)
        if c is None or not v.reached(c["established_at"]):
            continue
        if low in (c["plural"], c["singular"], c["kind"].lower(), *SHORT.get(c["kind"], ()), cname,
                   f"{c['singular']}.{c['group']}"):
            return Res(c["kind"], c["group"], c["versions"][-1], c["plural"], c["scope"] == "Namespaced")
    return None


def res_for_kind(v: View, kind: str, api_version: str = "") -> Res | None:
    if kind in BUILTIN:
        g, ver, plural, nsd, _ = BUILTIN[kind]
        return Res(kind, g, ver, plural, nsd)
    for cname, c in v.st["crds"].items():
        if c["kind"] == kind and v.crd(cname) and v.reached(c["established_at"]):
            group = api_version.split("/")[0] if "/" in api_version else c["group"]
            if group == c["group"]:
                return Res(kind, c["group"], c["versions"][-1], c["plural"], c["scope"] == "Namespaced")
    return None


def _meta(name: str, ns: str | None, created: float, labels: dict | None = None) -> dict:
    import zlib  # a stable fake uid; hashlib would cost ~5 ms of start-up per call

    m = {"name": name, "creationTimestamp": iso(created), "labels": labels or {},
         "uid": f"{zlib.crc32(f'{ns}/{name}'.encode()):08x}-sim", "generation": 1}
    if ns:
        m["namespace"] = ns
    return m


def _cond(ctype: str, status: str, reason: str = "", message: str = "") -> dict:
    return {"type": ctype, "status": status, "reason": reason, "message": message}


def _nodes(v: View) -> list[dict]:
    out = []
    for n in v.nodes:
        reg = v.registered_at(n)
        if not v.reached(reg):
            continue
        ready = v.reached(v.node_ready_at(n))
        cond = _cond("Ready", "True", "KubeletReady", "kubelet is posting ready status") if ready else _cond(
            "Ready", "False", "KubeletNotReady", "container runtime network not ready: NetworkReady=false "
            "reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized")
        labels = {"kubernetes.io/hostname": n["hostname"], "kubernetes.io/os": "linux"}
        if v.is_cp(n):
            labels["node-role.kubernetes.io/control-plane"] = ""
        out.append({"apiVersion": "v1", "kind": "Node", "metadata": _meta(n["hostname"], None, reg, labels),
                    "spec": {"taints": [] if ready else [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]},
                    "status": {"conditions": [cond], "addresses": [{"type": "InternalIP", "address": n["address"]},
                                                                   {"type": "Hostname", "address": n["hostname"]}],
                               "nodeInfo": {"kubeletVersion": v.st["versions"]["kubernetes"]}}})
    return out


def _workloads(v: View, kind: str) -> list[dict]:
    out = []
    nodes = [n for n in v.nodes if v.reached(v.registered_at(n))]
    for r in v.releases():
        for wkind, name in WORKLOADS.get(r["kind"], [("Deployment", r["name"])]):
            if wkind != kind or r.get("started_at") is None:
                continue
            avail = r["status"] == "deployed" or (r.get("first_deployed_at") is not None)
            ns = r["namespace"]
            want = len(nodes) if wkind == "DaemonSet" else 1
            have = want if avail else 0
            meta = _meta(name, ns, r["started_at"], {"app.kubernetes.io/instance": r["name"], **(
                {"app.kubernetes.io/part-of": "flux"} if r["kind"] in ("flux", "flux-instance") else {})})
            if wkind == "Deployment":
                status = {"replicas": want, "readyReplicas": have, "availableReplicas": have, "updatedReplicas": want,
                          "observedGeneration": 1, "conditions": [
                              _cond("Available", "True" if avail else "False",
                                    "MinimumReplicasAvailable" if avail else "MinimumReplicasUnavailable")]}
                spec = {"replicas": want}
            else:
                status = {"desiredNumberScheduled": want, "currentNumberScheduled": want, "numberReady": have,
                          "numberAvailable": have, "updatedNumberScheduled": want, "observedGeneration": 1}
                spec = {}
            out.append({"apiVersion": "apps/v1", "kind": wkind, "metadata": meta, "spec": spec, "status": status})
    return out


def _crds(v: View) -> list[dict]:
    out = []
    for name, c in sorted(v.st["crds"].items()):
        if not v.crd(name):
            continue
        est = v.reached(c["established_at"])
        out.append({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "metadata": _meta(name, None, c["created_at"]),
                    "spec": {"group": c["group"], "scope": c["scope"],
                             "names": {"kind": c["kind"], "plural": c["plural"], "singular": c["singular"]},
                             "versions": [{"name": x, "served": True, "storage": x == c["versions"][-1]}
                                          for x in c["versions"]]},
                    "status": {"conditions": [_cond("NamesAccepted", "True", "NoConflicts"),
                                              _cond("Established", "True" if est else "False",
                                                    "InitialNamesAccepted" if est else "Installing")],
                               "storedVersions": [c["versions"][-1]]}})
    return out


def _stored(v: View, kind: str) -> list[dict]:
    out = []
    for o in v.st["objects"].values():
        if o["kind"] != kind or v.now < o.get("created_at", 0):
            continue
        d = {"apiVersion": o["apiVersion"], "kind": kind,
             "metadata": _meta(o["name"], o.get("namespace"), o["created_at"], o.get("labels"))}
        if o.get("spec"):
            d["spec"] = o["spec"]
        if kind == "ConfigMap":
            d["data"] = o.get("data") or {}
        if kind == "Secret":
            d["type"] = o.get("type", "Opaque")
            d["data"] = {k: "" for k in o.get("keys", [])}  # the simulator never stores secret values
        if kind == "Namespace":
            d["status"] = {"phase": "Active"}
        if kind in ("GitRepository", "Kustomization"):
            status, reason, msg = v.flux_condition(o)
            st: dict = {"observedGeneration": 1 if status else -1}
            if status:
                st["conditions"] = [_cond("Ready", status, reason, msg)]
            if status == "True" and kind == "GitRepository":
                rev = msg.split("'")[1]
                st["artifact"] = {"revision": rev}
            if status == "True" and kind == "Kustomization":
                st["lastAppliedRevision"] = msg.split(": ", 1)[1]
            d["status"] = st
        out.append(d)
    return out


def objects(v: View, res: Res, ns: str | None) -> list[dict]:
    """Objects of ``res`` (in ``ns``, or all namespaces when None), sorted like kubectl (ns, name)."""
    if res.kind == "Node":
        items = _nodes(v)
    elif res.kind == "CustomResourceDefinition":
        items = _crds(v)
    elif res.kind in ("Deployment", "DaemonSet"):
        items = _workloads(v, res.kind) + _stored(v, res.kind)
    elif res.kind == "Namespace":
        t0 = v.api_up_at() or v.now
        items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(n, None, t0),
                  "status": {"phase": "Active"}} for n in SYSTEM_NAMESPACES]
        items += [o for o in _stored(v, "Namespace") if o["metadata"]["name"] not in SYSTEM_NAMESPACES]
    else:
        items = _stored(v, res.kind)
    if res.namespaced and ns is not None:
        items = [o for o in items if o["metadata"].get("namespace") == ns]
    return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))


def namespace_exists(v: View, ns: str) -> bool:
    return ns in SYSTEM_NAMESPACES or v.obj("Namespace", None, ns) is not None


def condition(o: dict, ctype: str) -> str | None:
    for c in (o.get("status") or {}).get("conditions") or []:
        if c.get("type", "").lower() == ctype.lower():
            return c.get("status")
    return None


def row(v: View, res: Res, o: dict) -> tuple[list[str], list[str]]:
    """(header, cells) of kubectl's default table for one object."""
    m, st = o["metadata"], o.get("status") or {}
    created = v.now - _created(m)
    a = age(created)
    k = res.kind
    if k == "Node":
        ready = condition(o, "Ready") == "True"
        roles = "control-plane" if "node-role.kubernetes.io/control-plane" in m["labels"] else "<none>"
        return ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], [m["name"], "Ready" if ready else "NotReady", roles, a,
                                                               st["nodeInfo"]["kubeletVersion"]]
    if k == "Namespace":
        return ["NAME", "STATUS", "AGE"], [m["name"], "Active", a]
    if k == "ConfigMap":
        return ["NAME", "DATA", "AGE"], [m["name"], str(len(o.get("data") or {})), a]
    if k == "Secret":
        return ["NAME", "TYPE", "DATA", "AGE"], [m["name"], o.get("type", "Opaque"), str(len(o.get("data") or {})), a]
    if k == "Deployment":
        r = st.get("replicas", 0)
        return ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], [
            m["name"], f"{st.get('readyReplicas', 0)}/{r}", str(st.get("updatedReplicas", 0)),
            str(st.get("availableReplicas", 0)), a]
    if k == "DaemonSet":
        d = str(st.get("desiredNumberScheduled", 0))
        return ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"], [
            m["name"], d, d, str(st.get("numberReady", 0)), d, str(st.get("numberAvailable", 0)), "<none>", a]
    if k == "CustomResourceDefinition":
        return ["NAME", "CREATED AT"], [m["name"], m["creationTimestamp"]]
    if k in ("GitRepository", "Kustomization"):
        c = next(iter(st.get("conditions") or []), {})
        ready, msg = c.get("status", "False"), c.get("message", "")
        if k == "GitRepository":
            return ["NAME", "URL", "AGE", "READY", "STATUS"], [m["name"], (o.get("spec") or {}).get("url", ""), a,
                                                               ready, msg]
        return ["NAME", "AGE", "READY", "STATUS"], [m["name"], a, ready, msg]
    return ["NAME", "AGE"], [m["name"], a]


def _created(m: dict) -> float:
    import calendar
    import time

    return calendar.timegm(time.strptime(m["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ"))


def sync_from_repo(v: View, st: dict) -> None:
    """When a Kustomization applied by the bootstrap becomes Ready, Flux applies its path from the repo:
    the ConfigMaps and Flux Kustomizations found there appear (once), created at that instant."""
    repo = st.get("repo")
    if not repo:
        return
    from pathlib import Path

    for o in list(st["objects"].values()):
        if o["kind"] != "Kustomization" or o.get("origin") != "kubectl" or o.get("expanded"):
            continue
        t, _, _ = v.flux_ready(o)
        if t is None or not v.reached(t):
            continue
        o["expanded"] = True
        base = Path(repo) / ((o.get("spec") or {}).get("path") or "./")
        from wizard.sim.yamlio import load_all

        for f in sorted(base.rglob("*.yaml")) if base.is_dir() else []:
            if f.name.endswith(".sops.yaml") or len(f.relative_to(base).parts) > 3:
                continue
            try:
                docs = load_all(f.read_text(encoding="utf-8"))
            except Exception:  # not every file in a repo is plain YAML (templates): skip it
                continue
            for d in docs:
                if not isinstance(d, dict) or d.get("kind") not in ("ConfigMap", "Kustomization", "GitRepository"):
                    continue
                if d["kind"] == "Kustomization" and not str(d.get("apiVersion", "")).startswith("kustomize.toolkit"):
                    continue
                md = d.get("metadata") or {}
                ns = md.get("namespace") or o.get("namespace") or "flux-system"
                key = f"{d['kind']}/{ns}/{md.get('name')}"
                st["objects"].setdefault(key, {
                    "kind": d["kind"], "apiVersion": d.get("apiVersion", "v1"), "name": md.get("name"), "namespace": ns,
                    "labels": md.get("labels") or {}, "spec": d.get("spec") or {},
                    "data": {str(k): str(val) for k, val in (d.get("data") or {}).items()} if d["kind"] == "ConfigMap"
                    else None, "created_at": t, "origin": f"flux:{o['name']}"})


def _sync_pending(v: View, st: dict) -> bool:
    return bool(st.get("repo")) and any(
        o["kind"] == "Kustomization" and o.get("origin") == "kubectl" and not o.get("expanded")
        and v.reached(v.flux_ready(o)[0]) for o in st["objects"].values())


class synced_state:
    """``with synced_state(call) as (st, v):`` a read lock on the state, upgraded to a write lock only
    when Flux has a path to apply from the repo (waiting tools poll often; rewriting the file each
    time would make them contend for the lock)."""

    def __init__(self, call):
        self.call, self.lock = call, None

    def __enter__(self):
        self.lock = self.call.state(write=False)
        st = self.lock.__enter__()
        v = View(st, self.call.now())
        if _sync_pending(v, st):
            self.lock.__exit__(None, None, None)
            self.lock = self.call.state(write=True)
            st = self.lock.__enter__()
            v = View(st, self.call.now())
            sync_from_repo(v, st)
        return st, v

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)
