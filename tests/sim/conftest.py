"""Fixtures of the simulator tests: shims in a temp bin dir and a fresh 6-node virtual cluster."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.trees import APPS_HELMFILE, GIT_URL, flux_sync  # noqa: F401 - re-exported to the sim tests
from wizard.sim import init_state, install_shims, sim_env

VIP = "10.25.13.10"
CPS = [f"10.25.13.1{i}" for i in (1, 2, 3)]
WKS = [f"10.25.13.1{i}" for i in (4, 5, 6)]
NODES = ([{"hostname": f"apps-cp-{i}", "address": ip, "role": "controlplane"} for i, ip in enumerate(CPS, 1)]
         + [{"hostname": f"apps-wk-{i}", "address": ip, "role": "worker"} for i, ip in enumerate(WKS, 1)])


CRDS_HELMFILE = """\
helmDefaults:
  args: [--include-crds, --no-hooks]
releases:
  - name: envoy-gateway
    namespace: network
    chart: oci://mirror.gcr.io/envoyproxy/gateway-helm
    version: v1.6.1
  - name: prometheus-operator-crds
    namespace: observability
    chart: oci://ghcr.io/prometheus-community/charts/prometheus-operator-crds
    version: 24.0.1
"""

FLUX_SYNC = flux_sync("release")

SECRETS = """\
apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
---
apiVersion: v1
kind: Secret
metadata:
  name: github-deploy-key
  namespace: flux-system
stringData:
  identity: not-a-real-key-PLAINTEXT-VALUE-1
  known_hosts: github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
"""


class Sim:
    def __init__(self, root: Path, speed: float = 1000.0):
        self.root, self.bin, self.state = root, root / "bin", root / "state.json"
        self.speed = speed
        install_shims(self.bin)
        self.env = sim_env(None, state=self.state, speed=speed, bin_dir=self.bin)
        self.kubeconfig = root / ".kubeconfig-apps"
        self.talos = root / "talos"

    def init(self, **kw) -> None:
        args = dict(cluster="apps", nodes=NODES, vip=VIP, branch="release", source_name="k8s-ops", bgp=True,
                    git_url=GIT_URL, cluster_id=2)
        args.update(kw)
        init_state(self.state, **args)

    def set_speed(self, speed: float) -> None:
        self.speed = speed
        self.env = sim_env(self.env, state=self.state, speed=speed, bin_dir=self.bin,
                           scenario=self.env.get("K8S_WIZARD_SIM_SCENARIO"))

    def use_scenario(self, path: Path | None) -> None:
        self.env = sim_env(self.env, state=self.state, speed=self.speed, bin_dir=self.bin, scenario=path)

    def run(self, *argv: str, stdin: str | None = None, cwd: Path | None = None, kube: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess:
        env = dict(self.env)
        if kube:
            env["KUBECONFIG"] = str(self.kubeconfig)
        return subprocess.run(list(argv), env=env, input=stdin, capture_output=True, text=True, cwd=cwd or self.root,
                              timeout=timeout)

    def ok(self, *argv: str, **kw) -> subprocess.CompletedProcess:
        p = self.run(*argv, **kw)
        assert p.returncode == 0, f"{argv} -> {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
        return p

    def until(self, *argv: str, deadline: float = 30.0, **kw) -> subprocess.CompletedProcess:
        """Re-run a command until it succeeds (the runner's retry loop, minimal)."""
        end = time.time() + deadline
        while True:
            p = self.run(*argv, **kw)
            if p.returncode == 0:
                return p
            assert time.time() < end, f"{argv} never succeeded; last rc {p.returncode}: {p.stderr}"
            time.sleep(0.02)

    # --- steps of the bootstrap, in order ------------------------------------------------------------
    def genconfig(self) -> Path:
        self.talos.mkdir(exist_ok=True)
        (self.talos / "talconfig.yaml").write_text(
            f"clusterName: apps\nendpoint: https://{VIP}:6443\nnodes:\n" + "".join(
                f"  - hostname: {n['hostname']}\n    ipAddress: {n['address']}\n"
                f"    controlPlane: {str(n['role'] == 'controlplane').lower()}\n    installDisk: /dev/nvme0n1\n"
                for n in NODES))
        self.ok("talhelper", "genconfig", "-o", str(self.root / "cc"), cwd=self.talos)
        return self.root / "cc"

    def talosctl(self, ip: str, *args: str, **kw):
        return self.run("talosctl", "--talosconfig", str(self.root / "cc" / "talosconfig"), "--nodes", ip,
                        "--endpoints", ip, *args, **kw)

    def apply(self, n: dict) -> subprocess.CompletedProcess:
        return self.run("talosctl", "apply-config", "--insecure", "--nodes", n["address"], "--file",
                        str(self.root / "cc" / f"apps-{n['hostname']}.yaml"))

    def to_api(self) -> None:
        """genconfig, apply all, bootstrap the first CP, kubeconfig, API up, nodes registered."""
        self.genconfig()
        for n in NODES:
            assert self.apply(n).returncode == 0
        until_ok(lambda: self.talosctl(CPS[0], "bootstrap"))
        until_ok(lambda: self.talosctl(CPS[0], "kubeconfig", str(self.kubeconfig), "--force",
                                       "--force-context-name", "apps"))
        self.until("kubectl", "get", "--raw", "/readyz")
        self.until("kubectl", "wait", "nodes", "--all", "--for=condition=Ready=False", "--timeout=10s")

    def fast_api(self) -> None:
        """Jump to "API up, nodes registered" by back-dating the stored events (what to_api() reaches
        through the commands); then fetch the kubeconfig with the real command."""
        import json

        from wizard.sim import virtual_now

        st = json.loads(self.state.read_text())
        past = virtual_now(self.state) - 1000.0  # every Talos-side transition (at most ~70 s) is over
        for n in st["nodes"].values():
            n.update(applied_at=past, machine_type=n["role"], applies=1)
        st["etcd"].update(bootstrapped_at=past, node=CPS[0], bootstraps=1)
        self.state.write_text(json.dumps(st))
        self.genconfig()
        self.ok("talosctl", "--talosconfig", str(self.root / "cc" / "talosconfig"), "-n", CPS[0], "-e", CPS[0],
                "kubeconfig", str(self.kubeconfig), "--force", "--force-context-name", "apps")

    def write(self, name: str, text: str) -> Path:
        p = self.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p


def until_ok(fn, deadline: float = 30.0):
    end = time.time() + deadline
    while True:
        p = fn()
        if p.returncode == 0:
            return p
        assert time.time() < end, f"never succeeded; last: {p.returncode} {p.stderr}"
        time.sleep(0.02)


@pytest.fixture
def sim(tmp_path) -> Sim:
    s = Sim(tmp_path)
    s.init()
    return s
