"""Cross-field rules on one cluster's answers (no repo): CIDRs, addresses, nodes, bond, BGP, git."""

from __future__ import annotations

import pyrage
import pytest

from tests.validation.helpers import apps, at, errors, validate
from wizard.spec import ClusterAnswers


def _with(**changes):
    """apps answers with dotted-path changes applied (``network__vip`` style keys)."""
    a = apps()
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = a
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return a


_DELETE = object()


# ---- CIDRs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes,field,fragment", [
    ({"network__serviceCidr": "10.44.128.0/17"}, "network.serviceCidr", "serviceCidr 10.44.128.0/17 lies inside podCidr 10.44.0.0/16"),
    ({"network__serviceCidr": "10.25.0.0/16"}, "network.serviceCidr", "serviceCidr 10.25.0.0/16 contains nodeCidr 10.25.13.0/24"),
    ({"network__podCidr": "10.45.0.0/16"}, "network.serviceCidr", "is the same range as podCidr 10.45.0.0/16"),
])
def test_cidrs_must_not_overlap(changes, field, fragment):
    msgs = at(validate(_with(**changes)), field)
    assert any(fragment in m for m in msgs), msgs
    assert any("e.g. pods 10.42.0.0/16, services 10.43.0.0/16" in m for m in msgs)


def test_adjacent_cidrs_are_fine():
    assert errors(validate(_with(network__podCidr="10.46.0.0/16", network__serviceCidr="10.47.0.0/16"))) == []


def test_service_cidr_must_hold_coredns_and_fit_the_apiserver():
    assert errors(validate(_with(network__serviceCidr="10.45.0.0/28"))) == []  # .10 and .1 fit in 16 addresses
    assert at(validate(_with(network__serviceCidr="10.45.0.8/29")), "network.serviceCidr")
    wide = at(validate(_with(network__serviceCidr="10.64.0.0/11")), "network.serviceCidr")
    assert wide and "wider than the /12" in wide[0]


def test_pod_cidr_needs_a_per_node_block_for_every_node():
    msgs = at(validate(_with(network__podCidr="10.44.0.0/22")), "network.podCidr")
    assert msgs and "4 per-node /24 pod ranges for 6 nodes" in msgs[0] and "/16" in msgs[0]
    assert errors(validate(_with(network__podCidr="10.44.0.0/21"))) == []


def test_node_cidr_must_hold_gateway_vip_and_nodes():
    msgs = at(validate(_with(network__nodeCidr="10.25.13.0/29")), "network.nodeCidr")
    assert msgs and "6 usable addresses" in msgs[0] and "need 8" in msgs[0]


# ---- addresses -----------------------------------------------------------------------------------

def test_vip_and_gateway_inside_node_cidr_and_not_network_or_broadcast():
    f = validate(_with(network__vip="10.25.14.10", network__gateway="10.25.13.255"))
    assert "outside the node network 10.25.13.0/24" in at(f, "network.vip")[0]
    assert "broadcast address of 10.25.13.0/24" in at(f, "network.gateway")[0]
    f = validate(_with(nodes__5__address="10.25.13.0"))
    assert "network address" in at(f, "nodes.5.address")[0]


def test_two_nodes_with_one_address_names_both():
    msgs = at(validate(_with(nodes__4__address="10.25.13.12")), "nodes.4.address")
    assert msgs == [m for m in msgs if "already used by node apps-cp-2 (nodes.1.address)" in m]
    assert "give node apps-wk-2 its own address, e.g. 10.25.13.17" in msgs[0]


def test_invalid_addresses_and_nameservers():
    f = validate(_with(network__gateway="10.25.13.1/24", network__nameservers=["10.25.13.1", "dns.local", "10.25.13.1"]))
    assert "has a prefix length" in at(f, "network.gateway")[0]
    assert "nameserver 'dns.local' is not an IPv4 address" in at(f, "network.nameservers.1")[0]
    assert "listed twice" in at(f, "network.nameservers.2")[0]


