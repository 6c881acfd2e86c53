"""Field checks: each accepts good values and rejects bad ones with the problem and the fix."""

from __future__ import annotations

import pyrage
import pytest

from wizard import validation as v
from wizard.spec import DEFAULT_VERSIONS

GOOD = [
    (v.check_cluster_name, ["apps", "infra", "edge-2", "a", "x" * 32]),
    (v.check_cluster_id, [1, 2, 255, "7"]),
    (v.check_domain, ["monosense.dev", "a.b.example.io"]),
    (v.check_branch, ["main", "release", "feature/new-cluster", "v1.2"]),
    (v.check_ipv4, ["10.25.13.11", "192.168.0.1"]),
    (v.check_cidr, ["10.25.13.0/24", "10.44.0.0/16", "10.0.0.0/8", "10.25.13.5/32"]),
    (v.check_mac, ["aa:bb:cc:dd:ee:ff", "f8:f2:1e:20:57:0a"]),
    (v.check_mac_selector, ["f8:f2:1e:20:57:*", "aa:bb:cc:dd:ee:ff", "aa:*", "*"]),
    (v.check_hostname, ["apps-cp-1", "node7"]),
    (v.check_install_disk, ["/dev/nvme0n1", "/dev/sda", "/dev/disk/by-id/nvme-Samsung_990", "S6B0NL0W123456"]),
    (v.check_interface_name, ["enp1s0f0", "eth0", "bond0.2512"]),
    (v.check_mtu, [1280, 1500, 9000, 9216, "1500"]),
    (v.check_vlan, [1, 2512, 4094]),
    (v.check_asn, [1, 64512, 4294967295]),
    (v.check_git_url, ["ssh://git@github.com/monosense-io/k8s-ops.git", "https://github.com/o/r.git",
                       "ssh://git@gitea.lan:2222/o/r.git"]),
    (v.check_url, ["http://vmsingle.observability.svc.infra.local:8429", "https://vm.monosense.dev/api/v1/write"]),
    (v.check_bond_mode, list(v.BOND_MODES)),
    (v.check_lacp_rate, ["slow", "fast"]),
    (v.check_xmit_hash_policy, list(v.XMIT_HASH_POLICIES)),
    (v.check_k8s_name, ["k8s-ops", "flux-system"]),
    (v.check_op_vault, ["k8s-ops", "Home Lab"]),
    (v.check_known_hosts, ["gitea.lan ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
                           "# comment\n[gitea.lan]:2222 ecdsa-sha2-nistp256 AAAAE2VjZHNh"]),
]

