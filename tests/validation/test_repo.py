"""Repo inventory: the seed (planned clusters), hand-written clusters, answers files, keys, git state."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers.seed import make_seed_repo
from tests.validation.helpers import INFRA_VARS, apps, at, errors, infra, validate, write
from wizard.answers_io import dump_answers
from wizard.repo import find_repo_root, scan_repo
from wizard.spec import ClusterAnswers

TALCONFIG = """\
clusterName: infra
talosVersion: v1.11.5
kubernetesVersion: v1.34.1
endpoint: https://10.25.11.10:6443
clusterPodNets: [10.42.0.0/16]
clusterSvcNets: [10.43.0.0/16]
nodes:
  - hostname: infra-01
    ipAddress: 10.25.11.11
    controlPlane: true
    installDisk: /dev/sda
    nameservers: [10.25.11.1, 1.1.1.1]
    networkInterfaces:
      - interface: bond0
        mtu: 9000
        bond:
          mode: 802.3ad
          lacpRate: fast
          miimon: 100
          xmitHashPolicy: layer3+4
          deviceSelectors: [{hardwareAddr: "f8:f2:1e:20:57:*", driver: i40e}]
        vlans: [{vlanId: 2512, mtu: 1500}]
  - hostname: infra-02
    ipAddress: 10.25.11.12
    controlPlane: false
    installDisk: /dev/sda
"""

GITREPO = """\
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-ops
  namespace: flux-system
