"""Each shipped scenario (wizard/sim/scenarios/*.yaml) fires its fault the stated number of times, with
the real tool's text, and the normal behaviour comes back afterwards (or never, for ``always``)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.sim.conftest import APPS_HELMFILE, CPS, GIT_URL, NODES, until_ok
from wizard.sim.faults import parse_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "wizard" / "sim" / "scenarios"


def fired(sim) -> dict[str, int]:
    return {k: v["fired"] for k, v in json.loads(sim.state.read_text())["faults"].items()}


def running(sim) -> None:
    sim.genconfig()
    for n in NODES:
        assert sim.apply(n).returncode == 0
    time.sleep(0.1)  # 40 s of install + reboot at speed 1000, plus the 2 s boot settle


def synced(sim) -> Path:
    sim.fast_api()
    apps = sim.write("bootstrap/01-apps.yaml", APPS_HELMFILE)
    return apps


def sync(sim, apps):
    return sim.run("helmfile", "--file", str(apps), "sync", "--hide-notes")


def fails(p, text: str, rc: int = 1) -> bool:
    return p.returncode == rc and text in p.stderr


def d_apply_refused(sim):
    sim.genconfig()
    assert fails(sim.apply(NODES[0]), "connect: connection refused")
    assert fails(sim.apply(NODES[0]), "code = Unavailable")
    assert sim.apply(NODES[0]).returncode == 0
    return {"apply-refused": 2}


def d_apply_already_configured(sim):
    sim.genconfig()
    assert fails(sim.apply(NODES[0]), "tls: certificate required")
    assert sim.apply(NODES[0]).returncode == 0  # the node was really in maintenance
    return {"apply-cert-required": 1}


def d_apply_invalid_config(sim):
    sim.genconfig()
    for _ in range(3):
        assert fails(sim.apply(NODES[1]), "code = InvalidArgument desc = configuration validation failed")
    return {"apply-invalid": 3}


def d_bootstrap_unavailable(sim):
    running(sim)
    for _ in range(2):
        assert fails(sim.talosctl(CPS[0], "bootstrap"), "error executing bootstrap: rpc error: code = Unavailable")
    assert sim.talosctl(CPS[0], "bootstrap").returncode == 0
    return {"bootstrap-unavailable": 2}


def d_bootstrap_not_ready(sim):
    running(sim)
    assert fails(sim.talosctl(CPS[0], "bootstrap"), "bootstrap is not available yet")
    assert fails(sim.talosctl(CPS[0], "bootstrap"), "time is not in sync yet")
    assert sim.talosctl(CPS[0], "bootstrap").returncode == 0
    return {"bootstrap-not-available": 1, "bootstrap-time-sync": 1}


def d_bootstrap_already_exists(sim):
    running(sim)
    assert fails(sim.talosctl(CPS[0], "bootstrap"), "AlreadyExists desc = etcd data directory is not empty")
    assert sim.talosctl(CPS[0], "bootstrap").returncode == 0
    assert fails(sim.talosctl(CPS[0], "bootstrap"), "AlreadyExists")  # now for real
    return {"bootstrap-already-exists": 1}


def d_kubeconfig_refused(sim):
    running(sim)
    until_ok(lambda: sim.talosctl(CPS[0], "bootstrap"))
    for _ in range(2):
        assert fails(sim.talosctl(CPS[0], "kubeconfig", str(sim.kubeconfig), "--force"), "connection refused")
    assert sim.talosctl(CPS[0], "kubeconfig", str(sim.kubeconfig), "--force").returncode == 0
    return {"kubeconfig-refused": 2}


def d_api_refused(sim):
    sim.use_scenario(None)
    sim.fast_api()
    sim.use_scenario(SCENARIOS / "api-refused.yaml")
    for _ in range(3):
        assert fails(sim.run("kubectl", "get", "--raw", "/readyz"), "10.25.13.10:6443 was refused")
    for _ in range(2):
        assert fails(sim.run("kubectl", "wait", "nodes", "--all", "--for=condition=Ready=False", "--timeout=10s"),
                     "error: no matching resources found")
    sim.ok("kubectl", "wait", "nodes", "--all", "--for=condition=Ready=False", "--timeout=10s")
    return {"api-refused": 3, "no-nodes-yet": 2}


def d_helm_pending(sim):
    apps = synced(sim)
    for _ in range(2):  # sticky: the release stays pending until remediated
        p = sync(sim, apps)
        assert fails(p, "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress")
        assert "in ./" not in p.stderr or "failed processing release cilium" in p.stderr
    pending = json.loads(sim.ok("helm", "list", "-A", "--pending", "-o", "json").stdout)
    assert [(r["name"], r["status"]) for r in pending] == [("cilium", "pending-install")]
    assert fails(sim.run("helm", "rollback", "cilium", "-n", "kube-system"), "Error: release has no 0 version")
    assert 'release "cilium" uninstalled' in sim.ok("helm", "uninstall", "cilium", "-n", "kube-system").stdout
    sim.ok("helmfile", "--file", str(apps), "sync")
    return {"cilium-pending": 1}


def d_webhook_refused(sim):
    apps = synced(sim)
    p = sync(sim, apps)
    assert fails(p, 'failed calling webhook "webhook.cert-manager.io"')
    updated = p.stderr.split("UPDATED RELEASES:")[1].split("FAILED RELEASES:")[0]
    assert [ln.split()[0] for ln in updated.strip().splitlines()[1:]] == ["cilium", "coredns", "spegel"]
    assert "FAILED RELEASES:\nNAME" in p.stderr and "failed processing release cert-manager" in p.stderr
    sync_ok = sim.ok("helmfile", "--file", str(apps), "sync")
    assert 'Release "cilium" has been upgraded. Happy Helming!' in sync_ok.stderr
    return {"cert-manager-webhook": 1}


def d_helm_deadline(sim):
    apps = synced(sim)
    assert fails(sync(sim, apps), "context deadline exceeded")
    sim.ok("helmfile", "--file", str(apps), "sync")
    return {"coredns-deadline": 1}


def d_cluster_unreachable(sim):
    apps = synced(sim)
    assert fails(sync(sim, apps), "Error: Kubernetes cluster unreachable")
    sim.ok("helmfile", "--file", str(apps), "sync")
    return {"sync-unreachable": 1}


def d_selector_typo(sim):
    apps = synced(sim)
    for _ in range(3):
        assert fails(sync(sim, apps), "no releases found that matches specified selector", rc=3)
    return {"selector-typo": 3}


def d_helmfile_killed(sim):
    apps = synced(sim)
    assert sync(sim, apps).returncode == 137
    pending = json.loads(sim.ok("helm", "list", "-A", "--pending", "-o", "json").stdout)
    assert [(r["name"], r["status"]) for r in pending] == [("coredns", "pending-install")]
    assert fails(sync(sim, apps), "another operation (install/upgrade/rollback) is in progress")
    sim.ok("helm", "uninstall", "coredns", "-n", "kube-system")
    sim.ok("helmfile", "--file", str(apps), "sync")
    return {"killed-on-coredns": 1}


def _flux_ready(sim):
    apps = synced(sim)
    sim.use_scenario(None)
    sim.ok("helmfile", "--file", str(apps), "sync")


def d_flux_not_ready(sim):
    _flux_ready(sim)
    sim.use_scenario(SCENARIOS / "flux-not-ready.yaml")
    for _ in range(2):
        p = sim.run("flux", "check")
        assert fails(p, "✗ source-controller: deployment not ready") and p.stderr.rstrip().endswith("✗ check failed")
    assert "✔ all checks passed" in sim.ok("flux", "check").stderr
    return {"flux-deploy-not-ready": 2}


def d_flux_version_mismatch(sim):
    sim.fast_api()
    for _ in range(3):
        assert fails(sim.run("flux", "check", "--pre"), "does not match >=1.32.0-0")
    return {"flux-version": 3}


def d_bgp_not_established(sim):
    _flux_ready(sim)
    sim.use_scenario(SCENARIOS / "bgp-not-established.yaml")
    time.sleep(0.05)
    for _ in range(3):
        p = sim.ok("cilium", "bgp", "peers")  # exit 0 although no session is up
        assert " active " in p.stdout and "established" not in p.stdout
    assert p.stdout.count("established") == 0
    assert sim.ok("cilium", "bgp", "peers").stdout.count(" established ") == 6
    return {"bgp-active": 3}


def d_cilium_status_timeout(sim):
    _flux_ready(sim)
    sim.use_scenario(SCENARIOS / "cilium-status-timeout.yaml")
    assert fails(sim.run("cilium", "status", "--wait"), "timeout while waiting for status to become successful")
    sim.ok("cilium", "status", "--wait")
    return {"cilium-timeout": 1}


def d_op_signed_out(sim):
    for argv in (("op", "whoami"), ("op", "inject", "-i", str(sim.write("t.tpl", "a: op://v/i/f\n")))):
        assert fails(sim.run(*argv), "You are not currently signed in")
    assert fails(sim.run("op", "whoami"), "not currently signed in")
    return {"op-signed-out": 3}


def d_branch_missing(sim):
    for _ in range(2):
        p = sim.ok("git", "ls-remote", "--heads", GIT_URL, "release")
        assert p.stdout == ""
    assert sim.run("git", "ls-remote", "--heads", "--exit-code", GIT_URL, "release").returncode == 2
    return {"branch-missing": 3}


def d_slow_apply(sim):
    sim.set_speed(20)  # delay 5 s at speed 1 -> 0.25 s
    sim.genconfig()
    t = time.time()
    assert sim.apply(NODES[0]).returncode == 0
    slow = time.time() - t
    t = time.time()
    assert sim.apply(NODES[1]).returncode == 0
    assert slow >= 0.25 and slow > time.time() - t
    return {"slow-apply": 1}


DRIVERS = {name[2:].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("d_")}


def test_every_shipped_scenario_parses_and_has_a_driver():
    files = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    assert files == sorted(DRIVERS)
    for p in SCENARIOS.glob("*.yaml"):
        faults = parse_scenario(p.read_text(), str(p))
        assert faults


@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_scenario_fires_as_stated(sim, name):
    sim.use_scenario(SCENARIOS / f"{name}.yaml")
    want = DRIVERS[name](sim)
    assert fired(sim) == want
    faults = {f.id: f for f in parse_scenario((SCENARIOS / f"{name}.yaml").read_text(), name)}
    for fid, n in want.items():  # the stated count: `times`, or every call for `always`
        assert faults[fid].times in (n, None)