# ---- nodes ---------------------------------------------------------------------------------------

def test_control_plane_count_at_least_one_and_odd():
    a = apps()
    for n in a["nodes"]:
        n["role"] = "worker"
    assert "no control-plane node" in at(validate(a), "nodes")[0]
    a = apps()
    a["nodes"][3]["role"] = "controlplane"
    msg = at(validate(a), "nodes")[0]
    assert "4 control-plane nodes" in msg and "odd" in msg
    a = apps()
    a["nodes"] = a["nodes"][:1]
    assert errors(validate(a)) == []  # a single control plane is a valid (small) cluster
    a["nodes"] = []
    assert "add at least one control-plane node" in at(validate(a), "nodes")[0]


def test_macs_are_unique_across_and_within_nodes():
    a = apps()
    a["nodes"][0]["macs"] = ["aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02"]
    a["nodes"][1]["macs"] = ["aa:bb:cc:dd:ee:02", "aa:bb:cc:dd:ee:03", "aa:bb:cc:dd:ee:03"]
    f = validate(a)
    assert "also listed for nodes.0 (apps-cp-1)" in at(f, "nodes.1.macs.0")[0]
    assert "this node already" in at(f, "nodes.1.macs.2")[0]


def test_duplicate_hostname_suggests_a_free_one():
    msg = at(validate(_with(nodes__4__hostname="apps-wk-1")), "nodes.4.hostname")[0]
    assert "also the hostname of nodes.3" in msg and "e.g. apps-wk-2" in msg  # freed by the rename


# ---- bond ----------------------------------------------------------------------------------------

def test_bond_interfaces_xor_device_selectors():
    msg = at(validate(_with(network__bond__deviceSelectors=["aa:bb:cc:*"])), "network.bond")[0]
    assert "both interfaces and deviceSelectors" in msg


def test_bond_needs_two_distinct_members():
    f = validate(_with(network__bond__interfaces=["enp1s0f0", "enp1s0f0"]))
    assert "listed twice" in at(f, "network.bond.interfaces.1")[0]
    assert "at least 2 distinct member NICs" in at(f, "network.bond.interfaces")[0]
    # exact MAC selectors count one NIC each; a glob may match several
    one = _with(network__bond__interfaces=_DELETE, network__bond__deviceSelectors=["aa:bb:cc:dd:ee:01"])
    assert "add the second NIC's MAC" in at(validate(one), "network.bond.deviceSelectors")[0]
    glob = _with(network__bond__interfaces=_DELETE, network__bond__deviceSelectors=["f8:f2:1e:20:57:*"])
    assert errors(validate(glob)) == []


def test_single_link_active_backup_is_only_a_warning():
    a = _with(network__bond__interfaces=["enp1s0f0"], network__bond__mode="active-backup")
    del a["network"]["bond"]["lacpRate"], a["network"]["bond"]["xmitHashPolicy"]
    f = validate(a)
    assert errors(f) == []
    assert at(f, "network.bond.interfaces", "warning")


def test_bond_members_from_node_macs():
    a = _with(network__bond__interfaces=_DELETE)
    assert "no members" in at(validate(a), "network.bond")[0]
    for i, n in enumerate(a["nodes"]):
        n["macs"] = [f"aa:bb:cc:dd:{i:02x}:01", f"aa:bb:cc:dd:{i:02x}:02"]
    assert errors(validate(a)) == []
    a["nodes"][2]["macs"] = a["nodes"][2]["macs"][:1]
    assert "lists 1 MAC(s)" in at(validate(a), "nodes.2.macs")[0]


def test_bond_member_cannot_be_standalone_interface():
    msg = at(validate(_with(nodes__0__interface="enp1s0f1")), "nodes.0.interface")[0]
    assert "member of the bond" in msg and "remove nodes[].interface" in msg


