"""The virtual cluster seen at a given instant: every derived fact is a pure function of the stored
event timestamps and the virtual now (both in virtual seconds, see ``timing``; PHASE durations).

Chain (virtual seconds): apply-config -> 25 s installing -> 15 s rebooting -> running; bootstrap on a running
control plane -> 10 s etcd healthy (VIP assigned) -> 15 s kube-apiserver up -> 5 s Nodes registered
(Ready=False, no CNI); Cilium deployed -> 3 s Nodes Ready, 1 s cilium.io CRDs, 15 s BGP established;
Flux chart deployed -> controllers up -> GitRepository Ready 5 s after it is applied -> Kustomization
Ready 8 s after its source.
"""

from __future__ import annotations

import os

from wizard.sim.timing import PHASE


def later(*ts: float | None) -> float | None:
    return None if any(t is None for t in ts) else max(ts)  # type: ignore[type-var]


def chart_kind(name: str, chart: str) -> str:
    """Which simulated behaviour a release gets, from its name and chart reference."""
    c = f"{name} {chart.rsplit('/', 1)[-1]}".lower()
    for kind in ("flux-operator", "flux-instance", "cert-manager", "cilium", "coredns", "spegel"):
        if kind in c:
            return kind
    if "flux" in c:
        return "flux"
    return "other"


