"""Set up one bootstrap/verify session: load the cluster's answers from the repo, build the context
(env with KUBECONFIG), and for ``--simulate`` put the simulated tools first on PATH with a virtual
cluster kept in the state folder (so a killed simulated run resumes against the same cluster)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from wizard.bootstrap.model import Context


class SessionError(Exception):
    """Bad input (exit 2): missing cluster, unreadable answers, unknown scenario file."""


def find_repo(start: Path) -> Path:
    """The GitOps repo root: ``start`` or the nearest parent with a ``clusters/`` folder or ``.git``."""
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / "clusters").is_dir() or (d / ".git").exists():
            return d
    return start


def make_context(repo: Path, name: str, env: Mapping[str, str] | None = None) -> Context:
    from wizard.answers_io import AnswersError, load_answers
    from wizard.paths import repo_state_dir

    path = repo / "clusters" / name / "cluster-answers.yaml"
    if not path.is_file():
        known = sorted(p.parent.name for p in (repo / "clusters").glob("*/cluster-answers.yaml"))
        hint = f" (clusters with answers: {', '.join(known)})" if known else ""
        raise SessionError(f"{path}: not found{hint}; create the cluster first with `k8s-wizard new-cluster`, "
                           f"or pass --repo <your GitOps repo>")
    try:
        answers, _ = load_answers(path)
    except AnswersError as exc:
        raise SessionError(str(exc)) from None
    if answers.name != name:
        raise SessionError(f"{path}: cluster.name is {answers.name!r}, expected {name!r} (the folder name)")
    if not answers.control_planes:
        raise SessionError(f"{path}: nodes: no node with role controlplane; etcd needs one")
    full_env = dict(env if env is not None else os.environ)
    full_env["KUBECONFIG"] = str(repo / f".kubeconfig-{name}")
    return Context(answers=answers, repo=repo, state_dir=repo_state_dir(repo, name), env=full_env)


def simulate(ctx: Context, *, speed: float, scenario: Path | None) -> Path:
    """Install the simulated tools; returns the virtual cluster's state file. Same argv, only env differs."""
    from wizard import sim

    if scenario is not None and not scenario.is_file():
        raise SessionError(f"--sim-scenario {scenario}: no such file")
    if speed <= 0:
        raise SessionError(f"--sim-speed {speed}: must be > 0 (1 = real time, 100 = a hundred times faster)")
    sim_dir = ctx.state_dir / "sim"
    bin_dir = sim_dir / "bin"
    sim_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(ctx.state_dir, 0o700)
    sim.install_shims(bin_dir)
    state = sim_dir / "cluster.json"
    a = ctx.answers
    if not state.exists():
        bgp = a.network.bgp
        sim.init_state(state, cluster=a.name, cluster_id=a.cluster.id, vip=a.network.vip, branch=a.cluster.branch,
                       nodes=[{"hostname": n.hostname, "address": n.address, "role": n.role, "installDisk": n.install_disk}
                              for n in a.nodes],
                       source_name=a.git.source_name, git_url=a.git.url, repo=ctx.repo,
                       bgp={"localAsn": bgp.local_asn, "peerAddress": bgp.peer_address, "peerAsn": bgp.peer_asn}
                       if bgp and bgp.enabled else False)
    ctx.env = sim.sim_env(ctx.env, state=state, speed=speed, scenario=scenario, bin_dir=bin_dir)
    return state


def runner_factory(repo: Path, name: str, *, simulate_speed: float | None = None, scenario: Path | None = None,
                   resume: bool = False):
    """What the wizard's Done screen ("bootstrap now") hands to ``screens.dashboard.DashboardScreen``:
    ``factory(on_failure) -> Runner``. ``simulate_speed`` set = run on the simulator at that speed."""
    from wizard.bootstrap.phases import build_phases
    from wizard.bootstrap.runner import RunOptions, Runner

    ctx = make_context(repo, name)
    if simulate_speed is not None:
        simulate(ctx, speed=simulate_speed, scenario=scenario)
    phases = build_phases(ctx)
    scale = 1.0 / simulate_speed if simulate_speed else 1.0

    def factory(on_failure):
        return Runner(ctx, phases, RunOptions(resume=resume, time_scale=scale, on_failure=on_failure))

    return factory
