"""Suggestions: next id and CIDR pair, node layout, VIP/gateway/branch/role, answers like a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.validation.helpers import apps, errors, infra, validate
from tests.validation.test_repo import answers_file, hand_written_infra
from wizard import suggest
from wizard.repo import ClusterInfo, RepoInventory, scan_repo


def inv_of(*clusters: ClusterInfo) -> RepoInventory:
    return RepoInventory(root=Path("/nonexistent"), clusters=clusters)


INFRA = ClusterInfo("infra", "cluster-vars", id=1, node_cidr="10.25.11.0/24", pod_cidr="10.42.0.0/16",
                    service_cidr="10.43.0.0/16", role="hub")
APPS = ClusterInfo("apps", "cluster-vars", id=2, node_cidr="10.25.13.0/24", pod_cidr="10.44.0.0/16",
                   service_cidr="10.45.0.0/16", role="spoke")
PLANNED = ClusterInfo("edge", "planned")


def test_next_cluster_id():
    assert suggest.next_cluster_id(None) == 1
    assert suggest.next_cluster_id(inv_of(PLANNED)) == 1  # planned folders hold no id
    assert suggest.next_cluster_id(inv_of(INFRA, APPS)) == 3
    assert suggest.next_cluster_id(inv_of(APPS)) == 1  # the smallest free id
    full = inv_of(*(ClusterInfo(f"c{i}", "cluster-vars", id=i) for i in range(1, 256)))
    with pytest.raises(ValueError, match="255"):
        suggest.next_cluster_id(full)


def test_next_cidr_pair():
    assert suggest.next_cidr_pair(inv_of(PLANNED)) == ("10.42.0.0/16", "10.43.0.0/16")
    assert suggest.next_cidr_pair(inv_of(INFRA)) == ("10.44.0.0/16", "10.45.0.0/16")
    assert suggest.next_cidr_pair(inv_of(INFRA, APPS)) == ("10.46.0.0/16", "10.47.0.0/16")
    assert suggest.next_cidr_pair(inv_of(INFRA, APPS), avoid=["10.47.3.0/24"]) == ("10.48.0.0/16", "10.49.0.0/16")
    assert suggest.next_cidr_pair(inv_of(APPS)) == ("10.42.0.0/16", "10.43.0.0/16")


def test_fill_nodes_seed_layout():
    nodes = suggest.fill_nodes("edge", "10.25.15.0/24")
    assert [(n["hostname"], n["address"], n["role"]) for n in nodes] == [
        ("edge-cp-1", "10.25.15.11", "controlplane"), ("edge-cp-2", "10.25.15.12", "controlplane"),
        ("edge-cp-3", "10.25.15.13", "controlplane"), ("edge-wk-1", "10.25.15.14", "worker"),
        ("edge-wk-2", "10.25.15.15", "worker"), ("edge-wk-3", "10.25.15.16", "worker")]
    assert {n["installDisk"] for n in nodes} == {"/dev/nvme0n1"}
    small = suggest.fill_nodes("lab", "192.168.1.0/24", controlplanes=1, workers=0, install_disk="/dev/sda")
    assert small == [{"hostname": "lab-cp-1", "address": "192.168.1.11", "role": "controlplane", "installDisk": "/dev/sda"}]
    with pytest.raises(ValueError, match="no room for the node #"):
        suggest.fill_nodes("lab", "10.0.0.0/28")
    with pytest.raises(ValueError, match="not an IPv4 CIDR"):
        suggest.fill_nodes("lab", "nonsense")


def test_vip_gateway_branch_role():
    assert suggest.default_vip("10.25.15.0/24") == "10.25.15.10"
    assert suggest.default_gateway("10.25.15.0/24") == "10.25.15.1"
    with pytest.raises(ValueError, match="VIP"):
        suggest.default_vip("10.25.15.0/29")
    assert suggest.default_branch("spoke") == "release" and suggest.default_branch("hub") == "main"
    assert suggest.default_role(None) == "hub" and suggest.default_role(inv_of(PLANNED)) == "hub"
    assert suggest.default_role(inv_of(INFRA)) == "spoke"


def test_answers_like_an_answers_cluster(seed_repo):
    answers_file(seed_repo, infra())
    inv = scan_repo(seed_repo)
    like = suggest.answers_like(inv, "infra")
    assert like["versions"]["talos"] == "v1.12.0" and like["versions"]["spegel"] == "0.4.0"
    assert like["network"]["mtu"] == 9000
    assert like["network"]["bond"]["interfaces"] == ["enp1s0f0", "enp1s0f1"]
    assert like["git"] == {"url": "ssh://git@github.com/monosense-io/k8s-ops.git", "sourceName": "k8s-ops"}
    assert like["secrets"]["onepasswordVault"] == "k8s-ops"
    assert like["cluster"] == {"domain": "monosense.dev"}
    # identity, CIDRs and nodes are the operator's; node-network addresses only move with a new CIDR
    assert "nodes" not in like and "nodeCidr" not in like["network"] and "nameservers" not in like["network"]
    assert "bgp" not in like["network"]
    moved = suggest.answers_like(inv, "infra", node_cidr="10.25.15.0/24")
    assert moved["network"]["nameservers"] == ["10.25.15.1"]
    assert moved["network"]["bgp"] == {"localAsn": 64513, "peerAddress": "10.25.15.1", "peerAsn": 64501}


def test_answers_like_a_hand_written_cluster(seed_repo):
    hand_written_infra(seed_repo)
    like = suggest.answers_like(scan_repo(seed_repo), "infra", node_cidr="10.25.15.0/24")
    assert like["versions"]["talos"] == "v1.11.5" and like["versions"]["cilium"] == "1.18.5"
    net = like["network"]
    assert (net["mtu"], net["vlan"]) == (9000, 2512)
    assert net["bond"] == {"mode": "802.3ad", "lacpRate": "fast", "miimon": 100, "xmitHashPolicy": "layer3+4",
                           "deviceSelectors": ["f8:f2:1e:20:57:*"]}
    assert net["nameservers"] == ["10.25.15.1", "1.1.1.1"]  # .1 moves, the public resolver stays
    assert like["git"] == {"url": "ssh://git@github.com/monosense-io/k8s-ops.git", "sourceName": "k8s-ops"}


def test_answers_like_unknown_or_planned_cluster(seed_repo):
    inv = scan_repo(seed_repo)
    with pytest.raises(KeyError, match="existing: none yet"):
        suggest.answers_like(inv, "infra")


def test_suggestions_assemble_into_valid_answers(seed_repo):
    """A third cluster built only from suggestions validates cleanly against infra + apps."""
    answers_file(seed_repo, infra())
    answers_file(seed_repo, apps())
    inv = scan_repo(seed_repo)
    node_cidr = "10.25.15.0/24"
    a = suggest.answers_like(inv, "apps", node_cidr=node_cidr)
    pod, svc = suggest.next_cidr_pair(inv, [node_cidr])
    role = suggest.default_role(inv)
    a["cluster"].update(name="edge", id=suggest.next_cluster_id(inv), branch=suggest.default_branch(role),
                        observability={"role": role, "target": apps()["cluster"]["observability"]["target"]})
    a["network"].update(nodeCidr=node_cidr, gateway=suggest.default_gateway(node_cidr),
                        vip=suggest.default_vip(node_cidr), podCidr=pod, serviceCidr=svc)
    a["nodes"] = suggest.fill_nodes("edge", node_cidr)
    assert (a["cluster"]["id"], pod, svc, role) == (3, "10.46.0.0/16", "10.47.0.0/16", "spoke")
    assert a["network"]["bgp"]["localAsn"] == 64514
    findings = validate(a, inv)
    assert errors(findings) == [], [str(f) for f in findings]
