"""Injected faults as the real tools would show them: a network fault names the address the command
really dialled, and an install interrupted by "another operation in progress" (or killed) leaves the
release pending-install, recoverable by ``helm uninstall`` like real helm."""

from __future__ import annotations

import json

from tests.sim.conftest import APPS_HELMFILE, CPS, VIP


def _scenario(sim, *faults: str) -> None:
    sim.use_scenario(sim.write("scenario.yaml", "faults:\n" + "".join(f"  - {f}\n" for f in faults)))


def test_refused_fault_names_the_address_the_command_targeted(sim):
    sim.fast_api()
    other = sim.write("cp2.kubeconfig", sim.kubeconfig.read_text().replace(VIP, CPS[1]))
    _scenario(sim, "{tool: kubectl, times: always, effect: connection_refused}",
              "{tool: helm, times: always, effect: no_route}",
              "{tool: talosctl, match: etcd, times: always, effect: connection_refused}",
              "{tool: flux, times: always, effect: connection_refused}")
    vip = sim.run("kubectl", "get", "--raw", "/readyz")
    assert vip.stderr.strip() == f"The connection to the server {VIP}:6443 was refused - did you specify the right " \
                                 "host or port?"
    for argv in (("--server", f"https://{CPS[0]}:6443"), (f"--server=https://{CPS[0]}:6443",), ("-s", CPS[0])):
        p = sim.run("kubectl", *argv, "get", "--raw", "/readyz")
        assert p.returncode == 1 and p.stderr.strip().startswith(f"The connection to the server {CPS[0]}:6443 was")
    p = sim.run("kubectl", "--kubeconfig", str(other), "get", "nodes")
    assert f"server {CPS[1]}:6443 was refused" in p.stderr and VIP not in p.stderr
    nocfg = sim.run("kubectl", "get", "nodes", kube=False)
    assert "The connection to the server localhost:8080 was refused" in nocfg.stderr
    h = sim.run("helm", "--kubeconfig", str(other), "list", "-A")
    assert h.stderr.strip() == (f'Error: Kubernetes cluster unreachable: Get "https://{CPS[1]}:6443/version": '
                                f"dial tcp {CPS[1]}:6443: connect: no route to host")
    f = sim.run("flux", "check", "--pre", "--kubeconfig", str(other))
    assert f"dial tcp {CPS[1]}:6443: connect: connection refused" in f.stderr
    t = sim.talosctl(CPS[2], "etcd", "members")
    assert t.returncode == 1 and f"dial tcp {CPS[2]}:50000: connect: connection refused" in t.stderr
    t = sim.run("talosctl", "-n", CPS[1], "etcd", "members")
    assert f"dial tcp {CPS[1]}:50000" in t.stderr


def _releases(sim) -> list[tuple[str, str, str]]:
    rows = json.loads(sim.ok("helm", "list", "-A", "-a", "-o", "json").stdout)
    return [(r["name"], r["status"], r["revision"]) for r in rows]


def test_pending_first_install_is_visible_and_recovered_by_uninstall(sim):
    sim.fast_api()
    # a status probe and a rollback before the install must not use the fault up
    _scenario(sim, "{id: pending, tool: helm, release: coredns, times: 1, effect: helm_pending}")
    assert sim.run("helm", "status", "coredns", "-n", "kube-system").stderr.strip() == "Error: release: not found"
    install = ("helm", "upgrade", "--install", "coredns", "oci://ghcr.io/coredns/charts/coredns", "--version",
               "1.45.0", "-n", "kube-system")
    p = sim.run(*install)
    assert p.returncode == 1 and p.stderr.strip() == (
        "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress")
    assert _releases(sim) == [("coredns", "pending-install", "1")]
    assert sim.ok("helm", "list", "-n", "kube-system").stdout.count("coredns") == 0  # default: deployed/failed only
    status = sim.ok("helm", "status", "coredns", "-n", "kube-system").stdout
    assert "STATUS: pending-install" in status and "REVISION: 1" in status
    assert "Initial install underway" in sim.ok("helm", "history", "coredns", "-n", "kube-system").stdout
    again = sim.run(*install)  # the fault fired once; the release itself now blocks
    assert "another operation (install/upgrade/rollback) is in progress" in again.stderr
    rb = sim.run("helm", "rollback", "coredns", "-n", "kube-system")
    assert rb.returncode == 1 and rb.stderr.strip() == "Error: release has no 0 version"
    assert sim.ok("helm", "uninstall", "coredns", "-n", "kube-system").stdout.strip() == 'release "coredns" uninstalled'
    assert _releases(sim) == []
    assert 'Release "coredns" does not exist. Installing it now.' in sim.ok(*install).stdout
    assert _releases(sim) == [("coredns", "deployed", "1")]
    # only the three install calls matched: status, history, rollback and uninstall never count
    assert json.loads(sim.state.read_text())["faults"]["pending"] == {"matched": 3, "fired": 1}


def test_killed_helm_install_and_helmfile_release_stay_pending(sim):
    sim.fast_api()
    _scenario(sim, "{tool: helm, match: upgrade, release: cilium, times: 1, effect: crash}",
              "{tool: helmfile, release: spegel, times: 1, effect: helm_pending}")
    killed = sim.run("helm", "upgrade", "--install", "cilium", "oci://x/cilium", "--version", "1.18.5",
                     "-n", "kube-system")
    assert killed.returncode == 137 and killed.stderr == ""
    assert _releases(sim) == [("cilium", "pending-install", "1")]
    sim.ok("helm", "uninstall", "cilium", "-n", "kube-system")
    apps = sim.write("01-apps.yaml", APPS_HELMFILE)
    p = sim.run("helmfile", "--file", str(apps), "sync")
    assert p.returncode == 1 and "failed processing release spegel" in p.stderr
    assert ("spegel", "pending-install", "1") in _releases(sim)
    assert sim.run("helm", "rollback", "spegel", "-n", "kube-system").stderr.strip() == \
        "Error: release has no 0 version"
    sim.ok("helm", "uninstall", "spegel", "-n", "kube-system")
    sim.ok("helmfile", "--file", str(apps), "sync")
    assert {s for _, s, _ in _releases(sim)} == {"deployed"}