def test_lacp_rate_only_warns_when_set_for_another_mode():
    explicit = _with(network__bond__mode="balance-xor")
    f = validate(explicit)
    assert errors(f) == [] and "only applies to 802.3ad" in at(f, "network.bond.lacpRate", "warning")[0]
    default = _with(network__bond__mode="balance-xor")
    del default["network"]["bond"]["lacpRate"]
    assert at(validate(default), "network.bond.lacpRate", "warning") == []
    rr = _with(network__bond__mode="balance-rr")
    assert "ignored in balance-rr" in at(validate(rr), "network.bond.xmitHashPolicy", "warning")[0]


def test_bond_field_values():
    f = validate(_with(network__bond__mode="lacp", network__bond__lacpRate="1", network__bond__xmitHashPolicy="l34",
                       network__bond__miimon=-1))
    assert at(f, "network.bond.mode") and at(f, "network.bond.lacpRate") and at(f, "network.bond.xmitHashPolicy")
    assert "use 100" in at(f, "network.bond.miimon")[0]


# ---- link, BGP -----------------------------------------------------------------------------------

def test_mtu_error_and_warning():
    assert "1280–9216" in at(validate(_with(network__mtu=9300)), "network.mtu")[0]
    f = validate(_with(network__mtu=1400))
    assert errors(f) == [] and "unusual" in at(f, "network.mtu", "warning")[0]


# ---- versions ------------------------------------------------------------------------------------

def test_seed_versions_are_compatible():
    assert at(validate(apps()), "versions.kubernetes", "warning") == []


@pytest.mark.parametrize("talos, kubernetes, fragment", [
    ("v1.12.0", "v1.36.1", "Kubernetes 1.36 is newer than Talos 1.12 supports (1.30-1.35): pick Kubernetes 1.35"),
    ("v1.12.0", "v1.29.4", "Kubernetes 1.29 is older than Talos 1.12 supports (1.30-1.35): pick Kubernetes 1.30"),
    ("v1.8.3", "v1.32.0", "newer than Talos 1.8 supports (1.26-1.31)"),  # Talos 1.8's published matrix
])
def test_kubernetes_outside_the_talos_matrix_is_a_warning(talos, kubernetes, fragment):
    f = validate(_with(versions__talos=talos, versions__kubernetes=kubernetes, versions__flux="2.5.1"))
    assert errors(f) == []
    assert any(fragment in m for m in at(f, "versions.kubernetes", "warning")), f


@pytest.mark.parametrize("talos, kubernetes", [("v1.12.0", "v1.30.0"), ("v1.12.1", "v1.35.2"), ("v1.7.0", "v1.25.0")])
def test_kubernetes_inside_the_talos_matrix_is_quiet(talos, kubernetes):
    f = validate(_with(versions__talos=talos, versions__kubernetes=kubernetes, versions__flux="2.3.0"))  # no Flux floor known
    assert at(f, "versions.kubernetes", "warning") == []


def test_kubernetes_older_than_flux_supports_is_a_warning():
    f = validate(_with(versions__talos="v1.10.0", versions__kubernetes="v1.31.4", versions__flux="2.7.5"))
    assert errors(f) == []
    assert at(f, "versions.kubernetes", "warning") == [
        "Flux 2.7 needs Kubernetes 1.32 or newer (`flux check --pre` fails on 1.31): "
        "raise Kubernetes to 1.32+ or pick an older Flux"]
    later = validate(_with(versions__talos="v1.10.0", versions__kubernetes="v1.32.0", versions__flux="2.9.0"))
    assert "Flux 2.9 needs Kubernetes 1.33" in at(later, "versions.kubernetes", "warning")[0]


def test_bad_version_gives_the_error_not_advice():
    f = validate(_with(versions__kubernetes="1.40.0"))
    assert at(f, "versions.kubernetes") and at(f, "versions.kubernetes", "warning") == []


