"""``k8s-wizard verify <name>`` (pattern.md §5): independent checks run concurrently through the same
runner (journal ``verify.jsonl``); each passes with a note or fails with a diagnosis and the next action."""

from __future__ import annotations

import json
import re

from wizard.bootstrap.model import Cmd, Context, Func, Phase, RunFn, StepError

_NOTE = "note:{}"


def expected_cluster_vars(ctx: Context) -> dict[str, str]:
    a = ctx.answers
    out = {
        "CLUSTER_NAME": a.name, "CLUSTER_ID": str(a.cluster.id), "CLUSTER_DOMAIN": a.cluster.domain,
        "CLUSTER_CIDR": a.network.node_cidr, "CLUSTER_POD_CIDR": a.network.pod_cidr,
        "CLUSTER_SVC_CIDR": a.network.service_cidr, "CLUSTER_API_ENDPOINT": a.api_endpoint,
        "OBSERVABILITY_ROLE": a.cluster.observability.role,
    }
    if a.cluster.observability.target:
        out["OBSERVABILITY_TARGET"] = a.cluster.observability.target
    return out


def _fail(reason: str, remedy: str, r=None, cmd: Cmd | None = None) -> StepError:
    lines = tuple(r.output.splitlines()[-10:]) if r is not None else ()
    return StepError(reason, remedy, command=cmd.shell() if cmd else "", rc=r.rc if r is not None else None,
                     last_lines=lines)


async def flux_check(ctx: Context, run: RunFn) -> None:
    cmd = Cmd(("flux", "check"), label="flux check", timeout=360)
    r = await run(cmd)
    if r.rc != 0 or "all checks passed" not in r.output:
        bad = [line.strip() for line in r.output.splitlines() if line.strip().startswith("✗")]
        raise _fail("; ".join(bad) or f"flux check exited {r.rc}",
                    "`kubectl -n flux-system get pods` and `flux logs --level=error`", r, cmd)
    ctx.vars[_NOTE.format("flux-check")] = "controllers ready, CRDs present"


async def git_source(ctx: Context, run: RunFn) -> None:
    a = ctx.answers
    src, branch = a.git.source_name, a.cluster.branch
    cmd = Cmd(("kubectl", "--namespace", "flux-system", "get", "gitrepository", src, "--output", "jsonpath={.spec.ref.branch}"))
    r = await run(cmd)
    if r.rc != 0:
        raise _fail(f"GitRepository {src} not found", "re-run `k8s-wizard bootstrap <name> --from flux-sync`", r, cmd)
    if r.stdout.strip() != branch:
        raise _fail(f"GitRepository {src} tracks {r.stdout.strip()!r}, the answers say {branch!r}",
                    f"fix ref.branch in clusters/{a.name}/flux/flux-system/ and push", r, cmd)
    cmd = Cmd(("flux", "get", "sources", "git", src, "--namespace", "flux-system"))
    r = await run(cmd)
    row = next((line.split("\t") for line in r.stdout.splitlines() if line.split("\t")[0].strip() == src), None)
    if r.rc != 0 or row is None or len(row) < 4:
        raise _fail(f"cannot read GitRepository {src} status", "`flux get sources git -A`", r, cmd)
    revision, ready = row[1].strip(), row[3].strip()
    if ready != "True" or not revision.startswith(f"{branch}@"):
        msg = row[4].strip() if len(row) > 4 else ""
        raise _fail(f"GitRepository {src} not ready on {branch}: {revision or '-'} {msg}",
                    "check the deploy key is registered on the repo: `kubectl -n flux-system logs deploy/source-controller`",
                    r, cmd)
    ctx.vars[_NOTE.format("git-source")] = f"{src} Ready at {revision}"


async def cilium_status(ctx: Context, run: RunFn) -> None:
    cmd = Cmd(("cilium", "status", "--wait", "--wait-duration", "2m"), timeout=180)
    r = await run(cmd)
    errors = [line.strip() for line in r.output.splitlines() if re.search(r"\d+ errors?|Error:", line)]
    if r.rc != 0 or errors:
        raise _fail("; ".join(errors[:3]) or f"cilium status exited {r.rc}",
                    "`kubectl -n kube-system get pods -l k8s-app=cilium` and `cilium sysdump`", r, cmd)
    ctx.vars[_NOTE.format("cilium-status")] = "all components OK"


