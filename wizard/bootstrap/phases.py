"""The bootstrap phases as a DAG (pattern.md §4): each phase is data (deps, estimate, timeout, probe)
plus a pure function of the context that returns its steps. Only ``wizard.bootstrap.runner`` executes.

preflight → configs → apply (nodes in parallel) → etcd (first CP IP) → kubeconfig → api-ready →
{nodes ∥ namespaces → secrets ∥ crds ∥ releases} → app-<release>… (cilium → cilium-ready [also after
nodes] → coredns → …) → flux-sync → flux-ready, and ``talosctl health`` once the CNI and CoreDNS are up
(concurrently with Flux). ``crds-render`` (offline) runs right after preflight, off the critical path.

Only work the next step needs is on the critical path: read-only probes run concurrently (one
``helm list`` for every release, the branch check beside the Flux waits), waits are ``kubectl wait``
where kubectl has one, and a probe is skipped when this run already proved its answer (a node that
took its config in maintenance mode cannot have etcd bootstrapped).
"""

from __future__ import annotations

import os

from wizard.bootstrap import helpers as h
from wizard.bootstrap import rules as R
from wizard.bootstrap.model import Cmd, Context, Func, Parallel, Phase, Retry, Step, Stdin, Unless

BUDGET_SECONDS = 30 * 60  # NFR2: < 30 min end to end
CILIUM_CRDS = ("crd/ciliumnetworkpolicies.cilium.io", "crd/ciliumloadbalancerippools.cilium.io")
CILIUM_BGP_CRDS = ("crd/ciliumbgpclusterconfigs.cilium.io", "crd/ciliumbgppeerconfigs.cilium.io",
                   "crd/ciliumbgpadvertisements.cilium.io")


def _kubectl(*args: str) -> tuple[str, ...]:
    # KUBECONFIG (the cluster's .kubeconfig-<name>, context <name>) comes from the context env
    return ("kubectl", *args)


# ---- P0 preflight -----------------------------------------------------------------------------
def preflight(ctx: Context) -> tuple[Step, ...]:
    a = ctx.answers
    versions = tuple(
        (Cmd((tool, *args), label=f"{tool} version", rules=R.INFORMATIVE, retry=Retry(deadline=0), timeout=20),)
        for tool, args in h.version_commands(ctx)
    )
    nodes = tuple(
        (Cmd(("talosctl", "--nodes", n.address, "get", "disks", "--insecure"), label=f"{n.hostname} in maintenance mode",
             node=n.hostname, ok=h.disk_listed(n.install_disk), quiet=True,
             ok_reason=f"install disk {n.install_disk} not found on {n.hostname}",
             remedy=f"set nodes[{i}].installDisk to a disk `talosctl -n {n.address} get disks --insecure` lists, re-render",
             rules=h.already_configured_ok(R.TRANSIENT), retry=Retry(deadline=30)),)
        for i, n in enumerate(a.nodes)
    )
    git = Cmd(("git", "ls-remote", "--heads", a.git.url, a.cluster.branch), label="branch on the remote",
              ok=lambda out: f"refs/heads/{a.cluster.branch}" in out, ok_reason=f"branch {a.cluster.branch!r} not on the remote",
              remedy=f"push it first: `git push origin HEAD:{a.cluster.branch}` (Flux syncs from the remote)",
              rules=R.GIT_REMOTE, retry=Retry(deadline=30), timeout=60)
    # every check is read-only and independent: all of them at once (the in-process decryption runs
    # while the tools' processes start)
    branches: list[tuple[Step, ...]] = [*versions, *nodes, (git,)]
    if h.needs_op(ctx):
        branches.append((Cmd(("op", "whoami"), label="1Password CLI signed in", rules=R.OP, retry=Retry(deadline=0),
                             quiet=True, remedy=R.OP[0].remedy),))
    branches.append((Func("age key decrypts the cluster's encrypted files", h.check_decrypt),
                     Func("deploy key readable", h.check_deploy_key)))
    return (
        Func("required tools on PATH", h.check_tools),
        Func("run state folder private and gitignored", h.prepare_state_dir),
        Parallel("versions, nodes in maintenance mode, branch on the remote, secrets decrypt", tuple(branches)),
    )


