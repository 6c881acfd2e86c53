"""Benchmark: time from launching the wizard to its first screen painted (target < 0.6 s).

Each run is a fresh ``python`` process (interpreter start and imports included) that opens the
wizard headless on a copy of the seed repo as ``k8s-wizard new-cluster`` does (``defer_scan``) and
reports twice: when the first frame (the Repository step, scanning) is painted, and when the Repository
step shows the scanned clusters. The parent measures from spawn to each report. Also prints which heavy
modules (kubernetes, questionary, pydantic, ruamel.yaml, jinja2) were imported by then.

Usage: .venv/bin/python bench/bench_tui_start.py [RUNS] [--answers]   (--answers: prefilled with the apps answers)
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

args = argparse.Namespace(answers={answers!r}, yes=False, repo={repo!r}, like=None, dry_run=False, force=False, plain=False)
app = build_app(args, defer_scan=True)  # what `k8s-wizard new-cluster` does
from screens.steps.repo import RepoStep, ScanningStep

def heavy():
    return ",".join(sorted(m for m in ("kubernetes", "questionary", "pydantic", "ruamel.yaml", "jinja2") if m in sys.modules)) or "-"

scanning_mount = ScanningStep.on_mount

def first_frame(self):
    scanning_mount(self)
    self.call_after_refresh(lambda: print("painted", heavy(), flush=True))

def populated(self, event=None):
    def done():
        print("populated", heavy(), flush=True)
        self.app.exit(0)
    self.call_after_refresh(done)

# Textual calls one mount handler per class of the MRO (``_on_mount`` if the class has one, else ``on_mount``)
ScanningStep.on_mount = first_frame
RepoStep._on_mount = populated
app.run(headless=True, size=(100, 32))
"""


def one_run(repo: Path, answers: str | None = None) -> tuple[float, float, str, str]:
    """Seconds from spawn to the first frame and to the Repository step with the repo scanned."""
    code = CHILD.format(root=str(ROOT), repo=str(repo), answers=answers)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    t_first = time.perf_counter() - start
    second = proc.stdout.readline()
    t_second = time.perf_counter() - start
    proc.wait(timeout=30)
    if not first.startswith("painted") or not second.startswith("populated"):
        raise SystemExit(f"the wizard did not paint: {first!r} {second!r} {proc.stderr.read()[-2000:]}")
    return t_first, t_second, first.split()[1], second.split()[1]


def main() -> int:
    from tests.helpers.seed import make_seed_repo

    runs = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
    answers = None
    if "--answers" in sys.argv:  # the prefilled launch: `new-cluster --answers apps.answers.yaml`
        from wizard.sample import answers_path

        answers = str(answers_path("apps"))
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_seed_repo(Path(tmp) / "k8s-ops")
        one_run(repo, answers)  # warm the OS file cache and .pyc files
        firsts, fulls, heavy_first, heavy_full = [], [], set(), set()
        for _ in range(runs):
            t1, t2, h1, h2 = one_run(repo, answers)
            firsts.append(t1)
            fulls.append(t2)
            heavy_first.add(h1)
            heavy_full.add(h2)
    for label, times in (("launch -> first screen painted (Repository, scanning)", firsts),
                         ("launch -> Repository step with the scan shown", fulls)):
        print(f"{label}: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
              f"max {max(times):.3f} s over {runs} runs")
    print("target: first screen painted < 0.6 s")
    print(f"heavy modules imported before the first paint: {', '.join(sorted(heavy_first))}")
    print(f"... and once the scan is shown: {', '.join(sorted(heavy_full))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
