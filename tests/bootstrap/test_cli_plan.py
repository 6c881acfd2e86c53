"""CLI surface: --dry-run plan for the apps cluster (order, first control-plane IP, never the VIP),
usage errors (exit 2), and the plain console renderer's output."""

from __future__ import annotations

import io
import re
import shutil

import pytest

from wizard.bootstrap import events as E
from wizard.bootstrap.console import ConsoleRenderer
from wizard.cli import main
from wizard.sample import answers_path

APPS = """releases:
  - name: cilium
    namespace: kube-system
    chart: oci://ghcr.io/home-operations/charts-mirror/cilium
  - name: coredns
    namespace: kube-system
    needs: [kube-system/cilium]
  - name: spegel
    namespace: kube-system
    needs: [kube-system/coredns]
  - name: cert-manager
    namespace: cert-manager
    needs: [kube-system/spegel]
  - name: flux-operator
    namespace: flux-system
    needs: [cert-manager/cert-manager]
"""


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "repo"
    (r / "clusters" / "apps").mkdir(parents=True)
    shutil.copyfile(answers_path("apps"), r / "clusters" / "apps" / "cluster-answers.yaml")
    (r / "bootstrap" / "apps" / "helmfile.d").mkdir(parents=True)
    (r / "bootstrap" / "apps" / "helmfile.d" / "01-apps.yaml").write_text(APPS)
    (r / "bootstrap" / "apps" / "helmfile.d" / "00-crds.yaml").write_text("releases: []\n")
    return r


def test_dry_run_lists_commands_in_order_with_the_first_cp_ip(repo, capsys):
    assert main(["bootstrap", "apps", "--repo", str(repo), "--dry-run"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()

    def first(pattern):
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    applies = [line for line in lines if "apply-config --insecure" in line]
    assert len(applies) == 6
    for host, ip in (("apps-cp-1", "10.25.13.11"), ("apps-wk-3", "10.25.13.16")):
        assert any(f"--nodes {ip} --file" in a and a.rstrip().split()[6].endswith(f"apps-{host}.yaml") for a in applies)
    boot = lines[first(r"^\s*talosctl .* bootstrap( |$)")]
    kube = lines[first(r" kubeconfig \.kubeconfig-apps")]
    for line in (boot, kube):
        assert "--nodes 10.25.13.11 --endpoints 10.25.13.11" in line
        assert "10.25.13.10" not in line  # the VIP
    assert "--force" in kube and "--force-context-name apps" in kube
    order = [first(r"talosctl --nodes 10.25.13.11 get disks --insecure"), first("git ls-remote --heads"),
             first("talhelper genconfig"), first("apply-config --insecure"), first(r"^\s*talosctl .* bootstrap( |$)"),
             first(r" kubeconfig \.kubeconfig-apps"), first("get --raw /readyz"), first("kubectl apply --server-side --filename - <<< Namespace"),
             first("github-deploy-key.sops.yaml"), first("helmfile --file .*00-crds.yaml template"),
             first("name=cilium sync"), first("wait --for=create"), first("name=coredns sync"), first("name=spegel sync"),
             first("name=cert-manager sync"), first("name=flux-operator sync"), first(r"apply --server-side --filename clusters/apps/flux/flux-system"),
             first("wait gitrepository/k8s-ops"), first(" health ")]
    assert order == sorted(order), order
    assert "ciliumbgppeerconfigs" in out  # BGP is configured for apps
    assert not (repo / ".k8s-wizard").exists() and not (repo / ".kubeconfig-apps").exists()  # nothing ran


def test_usage_errors_exit_2(repo, tmp_path, capsys):
    assert main(["bootstrap", "nope", "--repo", str(repo), "--dry-run"]) == 2
    assert "clusters/nope/cluster-answers.yaml: not found" in capsys.readouterr().err
    assert main(["bootstrap", "apps", "--repo", str(repo), "--from", "etc", "--dry-run"]) == 2
    assert "unknown phase" in capsys.readouterr().err
    assert main(["verify", "apps", "--repo", str(tmp_path / "missing")]) == 2
    (repo / "clusters" / "apps" / "cluster-answers.yaml").write_text("apiVersion: k8s-wizard/v1\nkind: ClusterAnswers\n")
    assert main(["bootstrap", "apps", "--repo", str(repo), "--dry-run"]) == 2
    assert "required field is missing" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["bootstrap", "apps", "--from", "etcd", "--only", "etcd"])
    assert exc.value.code == 2


def test_real_run_without_yes_on_a_pipe_refuses(repo, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["bootstrap", "apps", "--repo", str(repo), "--plain"]) == 2
    assert "--yes" in capsys.readouterr().err


def test_console_renderer_lines():
    buf = io.StringIO()
    r = ConsoleRenderer(buf)
    t = 100.0
    for ev in (
        E.RunStarted(cluster="apps", phases=(("etcd", "Bootstrap etcd"),), budget=1800, nodes=(("cp-1", "10.0.0.11", "controlplane"),), t=t),
        E.PhaseStarted(phase="etcd", title="Bootstrap etcd", estimate=90, t=t + 1),
        E.CommandStarted(phase="etcd", command="talosctl bootstrap", t=t + 1),
        E.OutputLine(phase="etcd", text="rpc error: code = Unavailable", t=t + 2),
        E.PhaseRetry(phase="etcd", attempt=1, delay=0.5, reason="node still installing", node="cp-1", t=t + 2),
        E.PhaseFailed(phase="etcd", elapsed=65, reason="gave up", remedy="reset the nodes", command="talosctl bootstrap",
                      rc=1, last_lines=("boom",), t=t + 66),
        E.RunFinished(ok=False, elapsed=66, failed_phase="etcd", t=t + 66),
    ):
        r(ev)
    out = buf.getvalue().splitlines()
    assert out[0] == "bootstrap apps: 1 phases, 1 nodes, budget 30:00"
    assert out[1] == "[   1.0s] ▶ etcd: Bootstrap etcd (est. 1:30)"
    assert "↻ etcd [cp-1]: retry 1 in 0.5s (node still installing)" in out[4]
    assert "[   1:06] ✘ etcd FAILED after 1:05: gave up" in out
    assert any(line.strip() == "exit code: 1" for line in out) and any("remedy:    reset the nodes" in x for x in out)
    assert out[-1] == "bootstrap failed in phase etcd after 1:06 (4% of the 30:00 budget)"


def test_console_renderer_speaks_of_checks_for_verify():
    buf = io.StringIO()
    r = ConsoleRenderer(buf, what="verify")
    r(E.RunStarted(cluster="apps", phases=(("flux", "Flux check"), ("bgp", "BGP peers")), budget=600, t=0.0))
    r(E.RunFinished(ok=False, elapsed=12, failed_phase="bgp", t=12.0))
    out = buf.getvalue().splitlines()
    assert out[0] == "verify apps: 2 checks, 0 nodes, budget 10:00"
    assert out[-1] == "verify failed in check bgp after 12.0s (2% of the 10:00 budget)"
