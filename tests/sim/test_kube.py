"""Fake kubectl against the virtual cluster: reachability, apply, get, wait (runner.md §1.4, §1.13)."""

from __future__ import annotations

import json

from tests.sim.conftest import CPS, FLUX_SYNC, SECRETS, VIP


def test_api_unreachable_texts_before_bootstrap(sim):
    sim.genconfig()
    p = sim.run("kubectl", "get", "nodes", kube=False)
    assert p.returncode == 1 and "The connection to the server localhost:8080 was refused" in p.stderr
    # a kubeconfig pointing at the VIP before etcd is up: the VIP is not assigned yet
    sim.kubeconfig.write_text(f"apiVersion: v1\nkind: Config\nclusters:\n- name: apps\n  cluster:\n    server: "
                              f"https://{VIP}:6443\ncontexts:\n- name: apps\n  context:\n    cluster: apps\n"
                              "current-context: apps\n")
    p = sim.run("kubectl", "get", "--raw", "/readyz")
    assert p.returncode == 1 and p.stderr.strip() == (
        f"Unable to connect to the server: dial tcp {VIP}:6443: connect: no route to host")
    p = sim.run("kubectl", "--context", "nope", "get", "nodes")
    assert p.returncode == 1 and 'context "nope" does not exist' in p.stderr
    p = sim.run("kubectl", "--server", f"https://{CPS[0]}:6443", "get", "--raw", "/readyz")
    assert p.returncode == 1 and f"{CPS[0]}:6443 was refused" in p.stderr


def test_nodes_register_not_ready_and_wait_semantics(sim):
    sim.fast_api()
    assert sim.ok("kubectl", "get", "--raw", "/readyz").stdout == "ok"
    assert "[+]etcd ok" in sim.ok("kubectl", "get", "--raw", "/readyz?verbose").stdout
    nodes = sim.ok("kubectl", "get", "nodes").stdout.splitlines()
    assert nodes[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"] and len(nodes) == 7
    assert all(" NotReady " in ln for ln in nodes[1:])
    met = sim.ok("kubectl", "wait", "nodes", "--all", "--for=condition=Ready=False", "--timeout=10s").stdout
    assert met.splitlines()[0] == "node/apps-cp-1 condition met" and len(met.splitlines()) == 6
    t = sim.run("kubectl", "wait", "nodes", "--all", "--for=condition=Ready=True", "--timeout=10s")
    assert t.returncode == 1 and t.stderr.strip() == "error: timed out waiting for the condition on node/apps-cp-1"
    missing = sim.run("kubectl", "wait", "--for=condition=Ready", "node/nope", "--timeout=1s")
    assert missing.returncode == 1 and 'Error from server (NotFound): nodes "nope" not found' in missing.stderr
    jp = sim.ok("kubectl", "get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").stdout
    assert jp == "apps-cp-1 apps-cp-2 apps-cp-3 apps-wk-1 apps-wk-2 apps-wk-3"
    cond = sim.ok("kubectl", "get", "node", "apps-wk-2", "-o",
                  'jsonpath={.status.conditions[?(@.type=="Ready")].reason}').stdout
    assert cond == "KubeletNotReady"
    doc = json.loads(sim.ok("kubectl", "get", "nodes", "-o", "json").stdout)
    assert doc["kind"] == "List" and len(doc["items"]) == 6


def test_apply_server_side_records_objects_but_never_secret_values(sim):
    sim.fast_api()
    no_ns = sim.run("kubectl", "apply", "--server-side", "-f", "-", stdin=SECRETS.split("---\n", 1)[1])
    assert no_ns.returncode == 1 and 'Error from server (NotFound): namespaces "flux-system" not found' in no_ns.stderr
    out = sim.ok("kubectl", "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=SECRETS).stdout
    assert out.splitlines() == ["namespace/flux-system serverside-applied", "secret/github-deploy-key serverside-applied"]
    assert "PLAINTEXT-VALUE" not in sim.state.read_text()
    keys = sim.ok("kubectl", "-n", "flux-system", "get", "secret", "github-deploy-key", "-o", "json").stdout
    assert json.loads(keys)["data"] == {"identity": "", "known_hosts": ""}
    crs = sim.run("kubectl", "apply", "--server-side", "-f", "-", stdin=FLUX_SYNC)
    assert crs.returncode == 1 and 'no matches for kind "GitRepository" in version "source.toolkit.fluxcd.io/v1"' \
        in crs.stderr and "ensure CRDs are installed first" in crs.stderr
    client = sim.ok("kubectl", "apply", "-f", str(sim.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                               "  name: x\n  namespace: default\ndata: {a: b}\n")))
    assert client.stdout.strip() == "configmap/x created"
    assert sim.ok("kubectl", "apply", "-f", str(sim.root / "cm.yaml")).stdout.strip() == "configmap/x unchanged"
    nf = sim.run("kubectl", "get", "configmap", "cluster-vars", "-n", "flux-system")
    assert nf.returncode == 1 and nf.stderr.strip() == 'Error from server (NotFound): configmaps "cluster-vars" not found'
    empty = sim.ok("kubectl", "get", "configmaps", "-n", "flux-system")
    assert empty.stdout == "" and empty.stderr.strip() == "No resources found in flux-system namespace."


def test_crd_apply_then_established_and_create_namespace(sim):
    sim.fast_api()
    crd = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.io\n"
           "spec:\n  group: example.io\n  names: {kind: Widget, plural: widgets, singular: widget}\n  scope: Namespaced\n"
           "  versions: [{name: v1, served: true, storage: true}]\n")
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=crd)
    sim.ok("kubectl", "wait", "--for", "condition=established", "--timeout=30s", "crd/widgets.example.io")
    cr = "apiVersion: example.io/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: default\nspec: {size: 3}\n"
    assert sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=cr).stdout.strip() == \
        "widget.example.io/w1 serverside-applied"
    assert sim.ok("kubectl", "get", "widgets", "w1", "-o", "jsonpath={.spec.size}").stdout == "3"
    dry = sim.ok("kubectl", "create", "namespace", "network", "--dry-run=client", "-o", "yaml").stdout
    assert "kind: Namespace" in dry and "name: network" in dry
    assert sim.ok("kubectl", "create", "namespace", "network").stdout.strip() == "namespace/network created"
    again = sim.run("kubectl", "create", "namespace", "network")
    assert again.returncode == 1 and "AlreadyExists" in again.stderr
    sim.ok("kubectl", "wait", "--for=jsonpath={.status.phase}=Active", "namespace/network", "--timeout=5s")
    bad = sim.run("kubectl", "get", "frobnicators")
    assert bad.returncode == 1 and 'the server doesn\'t have a resource type "frobnicators"' in bad.stderr
