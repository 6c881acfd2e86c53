"""Bootstrap runner benchmarks on the simulator, in one run (prints the measured figures):

1. orchestration overhead over the critical path of the tools' simulated latencies (target <= 2 % and
   <= 1 s). Two full runs at speeds S and 2S with the *same* runner time scale: wall(S) = L/S + O, so
   L (critical-path latency, speed-1 seconds) and O (fixed cost) follow. O still contains the simulated
   tools' own process start-up (a Python interpreter per call), measured separately and reported apart.
2. 6-node vs 1-node apply-config phase wall (target <= 1.2x).
3. total wall vs a serial reference script (target >= 1.5x faster): what an operator writes by hand,
   one command at a time, no concurrency, every wait an ``until <check>; do sleep 5; done`` loop (5 s
   scaled by the speed), in pattern.md §4's proven manual order (GITOPS P2: control planes, etcd, API,
   THEN the workers); same simulated cluster, latencies and argv. See ``serial_reference``.

Run it at a speed where the simulated latencies dominate the simulator's process start-up (~0.1 s of
Python per call, which real tools do not have): the default 2 takes about five minutes.

Usage: python bench/bench_bootstrap.py [--speed 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyrage  # noqa: E402

from tests.bootstrap.simrepo import write_cluster  # noqa: E402
from wizard.bootstrap import events as E  # noqa: E402
from wizard.bootstrap.phases import build_phases  # noqa: E402
from wizard.bootstrap.runner import RunOptions, Runner  # noqa: E402
from wizard.bootstrap.session import make_context, simulate  # noqa: E402


def fresh(base: Path, tag: str, ident, *, nodes: int | None = None):
    repo = base / tag
    repo.mkdir()
    write_cluster(repo, str(ident.to_public()), nodes=nodes)
    return repo


def run(repo: Path, speed: float, scale: float, only: set[str] | None = None) -> tuple[float, list[E.Event]]:
    ctx = make_context(repo, "apps")
    simulate(ctx, speed=speed, scenario=None)
    phases = [p for p in build_phases(ctx) if only is None or p.id in only]
    r = Runner(ctx, phases, RunOptions(time_scale=scale))
    evs: list[E.Event] = []
    r.subscribe(evs.append)
    t = time.monotonic()
    fin = asyncio.run(r.run())
    wall = time.monotonic() - t
    if not fin.ok:
        raise SystemExit(f"bench run failed in {fin.failed_phase}: {fin.remedy}")
    return wall, evs


def busy_gaps(evs: list[E.Event]) -> tuple[float, float]:
    """(wall, time covered by a running tool process or a deliberate backoff sleep): the rest is the
    runner's own time (scheduling, event handling, journal fsync) on the critical path."""
    t0 = next(e.t for e in evs if isinstance(e, E.RunStarted))
    t1 = next(e.t for e in evs if isinstance(e, E.RunFinished))
    spans, open_ = [], {}
    for e in evs:
        if isinstance(e, E.CommandStarted):
            open_.setdefault((e.phase, e.command, e.node), []).append(e.t)
        elif isinstance(e, E.CommandFinished):
            spans.append((open_[(e.phase, e.command, e.node)].pop(0), e.t))
        elif isinstance(e, E.PhaseRetry):
            spans.append((e.t, e.t + e.delay))
    covered, cur = 0.0, None
    for a, b in sorted(spans):
        if cur is None or a > cur[1]:
            if cur:
                covered += cur[1] - cur[0]
            cur = [a, b]
        else:
            cur[1] = max(cur[1], b)
    if cur:
        covered += cur[1] - cur[0]
    return t1 - t0, covered


def shim_startup(repo: Path, speed: float, n: int = 10) -> float:
    """Mean process start-up of a simulated tool (wall of a trivial call minus its simulated latency)."""
    from wizard.sim.timing import call_latency

    ctx = make_context(repo, "apps")
    simulate(ctx, speed=speed, scenario=None)
    t = time.monotonic()
    for _ in range(n):
        subprocess.run(["kubectl", "version", "--client"], env=ctx.env, capture_output=True)
    return (time.monotonic() - t) / n - call_latency("kubectl", "version") / speed