# ---- P1 machine configs -----------------------------------------------------------------------
def configs(ctx: Context) -> tuple[Step, ...]:
    mk = Func("private clusterconfig folder (0700)", h.make_clusterconfig_dir)
    if h.encrypted_clusterconfig(ctx):
        return (mk, Func("decrypt the committed clusterconfig into the state folder", h.decrypt_clusterconfig))
    argv = ["talhelper", "genconfig", "--config-file", "talconfig.yaml", "--secret-file", "talsecret.sops.yaml",
            "--out-dir", str(ctx.clusterconfig), "--no-gitignore"]
    if (ctx.talos_dir / "talenv.yaml").exists():
        argv += ["--env-file", "talenv.yaml"]
    return (mk, Cmd(tuple(argv), label="talhelper genconfig", cwd=ctx.talos_dir, rules=R.SOPS, retry=Retry(deadline=0),
                    remedy="check talconfig.yaml (`talhelper validate talconfig talconfig.yaml`)", timeout=180),
            Func("machine configs present, mode 0600", h.check_clusterconfig))


# ---- P2 apply-config, every node in parallel ----------------------------------------------------
def applied(hostname: str) -> str:
    """ctx.vars key set when this run pushed the node's config in maintenance mode."""
    return f"applied:{hostname}"


def apply(ctx: Context) -> tuple[Step, ...]:
    branches = []
    for n in ctx.answers.nodes:
        # No probe first (pattern.md P2, HO): the insecure apply is the probe. A configured node answers
        # `certificate required`, confirmed by its secure API; that costs a call only on re-runs.
        secure = Cmd(ctx.talosctl(n.address, "get", "machineconfig"), label=f"{n.hostname} configured?",
                     node=n.hostname, quiet=True, retry=Retry(deadline=0), timeout=30)
        push = Cmd(("talosctl", "apply-config", "--insecure", "--nodes", n.address, "--file", str(ctx.node_config(n))),
                   label=f"apply-config {n.hostname}", node=n.hostname, stage="apply", marks=applied(n.hostname),
                   rules=h.with_confirm(R.APPLY_CONFIG, secure), retry=Retry(deadline=600), timeout=60)
        booted = Cmd(ctx.talosctl(n.address, "get", "machineconfig"), label=f"{n.hostname} installed and rebooted",
                     node=n.hostname, stage="reboot", quiet=True, rules=R.TALOS_ANY, retry=Retry(deadline=1200),
                     timeout=30, remedy=f"check {n.hostname}'s console: wrong install disk or NIC names keep it offline")
        branches.append((push, booted))
    return (Parallel("apply-config to every node", tuple(branches)),)


# ---- P3 etcd bootstrap (first control-plane IP, never the VIP) ----------------------------------
def etcd_probe(ctx: Context) -> Cmd | None:
    if ctx.vars.get(applied(ctx.answers.first_control_plane.hostname)):
        return None  # it was in maintenance mode minutes ago: etcd cannot have been bootstrapped on it
    return Cmd(ctx.talosctl(ctx.first_cp, "etcd", "members"), label="etcd already has members?", quiet=True,
               retry=Retry(deadline=0), timeout=30)


def etcd(ctx: Context) -> tuple[Step, ...]:
    cp = ctx.answers.first_control_plane
    return (
        Cmd(ctx.talosctl(cp.address, "bootstrap"), label=f"bootstrap etcd on {cp.hostname}", node=cp.hostname, stage="etcd",
            rules=R.BOOTSTRAP, retry=Retry(deadline=900), timeout=60,
            remedy="if etcd is half-bootstrapped, reset the control planes (pattern.md P3) and re-run"),
        Cmd(ctx.talosctl(cp.address, "etcd", "status"), label="etcd healthy", node=cp.hostname, quiet=True,
            rules=R.TALOS_ANY, retry=Retry(deadline=600), timeout=30),
    )


# ---- P4 kubeconfig and API readiness ------------------------------------------------------------
def kubeconfig(ctx: Context) -> tuple[Step, ...]:
    return (
        Cmd(ctx.talosctl(ctx.first_cp, "kubeconfig", str(ctx.kubeconfig), "--force", "--merge=false",
                         "--force-context-name", ctx.name), label="fetch kubeconfig",
            rules=R.TALOS_ANY, retry=Retry(deadline=600), timeout=60),
        Func("kubeconfig mode 0600, context named after the cluster", h.check_kubeconfig),
    )


