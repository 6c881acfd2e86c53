"""Benchmark: time from launching the wizard to its first screen painted (target < 0.6 s).

Each run is a fresh ``python`` process (interpreter start and imports included) that opens the
wizard headless on a copy of the seed repo and reports when the Repository screen has been painted;
the parent measures from spawn to that report. Also prints whether ``kubernetes`` was imported.

Usage: .venv/bin/python bench/bench_tui_start.py [RUNS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import sys, argparse
sys.path.insert(0, {root!r})
from screens.launch import build_app

args = argparse.Namespace(answers=None, yes=False, repo={repo!r}, like=None, dry_run=False, force=False, plain=False)
app = build_app(args)
# the navigator imports the first step's module when it starts; import it here instead, to hook its paint
from screens.steps.repo import RepoStep

first_mount = RepoStep.on_mount

def on_mount(self):
    first_mount(self)
    def painted():
        heavy = sorted(m for m in ("kubernetes", "questionary") if m in sys.modules)
        print("painted", ",".join(heavy) or "-", flush=True)
        self.app.exit(0)
    self.call_after_refresh(painted)

RepoStep.on_mount = on_mount
app.run(headless=True, size=(100, 32))
"""


def one_run(repo: Path) -> tuple[float, str]:
    code = CHILD.format(root=str(ROOT), repo=str(repo))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(timeout=30)
    if not line.startswith("painted"):
        raise SystemExit(f"the wizard did not paint: {line!r} {proc.stderr.read()[-2000:]}")
    return elapsed, line.split()[1]


def main() -> int:
    from tests.helpers.seed import make_seed_repo

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_seed_repo(Path(tmp) / "k8s-ops")
        one_run(repo)  # warm the OS file cache and .pyc files
        times, heavy = [], set()
        for _ in range(runs):
            t, h = one_run(repo)
            times.append(t)
            heavy.add(h)
    print(f"launch -> first screen painted: median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f} s, max {max(times):.3f} s over {runs} runs (target < 0.6 s)")
    print(f"heavy modules imported on that path: {', '.join(sorted(heavy))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