spec:
  interval: 1m
  ref:
    branch: main
  url: ssh://git@github.com/monosense-io/k8s-ops.git
  secretRef:
    name: github-deploy-key
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
"""


def hand_written_infra(repo: Path) -> None:
    """infra as an older tree without an answers file (cluster-vars + talconfig + sync objects)."""
    base = repo / "clusters" / "infra"
    write(base / "flux" / "cluster-vars.yaml", INFRA_VARS)
    write(base / "talos" / "talconfig.yaml", TALCONFIG)
    write(base / "flux" / "flux-system" / "gotk-sync.yaml", GITREPO)


def answers_file(repo: Path, answers: dict) -> None:
    name = answers["cluster"]["name"]
    write(repo / "clusters" / name / "cluster-answers.yaml", dump_answers(ClusterAnswers.model_validate(answers)))


def test_seed_clusters_are_planned_and_do_not_block(seed_repo, age_key):
    inv = scan_repo(seed_repo)
    assert [(c.name, c.source) for c in inv.clusters] == [("apps", "planned"), ("infra", "planned")]
    assert inv.existing == ()
    assert inv.sops_recipients == (age_key[1],) and inv.identity_available
    assert inv.problems == ()
    for answers in (infra(), apps()):
        assert errors(validate(answers, inv)) == [], answers["cluster"]["name"]


def test_hand_written_cluster_is_read_from_cluster_vars_talconfig_and_sync(seed_repo):
    hand_written_infra(seed_repo)
    c = scan_repo(seed_repo).cluster("infra")
    assert c.source == "cluster-vars" and not c.planned
    assert (c.id, c.domain, c.role, c.target) == (1, "monosense.dev", "hub", None)
    assert c.cidrs == {"nodeCidr": "10.25.11.0/24", "podCidr": "10.42.0.0/16", "serviceCidr": "10.43.0.0/16"}
    assert (c.api_endpoint, c.vip) == ("https://10.25.11.10:6443", "10.25.11.10")
    assert (c.branch, c.git_url, c.source_name) == ("main", "ssh://git@github.com/monosense-io/k8s-ops.git", "k8s-ops")
    assert c.versions == {"talos": "v1.11.5", "kubernetes": "v1.34.1"}
    assert [(n.hostname, n.address, n.controlplane) for n in c.nodes] == [
        ("infra-01", "10.25.11.11", True), ("infra-02", "10.25.11.12", False)]
    assert c.network["mtu"] == 9000 and c.network["vlan"] == 2512
    assert c.network["bond"]["deviceSelectors"][0]["hardwareAddr"] == "f8:f2:1e:20:57:*"


def test_answers_file_wins_and_drift_is_reported(seed_repo):
    answers_file(seed_repo, apps())
    inv = scan_repo(seed_repo)
    c = inv.cluster("apps")
    assert c.source == "answers" and c.answers is not None and c.answers.cluster.id == 2
    assert (c.branch, c.role, c.target) == ("release", "spoke", apps()["cluster"]["observability"]["target"])
    assert inv.problems == ()
    write(seed_repo / "clusters" / "apps" / "flux" / "cluster-vars.yaml",
          INFRA_VARS.replace("infra", "apps").replace('"1"', '"3"').replace("10.42.", "10.44.")
          .replace("10.43.", "10.45.").replace("10.25.11.", "10.25.13."))
    problems = scan_repo(seed_repo).problems
    assert len(problems) == 1 and "CLUSTER_ID is '3' but cluster-answers.yaml says '2'" in problems[0]


def test_unreadable_files_become_problems_not_exceptions(seed_repo):
    write(seed_repo / "clusters" / "edge" / "flux" / "cluster-vars.yaml", "data: [unclosed\n")
    write(seed_repo / "clusters" / "bad" / "cluster-answers.yaml", "apiVersion: k8s-wizard/v1\nkind: ClusterAnswers\n")
    write(seed_repo / "clusters" / "odd" / "README.md", "notes\n")
    inv = scan_repo(seed_repo)
    assert inv.cluster("edge").source == "unknown" and inv.cluster("odd").source == "unknown"
    text = "\n".join(inv.problems)
    assert "clusters/edge/flux/cluster-vars.yaml: not valid YAML" in text
    assert "clusters/bad/cluster-answers.yaml" in text and "required field is missing" in text
    # an unrecognised folder still reserves its name
    a = apps()
    a["cluster"]["name"] = "odd"
    assert "cluster odd already exists" in at(validate(a, inv), "cluster.name")[0]
    assert any("not valid YAML" in m for m in at(validate(apps(), inv), "(repo)", "warning"))


def test_local_identity_detection(seed_repo, monkeypatch):
    assert scan_repo(seed_repo).identity_available
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    inv = scan_repo(seed_repo)
    assert inv.local_recipients == () and not inv.identity_available


def test_dirty_tree_and_non_git_folder(tmp_path):
    clean = make_seed_repo(tmp_path / "clean")
    assert scan_repo(clean).dirty is False
    write(clean / "notes.txt", "x\n")
    assert scan_repo(clean).dirty is True
    plain = make_seed_repo(tmp_path / "plain", git=False)
    inv = scan_repo(plain)
    assert inv.dirty is None and [c.name for c in inv.clusters] == ["apps", "infra"]


def test_find_repo_root(seed_repo, tmp_path, monkeypatch):
    deep = seed_repo / "clusters" / "apps" / "talos"
    assert find_repo_root(deep) == seed_repo.resolve()
    assert find_repo_root(seed_repo / ".sops.yaml") == seed_repo.resolve()
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    assert find_repo_root(lonely) is None
    # without a git binary: the nearest folder holding .git
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    assert find_repo_root(deep) == seed_repo.resolve()


def test_sops_recipients_from_lists_and_key_groups(tmp_path):
    write(tmp_path / ".sops.yaml", "creation_rules:\n  - path_regex: a\n    age: 'age1aaa, age1bbb'\n"
          "  - path_regex: b\n    key_groups:\n      - age: [age1ccc, age1aaa]\n")
    assert scan_repo(tmp_path).sops_recipients == ("age1aaa", "age1bbb", "age1ccc")


@pytest.mark.skipif(os.name != "posix", reason="git CLI layout")
def test_git_toplevel_is_used_for_nested_repos(seed_repo):
    sub = seed_repo / "vendor" / "inner"
    sub.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=sub, check=True)
    assert find_repo_root(sub) == sub.resolve()