def _readyz(*server: str, label: str, node: str | None = None) -> Cmd:
    return Cmd(_kubectl(*server, "get", "--raw", "/readyz"), label=label, node=node, ok=lambda out: out.strip().endswith("ok"),
               ok_reason="API not ready", ok_retry=True, quiet=True, rules=R.KUBE_WAIT, retry=Retry(deadline=900), timeout=20)


def api_ready(ctx: Context) -> tuple[Step, ...]:
    # through the kubeconfig (the VIP, on the etcd node): all that namespaces, CRDs and Cilium need
    return (_readyz(label="/readyz through the kubeconfig"),)


def nodes_registered(ctx: Context) -> tuple[Step, ...]:
    cps = tuple((_readyz("--server", f"https://{n.address}:6443", label=f"/readyz on {n.hostname}", node=n.hostname),)
                for n in ctx.answers.control_planes)
    # Ready=False is expected here: no CNI yet (runner.md §1.4), so only wait for the Node objects
    # (hostname = node name); `--for create` is event-driven, where counting `get nodes` would poll.
    names = tuple(f"node/{n.hostname}" for n in ctx.answers.nodes)
    registered = Cmd(_kubectl("wait", "--for", "create", "--timeout", "60s", *names), label=f"{len(names)} nodes registered",
                     quiet=True, rules=R.KUBE_WAIT, retry=Retry(deadline=900), timeout=90)
    return (Parallel("API on every control plane, every node registered", (*cps, (registered,))),)


# ---- P5 namespaces + bootstrap secrets (server-side applied through stdin) ----------------------
def namespaces(ctx: Context) -> tuple[Step, ...]:
    return (Cmd(_kubectl("apply", "--server-side", "--filename", "-"), label="namespaces",
                stdin=Stdin("Namespace documents: " + ", ".join(h.namespaces(ctx)), h.namespaces_yaml),
                rules=R.KUBE_APPLY, retry=Retry(deadline=300)),)


def secrets(ctx: Context) -> tuple[Step, ...]:
    rel = os.path.relpath(ctx.bootstrap_dir / "github-deploy-key.sops.yaml", ctx.repo)
    steps: list[Step] = [
        Cmd(_kubectl("apply", "--server-side", "--namespace", "flux-system", "--filename", "-"), label="deploy key Secret",
            stdin=Stdin(f"(decrypted {rel}, in memory)", h.deploy_key_yaml), rules=R.KUBE_APPLY, retry=Retry(deadline=300)),
        Cmd(_kubectl("apply", "--server-side", "--filename", "-"), label="sops-age Secret",
            stdin=Stdin("(Secret flux-system/sops-age from the local age identities, in memory)", h.sops_age_yaml),
            rules=R.KUBE_APPLY, retry=Retry(deadline=300)),
    ]
    tpl = ctx.bootstrap_dir / "secrets.yaml.tpl"
    if tpl.exists():
        steps += [
            Cmd(("op", "inject", "--in-file", str(tpl)), label="op inject secrets.yaml.tpl", capture="op_secrets",
                secret_output=True, rules=R.OP, retry=Retry(deadline=0), when=h.needs_op),
            Cmd(_kubectl("apply", "--server-side", "--filename", "-"), label="1Password secrets",
                stdin=Stdin("(op inject output, in memory)", h.op_secrets_yaml), rules=R.KUBE_APPLY,
                retry=Retry(deadline=300), when=h.needs_op),
        ]
    return tuple(steps)


# ---- P6 CRDs: helmfile template | CRDs only | server-side apply; wait Established -----------------
def _render_crds(f, **kw) -> Cmd:
    return Cmd(("helmfile", "--file", str(f), "template", "--quiet"), label="render CRD charts", capture="crds_rendered",
               quiet=True, rules=R.HELMFILE_SYNC, retry=Retry(deadline=300), timeout=300, **kw)


def crds_render(ctx: Context) -> tuple[Step, ...]:
    """Offline (charts and the repo only): runs while the nodes install, its output kept in memory."""
    f = ctx.bootstrap_dir / "helmfile.d" / "00-crds.yaml"
    return (_render_crds(f),) if f.exists() else (Func("no 00-crds.yaml: nothing to render", h.noop),)