def test_bgp_all_or_none_and_peer_sanity():
    assert errors(validate(_with(network__bgp=_DELETE))) == []
    only_one = at(validate(_with(network__bgp={"localAsn": 64513})), "network.bgp")[0]
    assert "missing: peerAddress, peerAsn" in only_one
    assert "is the VIP" in at(validate(_with(network__bgp__peerAddress="10.25.13.10")), "network.bgp.peerAddress")[0]
    f = validate(_with(network__bgp__peerAddress="10.25.99.1"))
    assert errors(f) == [] and "multihop" in at(f, "network.bgp.peerAddress", "warning")[0]


# ---- cluster, git, secrets, versions --------------------------------------------------------------

def test_cluster_fields_are_checked():
    f = validate(_with(cluster__name="Apps", cluster__id=0, cluster__domain="dev", cluster__branch="re lease"))
    assert at(f, "cluster.name") and at(f, "cluster.id") and at(f, "cluster.domain") and at(f, "cluster.branch")


def test_target_must_be_a_url():
    assert "not an http(s) URL" in at(validate(_with(cluster__observability__target="vmsingle")),
                                      "cluster.observability.target")[0]


def test_git_rules():
    f = validate(_with(git__url="ssh://git@gitea.lan/o/r.git", git__knownHosts="gitea.lan"))
    assert "not '<host> <key-type> <base64-key>'" in at(f, "git.knownHosts")[0]
    ok = validate(_with(git__url="ssh://git@gitea.lan/o/r.git",
                        git__knownHosts="gitea.lan ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsa"))
    assert errors(ok) == []
    https = validate(_with(git__url="https://github.com/o/r.git"))
    assert errors(https) == [] and "token" in at(https, "git.url", "warning")[0]
    assert at(validate(_with(git__sourceName="K8s_Ops")), "git.sourceName")


def test_age_recipients_checked_and_unique():
    r = str(pyrage.x25519.Identity.generate().to_public())
    f = validate(_with(secrets__ageRecipients=[r, "age1pq1" + "q" * 60, r]))
    assert at(f, "secrets.ageRecipients.0") == []
    assert "post-quantum" in at(f, "secrets.ageRecipients.1")[0]
    assert "listed twice" in at(f, "secrets.ageRecipients.2")[0]
    assert "without '/'" in at(validate(_with(secrets__onepasswordVault="a/b")), "secrets.onepasswordVault")[0]


def test_versions_checked():
    assert "drop the leading v" in at(validate(_with(versions__cilium="v1.18.5")), "versions.cilium")[0]


# ---- API shape -----------------------------------------------------------------------------------

def test_model_and_mapping_give_the_same_findings_in_a_stable_order():
    a = _with(network__vip="10.25.13.1", nodes__2__address="10.25.13.300", network__mtu=1400)
    first = validate(a)
    assert first == validate(ClusterAnswers.model_validate(a)) == validate(a)
    order = [f.field for f in first]
    assert order.index("network.vip") < order.index("nodes.2.address") < order.index("network.mtu")


def test_shape_errors_from_a_mapping_are_findings_not_exceptions():
    a = apps()
    a["network"]["nodeCIDR"] = "10.25.13.0/24"
    del a["cluster"]["id"]
    f = validate(a)
    assert "unknown field" in at(f, "network.nodeCIDR")[0]
    assert "required field is missing" in at(f, "cluster.id")[0]


def test_findings_locate_to_yaml_lines_of_the_answers_file():
    from wizard.answers_io import locate_findings, parse_answers
    from wizard.sample import answers_path

    text = answers_path("apps").read_text().replace("vip: 10.25.13.10", "vip: 10.25.13.1")
    answers, doc = parse_answers(text)
    located = locate_findings(validate(answers), doc)
    vip = next(f for f in located if f.field == "network.vip")
    assert text.splitlines()[vip.line - 1].strip().startswith("vip: 10.25.13.1")
