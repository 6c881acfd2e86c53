"""``python -m wizard.sim startup [N]``: measure the start-up cost of each fake tool (target < 80 ms a call);
``python -m wizard.sim timings``: print the simulated latencies (virtual seconds)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBES = {
    "talosctl": ["version", "--client"], "talhelper": ["--version"], "helmfile": ["--version"],
    "helm": ["version", "--short"], "kubectl": ["version", "--client"], "flux": ["--version"],
    "cilium": ["version"], "op": ["whoami"], "git": ["ls-remote", "--heads", "ssh://git@github.com/x/y.git"],
}


def startup(n: int) -> int:
    from wizard.sim import init_state, install_shims, sim_env

    with tempfile.TemporaryDirectory(prefix="k8s-wizard-sim-") as d:
        root = Path(d)
        install_shims(root / "bin")
        init_state(root / "s.json", cluster="c", vip="10.0.0.10", git_url="ssh://git@github.com/x/y.git",
                   nodes=[{"hostname": "cp-1", "address": "10.0.0.11", "role": "controlplane"}])
        # speed 1e6: the simulated latency of each call vanishes, leaving only the start-up cost
        env = sim_env(None, state=root / "s.json", speed=1e6, bin_dir=root / "bin")
        base = []
        for _ in range(n):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], env=env, capture_output=True)
            base.append(time.perf_counter() - t)
        print(f"{'python -c pass':<28} min {min(base) * 1000:6.1f} ms  median {statistics.median(base) * 1000:6.1f} ms")
        worst = 0.0
        for tool, argv in PROBES.items():
            ts = []
            for _ in range(n):
                t = time.perf_counter()
                p = subprocess.run([tool, *argv], env=env, capture_output=True, text=True)
                ts.append(time.perf_counter() - t)
                if p.returncode != 0:
                    print(f"{tool}: exit {p.returncode}: {p.stderr.strip()}", file=sys.stderr)
                    return 1
            med = statistics.median(ts)
            worst = max(worst, med)
            print(f"{tool + ' ' + ' '.join(argv[:1]):<28} min {min(ts) * 1000:6.1f} ms  median {med * 1000:6.1f} ms")
        print(f"worst median {worst * 1000:.1f} ms (target < 80 ms; load average {os.getloadavg()[0]:.2f})")
    return 0


def timings() -> int:
    from wizard.sim.timing import CALL, PHASE, RELEASE

    for title, table in (("call latency", CALL), ("cluster transitions", PHASE), ("helm release (--wait)", RELEASE)):
        print(f"{title} (virtual seconds):")
        for k, v in table.items():
            print(f"  {k:<24} {v:g}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["startup"]:
        return startup(int(argv[1]) if len(argv) > 1 else 15)
    if argv[:1] == ["timings"]:
        return timings()
    print("usage: python -m wizard.sim startup [N] | timings", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
