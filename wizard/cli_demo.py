"""``k8s-wizard demo``: the whole flow on the embedded sample repo and the simulated cluster tools.

Sample repo (the k8s-ops snapshot) in a fresh folder → a demo age key (kept beside the repo, 0600,
never inside it) → ``new-cluster`` for infra (headless) and apps (the TUI prefilled from the sample
answers when a terminal is attached, headless otherwise) → ``bootstrap apps --simulate`` in the live
dashboard (or the plain console renderer), in real time unless ``--sim-speed`` says otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def add_parsers(sub) -> None:
    p = sub.add_parser("demo", help="run the whole flow on a built-in sample repo and a simulated cluster")
    p.add_argument("--dir", type=Path, help="folder for the demo (default: a new temp folder)")
    p.add_argument("--sim-speed", type=float, default=1.0, help="simulated tool latency divisor (1 = real time)")
    p.add_argument("--plain", action="store_true", help="no full-screen UI: headless wizard, console renderer")
    p.add_argument("--cluster", default="apps", choices=("infra", "apps"), help="cluster to bootstrap")
    p.set_defaults(func=run)


def _say(msg: str) -> None:
    print(f"demo: {msg}", file=sys.stderr, flush=True)


def _git(repo: Path, *argv: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "k8s-wizard demo", "GIT_AUTHOR_EMAIL": "demo@example.invalid",
           "GIT_COMMITTER_NAME": "k8s-wizard demo", "GIT_COMMITTER_EMAIL": "demo@example.invalid"}
    subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True, env=env)


def run(args) -> int:
    from wizard import sample
    from wizard.cli import main
    from wizard.sops import keys

    root = (args.dir or Path(tempfile.mkdtemp(prefix="k8s-wizard-demo-"))).resolve()
    repo = root / "k8s-ops"
    if repo.exists() and any(repo.iterdir()):
        _say(f"{repo} already exists and is not empty; pass another --dir")
        return 2
    key_file = root / "age-keys.txt"
    identity, recipient = keys.generate_identity()
    keys.write_keys_file(key_file, identity)
    os.environ["SOPS_AGE_KEY_FILE"] = str(key_file)
    _say(f"demo age key: {key_file} (public key {recipient}); SOPS_AGE_KEY_FILE points at it for this run")

    sample.materialize(repo, recipient=recipient)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "k8s-ops snapshot")
    _say(f"sample repo: {repo}")

    interactive = not args.plain and sys.stdin.isatty() and sys.stdout.isatty()
    for name in ("infra", "apps"):
        answers = str(sample.answers_path(name))
        argv = ["new-cluster", "--answers", answers, "--repo", str(repo)]
        if interactive and name == args.cluster:
            _say(f"opening the wizard for {name}, prefilled from {answers}: review, then Write")
        else:
            argv.append("--yes")
            _say(f"new-cluster {name} (headless, answers {answers})")
        rc = main(argv)
        if rc != 0:
            _say(f"new-cluster {name} failed with exit code {rc}")
            return rc
        # one reviewable commit per cluster, as the operator would push it before Flux syncs
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"feat(talos): add cluster {name}")

    _say(f"bootstrap {args.cluster} on the simulated tools (speed x{args.sim_speed:g})")
    argv = ["bootstrap", args.cluster, "--repo", str(repo), "--simulate", "--sim-speed", str(args.sim_speed), "--yes"]
    if not interactive:
        argv.append("--plain")
    rc = main(argv)
    _say(f"done (exit {rc}). Repo: {repo}. Next: k8s-wizard verify {args.cluster} --repo {repo} "
         f"--simulate --sim-speed {args.sim_speed:g}")
    return rc
