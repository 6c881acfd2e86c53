"""``k8s-wizard new-cluster``: headless with ``--answers FILE --yes``, else the TUI (or ``--plain`` prompts)."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "new-cluster",
        help="add a Talos + Flux cluster to the GitOps repo",
        description="Render a cluster's whole tree (Talos, Flux, bootstrap helmfile, secrets) into the repo. "
                    "With --answers FILE --yes it runs headless; otherwise the wizard opens.",
    )
    p.add_argument("--answers", type=Path, metavar="FILE", help="answers file (apiVersion: k8s-wizard/v1)")
    p.add_argument("--yes", action="store_true", help="no questions: validate, plan and write (needs --answers)")
    p.add_argument("--repo", type=Path, metavar="DIR", help="the GitOps repo (default: git root of the current folder)")
    p.add_argument("--like", metavar="CLUSTER", help="take what the answers leave out from this existing cluster")
    p.add_argument("--dry-run", action="store_true", help="print the plan and the diff; write nothing")
    p.add_argument("--force", action="store_true",
                   help="overwrite a different cluster of the same name / replace a real bootstrap:<name> task")
    p.add_argument("--plain", action="store_true", help="line-by-line prompts instead of the full-screen wizard")
    p.set_defaults(func=run)


def _err(msg: str) -> None:
    print(f"k8s-wizard new-cluster: {msg}", file=sys.stderr)


def run(args) -> int:
    if not args.yes:
        # the UI lives outside the pure core: loaded by name, only on this path
        if args.plain:
            return importlib.import_module("screens.prompts").run_plain(args)
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            _err("no terminal for the wizard: use --plain for prompts, or --answers FILE --yes to run headless")
            return 2
        return importlib.import_module("screens.launch").run_wizard(args)
    if args.answers is None:
        _err("--yes needs --answers FILE (the answers to write without asking)")
        return 2
    return run_headless(args)


_NAME = re.compile(r"^\s+name:\s*['\"]?([a-z0-9][a-z0-9-]*)['\"]?\s*(#.*)?$", re.M)


def _prefetch_keygen(answers_file: str, repo: Path) -> None:
    """Start the new Talos bundle's RSA-4096 keygen now when the cluster has no talsecret yet.

    The keygen runs without the GIL, so it overlaps parsing, validation and the render. The cluster
    name is peeked from the answers text (the first indented ``name:``, i.e. ``cluster.name``); a
    wrong peek only costs a spare keygen or the overlap, never a different result."""
    try:
        text = Path(answers_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # load() reports it
    m = _NAME.search(text)
    if m is None or (repo / "clusters" / m.group(1) / "talos" / "talsecret.sops.yaml").exists():
        return
    from wizard.talos_secrets import prefetch_service_account_key

    prefetch_service_account_key()


def run_headless(args) -> int:
    from wizard.answers_io import AnswersError
    from wizard.newcluster import NewClusterError, load, new_cluster, repo_root, validation_errors

    try:
        repo = Path(args.repo).resolve() if args.repo else repo_root()
        if not repo.is_dir():
            raise NewClusterError(f"--repo {args.repo}: no such folder", 2)
        _prefetch_keygen(args.answers, repo)
        answers, doc = load(args.answers, like=args.like, repo=repo)
        errs, warns = validation_errors(answers, repo, doc)
    except AnswersError as exc:
        _err(f"{exc.source}: invalid answers:")
        for f in exc.findings:
            print(f"  {f}", file=sys.stderr)
        return 2
    except NewClusterError as exc:
        _err(str(exc))
        return exc.exit_code
    for f in warns:
        print(f"  {args.answers}: {f}", file=sys.stderr)
    if errs:
        _err(f"{args.answers}: invalid answers:")
        for f in errs:
            print(f"  {f}", file=sys.stderr)
        return 2
    try:
        new_cluster(answers, repo, dry_run=args.dry_run, force=args.force)
    except NewClusterError as exc:
        _err(str(exc))
        return exc.exit_code
    return 0
