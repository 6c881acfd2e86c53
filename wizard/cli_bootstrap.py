"""``k8s-wizard bootstrap <name>`` and ``k8s-wizard verify <name>``: argument parsing, session set-up,
and the choice of renderer (Textual dashboard on a terminal, plain console lines otherwise). Textual is
imported only on the dashboard path."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="cluster name (clusters/<name>/cluster-answers.yaml)")
    p.add_argument("--repo", type=Path, help="GitOps repo root (default: the repo containing the current folder)")
    p.add_argument("--simulate", action="store_true", help="run against simulated cluster tools (no real nodes)")
    p.add_argument("--sim-speed", type=float, default=1.0, metavar="F", help="simulated latency divisor (1 = real time)")
    p.add_argument("--sim-scenario", type=Path, metavar="FILE", help="fault-injection scenario for the simulator")
    p.add_argument("--plain", action="store_true", help="plain console output instead of the live dashboard")


def add_parsers(sub) -> None:
    p = sub.add_parser("bootstrap", help="bootstrap a rendered cluster: Talos → etcd → Cilium … → Flux Ready",
                       description="Take a cluster written by new-cluster from nodes in Talos maintenance mode to "
                                   "Flux reconciling the repo. Re-runs are safe: finished work is detected and skipped.")
    _common(p)
    p.add_argument("--resume", action="store_true", help="continue after the phases the journal records as done")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--from", dest="from_phase", metavar="PHASE", help="run from this phase on")
    g.add_argument("--only", metavar="PHASE", help="run only this phase")
    p.add_argument("--dry-run", action="store_true", help="print the full command plan; run nothing")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation before touching the nodes")
    p.set_defaults(func=run_bootstrap)

    v = sub.add_parser("verify", help="check a bootstrapped cluster: Flux, Git source, Cilium, BGP, cluster-vars")
    _common(v)
    v.add_argument("--quick", action="store_true", help="skip the (long) cilium connectivity test")
    v.set_defaults(func=run_verify)


def _err(cmd: str, msg: str) -> int:
    print(f"k8s-wizard {cmd}: {msg}", file=sys.stderr)
    return 2


def _session(args, cmd: str):
    from wizard.bootstrap.session import SessionError, find_repo, make_context, simulate

    if args.repo is not None and not args.repo.is_dir():
        raise SessionError(f"--repo {args.repo}: not a folder")
    repo = args.repo.resolve() if args.repo is not None else find_repo(Path.cwd())
    ctx = make_context(repo, args.name)
    if args.simulate and not getattr(args, "dry_run", False):
        simulate(ctx, speed=args.sim_speed, scenario=args.sim_scenario)
    return ctx


def _dashboard():
    # the Textual UI lives outside the pure core: imported by name, only on the dashboard path
    import importlib

    return importlib.import_module("screens.dashboard").run_dashboard


def _use_plain(args) -> bool:
    return args.plain or not (sys.stdout.isatty() and sys.stdin.isatty())


def run_bootstrap(args) -> int:
    from wizard.bootstrap.phases import build_phases
    from wizard.bootstrap.runner import RunOptions, Runner
    from wizard.bootstrap.session import SessionError

    try:
        ctx = _session(args, "bootstrap")
    except SessionError as exc:
        return _err("bootstrap", str(exc))
    phases = build_phases(ctx)
    ids = [p.id for p in phases]
    for flag, pid in (("--from", args.from_phase), ("--only", args.only)):
        if pid and pid not in ids:
            return _err("bootstrap", f"{flag} {pid}: unknown phase; phases are: {', '.join(ids)}")
    if args.dry_run:
        from wizard.bootstrap.plan import render_plan

        print(render_plan(ctx, phases))
        return 0
    if not (args.yes or args.simulate):
        a = ctx.answers
        if not sys.stdin.isatty():
            return _err("bootstrap", f"this applies machine configs to {len(a.nodes)} nodes; pass --yes to confirm")
        answer = input(f"Bootstrap {a.name}: apply configs to {len(a.nodes)} nodes and bootstrap etcd on "
                       f"{ctx.first_cp}? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("nothing done", file=sys.stderr)
            return 1
    options = RunOptions(resume=args.resume, from_phase=args.from_phase, only=args.only,
                         time_scale=1.0 / args.sim_speed if args.simulate else 1.0)
    if _use_plain(args):
        from wizard.bootstrap.console import ConsoleRenderer

        runner = Runner(ctx, phases, options)
        runner.subscribe(ConsoleRenderer())
        fin = asyncio.run(runner.run())
        if not fin.ok:
            print(f"k8s-wizard bootstrap: failed in phase {fin.failed_phase}. {fin.remedy}".rstrip() +
                  f"\nContinue later with: k8s-wizard bootstrap {ctx.name} --resume", file=sys.stderr)
        return 0 if fin.ok else 1
    run_dashboard = _dashboard()

    def factory(on_failure):
        options.on_failure = on_failure
        return Runner(ctx, phases, options)

    return run_dashboard(factory, cluster=ctx.name, title="bootstrap")


def run_verify(args) -> int:
    from wizard.bootstrap.runner import RunOptions, Runner
    from wizard.bootstrap.session import SessionError
    from wizard.bootstrap.verify import build_checks

    try:
        ctx = _session(args, "verify")
    except SessionError as exc:
        return _err("verify", str(exc))
    checks = build_checks(ctx, connectivity_test=not args.quick)
    options = RunOptions(journal_name="verify.jsonl", time_scale=1.0 / args.sim_speed if args.simulate else 1.0)
    if _use_plain(args):
        from wizard.bootstrap.console import ConsoleRenderer

        runner = Runner(ctx, checks, options)
        runner.subscribe(ConsoleRenderer(show_output=False, what="verify"))
        fin = asyncio.run(runner.run())
        failed = [p for p, s in runner.state.items() if s == "failed"]
        print(f"verify {ctx.name}: {len(checks) - len(failed)}/{len(checks)} checks passed", file=sys.stderr)
        return 0 if fin.ok else 1
    return _dashboard()(lambda on_failure: Runner(ctx, checks, options), cluster=ctx.name, title="verify")
