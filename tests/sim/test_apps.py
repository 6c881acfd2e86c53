"""Fake helmfile, helm, flux and cilium (runner.md §1.7-1.12)."""

from __future__ import annotations

import json
import time

from tests.sim.conftest import APPS_HELMFILE, CRDS_HELMFILE, FLUX_SYNC, SECRETS


def test_helmfile_template_emits_crds_only_with_include_crds_where_the_chart_needs_it(sim):
    crds = sim.write("00-crds.yaml", CRDS_HELMFILE)
    out = sim.ok("helmfile", "--file", str(crds), "template", "--quiet").stdout
    names = [ln.split("name: ")[1] for ln in out.splitlines() if ln.startswith("  name: ") and "." in ln]
    assert "gateways.gateway.networking.k8s.io" in names and "servicemonitors.monitoring.coreos.com" in names
    no_flag = sim.write("00-nocrds.yaml", CRDS_HELMFILE.replace("args: [--include-crds, --no-hooks]", "wait: true"))
    out = sim.ok("helmfile", "--file", str(no_flag), "template", "--quiet").stdout
    assert "gateway.networking.k8s.io" not in out  # crds/ folder charts need --include-crds
    assert "monitoring.coreos.com" in out  # templated CRDs come anyway
    p = sim.run("helmfile", "--file", str(crds), "template")
    assert "Templating release=envoy-gateway, chart=oci://mirror.gcr.io/envoyproxy/gateway-helm" in p.stderr


def test_helmfile_selectors_needs_and_list(sim):
    apps = sim.write("01-apps.yaml", APPS_HELMFILE)
    miss = sim.run("helmfile", "-f", str(apps), "-l", "name=nope", "sync")
    assert miss.returncode == 3 and miss.stderr.strip() == (
        "err: no releases found that matches specified selector(name=nope) and environment(default), in any helmfile")
    assert sim.run("helmfile", "-f", str(apps), "-l", "name=nope", "--allow-no-matching-release", "sync").returncode == 0
    listed = json.loads(sim.ok("helmfile", "-f", str(apps), "list", "--output", "json").stdout)
    assert [r["name"] for r in listed] == ["cilium", "coredns", "spegel", "cert-manager", "flux"]
    one = json.loads(sim.ok("helmfile", "-f", str(apps), "-l", "chart=flux2", "list", "--output", "json").stdout)
    assert [r["name"] for r in one] == ["flux"]
    typo = sim.write("typo.yaml", APPS_HELMFILE.replace("needs: [kube-system/cilium]", "needs: [kube-system/cilium-crds]"))
    p = sim.run("helmfile", "-f", str(typo), "template")
    assert p.returncode == 1 and 'depend(s) on an undefined release "kube-system/cilium-crds"' in p.stderr


def test_sync_without_cni_times_out_and_helm_status_list_rollback(sim):
    sim.fast_api()
    apps = sim.write("01-apps.yaml", APPS_HELMFILE.replace("timeout: 600", "timeout: 30"))
    only = sim.run("helmfile", "-f", str(apps), "-l", "name=coredns", "sync")  # needs skipped: no Cilium
    assert only.returncode == 1 and "Error: INSTALLATION FAILED: context deadline exceeded" in only.stderr
    assert "in ./" in only.stderr or f"in {apps}" in only.stderr
    assert "\nSTDERR:\n  Error: INSTALLATION FAILED" in only.stderr and "\nEXIT STATUS\n  1" in only.stderr
    st = sim.ok("helm", "status", "coredns", "-n", "kube-system").stdout
    assert "STATUS: failed" in st and "REVISION: 1" in st
    sim.ok("helmfile", "-f", str(apps), "sync")
    up = sim.ok("helmfile", "-f", str(apps), "-l", "name=cilium", "sync")
    assert 'Release "cilium" has been upgraded. Happy Helming!' in up.stderr and "REVISION: 2" in up.stderr
    table = up.stderr.split("UPDATED RELEASES:\n")[1].splitlines()
    assert table[0].split() == ["NAME", "NAMESPACE", "CHART", "VERSION", "DURATION"]
    assert table[0].index("DURATION") + len("DURATION") == len(table[1])  # DURATION right-aligned
    back = sim.ok("helm", "rollback", "cilium", "-n", "kube-system")
    assert back.stdout.strip() == "Rollback was a success! Happy Helming!"
    hist = sim.ok("helm", "history", "cilium", "-n", "kube-system").stdout.splitlines()
    assert len(hist) == 4 and "Rollback to 1" in hist[-1]
    nf = sim.run("helm", "status", "nope", "-n", "kube-system")
    assert nf.returncode == 1 and nf.stderr.strip() == "Error: release: not found"
    rels = json.loads(sim.ok("helm", "list", "-A", "-o", "json").stdout)
    assert {r["name"]: r["status"] for r in rels} == {n: "deployed" for n in
                                                      ("cilium", "coredns", "spegel", "cert-manager", "flux")}


