"""Suggested answers: the next free cluster id and pod/service CIDR pair, default node layout, VIP,
gateway and branch, and an answers mapping pre-filled from an existing cluster (``--like``).

Pure functions of a ``RepoInventory``; they never read the repo themselves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from wizard.repo import ClusterInfo, RepoInventory, cidr_or_none
from wizard.spec import DEFAULT_INSTALL_DISK, DEFAULT_VERSIONS

#: Host offsets of the seed layout: gateway .1, VIP .10, control planes from .11, then workers.
GATEWAY_OFFSET = 1
VIP_OFFSET = 10
FIRST_NODE_OFFSET = 11
#: Pod/service pairs start at the k3s/cluster-template defaults 10.42/10.43 and step by two /16s.
FIRST_POD_SECOND_OCTET = 42
FIRST_LOCAL_ASN = 64512


def _network(node_cidr: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(node_cidr, strict=False)
    except ValueError:
        raise ValueError(f"{node_cidr!r} is not an IPv4 CIDR such as 10.25.13.0/24") from None


def _host(node_cidr: str, offset: int, what: str) -> str:
    net = _network(node_cidr)
    if offset >= net.num_addresses - 1:
        raise ValueError(f"{net} has no room for the {what} at host offset .{offset}: use a /27 or larger node CIDR")
    return str(net.network_address + offset)


def default_gateway(node_cidr: str) -> str:
    """The first host of the node network (``.1``); raises ValueError for a bad or tiny CIDR."""
    return _host(node_cidr, GATEWAY_OFFSET, "gateway")


def default_vip(node_cidr: str) -> str:
    """The API VIP at host ``.10`` (below the nodes, as in the seed); raises ValueError if it does not fit."""
    return _host(node_cidr, VIP_OFFSET, "VIP")


def default_branch(role: str) -> str:
    """Staged rollout: the hub follows ``main``, spokes follow ``release`` (promoted from main)."""
    return "release" if role == "spoke" else "main"


def default_role(inv: RepoInventory | None) -> str:
    """``hub`` for the first cluster of a repo, ``spoke`` once a hub exists (one hub per repo)."""
    return "spoke" if inv and any(c.role == "hub" for c in inv.existing) else "hub"


def next_cluster_id(inv: RepoInventory | None) -> int:
    """The smallest cluster id (1–255, Cilium cluster.id) no existing cluster uses."""
    used = {c.id for c in inv.existing} if inv else set()
    for candidate in range(1, 256):
        if candidate not in used:
            return candidate
    raise ValueError("all 255 cluster ids are in use")


def _taken(inv: RepoInventory | None, avoid: Iterable[str]) -> list[ipaddress.IPv4Network]:
    texts = [t for c in (inv.existing if inv else ()) for t in c.cidrs.values()] + list(avoid)
    return [n for n in (cidr_or_none(t) for t in texts) if n is not None]


def next_cidr_pair(inv: RepoInventory | None, avoid: Iterable[str] = ()) -> tuple[str, str]:
    """The next (pod, service) pair of /16s in 10.0.0.0/8 that overlaps no existing cluster's
    node/pod/service CIDR nor ``avoid``: after 10.42/10.43 and 10.44/10.45 comes 10.46/10.47."""
    taken = _taken(inv, avoid)
    for second in range(FIRST_POD_SECOND_OCTET, 255, 2):
        pod = ipaddress.IPv4Network(f"10.{second}.0.0/16")
        svc = ipaddress.IPv4Network(f"10.{second + 1}.0.0/16")
        if not any(pod.overlaps(t) or svc.overlaps(t) for t in taken):
            return str(pod), str(svc)
    raise ValueError("no free pair of /16s left in 10.42.0.0–10.255.255.255; choose the CIDRs by hand")


def fill_nodes(name: str, node_cidr: str, controlplanes: int = 3, workers: int = 3,
               install_disk: str = DEFAULT_INSTALL_DISK) -> list[dict[str, Any]]:
    """Answers ``nodes`` entries: ``<name>-cp-<n>`` from ``.11``, then ``<name>-wk-<n>``."""
    if controlplanes < 0 or workers < 0:
        raise ValueError("node counts cannot be negative")
    nodes = []
    for i in range(controlplanes + workers):
        cp = i < controlplanes
        nodes.append({
            "hostname": f"{name}-cp-{i + 1}" if cp else f"{name}-wk-{i - controlplanes + 1}",
            "address": _host(node_cidr, FIRST_NODE_OFFSET + i, f"node #{i + 1}"),
            "role": "controlplane" if cp else "worker",
            "installDisk": install_disk,
        })
    return nodes


def next_local_asn(inv: RepoInventory | None) -> int:
    """One more than the highest BGP localAsn used in the repo (64512, the first private ASN, if none)."""
    used = [c.answers.network.bgp.local_asn for c in (inv.existing if inv else ())
            if c.answers and c.answers.network.bgp and c.answers.network.bgp.local_asn]
    return max(used) + 1 if used else FIRST_LOCAL_ASN


def _move(address: str, old: str | None, new: str | None) -> str | None:
    """``address`` at the same host offset in ``new`` when it lies in ``old``; None if it cannot move;
    an address outside ``old`` (e.g. 1.1.1.1) is returned unchanged."""
    old_net, new_net = cidr_or_none(old), cidr_or_none(new)
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return None
    if old_net is None or ip not in old_net:
        return address
    if new_net is None:
        return None
    offset = int(ip) - int(old_net.network_address)
    return str(new_net.network_address + offset) if offset < new_net.num_addresses else None


def _network_like(src: ClusterInfo, node_cidr: str | None, inv: RepoInventory) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if src.answers is not None:
        n = src.answers.network
        out["mtu"] = n.mtu
        if n.vlan is not None:
            out["vlan"] = n.vlan
        if n.bond is not None:
            out["bond"] = n.bond.model_dump(by_alias=True, exclude_none=True)
        servers = list(n.nameservers)
        if n.bgp is not None and n.bgp.enabled and node_cidr:
            peer = _move(str(n.bgp.peer_address), n.node_cidr, node_cidr)
            if peer:
                out["bgp"] = {"localAsn": next_local_asn(inv), "peerAddress": peer, "peerAsn": n.bgp.peer_asn}
    else:
        raw = src.network
        out.update({k: raw[k] for k in ("mtu", "vlan") if k in raw})
        if "bond" in raw:
            bond = {k: v for k, v in raw["bond"].items()
                    if k in ("mode", "lacpRate", "miimon", "xmitHashPolicy", "interfaces")}
            macs = [s.get("hardwareAddr") for s in raw["bond"].get("deviceSelectors") or [] if isinstance(s, dict)]
            if any(macs):
                bond["deviceSelectors"] = [str(m) for m in macs if m]
            out["bond"] = bond
        servers = list(raw.get("nameservers") or [])
    # nameservers inside the old node network move with it (``.1`` stays ``.1``); the gateway
    # default covers the common "nameserver = gateway" case when the new network is not known yet
    moved = [m for m in (_move(s, src.node_cidr, node_cidr) for s in servers) if m]
    if moved:
        out["nameservers"] = moved
    return out


def answers_like(inventory: RepoInventory, cluster_name: str, node_cidr: str | None = None) -> dict[str, Any]:
    """A partial camelCase answers mapping copied from ``cluster_name``: domain, versions, bond/MTU/VLAN,
    the nameserver pattern, git and secrets. Identity (name, id, role, branch), CIDRs and nodes are
    left for the operator; pass the new ``node_cidr`` to carry node-network addresses (nameservers,
    BGP peer) over at the same host offsets. Raises KeyError for an unknown or planned cluster."""
    src = inventory.cluster(cluster_name)
    if src is None or src.planned:
        known = ", ".join(c.name for c in inventory.existing) or "none yet"
        raise KeyError(f"no existing cluster named {cluster_name!r} to copy from (existing: {known})")
    versions = {**DEFAULT_VERSIONS, **src.versions}
    out: dict[str, Any] = {"cluster": {}, "network": _network_like(src, node_cidr, inventory), "versions": versions}
    if src.domain:
        out["cluster"]["domain"] = src.domain
    if src.answers is not None:
        out["git"] = src.answers.git.model_dump(by_alias=True, exclude_none=True)
        out["secrets"] = src.answers.secrets.model_dump(by_alias=True, exclude_none=True)
    elif src.git_url:
        out["git"] = {"url": src.git_url, **({"sourceName": src.source_name} if src.source_name else {})}
    return out
