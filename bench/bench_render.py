"""Wall time of ``k8s-wizard new-cluster --answers FILE --yes`` for the apps tree (target < 1 s).

The first run generates the secrets (Talos PKI bundle, deploy key); a re-run reuses and re-encrypts
them and writes nothing. Both are measured, in a fresh process each (imports included), on a temp
copy of the embedded sample repo with an age key generated for the run.
Usage: .venv/bin/python bench/bench_render.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _run(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "wizard", *argv], env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"new-cluster failed (exit {proc.returncode}):\n{proc.stderr}")
    return elapsed


def main() -> int:
    from wizard import sample
    from wizard.sops import keys

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    first, again = [], []
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        identity, recipient = keys.generate_identity()
        key_file = Path(tmp) / "keys.txt"
        keys.write_keys_file(key_file, identity)
        env = {**os.environ, "SOPS_AGE_KEY_FILE": str(key_file), "HOME": tmp, "XDG_CONFIG_HOME": str(Path(tmp) / "cfg")}
        for n in range(args.runs):
            repo = sample.materialize(Path(tmp) / f"repo{n}", recipient=recipient)
            subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
            base = ["new-cluster", "--yes", "--repo", str(repo), "--answers"]
            _run(base + [str(sample.answers_path("infra"))], env)
            first.append(_run(base + [str(sample.answers_path("apps"))], env))
            again.append(_run(base + [str(sample.answers_path("apps"))], env))
    for label, xs in (("first run (secrets generated)", first), ("re-run (no-op)", again)):
        print(f"new-cluster apps, {label}: median {statistics.median(xs):.3f} s, min {min(xs):.3f} s, "
              f"max {max(xs):.3f} s over {len(xs)} runs (target < 1 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