async def connectivity(ctx: Context, run: RunFn) -> None:
    # Talos enforces PodSecurity baseline: the test's host-network pods need a privileged namespace (cilium#30346)
    cmd = Cmd(("cilium", "connectivity", "test", "--namespace-labels", "pod-security.kubernetes.io/enforce=privileged"),
              timeout=1800)
    r = await run(cmd)
    summary = next((line.strip() for line in r.output.splitlines() if re.search(r"tests? .*(successful|failed)", line)), "")
    if r.rc != 0 or "successful" not in summary:
        raise _fail(summary or f"connectivity test exited {r.rc}",
                    "re-run with `--collect-sysdump-on-failure`; on an offline network add `--test '!/pod-to-world'`", r, cmd)
    ctx.vars[_NOTE.format("connectivity")] = summary.lstrip("✅ ").strip()


async def bgp_peers(ctx: Context, run: RunFn) -> None:
    bgp = ctx.answers.network.bgp
    cmd = Cmd(("cilium", "bgp", "peers", "--wait-duration", "1m"), timeout=120)
    r = await run(cmd)
    if r.rc != 0:
        raise _fail(f"cannot read BGP peers (exit {r.rc})", "`cilium status`; the BGP control plane must be enabled", r, cmd)
    states: dict[str, str] = {}
    for line in r.stdout.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5 and not line[:1].isspace():  # continuation rows (extra families) start blank
            states[cols[0]] = cols[4]
    down = {n: s for n, s in states.items() if s != "established"}
    if not states or down:
        detail = ", ".join(f"{n} {s}" for n, s in down.items()) or "no BGP sessions"
        raise _fail(f"BGP not established: {detail}",
                    f"check the router peers with ASN {bgp.local_asn} at {bgp.peer_address} (peer ASN {bgp.peer_asn}) "
                    "and that the CiliumBGP* resources are applied", r, cmd)
    ctx.vars[_NOTE.format("bgp-peers")] = f"{len(states)} sessions established"


async def cluster_vars(ctx: Context, run: RunFn) -> None:
    cmd = Cmd(("kubectl", "--namespace", "flux-system", "get", "configmap", "cluster-vars", "--output", "json"))
    r = await run(cmd)
    if r.rc != 0:
        raise _fail("ConfigMap flux-system/cluster-vars not found",
                    "wait for the root Kustomization (`flux get ks -A`); it creates cluster-vars", r, cmd)
    try:
        data = json.loads(r.stdout).get("data") or {}
    except json.JSONDecodeError:
        raise _fail("kubectl returned no JSON for cluster-vars", "`kubectl -n flux-system get cm cluster-vars -o yaml`", r, cmd)
    wrong = [f"{k}={data.get(k)!r} (answers: {v!r})" for k, v in expected_cluster_vars(ctx).items() if data.get(k) != v]
    if wrong:
        raise _fail("cluster-vars differ from the answers: " + "; ".join(wrong),
                    "re-render the cluster (`k8s-wizard new-cluster`), commit, push, then `flux reconcile ks flux-system`")
    ctx.vars[_NOTE.format("cluster-vars")] = f"{len(data)} keys equal the answers"


def build_checks(ctx: Context, *, connectivity_test: bool = True) -> list[Phase]:
    def one(pid: str, title: str, fn, estimate: float, timeout: float) -> Phase:
        return Phase(pid, title, (), lambda c, f=fn, t=title: (Func(t, f),), estimate, timeout)

    checks = [
        one("flux-check", "flux check", flux_check, 10, 400),
        one("git-source", "Git source on the cluster's branch", git_source, 5, 120),
        one("cilium-status", "cilium status", cilium_status, 10, 200),
        one("cluster-vars", "cluster-vars equal the answers", cluster_vars, 3, 120),
    ]
    if connectivity_test:
        checks.append(one("connectivity", "cilium connectivity test", connectivity, 600, 1900))
    bgp = ctx.answers.network.bgp
    if bgp is not None and bgp.enabled:
        checks.append(one("bgp-peers", "BGP peers established", bgp_peers, 60, 150))
    return checks