def crds(ctx: Context) -> tuple[Step, ...]:
    f = ctx.bootstrap_dir / "helmfile.d" / "00-crds.yaml"
    if not f.exists():
        return (Func("no 00-crds.yaml: nothing to pre-apply", h.noop),)
    return (
        # rendered by crds-render unless that ran in an earlier run (--resume, --from, --only)
        _render_crds(f, when=lambda c: "crds_rendered" not in c.vars),
        Cmd(_kubectl("apply", "--server-side", "--force-conflicts", "--filename", "-"), label="apply CRDs",
            stdin=Stdin("(CustomResourceDefinitions only, filtered from the rendered output)", h.crds_only),
            when=h.has_crds, rules=R.KUBE_APPLY, retry=Retry(deadline=300), timeout=120),
        Cmd(_kubectl("wait", "--for", "condition=established", "--timeout", "120s"), label="CRDs Established",
            more_args=h.crd_names, more_args_desc="crd/<each rendered CRD>", when=h.has_crds,
            rules=R.KUBE_WAIT, retry=Retry(deadline=300), timeout=150),
    )


# ---- P7 helmfile 01-apps, one release per phase ---------------------------------------------------
def releases(ctx: Context) -> tuple[Step, ...]:
    return (Func("one `helm list` for every release (read-only)", h.list_releases),)


def app_phase(ctx: Context, name: str, namespace: str) -> tuple[Step, ...]:
    f = str(ctx.bootstrap_dir / "helmfile.d" / "01-apps.yaml")
    deployed = Cmd(("helm", "status", name, "--namespace", namespace), label=f"{name} already deployed?",
                   ok=lambda out: "STATUS: deployed" in out, quiet=True, retry=Retry(deadline=0), timeout=30)
    sync = Cmd(("helmfile", "--file", f, "--selector", f"name={name}", "sync", "--hide-notes"), label=f"helmfile sync {name}",
               rules=h.with_fix(R.HELMFILE_SYNC, Func(f"recover pending Helm release {name}", h.helm_recover(name, namespace))),
               retry=Retry(deadline=1200), timeout=900)
    return (Unless(deployed, (sync,), done_note=f"release {name} already deployed",
                   known=lambda c: h.release_deployed(c, name, namespace)),)


def cilium_ready(ctx: Context) -> tuple[Step, ...]:
    bgp = ctx.answers.network.bgp
    crd_list = CILIUM_CRDS + (CILIUM_BGP_CRDS if bgp and bgp.enabled else ())
    return (Parallel("Cilium CRDs and every node Ready", (
        # the operator registers Cilium's CRDs at start-up: they cannot be pre-applied (pattern.md §3.6)
        (Cmd(_kubectl("wait", "--for=create", "--timeout", "60s", *crd_list), label="Cilium CRDs created",
             rules=R.KUBE_WAIT, retry=Retry(deadline=600), timeout=90),),
        # --all covers every node: the phase runs after `nodes` (all registered)
        (Cmd(_kubectl("wait", "nodes", "--all", "--for=condition=Ready", "--timeout", "60s"), label="every node Ready",
             node="*", stage="ready", rules=R.KUBE_WAIT, retry=Retry(deadline=900), timeout=90,
             remedy="`cilium status` and `kubectl -n kube-system get pods`: check k8sServiceHost/KubePrism and devices"),),
    )),)


# ---- P8 Flux takes over -----------------------------------------------------------------------------
def flux_sync(ctx: Context) -> tuple[Step, ...]:
    d = ctx.flux_dir / "flux-system"
    how = "--kustomize" if (d / "kustomization.yaml").exists() else "--filename"
    # The flux chart installed its CRDs before its controllers (helm --wait), so they are there; were
    # they not Established yet, the apply's `no matches for kind` is retried (no separate wait call).
    return (Cmd(_kubectl("apply", "--server-side", how, str(d)), label="Flux sync objects (GitRepository, Kustomization)",
                rules=R.KUBE_APPLY, retry=Retry(deadline=600)),)


