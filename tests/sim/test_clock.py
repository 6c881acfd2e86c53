"""The virtual clock persisted in the state: continuous and monotonic whatever the speeds of successive
calls, so a cluster bootstrapped fast is still finished for a later call at speed 1 (``verify``) and a
resumed run at another speed neither jumps nor rewinds."""

from __future__ import annotations

import json
import time

from hypothesis import given, settings
from hypothesis import strategies as hs

from tests.sim.conftest import APPS_HELMFILE, CPS, FLUX_SYNC, NODES, SECRETS
from wizard.sim import snapshot, virtual_now
from wizard.sim.timing import new_clock, rebase
from wizard.sim.timing import virtual_now as clock_now


@settings(max_examples=200, deadline=None)
@given(hs.lists(hs.tuples(hs.floats(0, 50), hs.sampled_from([0.5, 1.0, 7.0, 100.0, 500.0, 1e6])), min_size=1,
                max_size=12))
def test_rebase_keeps_virtual_time_continuous_and_monotonic(steps):
    real = 1_000.0
    clock = new_clock(1.0, real=real)
    last = clock_now(clock, real)
    for dt, speed in steps:
        before = clock_now(clock, real)
        clock = rebase(clock, speed, real)
        assert abs(clock_now(clock, real) - before) <= 1e-6 * max(1.0, abs(before))  # no jump at a re-base
        real += dt
        now = clock_now(clock, real)
        assert now >= last  # never backwards
        assert abs((now - before) - dt * speed) <= 1e-6 * max(1.0, now)  # runs at the new speed
        last = now
    assert clock_now(clock, real - 3600) == clock["vbase"]  # a wall clock stepped back does not rewind


def _finished_cluster(sim):
    """The runner's phases at speed 500, in order (kubeconfig, CRD-less apps, Flux sync)."""
    sim.set_speed(500)
    sim.to_api()
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=SECRETS)
    apps = sim.write("bootstrap/01-apps.yaml", APPS_HELMFILE)
    sim.ok("helmfile", "--file", str(apps), "sync", "--hide-notes")
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=FLUX_SYNC)
    sim.ok("kubectl", "-n", "flux-system", "wait", "--for=condition=Ready", "--timeout=300s",
           "gitrepository/k8s-ops", "kustomization/flux-system")


def test_fast_bootstrap_is_still_finished_for_status_calls_at_speed_1(sim):
    _finished_cluster(sim)
    fast_end = virtual_now(sim.state)
    sim.set_speed(1)  # what `k8s-wizard verify apps --simulate` (default speed) runs right afterwards
    assert sim.ok("kubectl", "get", "--raw", "/readyz").stdout == "ok"
    status = sim.ok("cilium", "status").stdout
    assert status.count("\x1b[32mOK\x1b[0m") == 3 and "errors" not in status
    assert len(sim.ok("kubectl", "wait", "nodes", "--all", "--for=condition=Ready", "--timeout=1s")
               .stdout.splitlines()) == 6
    sim.ok("kubectl", "-n", "flux-system", "wait", "--for=condition=Ready", "--timeout=1s", "kustomization/flux-system")
    snap = snapshot(sim.state)
    assert all(n["ready"] for n in snap["nodes"].values()) and snap["api"]
    assert snap["flux"] == {"GitRepository/k8s-ops": "True", "Kustomization/flux-system": "True"}
    assert snap["virtual_now"] >= fast_end
    assert json.loads(sim.state.read_text())["clock"]["speed"] == 1.0


def test_a_resumed_run_at_a_lower_speed_does_not_rewind(sim):
    sim.set_speed(500)
    sim.genconfig()
    assert sim.apply(NODES[0]).returncode == 0
    time.sleep(0.1)  # 50 virtual seconds: installed (25) and rebooted (15)
    sim.set_speed(1)
    # only a running node answers a secure call; before the virtual clock this saw "installing"
    got = sim.talosctl(CPS[0], "get", "machineconfig")
    assert got.returncode == 0 and "MachineConfig" in got.stdout


def test_speed_changes_never_move_virtual_time_back(sim):
    readings = []
    for speed in (1000.0, 1.0, 200.0, 1000.0, 3.0):
        sim.set_speed(speed)
        sim.ok("kubectl", "version", "--client")  # any call re-bases the stored clock to its speed
        t0 = virtual_now(sim.state)
        time.sleep(0.02)
        t1 = virtual_now(sim.state)
        assert t1 - t0 >= 0.02 * speed * 0.99  # virtual time runs at the speed of the last call
        readings += [t0, t1]
    assert readings == sorted(readings)
    # a call failing inside its state section still leaves the re-based clock saved
    sim.set_speed(7)
    assert "x509" in sim.talosctl(CPS[0], "bootstrap").stderr  # fails inside a write section
    assert json.loads(sim.state.read_text())["clock"]["speed"] == 7.0
    assert virtual_now(sim.state) >= readings[-1]


def test_a_state_without_a_clock_gets_one(sim):
    st = json.loads(sim.state.read_text())
    del st["clock"]  # written before the clock existed: its stamps are wall-clock times
    sim.state.write_text(json.dumps(st))
    before = time.time()
    sim.ok("kubectl", "version", "--client")
    clock = json.loads(sim.state.read_text())["clock"]
    assert clock["speed"] == sim.speed and clock["vbase"] >= before