BAD = [
    # (check, bad value, fragments: the problem and the fix)
    (v.check_cluster_name, "", ["empty", "DNS label"]),
    (v.check_cluster_name, "Apps", ["upper-case", "'apps'"]),
    (v.check_cluster_name, "my_cluster", ["not a DNS label", "'my-cluster'"]),
    (v.check_cluster_name, "-apps", ["not a DNS label", "'apps'"]),
    (v.check_cluster_name, "x" * 33, ["33 characters", "Cilium", "32"]),
    (v.check_cluster_name, "controller", ["reserved", "controller-1"]),
    (v.check_cluster_name, "global", ["reserved"]),
    (v.check_cluster_name, "worker", ["reserved"]),
    (v.check_cluster_name, "default", ["reserved"]),
    (v.check_cluster_id, 0, ["out of range", "1–255", "0 is reserved"]),
    (v.check_cluster_id, 256, ["256 is out of range", "1–255"]),
    (v.check_cluster_id, "two", ["not a whole number", "1–255"]),
    (v.check_cluster_id, True, ["not a whole number"]),
    (v.check_domain, "monosense", ["not a fully qualified", "monosense.dev"]),
    (v.check_domain, "monosense.dev.", ["trailing dot", "'monosense.dev'"]),
    (v.check_domain, "Monosense.Dev", ["upper-case", "'monosense.dev'"]),
    (v.check_domain, "bad_name.dev", ["not a fully qualified"]),
    (v.check_branch, "", ["empty", "main"]),
    (v.check_branch, "my branch", ["spaces"]),
    (v.check_branch, "rel..ease", ["'..'"]),
    (v.check_branch, "release.lock", [".lock"]),
    (v.check_branch, "-main", ["leading '-'"]),
    (v.check_branch, "feat/.hidden", ["starting with '.'"]),
    (v.check_branch, "a:b", ["~ ^ :"]),
    (v.check_ipv4, "10.25.13.300", ["not an IPv4 address", "10.25.13.11"]),
    (v.check_ipv4, "10.25.13.11/24", ["prefix length", "'10.25.13.11'"]),
    (v.check_ipv4, "fd00::1", ["IPv6", "only IPv4"]),
    (v.check_cidr, "10.25.13.5/24", ["10.25.13.5/24 is not a network address; did you mean 10.25.13.0/24?"]),
    (v.check_cidr, "10.44.3.0/16", ["did you mean 10.44.0.0/16?"]),
    (v.check_cidr, "10.25.13.0", ["no prefix length", "10.25.13.0/24"]),
    (v.check_cidr, "10.25.13.0/33", ["not an IPv4 CIDR", "10.25.13.0/24"]),
    (v.check_cidr, "fd00::/64", ["IPv6"]),
    (v.check_mac, "AA:BB:CC:DD:EE:FF", ["must be lower case", "aa:bb:cc:dd:ee:ff"]),
    (v.check_mac, "AABBCCDDEEFF", ["did you mean aa:bb:cc:dd:ee:ff"]),
    (v.check_mac, "aa-bb-cc-dd-ee-ff", ["did you mean aa:bb:cc:dd:ee:ff"]),
    (v.check_mac, "aa:bb:cc", ["not a MAC address", "six lower-case hex pairs"]),
    (v.check_mac_selector, "F8:F2:1E:*", ["lower case", "f8:f2:1e:*"]),
    (v.check_mac_selector, "aa:bb", ["neither a MAC nor a MAC glob", "aa:bb:cc:*"]),
    (v.check_mac_selector, "enp1s0f0", ["neither a MAC"]),
    (v.check_mac_selector, "aa:bb:cc:dd:ee:f?", ["neither a MAC", "'*' for the rest"]),
    (v.check_hostname, "Apps-CP-1", ["upper-case", "'apps-cp-1'"]),
    (v.check_hostname, "apps_cp_1", ["not a DNS label", "'apps-cp-1'"]),
    (v.check_hostname, "apps-cp-1.monosense.dev", ["not a DNS label"]),
    (v.check_hostname, "controlplane", ["reserved"]),
    (v.check_install_disk, "", ["empty", "/dev/nvme0n1"]),
    (v.check_install_disk, "nvme0n1", ["read as a serial", "did you mean /dev/nvme0n1?"]),
    (v.check_install_disk, "sda", ["did you mean /dev/sda?"]),
    (v.check_install_disk, "/mnt/disk", ["not a /dev/... device path"]),
    (v.check_install_disk, "serial with spaces", ["neither a /dev/... path nor a disk serial"]),
    (v.check_interface_name, "a-very-long-interface-name", ["not a Linux link name", "1–15"]),
    (v.check_interface_name, "en p1", ["not a Linux link name"]),
    (v.check_mtu, 1279, ["out of range", "1280–9216"]),
    (v.check_mtu, 9217, ["out of range", "1280–9216"]),
    (v.check_mtu, "jumbo", ["not a whole number"]),
    (v.check_vlan, 0, ["out of range", "1–4094"]),
    (v.check_vlan, 4095, ["out of range", "1–4094"]),
    (v.check_asn, 0, ["out of range", "1–4294967295"]),
    (v.check_asn, 4294967296, ["out of range"]),
    (v.check_asn, "645 12", ["not a whole number"]),
    (v.check_git_url, "git@github.com:o/r.git", ["scp-style", "ssh://git@github.com/o/r.git"]),
    (v.check_git_url, "git@gitea.lan:team/r.git", ["ssh://git@gitea.lan/team/r.git"]),
    (v.check_git_url, "http://github.com/o/r.git", ["plain http", "https://github.com/o/r.git"]),
    (v.check_git_url, "ssh://github.com/o/r.git", ["not ssh://git@<host>"]),
    (v.check_git_url, "github.com/o/r", ["not ssh://git@<host>"]),
    (v.check_git_url, "ssh://git@github.com:o/r.git", ["reads as a port", "ssh://git@github.com/o/r.git"]),
    (v.check_url, "vmsingle:8429", ["not an http(s) URL", "http://vmsingle"]),
    (v.check_url, "ftp://host/x", ["not an http(s) URL"]),
    (v.check_url, "http://host:99999/x", ["not an http(s) URL"]),
    (v.check_bond_mode, "lacp", ["not a Linux bond mode", "802.3ad"]),
    (v.check_bond_mode, "802.3AD", ["not a Linux bond mode"]),
    (v.check_lacp_rate, "medium", ["slow or fast"]),
    (v.check_xmit_hash_policy, "vlan+srcmac", ["not one Talos accepts", "layer3+4"]),
    (v.check_xmit_hash_policy, "layer34", ["layer3+4"]),
    (v.check_k8s_name, "K8s_Ops", ["not a Kubernetes object name", "'k8s-ops'"]),
    (v.check_op_vault, "team/k8s", ["without '/'"]),
    (v.check_op_vault, "", ["non-empty"]),
    (v.check_known_hosts, "gitea.lan", ["not '<host> <key-type> <base64-key>'", "ssh-keyscan"]),
    (v.check_known_hosts, "# only a comment", ["empty", "ssh-keyscan"]),
]