def _deployed(sim):
    sim.fast_api()
    apps = sim.write("01-apps.yaml", APPS_HELMFILE)
    sim.ok("helmfile", "-f", str(apps), "sync")
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=SECRETS)


def test_flux_check_get_and_reconcile(sim):
    sim.fast_api()
    pre = sim.ok("flux", "check", "--pre")
    assert pre.stdout == "" and pre.stderr.splitlines() == [
        "► checking prerequisites", "✔ Kubernetes 1.35.0 >=1.32.0-0", "✔ prerequisites checks passed"]
    none = sim.run("flux", "check")
    assert none.returncode == 1 and none.stderr.splitlines()[-2:] == [
        "✗ no controllers found in the 'flux-system' namespace with the label selector 'app.kubernetes.io/part-of=flux'",
        "✗ check failed"]
    apps = sim.write("01-apps.yaml", APPS_HELMFILE)
    sim.ok("helmfile", "-f", str(apps), "sync")
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=SECRETS.split("---\n")[0])  # namespace only
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=FLUX_SYNC)
    time.sleep(0.02)
    no_secret = sim.ok("flux", "get", "sources", "git", "-n", "flux-system").stdout.splitlines()
    assert no_secret[1].split("\t")[3].strip() == "False"
    assert "secrets \"github-deploy-key\" not found" in no_secret[1]
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=SECRETS)
    rec = sim.ok("flux", "-n", "flux-system", "reconcile", "kustomization", "flux-system", "--with-source")
    assert "► annotating GitRepository k8s-ops in flux-system namespace" in rec.stderr
    assert rec.stderr.strip().splitlines()[-1].startswith("✔ applied revision release@sha1:")
    rows = sim.ok("flux", "get", "sources", "git").stdout.splitlines()
    head = [c.strip() for c in rows[0].split("\t")]
    cells = [c.strip() for c in rows[1].split("\t")]
    assert head == ["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"]
    assert cells[0] == "k8s-ops" and cells[3] == "True" and len(cells[1]) == len("release@sha1:") + 8
    assert cells[4] == f"stored artifact for revision '{cells[1]}'"
    ks = sim.ok("flux", "get", "ks", "-A").stdout
    assert "flux-system" in ks and "Applied revision: release@sha1:" in ks


def test_flux_branch_missing_keeps_the_source_not_ready(sim):
    sim.init(branches=["main"])  # the remote lacks `release`
    _deployed(sim)
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=FLUX_SYNC)
    w = sim.run("kubectl", "-n", "flux-system", "wait", "--for=condition=Ready", "gitrepository/k8s-ops",
                "--timeout=30s")
    assert w.returncode == 1 and "timed out waiting for the condition on gitrepository" in w.stderr
    msg = sim.ok("kubectl", "-n", "flux-system", "get", "gitrepository", "k8s-ops", "-o",
                 "jsonpath={.status.conditions[0].message}").stdout
    assert 'couldn\'t find remote ref "refs/heads/release"' in msg
    assert sim.ok("git", "ls-remote", "--heads", "ssh://git@github.com/monosense-io/k8s-ops.git", "release").stdout == ""


