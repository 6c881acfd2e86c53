"""End to end on the simulator (speed >= 200): happy path to Flux Ready, classified faults, SIGKILL at
every phase then --resume (etcd bootstrapped once, no secret regenerated), and a leak scan."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bootstrap.simrepo import write_cluster
from tests.helpers.secret_scan import secret_findings
from wizard.bootstrap import journal

ROOT = Path(__file__).resolve().parents[2]
SPEED = "400"


@pytest.fixture
def sim_repo(tmp_path, age_key):
    repo = tmp_path / "repo"
    repo.mkdir()
    plain = write_cluster(repo, age_key[1])
    return repo, plain, age_key


def cli(repo, *args, scenario=None, speed=SPEED, wait=True):
    argv = [sys.executable, "-m", "wizard", "bootstrap", "apps", "--repo", str(repo), "--simulate", "--sim-speed", speed,
            "--plain", *args]
    if scenario is not None:
        argv += ["--sim-scenario", str(scenario)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not wait:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def state_dir(repo):
    return repo / ".k8s-wizard" / "state" / "apps"


def sim_state(repo):
    return json.loads((state_dir(repo) / "sim" / "cluster.json").read_text())


def sim_calls(repo):
    path = state_dir(repo) / "sim" / "cluster.events.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def last_run(repo):
    recs = journal.read(state_dir(repo) / "journal.jsonl")
    run = recs[-1]["run"]
    return [r for r in recs if r["run"] == run]


def scenario(tmp_path, *faults):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"faults": list(faults)}))
    return path


def assert_no_leaks(repo, plain, age):
    needles = [age[0], *[line for v in plain.values() for line in v.splitlines() if len(line) > 20 and "-----" not in line]]
    scanned = 0
    for p in state_dir(repo).rglob("*"):
        if p.is_file() and "clusterconfig" not in p.parts and p.suffix != ".lock":
            data = p.read_bytes()
            scanned += 1
            assert not secret_findings(data), (p, secret_findings(data))
            for n in needles:
                assert n.encode() not in data, (p, n[:12])
    assert scanned >= 3
    cc = state_dir(repo) / "clusterconfig"
    assert oct(cc.stat().st_mode & 0o777) == "0o700"
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in cc.iterdir() if f.is_file())


def test_happy_path_reaches_flux_ready(sim_repo):
    repo, plain, age = sim_repo
    r = cli(repo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "bootstrap complete" in r.stdout
    recs = last_run(repo)
    terminal = [x["phase"] for x in recs if x["ev"] in journal.TERMINAL]
    assert len(terminal) == len(set(terminal)) == len(recs[0]["phases"])
    assert {x["ev"] for x in recs if x["ev"] in journal.TERMINAL} == {"phase-done"}
    st = sim_state(repo)
    assert st["etcd"]["bootstraps"] == 1 and st["etcd"]["node"] == "10.25.13.11"
    boots = [c for c in sim_calls(repo) if c.get("kind") == "call" and c.get("sub") == "bootstrap"]
    assert boots and all("10.25.13.10" not in " ".join(c["argv"]) for c in boots)  # never the VIP
    kube = repo / ".kubeconfig-apps"
    assert oct(kube.stat().st_mode & 0o777) == "0o600" and "name: apps" in kube.read_text()
    assert (repo / ".k8s-wizard" / ".gitignore").read_text().strip().endswith("*")
    assert_no_leaks(repo, plain, age)
    # a second run is idempotent; the etcd probe fails once, so bootstrap is called on a bootstrapped
    # etcd: AlreadyExists = done, and etcd is still bootstrapped exactly once
    sc = scenario(repo.parent, {"id": "probe-down", "tool": "talosctl", "match": "etcd members", "times": 1,
                                "effect": "unavailable"})
    r2 = cli(repo, scenario=sc)
    assert r2.returncode == 0, r2.stdout
    assert "etcd was already bootstrapped (treated as done)" in r2.stdout
    assert sim_state(repo)["etcd"]["bootstraps"] == 1
    skipped = {x["phase"] for x in last_run(repo) if x["ev"] == "phase-skip"}
    assert "configs" in skipped
    assert "release cilium already deployed" in r2.stdout and "release flux already deployed" in r2.stdout
    syncs = [c for c in sim_calls(repo) if c.get("kind") == "call" and c["tool"] == "helmfile" and "sync" in c["argv"]]
    assert len(syncs) == 5  # one per release, all in the first run
    # verify: every check passes, then BGP sessions down are diagnosed (cilium exits 0 anyway)
    v = verify(repo)
    assert v.returncode == 0, v.stdout + v.stderr
    assert "6/6 checks passed" in v.stderr and "cluster-vars" in v.stdout
    assert "verify apps: 6 checks" in v.stdout and "verify complete" in v.stdout and "bootstrap" not in v.stdout
    v = verify(repo, scenario(repo.parent, {"id": "bgp-down", "tool": "cilium", "match": "bgp", "times": "always",
                                            "effect": "bgp_not_established"}))
    assert v.returncode == 1 and "5/6 checks passed" in v.stderr
    assert "verify failed in check " in v.stdout and "phase" not in v.stdout.splitlines()[-1]
    assert "BGP not established" in v.stdout and "ASN 64513 at 10.25.13.1" in v.stdout


def verify(repo, sc=None):
    argv = [sys.executable, "-m", "wizard", "verify", "apps", "--repo", str(repo), "--simulate", "--sim-speed", SPEED,
            "--plain"] + (["--sim-scenario", str(sc)] if sc else [])
    return subprocess.run(argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120)


RETRIED = [
    {"id": "boot-unavailable", "tool": "talosctl", "match": r"\bbootstrap\b", "times": 2, "effect": "unavailable"},
    {"id": "apply-refused", "tool": "talosctl", "match": "apply-config", "node": "10.25.13.14", "times": 2,
     "effect": "connection_refused"},
    {"id": "webhook-refused", "tool": "helmfile", "release": "cert-manager", "times": 1, "effect": "webhook_refused"},
    {"id": "readyz-refused", "tool": "kubectl", "match": "readyz", "times": 2, "effect": "connection_refused"},
    {"id": "helm-pending", "tool": "helmfile", "release": "cilium", "times": 1, "effect": "helm_pending"},
]
#: fault → phase whose journal shows the retry
RETRY_PHASE = {"boot-unavailable": "etcd", "apply-refused": "apply", "webhook-refused": "app-cert-manager",
               "readyz-refused": "api-ready"}


def test_transient_faults_are_retried_or_fixed(sim_repo, tmp_path):
    repo, _, _ = sim_repo
    r = cli(repo, scenario=scenario(tmp_path, *RETRIED))
    assert r.returncode == 0, r.stdout + r.stderr
    fired = {f for c in sim_calls(repo) if c.get("kind") == "call" for f in c.get("faults") or []}
    assert fired == {f["id"] for f in RETRIED}
    retries = [x for x in last_run(repo) if x["ev"] == "retry"]
    for fault, phase in RETRY_PHASE.items():
        assert any(x["phase"] == phase for x in retries), (fault, phase)
    assert "a killed run left the Helm release pending: recovering" in r.stdout
    assert sim_state(repo)["etcd"]["bootstraps"] == 1


STOPS = {
    # id: (fault, phase that stops, text of the remedy)
    "invalid-config": ({"tool": "talosctl", "match": "apply-config", "node": "10.25.13.12", "times": "always",
                        "effect": "invalid_config"}, "apply", "re-render"),
    "op-signed-out": ({"tool": "op", "times": "always", "effect": "signed_out"}, "preflight", "op signin"),
    "branch-missing": ({"tool": "git", "times": "always", "effect": "branch_missing"}, "preflight", "git push origin"),
    "not-control-plane": ({"tool": "talosctl", "match": r"\bbootstrap\b", "times": "always",
                           "effect": "not_control_plane"}, "etcd", "controlplane"),
}


@pytest.mark.parametrize("case", list(STOPS))
def test_fatal_faults_stop_with_a_remedy(sim_repo, tmp_path, case):
    repo, _, _ = sim_repo
    fault, phase, text = STOPS[case]
    r = cli(repo, scenario=scenario(tmp_path, {"id": case, **fault}))
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"failed in phase {phase}" in r.stderr and "--resume" in r.stderr
    remedy = next(line for line in r.stdout.splitlines() if "remedy:" in line)
    assert text in remedy, remedy
    assert any(case in (c.get("faults") or []) for c in sim_calls(repo) if c.get("kind") == "call")
    fail = [x for x in last_run(repo) if x["ev"] == "phase-fail"]
    assert [x["phase"] for x in fail] == [phase]
    if phase != "etcd":
        assert sim_state(repo)["etcd"]["bootstraps"] == 0


def _digest(repo):
    files = sorted(p for p in repo.rglob("*.sops.yaml")) + [state_dir(repo) / "clusterconfig" / "talosconfig"]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.exists()}


def test_sigkill_during_every_phase_then_resume(sim_repo):
    repo, plain, age = sim_repo
    killed: list[str] = []
    before = None
    for _ in range(40):
        proc = cli(repo, "--resume", speed="60", wait=False)
        target = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            recs = journal.read(state_dir(repo) / "journal.jsonl")
            started = [x["phase"] for x in recs if x["ev"] == "phase-start" and x["run"] == recs[-1]["run"]]
            fresh = [p for p in started if p not in killed]
            if fresh:
                target = fresh[-1]
                time.sleep(0.05)  # land somewhere inside the phase
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        out = proc.communicate(timeout=60)[0]
        if target is None:
            assert proc.returncode == 0, out
            break
        killed.append(target)
        if before is None and (state_dir(repo) / "clusterconfig" / "talosconfig").exists():
            before = _digest(repo)
    else:
        pytest.fail(f"never completed; killed during {killed}")
    phases = journal.read(state_dir(repo) / "journal.jsonl")[0]["phases"]
    assert set(killed) == set(phases), killed  # one SIGKILL landed after the start of every phase
    st = sim_state(repo)
    assert st["etcd"]["bootstraps"] == 1
    assert before is not None and _digest(repo) == before  # no secret (talsecret, deploy key, talosconfig) regenerated
    assert_no_leaks(repo, plain, age)
