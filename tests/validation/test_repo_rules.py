"""Rules across the repo: unique name/id, no CIDR overlap with existing clusters, staged rollout,
one hub, age recipients vs .sops.yaml and local keys."""

from __future__ import annotations

import pyrage
import pytest

from tests.validation.helpers import apps, at, errors, infra, validate
from tests.validation.test_repo import answers_file, hand_written_infra
from wizard.repo import scan_repo


@pytest.fixture
def repo_with_infra(seed_repo):
    """The seed with infra created from a hand-written tree (no answers file)."""
    hand_written_infra(seed_repo)
    return seed_repo


def test_apps_next_to_infra_is_valid(repo_with_infra):
    f = validate(apps(), scan_repo(repo_with_infra))
    assert errors(f) == [] and at(f, "cluster.observability.role", "warning") == []


def test_id_must_be_unique(repo_with_infra):
    a = apps()
    a["cluster"]["id"] = 1
    msg = at(validate(a, scan_repo(repo_with_infra)), "cluster.id")[0]
    assert "id 1 is already used by cluster infra" in msg and "next free: 2" in msg


def test_same_name_and_id_is_a_rerender_other_id_is_a_clash(repo_with_infra):
    inv = scan_repo(repo_with_infra)
    assert errors(validate(infra(), inv)) == []  # infra re-rendered over itself: its CIDRs do not clash
    a = infra()
    a["cluster"]["id"] = 5
    msg = at(validate(a, inv), "cluster.name")[0]
    assert "cluster infra already exists in clusters/infra with id 1" in msg and "keep id 1" in msg


@pytest.mark.parametrize("key,value,their", [
    ("podCidr", "10.42.0.0/16", "podCidr 10.42.0.0/16"),
    ("serviceCidr", "10.43.128.0/17", "serviceCidr 10.43.0.0/16"),
    ("podCidr", "10.0.0.0/8", "nodeCidr 10.25.11.0/24"),
])
def test_cidrs_must_not_overlap_existing_clusters(repo_with_infra, key, value, their):
    a = apps()
    a["network"][key] = value
    msgs = at(validate(a, scan_repo(repo_with_infra)), f"network.{key}")
    hit = [m for m in msgs if "cluster infra's" in m]
    assert hit and their in hit[0] and value in hit[0]
    assert "free: pods 10.44.0.0/16, services 10.45.0.0/16" in hit[0]  # the next pair after infra's


def test_node_cidr_clash_names_the_cluster(repo_with_infra):
    a = infra()
    a["cluster"].update(name="edge", id=3)
    msg = at(validate(a, scan_repo(repo_with_infra)), "network.nodeCidr")[0]
    assert "10.25.11.0/24 overlaps cluster infra's nodeCidr 10.25.11.0/24" in msg


def test_staged_rollout_branch_warnings(repo_with_infra):
    inv = scan_repo(repo_with_infra)
    a = apps()
    a["cluster"]["branch"] = "main"
    f = validate(a, inv)
    assert errors(f) == [] and "follow release" in at(f, "cluster.branch", "warning")[0]
    named_apps_hub = apps()  # a cluster *named* apps on main warns even as a hub
    named_apps_hub["cluster"].update(branch="main", observability={"role": "hub"})
    assert at(validate(named_apps_hub, inv), "cluster.branch", "warning")
    hub = infra()
    hub["cluster"]["branch"] = "release"
    assert "the hub tracks main" in at(validate(hub, inv), "cluster.branch", "warning")[0]
    assert at(validate(apps(), inv), "cluster.branch", "warning") == []


def test_one_hub_per_repo(repo_with_infra):
    edge = infra()
    edge["cluster"].update(name="edge", id=3)
    edge["network"].update(nodeCidr="10.25.15.0/24", gateway="10.25.15.1", vip="10.25.15.10",
                           podCidr="10.46.0.0/16", serviceCidr="10.47.0.0/16", nameservers=[])
    edge["network"]["bgp"]["peerAddress"] = "10.25.15.1"
    for n in edge["nodes"]:
        n["address"] = n["address"].replace("10.25.11.", "10.25.15.")
    f = validate(edge, scan_repo(repo_with_infra))
    assert errors(f) == [] and "infra is already the hub" in at(f, "cluster.observability.role", "warning")[0]


def test_spoke_before_any_hub_warns(seed_repo):
    assert "no hub cluster exists yet" in at(validate(apps(), scan_repo(seed_repo)),
                                             "cluster.observability.role", "warning")[0]


def test_answers_file_cluster_counts_like_a_hand_written_one(seed_repo):
    answers_file(seed_repo, infra())
    a = apps()
    a["network"]["serviceCidr"] = "10.43.0.0/16"
    assert "cluster infra's serviceCidr 10.43.0.0/16" in at(validate(a, scan_repo(seed_repo)), "network.serviceCidr")[0]


def test_recipients_against_sops_yaml_and_local_keys(seed_repo, monkeypatch):
    inv = scan_repo(seed_repo)
    other = str(pyrage.x25519.Identity.generate().to_public())
    a = apps()
    a["secrets"]["ageRecipients"] = [other]
    msgs = at(validate(a, inv), "secrets.ageRecipients", "warning")
    assert any("is not in .sops.yaml" in m for m in msgs)
    assert any("no local age identity" in m for m in msgs)
    assert at(validate(apps(), inv), "secrets.ageRecipients", "warning") == []  # .sops.yaml's key, held locally
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    assert "set SOPS_AGE_KEY_FILE" in at(validate(apps(), scan_repo(seed_repo)), "secrets.ageRecipients", "warning")[0]


def test_no_recipient_anywhere_is_an_error(seed_repo):
    (seed_repo / ".sops.yaml").unlink()
    msg = at(validate(apps(), scan_repo(seed_repo)), "secrets.ageRecipients")[0]
    assert "no age recipient" in msg and "k8s-wizard keys new" in msg


def test_dirty_tree_warns(seed_repo):
    (seed_repo / "scratch.txt").write_text("x\n")
    assert "uncommitted changes" in at(validate(apps(), scan_repo(seed_repo)), "(repo)", "warning")[0]
