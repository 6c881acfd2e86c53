"""Command-line entry point. Subcommands live in their own modules and are imported lazily,
so ``k8s-wizard new-cluster --answers`` never loads textual, and ``--help`` stays fast.

Each subcommand module provides ``add_parsers(subparsers)``; every parser it adds sets
``func=<callable(args) -> int>`` via ``set_defaults``. Exit codes: 0 done, 1 failure,
2 invalid input or usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: Modules contributing subcommands (each has add_parsers(subparsers)).
COMMAND_MODULES = (
    "wizard.cli_new",        # new-cluster
    "wizard.cli_bootstrap",  # bootstrap, verify
    "wizard.cli_sops",       # sops encrypt/decrypt, keys new
    "wizard.cli_demo",       # demo
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8s-wizard",
        description="Create and bootstrap Talos + Flux clusters in a GitOps repo.",
    )
    parser.add_argument("--version", action="version", version="k8s-wizard 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a module not written yet must not break the others
            if exc.name != name:
                raise
            continue
        module.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("k8s-wizard: interrupted; nothing was left half-written.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
