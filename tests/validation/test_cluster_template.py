"""The 20 invalid fixtures of onedr0p/cluster-template (pattern.md §6.1), each in our terms.

Every case mutates the seed's valid apps answers the way the fixture breaks cluster-template's
config and asserts the error lands on our field with a message naming the problem and the fix.
The mapping (their case -> our rule -> field -> message) is documented in docs/validation.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.validation.helpers import apps, at, errors, validate
from wizard.repo import RepoInventory


def _set(path: str, value):
    def mutate(a):
        *parents, last = path.split(".")
        node = a
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[last] = value
    return mutate


def _partial_bgp(a):
    a["network"]["bgp"] = {"localAsn": 64513, "peerAsn": 64501}


def _nested_overlap(a):
    # node network moved inside the pod range (nodes follow so only the overlap is wrong)
    a["network"].update(nodeCidr="10.44.128.0/17", gateway="10.44.128.1", vip="10.44.128.10", nameservers=[])
    a["network"]["bgp"]["peerAddress"] = "10.44.128.1"
    for i, node in enumerate(a["nodes"]):
        node["address"] = f"10.44.128.{11 + i}"


def _hub_with_target(a):
    a["cluster"]["observability"]["role"] = "hub"
    a["cluster"]["branch"] = "main"


CASES = {
    # case id: (mutation, our field, fragments of the message: problem and fix)
    "bad-bgp-asn": (_set("network.bgp.peerAsn", 4294967296), "network.bgp.peerAsn",
                    ["4294967296 is out of range", "1–4294967295"]),
    "bad-mac-address": (_set("nodes.0.macs", ["AABBCCDDEEFF"]), "nodes.0.macs.0",
                        ["AABBCCDDEEFF", "did you mean aa:bb:cc:dd:ee:ff"]),
    "bad-repo-url": (_set("git.url", "git@github.com:o/r.git"), "git.url",
                     ["scp-style", "ssh://git@github.com/o/r.git"]),
    "bad-vlan-tag": (_set("network.vlan", 5000), "network.vlan", ["5000 is out of range", "1–4094"]),
    "duplicate-gateway-addrs": (_set("network.vip", "10.25.13.1"), "network.vip",
                                ["already used by the gateway", "e.g. 10.25.13.17"]),
    "duplicate-node-names": (_set("nodes.1.hostname", "apps-cp-1"), "nodes.1.hostname",
                             ["also the hostname of nodes.0", "unique"]),
    "gateway-node-collision": (_set("nodes.2.address", "10.25.13.10"), "nodes.2.address",
                               ["already used by the VIP (network.vip)", "own address"]),
    "missing-dns-token": (None, "secrets.ageRecipients", ["no age recipient", "secrets.ageRecipients"]),
    "missing-external-gateway": (_set("cluster.observability.target", None), "cluster.observability.target",
                                 ["a spoke sends its metrics", "set target"]),
    "missing-known-hosts": (_set("git.url", "ssh://git@git.example.com/o/r.git"), "git.knownHosts",
                            ["git.example.com", "ssh-keyscan git.example.com"]),
    "missing-schematic": (_set("nodes.4.installDisk", ""), "nodes.4.installDisk",
                          ["install disk is empty", "/dev/nvme0n1"]),
    "nested-cidr-overlap": (_nested_overlap, "network.podCidr",
                            ["podCidr 10.44.0.0/16 contains nodeCidr 10.44.128.0/17", "disjoint"]),
    "node-addr-outside-cidr": (_set("nodes.3.address", "192.168.1.100"), "nodes.3.address",
                               ["outside the node network 10.25.13.0/24", "inside it"]),
    "node-uses-gateway-addr": (_set("nodes.0.address", "10.25.13.1"), "nodes.0.address",
                               ["already used by the gateway (network.gateway)", "node apps-cp-1 its own address"]),
    "non-canonical-cidr": (_set("network.nodeCidr", "10.25.13.5/24"), "network.nodeCidr",
                           ["10.25.13.5/24 is not a network address; did you mean 10.25.13.0/24?"]),
    "overlapping-cidrs": (_set("network.podCidr", "10.25.13.0/24"), "network.podCidr",
                          ["is the same range as nodeCidr 10.25.13.0/24", "disjoint"]),
    "partial-bgp": (_partial_bgp, "network.bgp", ["missing: peerAddress", "set all three or remove"]),
    "reserved-node-name": (_set("nodes.0.hostname", "controller"), "nodes.0.hostname",
                           ["'controller' is reserved", "use e.g."]),
    "tiny-svc-cidr": (_set("network.serviceCidr", "10.45.0.0/29"), "network.serviceCidr",
                      ["too small for the CoreDNS service address 10.45.0.10", "/28 or larger"]),
    "tunnel-without-dns": (_hub_with_target, "cluster.observability.target",
                           ["a hub receives metrics and has no target", "remove target"]),
}


def test_all_twenty_cases_are_covered():
    assert len(CASES) == 20


def test_the_unmutated_answers_are_valid():
    assert errors(validate(apps())) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_case_is_rejected_on_our_field(case, tmp_path: Path):
    mutate, field, fragments = CASES[case]
    answers = apps()
    inventory = None
    if mutate is None:  # missing-dns-token: the credential (age recipient) is missing in the repo
        inventory = RepoInventory(root=tmp_path)
    else:
        mutate(answers)
    findings = validate(answers, inventory)
    messages = at(findings, field)
    assert messages, f"{case}: no error on {field}; got {[str(f) for f in findings]}"
    for fragment in fragments:
        assert any(fragment in m for m in messages), f"{case}: {fragment!r} not in {messages}"
