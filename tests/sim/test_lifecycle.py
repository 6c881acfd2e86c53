"""A mini scripted bootstrap of a 6-node cluster on the simulator, in the order of pattern.md §4, and
the event log it leaves (etcd bootstrapped exactly once, every call logged, no secret in the log)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.sim.conftest import APPS_HELMFILE, CPS, CRDS_HELMFILE, FLUX_SYNC, GIT_URL, NODES, SECRETS, VIP, until_ok
from wizard.sim import read_events, snapshot


def test_six_node_bootstrap_reaches_flux_ready(sim):
    # P0 preflight
    assert sim.ok("op", "whoami").stdout.startswith("URL:")
    assert "refs/heads/release" in sim.ok("git", "ls-remote", "--heads", GIT_URL, "release").stdout
    for n in NODES:
        sim.ok("talosctl", "get", "disks", "--insecure", "--nodes", n["address"])
    # P1 configs, P2 apply in parallel
    sim.genconfig()
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(sim.apply, NODES))
    assert [r.returncode for r in results] == [0] * 6
    assert all(r.stdout == "" and r.stderr == "" for r in results)  # apply-config --insecure prints nothing
    # P3 etcd on the first control plane (retry while it installs/reboots)
    until_ok(lambda: sim.talosctl(CPS[0], "bootstrap"))
    again = sim.talosctl(CPS[0], "bootstrap")
    assert again.returncode == 1 and "AlreadyExists desc = etcd data directory is not empty" in again.stderr
    # P4 kubeconfig + API + nodes registered (Ready=False before the CNI)
    until_ok(lambda: sim.talosctl(CPS[0], "kubeconfig", str(sim.kubeconfig), "--force", "--force-context-name", "apps"))
    sim.until("kubectl", "get", "--raw", "/readyz")
    for ip in CPS:
        sim.until("kubectl", "--server", f"https://{ip}:6443", "get", "--raw", "/readyz")
    sim.until("kubectl", "wait", "nodes", "--all", "--for=condition=Ready=False", "--timeout=10s")
    # P5 namespaces + secrets (server-side), P6 CRDs
    assert "secret/github-deploy-key serverside-applied" in sim.ok(
        "kubectl", "apply", "--server-side", "-f", "-", stdin=SECRETS).stdout
    crds = sim.write("bootstrap/00-crds.yaml", CRDS_HELMFILE)
    tpl = sim.ok("helmfile", "--file", str(crds), "template", "--quiet").stdout
    only_crds = "".join("---\n" + d for d in tpl.split("---\n") if "kind: CustomResourceDefinition" in d)
    assert "kind: ConfigMap" in tpl and "kind: ConfigMap" not in only_crds  # the filter matters
    applied = sim.ok("kubectl", "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=only_crds).stdout
    assert "customresourcedefinition.apiextensions.k8s.io/gateways.gateway.networking.k8s.io serverside-applied" in applied
    sim.ok("kubectl", "wait", "--for", "condition=established", "--timeout=60s",
           "crd/gateways.gateway.networking.k8s.io", "crd/servicemonitors.monitoring.coreos.com")
    # P7 helmfile apps
    apps = sim.write("bootstrap/01-apps.yaml", APPS_HELMFILE)
    sync = sim.ok("helmfile", "--file", str(apps), "sync", "--hide-notes")
    assert sync.stdout == ""
    order = [line.split("=")[1].split(",")[0] for line in sync.stderr.splitlines() if line.startswith("Upgrading release=")]
    assert order == ["cilium", "coredns", "spegel", "cert-manager", "flux"]
    assert "UPDATED RELEASES:" in sync.stderr
    sim.ok("kubectl", "wait", "--for=create", "crd/ciliumbgpclusterconfigs.cilium.io", "--timeout=60s")
    sim.ok("kubectl", "wait", "nodes", "--all", "--for=condition=Ready", "--timeout=10m")
    sim.ok("kubectl", "-n", "flux-system", "wait", "--for=condition=Available", "deploy/source-controller",
           "deploy/kustomize-controller", "deploy/helm-controller", "--timeout=5m")
    # P8 Flux takes over
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=FLUX_SYNC)
    sim.ok("kubectl", "-n", "flux-system", "wait", "--for=condition=Ready", "--timeout=300s",
           "gitrepository/k8s-ops", "kustomization/flux-system")
    # P9 verify
    assert "✔ all checks passed" in sim.ok("flux", "check").stderr
    branch = sim.ok("kubectl", "-n", "flux-system", "get", "gitrepository", "k8s-ops", "-o",
                    "jsonpath={.spec.ref.branch}").stdout
    assert branch == "release"
    assert "\x1b[32mOK\x1b[0m" in sim.ok("cilium", "status", "--wait").stdout
    sim.ok("talosctl", "--nodes", CPS[0], "--endpoints", CPS[0], "--talosconfig", str(sim.root / "cc/talosconfig"),
           "health", "--wait-timeout", "5m", "--control-plane-nodes", ",".join(CPS),
           "--worker-nodes", ",".join(n["address"] for n in NODES[3:]))

    snap = snapshot(sim.state)
    assert all(n["ready"] for n in snap["nodes"].values())
    assert snap["etcd"]["bootstraps"] == 1 and snap["etcd"]["node"] == CPS[0] and not snap["etcd"]["split"]
    assert snap["flux"] == {"GitRepository/k8s-ops": "True", "Kustomization/flux-system": "True"}

    events = read_events(sim.state)
    boots = [e for e in events if e.get("event") == "etcd-bootstrap"]
    assert len(boots) == 1 and boots[0]["node"] == CPS[0]
    calls = [e for e in events if e["kind"] == "call"]
    assert all({"tool", "argv", "rc", "start", "end"} <= set(e) and e["end"] >= e["start"] for e in calls)
    assert sum(1 for e in calls if e["tool"] == "talosctl" and e["sub"] == "apply-config") == 6
    log = (sim.state.with_name("state.events.jsonl")).read_text()
    state = sim.state.read_text()
    assert "PLAINTEXT-VALUE" not in log and "PLAINTEXT-VALUE" not in state  # secret values are never kept
    assert json.loads(state)["objects"]["Secret/flux-system/github-deploy-key"]["keys"] == ["identity", "known_hosts"]
    assert VIP in sim.kubeconfig.read_text()