def test_cilium_status_bgp_connectivity(sim):
    sim.fast_api()
    before = sim.ok("cilium", "status")
    assert "\x1b[31m1 errors\x1b[0m" in before.stdout and 'daemonsets.apps "cilium" not found' in before.stdout
    waited = sim.run("cilium", "status", "--wait", "--wait-duration", "20s")
    assert waited.returncode == 1 and waited.stderr.rstrip().endswith(
        "Error: Unable to determine status:  timeout while waiting for status to become successful: "
        "context deadline exceeded")
    sim.set_speed(10)  # BGP comes up 3 + 15 s (1.8 s here) after Cilium is deployed: room for a loaded CI
    apps = sim.write("01-apps.yaml", APPS_HELMFILE)
    sim.ok("helmfile", "-f", str(apps), "-l", "name=cilium", "sync")
    early = sim.ok("cilium", "bgp", "peers").stdout.splitlines()
    assert early[0].split()[:2] == ["Node", "Local"] and all(" active " in r for r in early[1:]) and len(early) == 7
    late = sim.until("cilium", "bgp", "peers").stdout.splitlines()
    while not all(" established " in r for r in late[1:]):
        late = sim.ok("cilium", "bgp", "peers").stdout.splitlines()  # exit 0 throughout: parse the column
    assert "64513      64501     10.25.13.1" in late[1]
    ok = sim.ok("cilium", "status", "--wait")
    assert ok.stdout.count("\x1b[32mOK\x1b[0m") == 3 and "Helm chart version:   1.18.5" in ok.stdout
    cfg = sim.ok("cilium", "config", "view").stdout
    assert any(ln.split() == ["cluster-id", "2"] for ln in cfg.splitlines())
    assert any(ln.split() == ["cluster-name", "apps"] for ln in cfg.splitlines())
    sim.set_speed(1000)
    ct = sim.ok("cilium", "connectivity", "test", "--test", "!/pod-to-world")
    assert ct.stdout.strip().splitlines()[-1].startswith("✅ [cilium-test-1] All ")


def test_flux_applies_the_cluster_path_from_the_repo(sim, tmp_path):
    repo = tmp_path / "repo"
    flux = repo / "clusters" / "apps" / "flux"
    (flux / "config").mkdir(parents=True)
    (repo / "kubernetes" / "apps").mkdir(parents=True)
    (repo / "clusters" / "apps" / "apps").mkdir(parents=True)
    (flux / "cluster-vars.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n"
                                            "  namespace: flux-system\ndata:\n  CLUSTER_NAME: apps\n  CLUSTER_ID: \"2\"\n")
    ks = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {n}\n  namespace: "
          "flux-system\nspec:\n  path: {p}\n  sourceRef: {{kind: GitRepository, name: k8s-ops}}\n{extra}")
    (flux / "config" / "cluster-apps.yaml").write_text(ks.format(
        n="cluster-apps", p="./kubernetes/apps", extra="  decryption: {provider: sops, secretRef: {name: sops-age}}\n"))
    (flux / "config" / "cluster-local.yaml").write_text(ks.format(
        n="cluster-local", p="./clusters/apps/apps", extra="  dependsOn: [{name: cluster-apps}]\n"))
    sim.init(repo=repo)
    _deployed(sim)
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=FLUX_SYNC)
    sim.ok("kubectl", "-n", "flux-system", "wait", "--for=condition=Ready", "kustomization/flux-system", "--timeout=60s")
    data = json.loads(sim.ok("kubectl", "-n", "flux-system", "get", "configmap", "cluster-vars", "-o", "json").stdout)
    assert data["data"] == {"CLUSTER_NAME": "apps", "CLUSTER_ID": "2"}
    time.sleep(0.05)
    rows = {r.split("\t")[0].strip(): [c.strip() for c in r.split("\t")] for r in
            sim.ok("flux", "get", "ks").stdout.splitlines()[1:]}
    assert rows["flux-system"][3] == "True"
    assert rows["cluster-apps"][3] == "False" and 'secrets "sops-age" not found' in rows["cluster-apps"][4]
    assert rows["cluster-local"][3] == "False" and "dependency 'flux-system/cluster-apps' is not ready" in \
        rows["cluster-local"][4]
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-age\n  namespace: flux-system\n"
        "stringData:\n  age.agekey: placeholder\n"))
    sim.ok("kubectl", "-n", "flux-system", "wait", "--for=condition=Ready", "kustomizations", "--all", "--timeout=60s")
    missing = sim.run("flux", "get", "ks", "nope")
    assert missing.returncode == 1 and "Kustomization object 'nope' not found in 'flux-system' namespace" in missing.stderr


def test_apply_kustomize_folder(sim):
    sim.fast_api()
    _deployed(sim)
    d = sim.write("flux-system/gitrepository.yaml", FLUX_SYNC.split("---\n")[0]).parent
    (d / "ks.yaml").write_text(FLUX_SYNC.split("---\n")[1])
    (d / "kustomization.yaml").write_text("resources:\n  - gitrepository.yaml\n  - ks.yaml\n")
    out = sim.ok("kubectl", "apply", "--server-side", "--kustomize", str(d)).stdout.splitlines()
    assert out == ["gitrepository.source.toolkit.fluxcd.io/k8s-ops serverside-applied",
                   "kustomization.kustomize.toolkit.fluxcd.io/flux-system serverside-applied"]
