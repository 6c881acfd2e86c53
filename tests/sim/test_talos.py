"""Fake talosctl and talhelper: outputs, exit codes and node phases as runner.md §1.1-1.6 state them."""

from __future__ import annotations

import json
import stat
import time
from concurrent.futures import ThreadPoolExecutor

from tests.sim.conftest import CPS, NODES, VIP, WKS, until_ok
from wizard.sim import read_events, snapshot


def test_genconfig_writes_one_config_per_hostname_and_a_talosconfig(sim):
    cc = sim.genconfig()
    names = sorted(p.name for p in cc.iterdir())
    assert names == sorted([".gitignore", "talosconfig", *(f"apps-{n['hostname']}.yaml" for n in NODES)])
    assert stat.S_IMODE((cc / "talosconfig").stat().st_mode) == 0o600
    tc = (cc / "talosconfig").read_text()
    endpoints = tc.split("endpoints:")[1].split("nodes:")[0]
    assert all(ip in endpoints for ip in CPS) and VIP not in tc and WKS[0] not in endpoints
    assert "type: worker" in (cc / "apps-apps-wk-1.yaml").read_text()
    bad = sim.write("bad/talconfig.yaml", "clusterName: x\nnodes: []\n")
    p = sim.run("talhelper", "genconfig", cwd=bad.parent)
    assert p.returncode == 1 and "endpoint: is required" in p.stderr and "nodes: is required" in p.stderr


def test_gensecret_prints_a_bundle_without_key_material(sim):
    out = sim.ok("talhelper", "gensecret").stdout
    assert "cluster:" in out and "certs:" in out
    assert "BEGIN" not in out and "LS0tLS1CRUdJTi" not in out


def test_apply_then_second_insecure_apply_gets_certificate_required(sim):
    sim.genconfig()
    first = sim.apply(NODES[0])
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
    time.sleep(0.06)  # install + reboot = 40 ms at speed 1000
    again = sim.apply(NODES[0])
    assert again.returncode == 1
    assert again.stderr.strip() == ('error applying new configuration: rpc error: code = Unavailable desc = connection '
                                    'error: desc = "error reading server preface: remote error: tls: certificate required"')
    secure = sim.talosctl(CPS[0], "get", "machineconfig")  # the "already applied" confirmation
    assert secure.returncode == 0 and "MachineConfig   v1alpha1" in secure.stdout
    assert sim.talosctl(CPS[1], "get", "machineconfig").returncode == 1  # still in maintenance: x509
    staged = sim.talosctl(CPS[0], "apply-config", "--file", str(sim.root / "cc/apps-apps-cp-1.yaml"), "--mode=staged")
    assert staged.returncode == 0 and staged.stderr.strip() == "Staged configuration to be applied after the next reboot"


def test_connection_refused_while_installing_and_rebooting(sim):
    sim.set_speed(20)  # install 1.25 s, reboot 0.75 s
    sim.genconfig()
    assert sim.apply(NODES[0]).returncode == 0
    p = sim.apply(NODES[0])
    assert p.returncode == 1 and f"dial tcp {CPS[0]}:50000: connect: connection refused" in p.stderr
    b = sim.talosctl(CPS[0], "bootstrap")
    assert b.returncode == 1 and b.stderr.startswith("error executing bootstrap: rpc error: code = Unavailable")
    assert snapshot(sim.state)["nodes"]["apps-cp-1"]["phase"] in ("installing", "rebooting")


def test_maintenance_mode_errors(sim):
    sim.genconfig()
    f = str(sim.root / "cc/apps-apps-cp-1.yaml")
    p = sim.run("talosctl", "apply-config", "-i", "-n", CPS[0], "-f", f, "--mode", "no-reboot")
    assert p.returncode == 1 and "Unimplemented desc = apply configuration --mode='no-reboot' is not supported in " \
                                  "maintenance mode" in p.stderr
    bad = sim.write("bad.yaml", "version: v1alpha1\nmachine:\n  type: banana\ncluster: {}\n")
    p = sim.run("talosctl", "apply-config", "--insecure", "--nodes", CPS[0], "--file", str(bad))
    assert p.returncode == 1 and "code = InvalidArgument desc = configuration validation failed" in p.stderr
    p = sim.talosctl(CPS[0], "bootstrap")
    assert p.returncode == 1 and "x509: certificate signed by unknown authority" in p.stderr
    p = sim.run("talosctl", "apply-config", "--insecure", "--nodes", "10.9.9.9", "--file", f)
    assert p.returncode == 1 and "no route to host" in p.stderr
    assert json.loads(sim.state.read_text())["nodes"][CPS[0]]["applied_at"] is None