def critical_calls(evs: list[E.Event], phases) -> int:
    """Tool calls whose process start-up lengthens the critical path: along the longest phase chain (by
    measured time), per phase the longest per-node command chain, one per command (the failed attempts
    of a poll overlap the wait they poll, so only the final attempt counts)."""
    end = {e.phase: e.t for e in evs if isinstance(e, (E.PhaseDone, E.PhaseSkipped))}
    by_id = {p.id: p for p in phases}
    chain, pid = [], max(end, key=end.get)
    while pid:
        chain.append(pid)
        deps = [d for d in by_id[pid].deps if d in end]
        pid = max(deps, key=end.get) if deps else None
    count = 0
    for pid in chain:
        per: dict[str | None, int] = {}
        for e in evs:
            if isinstance(e, E.CommandFinished) and e.phase == pid:
                per[e.node] = per.get(e.node, 0) + 1
            elif isinstance(e, E.PhaseRetry) and e.phase == pid:
                per[e.node] = per.get(e.node, 0) - 1
        count += per.pop(None, 0) + max(per.values(), default=0)
    return count


def serial_reference(repo: Path, speed: float) -> float:
    """An operator's hand-written serial script: one command at a time, every wait an
    ``until <check>; do sleep 5; done`` loop (5 s scaled by the speed, first check immediately), in the
    proven manual order of pattern.md §4: preflight, genconfig; P2 as GITOPS does it (apply the control
    planes, wait for them, bootstrap etcd, fetch the kubeconfig, wait for the API, THEN apply the
    workers and wait for them, wait for every node to register); then namespaces, secrets, CRDs (wait
    Established), one ``helmfile sync`` of 01-apps (every release, helm --wait), the Flux sync objects
    (wait for the root Kustomization Ready) and ``talosctl health``, strictly in sequence. Same argv as
    the runner's where they correspond, same simulated cluster and latencies, no other sleeps."""
    ctx = make_context(repo, "apps")
    simulate(ctx, speed=speed, scenario=None)
    env, a = ctx.env, ctx.answers
    poll = 5.0 / speed

    def sh(*argv, stdin=None, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, cwd=cwd)

    def must(*argv, stdin=None, cwd=None) -> subprocess.CompletedProcess:  # `set -e`
        p = sh(*argv, stdin=stdin, cwd=cwd)
        if p.returncode != 0:
            raise SystemExit(f"serial reference: {' '.join(argv[:4])} failed: {p.stderr.strip()[-300:]}")
        return p

    def until(*argv, ok=lambda p: p.returncode == 0):
        while not ok(p := sh(*argv)):
            time.sleep(poll)
        return p

    from wizard.bootstrap import helpers as h

    t = time.monotonic()
    # P0 preflight
    for n in a.nodes:
        must("talosctl", "--nodes", n.address, "get", "disks", "--insecure")
    must("git", "ls-remote", "--heads", a.git.url, a.cluster.branch)
    if h.needs_op(ctx):
        must("op", "whoami")
    # P1 machine configs
    ctx.clusterconfig.mkdir(parents=True, exist_ok=True)
    must("talhelper", "genconfig", "--config-file", "talconfig.yaml", "--secret-file", "talsecret.sops.yaml",
         "--out-dir", str(ctx.clusterconfig), "--no-gitignore", cwd=ctx.talos_dir)

    def apply_and_wait(nodes) -> None:
        for n in nodes:
            must("talosctl", "apply-config", "--insecure", "--nodes", n.address, "--file", str(ctx.node_config(n)))
        for n in nodes:
            until(*ctx.talosctl(n.address, "get", "machineconfig"))

    # P2 control planes → P3 etcd → P4 kubeconfig + API → P2 workers (GITOPS order)
    apply_and_wait(a.control_planes)
    until(*ctx.talosctl(ctx.first_cp, "bootstrap"))
    until(*ctx.talosctl(ctx.first_cp, "kubeconfig", str(ctx.kubeconfig), "--force", "--merge=false",
                        "--force-context-name", ctx.name))
    for n in a.control_planes:
        until("kubectl", "--server", f"https://{n.address}:6443", "get", "--raw", "/readyz")
    apply_and_wait(a.workers)
    until("kubectl", "get", "nodes", "--output", "name", ok=lambda p: p.stdout.count("node/") >= len(a.nodes))
    # P5 namespaces + secrets
    must("kubectl", "apply", "--server-side", "--filename", "-", stdin=h.namespaces_yaml(ctx))
    must("kubectl", "apply", "--server-side", "--namespace", "flux-system", "--filename", "-", stdin=h.deploy_key_yaml(ctx))
    must("kubectl", "apply", "--server-side", "--filename", "-", stdin=h.sops_age_yaml(ctx))
    if h.needs_op(ctx):
        ctx.vars["op_secrets"] = must("op", "inject", "--in-file", str(ctx.bootstrap_dir / "secrets.yaml.tpl")).stdout
        must("kubectl", "apply", "--server-side", "--filename", "-", stdin=h.op_secrets_yaml(ctx))
    # P6 CRDs
    ctx.vars["crds_rendered"] = must("helmfile", "--file", str(ctx.bootstrap_dir / "helmfile.d" / "00-crds.yaml"),
                                     "template", "--quiet").stdout
    if h.has_crds(ctx):
        must("kubectl", "apply", "--server-side", "--force-conflicts", "--filename", "-", stdin=h.crds_only(ctx))
        names = h.crd_names(ctx)
        items = ".items[*]" if len(names) > 1 else ""  # kubectl returns a List only for several objects
        until("kubectl", "get", *names, "--output", f"jsonpath={{{items}.status.conditions[?(@.type==\"Established\")].status}}",
              ok=lambda p: p.returncode == 0 and p.stdout.split().count("True") == len(names))
    # P7 every release, one helmfile call (its releases run in `needs` order, each with helm --wait)
    must("helmfile", "--file", str(ctx.bootstrap_dir / "helmfile.d" / "01-apps.yaml"), "sync", "--hide-notes")
    until("kubectl", "get", "nodes", ok=lambda p: p.returncode == 0 and "NotReady" not in p.stdout)
    # P8 Flux takes over
    must("kubectl", "apply", "--server-side", "--filename", str(ctx.flux_dir / "flux-system"))
    until("kubectl", "--namespace", "flux-system", "get", "kustomization", "flux-system", "--output",
          "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}", ok=lambda p: p.stdout.strip() == "True")
    health = ["health", "--control-plane-nodes", ",".join(n.address for n in a.control_planes)]
    if a.workers:
        health += ["--worker-nodes", ",".join(n.address for n in a.workers)]
    must(*ctx.talosctl(ctx.first_cp, *health, "--wait-timeout", "10m"))
    return time.monotonic() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed", type=float, default=2.0)
    s = ap.parse_args().speed
    ident = pyrage.x25519.Identity.generate()
    with tempfile.TemporaryDirectory(prefix="bench-bootstrap-") as tmp:
        base = Path(tmp)
        keys = base / "keys.txt"
        keys.write_text(f"{ident}\n")
        keys.chmod(0o600)
        os.environ["SOPS_AGE_KEY_FILE"] = str(keys)

        w1, evs = run(fresh(base, "a", ident), s, 1 / s)
        w2, _ = run(fresh(base, "b", ident), 2 * s, 1 / s)
        lat = (w1 - w2) / (1 / s - 1 / (2 * s))
        fixed = w1 - lat / s
        startup = shim_startup(fresh(base, "probe", ident), s)
        ctx = make_context(base / "a", "apps")
        k = critical_calls(evs, build_phases(ctx))
        runner_o = fixed - k * startup
        print(f"speed {s:g}: full bootstrap wall {w1:.2f}s; at {2 * s:g}: {w2:.2f}s")
        print(f"critical-path simulated latency L = {lat:.1f}s at speed 1 ({lat / s:.2f}s at speed {s:g})")
        print(f"fixed cost O = {fixed:.2f}s = {k} critical-path tool calls x {startup * 1000:.0f}ms simulator "
              f"process start-up ({k * startup:.2f}s) + runner overhead {runner_o:.2f}s")
        print(f"runner overhead: {runner_o:.2f}s = {100 * runner_o / lat:.2f}% of L at real time "
              f"({100 * runner_o / (lat / s):.1f}% at speed {s:g}); targets <= 2% and <= 1s")

        wall, covered = busy_gaps(evs)
        own = wall - covered
        print(f"runner's own time (no tool process running, no backoff sleep): {own:.3f}s of {wall:.2f}s wall = "
              f"{100 * own / wall:.2f}% (speed {s:g}); tool calls: {sum(isinstance(e, E.CommandFinished) for e in evs)}")

        apply_walls = {}
        for n in (6, 1):
            _, ev = run(fresh(base, f"n{n}", ident, nodes=n), s, 1 / s, only={"configs", "apply"})
            apply_walls[n] = next(e.elapsed for e in ev if isinstance(e, E.PhaseDone) and e.phase == "apply")
        print(f"apply phase: 6 nodes {apply_walls[6]:.2f}s vs 1 node {apply_walls[1]:.2f}s = "
              f"{apply_walls[6] / apply_walls[1]:.2f}x (target <= 1.2x)")

        serial = serial_reference(fresh(base, "serial", ident), s)
        print(f"serial reference with fixed 5s polling: {serial:.2f}s vs runner {w1:.2f}s = {serial / w1:.2f}x faster "
              f"(target >= 1.5x); bound for a runner with zero overhead (its wall = L/S): {serial / (lat / s):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