def flux_ready(ctx: Context) -> tuple[Step, ...]:
    a = ctx.answers
    src, branch = a.git.source_name, a.cluster.branch
    # three independent checks at once: the branch (stops early when wrong), then both Ready waits
    return (Parallel("branch, GitRepository and Kustomization Ready", tuple((c,) for c in (
        Cmd(_kubectl("--namespace", "flux-system", "get", "gitrepository", src, "--output", "jsonpath={.spec.ref.branch}"),
            label=f"GitRepository {src} on branch {branch}", ok=lambda out: out.strip() == branch,
            ok_reason=f"GitRepository {src} does not track {branch!r}",
            remedy=f"fix ref.branch in clusters/{a.name}/flux/flux-system/ (re-render), then `--from flux-sync`",
            rules=R.KUBE_WAIT[:1] + R.TRANSIENT, retry=Retry(deadline=300), quiet=True),
        Cmd(_kubectl("--namespace", "flux-system", "wait", f"gitrepository/{src}", "--for=condition=Ready", "--timeout", "60s"),
            label="GitRepository Ready", rules=R.KUBE_WAIT, retry=Retry(deadline=900), timeout=90,
            remedy="deploy key not registered on the repo, or branch missing: "
                   "`kubectl -n flux-system logs deploy/source-controller`"),
        Cmd(_kubectl("--namespace", "flux-system", "wait", "kustomization/flux-system", "--for=condition=Ready", "--timeout", "60s"),
            label="root Kustomization Ready", rules=R.KUBE_WAIT, retry=Retry(deadline=1200), timeout=90,
            remedy="`flux get kustomizations -A` and `flux logs --kind Kustomization`"),
    ))),)


def health(ctx: Context) -> tuple[Step, ...]:
    a = ctx.answers
    args = ["health", "--control-plane-nodes", ",".join(n.address for n in a.control_planes)]
    if a.workers:
        args += ["--worker-nodes", ",".join(n.address for n in a.workers)]
    args += ["--wait-timeout", "10m"]
    return (Cmd(ctx.talosctl(ctx.first_cp, *args), label="talosctl health (after the CNI)", rules=R.TALOS_ANY,
                retry=Retry(deadline=900), timeout=660),)


# ---- the DAG --------------------------------------------------------------------------------------
def build_phases(ctx: Context) -> list[Phase]:
    """Phases in plan order with their dependencies (the runner starts a phase when its deps are done)."""
    P = Phase
    out = [
        P("preflight", "Preflight checks", (), preflight, 10, 300, remedy="fix the reported prerequisite and re-run"),
        P("configs", "Machine configs", ("preflight",), configs, 15, 300, probe=h.configs_present,
          probe_desc="every node's machine config and the talosconfig already in the state folder"),
        P("apply", "Apply configs (all nodes)", ("configs",), apply, 300, 1500),
        P("etcd", "Bootstrap etcd", ("apply",), etcd, 90, 1200, probe=etcd_probe,
          probe_desc="`talosctl etcd members` on the first control plane succeeds"),
        P("kubeconfig", "Kubeconfig", ("etcd",), kubeconfig, 30, 700),
        P("api-ready", "API ready", ("kubeconfig",), api_ready, 60, 1000),
        # every CP's API and every Node object: needed by cilium-ready (`--all` must mean all), not by
        # namespaces, CRDs or the Cilium install, which only need the API through the kubeconfig
        P("nodes", "API on every control plane, nodes registered", ("api-ready",), nodes_registered, 30, 1000),
        P("namespaces", "Namespaces", ("api-ready",), namespaces, 5, 300),
        P("secrets", "Bootstrap secrets", ("namespaces",), secrets, 10, 400),
        P("crds-render", "Render CRD charts", ("preflight",), crds_render, 15, 400),
        P("crds", "CRDs", ("api-ready", "crds-render"), crds, 20, 500),
        P("releases", "Helm releases already deployed", ("api-ready",), releases, 5, 300),
    ]
    prev: tuple[str, ...] = ("crds", "namespaces", "releases")
    health_after = None
    for name, ns in h.releases(ctx):
        pid = f"app-{name}"
        out.append(P(pid, f"Helm release {name}", prev, lambda c, n=name, s=ns: app_phase(c, n, s),
                     h.RELEASE_ESTIMATES.get(name, 60), 1300))
        prev = (pid,)
        if name == "cilium":
            out.append(P("cilium-ready", "Cilium CRDs, nodes Ready", (pid, "nodes"), cilium_ready, 60, 1000,
                         remedy="check the Cilium pods (`cilium status`)"))
            prev = health_after = ("cilium-ready",)
        elif name == "coredns":
            health_after = prev
    out += [
        P("flux-sync", "Flux sync objects", (*prev, "secrets", "nodes"), flux_sync, 10, 700),
        P("flux-ready", "Flux GitRepository + Kustomization Ready", ("flux-sync",), flux_ready, 120, 1500, skippable=True),
        P("health", "talosctl health", (*(health_after or prev), "nodes"), health, 60, 1000, skippable=True),
    ]
    return out