def test_bootstrap_once_then_already_exists_and_worker_refused(sim):
    sim.genconfig()
    for n in NODES:
        sim.apply(n)
    time.sleep(0.06)
    w = sim.talosctl(WKS[0], "bootstrap")
    assert w.returncode in (1,) and ("bootstrap can only be performed on a control plane node" in w.stderr
                                     or "bootstrap is not available yet" in w.stderr)
    ok = until_ok(lambda: sim.talosctl(CPS[0], "bootstrap"))
    assert (ok.stdout, ok.stderr) == ("", "")
    second = sim.talosctl(CPS[0], "bootstrap")
    assert second.returncode == 1 and second.stderr.strip() == (
        "error executing bootstrap: rpc error: code = AlreadyExists desc = etcd data directory is not empty")
    w = sim.talosctl(WKS[0], "bootstrap")
    assert "bootstrap can only be performed on a control plane node" in w.stderr
    time.sleep(0.02)
    joined = sim.talosctl(CPS[1], "bootstrap")  # a CP that joined etcd has data too
    assert "AlreadyExists" in joined.stderr
    snap = snapshot(sim.state)
    assert snap["etcd"]["bootstraps"] == 1 and not snap["etcd"]["split"]
    assert len([e for e in read_events(sim.state) if e.get("event") == "etcd-bootstrap"]) == 1


def test_etcd_members_and_service_and_kubeconfig(sim):
    sim.fast_api()
    members = sim.talosctl(CPS[0], "etcd", "members").stdout.splitlines()
    assert members[0].split() == ["NODE", "ID", "HOSTNAME", "PEER", "URLS", "CLIENT", "URLS", "LEARNER"]
    assert [m.split()[2] for m in members[1:]] == ["apps-cp-1", "apps-cp-2", "apps-cp-3"]
    assert all(len(m.split()[1]) == 16 and m.split()[0] == CPS[0] for m in members[1:])
    svc = sim.talosctl(CPS[0], "service", "etcd").stdout
    assert "STATE    Running" in svc and "HEALTH   OK" in svc
    kc = sim.kubeconfig
    assert stat.S_IMODE(kc.stat().st_mode) == 0o600
    text = kc.read_text()
    assert f"server: https://{VIP}:6443" in text and "current-context: apps" in text
    assert "BEGIN" not in text and "LS0tLS1CRUdJTi" not in text
    exists = sim.talosctl(CPS[0], "kubeconfig", str(kc), "--merge=false")
    assert exists.returncode == 1 and exists.stderr.strip() == (
        f'kubeconfig file already exists, use --force to overwrite: "{kc}"')
    assert sim.talosctl(CPS[0], "kubeconfig", str(sim.root)).returncode == 0  # a folder -> <dir>/kubeconfig
    assert "current-context: admin@apps" in (sim.root / "kubeconfig").read_text()
    multi = sim.run("talosctl", "--nodes", f"{CPS[0]},{CPS[1]}", "kubeconfig", "-")
    assert multi.returncode == 1 and "not supported with multiple nodes" in multi.stderr


def test_health_blocks_on_nodes_ready_until_a_cni(sim):
    sim.fast_api()
    p = sim.talosctl(CPS[0], "health", "--wait-timeout", "10s")
    lines = p.stderr.splitlines()
    assert p.returncode == 1 and lines[0].startswith("discovered nodes: [")
    assert "waiting for all k8s nodes to report: OK" in lines
    assert any(ln.startswith("waiting for all k8s nodes to report ready: some nodes are not ready: [apps-cp-1")
               for ln in lines)
    assert lines[-1] == "healthcheck error: rpc error: code = DeadlineExceeded desc = context deadline exceeded"


def test_six_parallel_applies_are_all_recorded(sim):
    sim.genconfig()
    with ThreadPoolExecutor(6) as pool:
        res = list(pool.map(sim.apply, NODES))
    assert [r.returncode for r in res] == [0] * 6
    st = json.loads(sim.state.read_text())
    assert all(n["applied_at"] is not None and n["applies"] == 1 for n in st["nodes"].values())
    calls = [e for e in read_events(sim.state) if e["kind"] == "call" and e["sub"] == "apply-config"]
    assert sorted(e["node"] for e in calls) == sorted(n["address"] for n in NODES)
    spans = sorted((e["start"], e["end"]) for e in calls)
    assert spans[-1][0] < spans[0][1] + 0.5  # they overlapped instead of queueing behind each other