@pytest.mark.parametrize("check,values", GOOD, ids=[c.__name__ for c, _ in GOOD])
def test_good_values_pass(check, values):
    for value in values:
        assert check(value) is None, f"{check.__name__}({value!r}) -> {check(value)}"


@pytest.mark.parametrize("check,value,fragments", BAD, ids=[f"{c.__name__}-{i}" for i, (c, *_) in enumerate(BAD)])
def test_bad_values_name_problem_and_fix(check, value, fragments):
    msg = check(value)
    assert msg, f"{check.__name__}({value!r}) accepted a bad value"
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"


def test_every_check_is_covered_by_good_and_bad_tables():
    checks = {n for n in dir(v) if n.startswith("check_")}
    covered = {c.__name__ for c, _ in GOOD} | {c.__name__ for c, *_ in BAD}
    # age recipients and versions have their own tests below
    assert checks - covered == {"check_age_recipient", "check_version"}


def test_mtu_warning_only_outside_1500_and_9000():
    assert v.mtu_warning(1500) is None and v.mtu_warning(9000) is None
    assert "unusual" in v.mtu_warning(1400)
    assert v.mtu_warning(100) is None  # out of range is check_mtu's error, not also a warning


def test_age_recipient_valid_invalid_and_post_quantum():
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    assert v.check_age_recipient(recipient) is None
    broken = recipient[:-1] + ("q" if recipient[-1] != "q" else "p")
    assert "checksum" in v.check_age_recipient(broken)
    pq = v.check_age_recipient("age1pq1" + "q" * 60)
    assert "post-quantum" in pq and "sops 3.11" in pq
    identity = str(pyrage.x25519.Identity.generate())
    assert "private" in v.check_age_recipient(identity)
    assert "age1" in v.check_age_recipient("ssh-ed25519 AAAA")


@pytest.mark.parametrize("key,bad,fix", [
    ("talos", "1.12.0", "v1.12.0"), ("kubernetes", "1.35.0", "v1.35.0"), ("cilium", "v1.18.5", "1.18.5"),
    ("certManager", "1.19.2", "v1.19.2"), ("coredns", "v1.45.0", "1.45.0"), ("flux", "2.7", "2.7.5"),
])
def test_versions_keep_the_seed_form(key, bad, fix):
    assert v.check_version(DEFAULT_VERSIONS[key], key) is None
    msg = v.check_version(bad, key)
    assert msg and fix in msg