class View:
    def __init__(self, st: dict, now: float):
        self.st, self.now = st, now

    def d(self, key: str) -> float:
        return PHASE[key]

    def reached(self, t: float | None) -> bool:
        return t is not None and self.now >= t

    # --- nodes -----------------------------------------------------------------------------------
    @property
    def nodes(self) -> list[dict]:
        return list(self.st["nodes"].values())

    def node(self, ip: str) -> dict | None:
        return self.st["nodes"].get(ip)

    def node_by_name(self, hostname: str) -> dict | None:
        return next((n for n in self.nodes if n["hostname"] == hostname), None)

    def is_cp(self, n: dict) -> bool:
        return (n.get("machine_type") or n["role"]) in ("controlplane", "init")

    def running_at(self, n: dict) -> float | None:
        a = n.get("applied_at")
        return None if a is None else a + self.d("install") + self.d("reboot")

    def phase(self, n: dict) -> str:
        a = n.get("applied_at")
        if a is None:
            return "maintenance"
        if self.now < a + self.d("install"):
            return "installing"
        if self.now < self.running_at(n):
            return "rebooting"
        return "running"

    # --- etcd and the API ------------------------------------------------------------------------
    def etcd_up_at(self) -> float | None:
        b = self.st["etcd"].get("bootstrapped_at")
        return None if b is None else b + self.d("etcd_up")

    def etcd_member_at(self, n: dict) -> float | None:
        if not self.is_cp(n):
            return None
        if n["address"] == self.st["etcd"].get("node"):
            return self.etcd_up_at()
        t = later(self.etcd_up_at(), self.running_at(n))
        return None if t is None else t + self.d("etcd_join")

    def api_up_at(self, n: dict | None = None) -> float | None:
        """kube-apiserver on control plane ``n`` (default: the bootstrap node, which the VIP follows)."""
        if n is None:
            n = self.node(self.st["etcd"].get("node") or "")
            if n is None:
                return None
        t = self.etcd_member_at(n)
        return None if t is None else t + self.d("api_up")

    def api_error(self, host: str) -> str | None:
        """None when ``https://host:6443`` answers, else the dial error text."""
        if host == self.st["vip"]:
            if not self.reached(self.etcd_up_at()):
                return "no route to host"  # the VIP is assigned only once etcd is healthy
            return None if self.reached(self.api_up_at()) else "connection refused"
        n = self.node(host)
        if n is None:
            return "connection refused" if host in ("127.0.0.1", "localhost") else "no route to host"
        return None if self.is_cp(n) and self.reached(self.api_up_at(n)) else "connection refused"

    def registered_at(self, n: dict) -> float | None:
        t = later(self.api_up_at(), self.running_at(n))
        return None if t is None else t + self.d("register")

    # --- releases --------------------------------------------------------------------------------
    def releases(self, kind: str | None = None) -> list[dict]:
        return [r for r in self.st["releases"].values() if kind is None or r.get("kind") == kind]

    def deployed_at(self, kind: str) -> float | None:
        ts = [r["first_deployed_at"] for r in self.releases(kind) if r.get("first_deployed_at") is not None]
        return min(ts) if ts else None

    def cni_at(self) -> float | None:
        return self.deployed_at("cilium")

    def node_ready_at(self, n: dict) -> float | None:
        t = later(self.registered_at(n), self.cni_at())
        return None if t is None else t + self.d("node_ready")

    def webhook_at(self) -> float | None:
        t = self.deployed_at("cert-manager")
        return None if t is None else t + self.d("webhook_ready")

    def flux_ctrl_at(self) -> float | None:
        ts = [t for t in (self.deployed_at("flux"), self.deployed_at("flux-instance")) if t is not None]
        return min(ts) + self.d("flux_controllers") if ts else None

    def bgp_at(self, n: dict) -> float | None:
        if not self.st.get("bgp"):
            return None
        t = later(self.node_ready_at(n), self.cni_at())
        return None if t is None else t + self.d("bgp_up")

    # --- objects ---------------------------------------------------------------------------------
    def obj(self, kind: str, ns: str | None, name: str) -> dict | None:
        o = self.st["objects"].get(f"{kind}/{ns or ''}/{name}")
        return o if o is not None and self.now >= o.get("created_at", 0) else None

    def crd(self, name: str) -> dict | None:
        c = self.st["crds"].get(name)
        return c if c is not None and self.now >= c["created_at"] else None

    def crd_for_kind(self, kind: str) -> dict | None:
        return next((c for n, c in self.st["crds"].items() if c["kind"] == kind and self.crd(n)), None)

    def revision(self, branch: str) -> str:
        g = self.st["git"]
        import hashlib

        sha = hashlib.sha1(f"{g['url']}@{branch}#{g.get('pushes', 0)}".encode()).hexdigest()
        return f"{branch}@sha1:{sha}"

    def flux_ready(self, o: dict, _seen: frozenset = frozenset()) -> tuple[float | None, str, str]:
        """(ready_at or None when blocked, reason, message) of a GitRepository or Kustomization."""
        ctrl = self.flux_ctrl_at()
        ns, spec = o.get("namespace") or "flux-system", o.get("spec") or {}
        if ctrl is None:
            return None, "", "waiting to be reconciled"
        if o["kind"] == "GitRepository":
            secret = (spec.get("secretRef") or {}).get("name")
            sec = self.obj("Secret", ns, secret) if secret else None
            if secret and sec is None:
                return None, "AuthenticationFailed", (f"failed to get secret '{ns}/{secret}': "
                                                      f'secrets "{secret}" not found')
            branch = (spec.get("ref") or {}).get("branch") or "master"
            if branch not in self.st["git"]["branches"]:
                return None, "GitOperationFailed", (f"failed to checkout and determine revision: unable to clone "
                                                    f"'{spec.get('url', '')}': couldn't find remote ref "
                                                    f'"refs/heads/{branch}"')
            t = later(o["created_at"], ctrl, sec["created_at"] if sec else 0.0)
            return t + self.d("git_ready"), "Succeeded", f"stored artifact for revision '{self.revision(branch)}'"
        # Kustomization
        ref = spec.get("sourceRef") or {}
        src = self.obj(ref.get("kind", "GitRepository"), ref.get("namespace") or ns, ref.get("name", ""))
        if src is None:
            return None, "ArtifactFailed", (f"Source '{ref.get('kind', 'GitRepository')}/"
                                            f"{ref.get('namespace') or ns}/{ref.get('name', '')}' not found")
        src_t, _, _ = self.flux_ready(src, _seen)
        if src_t is None or not self.reached(src_t):
            return (None if src_t is None else src_t + self.d("ks_ready")), "ArtifactFailed", \
                "Source artifact not found, retrying in 30s"
        t = later(src_t, o["created_at"])
        for dep in spec.get("dependsOn") or []:
            dname = dep.get("name", "")
            dobj = self.obj("Kustomization", dep.get("namespace") or ns, dname)
            key = f"{ns}/{dname}"
            if dobj is None or key in _seen:
                return None, "DependencyNotReady", f"dependency '{key}' is not ready"
            dt, _, _ = self.flux_ready(dobj, _seen | {f"{ns}/{o['name']}"})
            if dt is None or not self.reached(dt):
                return (None if dt is None else later(t, dt) + self.d("ks_ready")), "DependencyNotReady", \
                    f"dependency '{key}' is not ready"
            t = later(t, dt)
        # kustomize-controller order: source, then dependencies, then build (path), then decryption
        repo, path = self.st.get("repo"), (spec.get("path") or "./").strip()
        if repo and not os.path.exists(os.path.join(repo, path)):
            return None, "ArtifactFailed", (f"kustomization path not found: stat /tmp/kustomization-sim/"
                                            f"{path.lstrip('./')}: no such file or directory")
        dec = ((spec.get("decryption") or {}).get("secretRef") or {}).get("name")
        if dec:
            sec = self.obj("Secret", ns, dec)
            if sec is None:
                return None, "ReconciliationFailed", f'decryption secret error: secrets "{dec}" not found'
            t = later(t, sec["created_at"])
        rev = src.get("spec", {}).get("ref", {}).get("branch") or "main"
        return t + self.d("ks_ready"), "ReconciliationSucceeded", f"Applied revision: {self.revision(rev)}"

    def flux_condition(self, o: dict) -> tuple[str | None, str, str]:
        """(Ready status "True"/"False"/"Unknown" or None before any reconcile, reason, message)."""
        t, reason, msg = self.flux_ready(o)
        if reason == "" and t is None:
            return None, "", msg
        if t is not None and self.reached(t):
            return "True", reason, msg
        if t is not None:
            return "Unknown", "Progressing", "reconciliation in progress"
        return "False", reason, msg


def snapshot(state_path) -> dict:
    from wizard.sim.state import locked
    from wizard.sim.timing import new_clock, virtual_now

    with locked(state_path, write=False) as st:
        v = View(st, virtual_now(st.get("clock") or new_clock()))
        return {
            "nodes": {n["hostname"]: {"address": n["address"], "phase": v.phase(n), "applies": n.get("applies", 0),
                                      "registered": v.reached(v.registered_at(n)),
                                      "ready": v.reached(v.node_ready_at(n))} for n in v.nodes},
            "etcd": {**st["etcd"], "healthy": v.reached(v.etcd_up_at())},
            "api": v.api_error(st["vip"]) is None,
            "releases": {k: r["status"] for k, r in st["releases"].items()},
            "crds": sorted(n for n in st["crds"] if v.crd(n)),
            "objects": sorted(k for k in st["objects"] if v.now >= st["objects"][k].get("created_at", 0)),
            "flux": {f"{o['kind']}/{o['name']}": v.flux_condition(o)[0] for o in st["objects"].values()
                     if o["kind"] in ("GitRepository", "Kustomization")},
            "faults": st.get("faults", {}),
            "virtual_now": v.now,
        }
