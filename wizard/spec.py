"""The cluster answers model: the public contract of ``new-cluster --answers`` (apiVersion k8s-wizard/v1).

The model checks *shape and types* only (unknown keys, wrong types, missing fields). Every semantic
rule (CIDR canonical form, overlaps, uniqueness, counts...) lives in ``wizard.validation`` as a pure
function so the TUI, the prompts and the answers file share one implementation and one message.

Field names are camelCase in YAML and snake_case in Python (``alias_generator=to_camel``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

API_VERSION = "k8s-wizard/v1"
KIND = "ClusterAnswers"

from wizard.defaults import (  # noqa: F401  (re-exported: the model's defaults)
    DEFAULT_DOMAIN,
    DEFAULT_INSTALL_DISK,
    DEFAULT_MTU,
    DEFAULT_OP_VAULT,
    DEFAULT_SOURCE_NAME,
    DEFAULT_VERSIONS,
)


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        # Schemas are built on first validation, not at import: the TUI paints before any model is used.
        defer_build=True,
    )


class Observability(_Model):
    role: Literal["hub", "spoke"] = "hub"
    #: Remote-write URL of the hub (required for a spoke, absent for a hub).
    target: str | None = None


class Cluster(_Model):
    name: str
    id: int
    domain: str = DEFAULT_DOMAIN
    branch: str = "main"
    observability: Observability = Field(default_factory=Observability)


class Bond(_Model):
    mode: str = "802.3ad"
    lacp_rate: str | None = "fast"
    miimon: int | None = 100
    xmit_hash_policy: str | None = "layer3+4"
    #: NIC names (``enp1s0f0``) ...
    interfaces: list[str] = Field(default_factory=list)
    #: ... or MAC addresses / globs (``aa:bb:cc:*``) selecting the members; not both.
    device_selectors: list[str] = Field(default_factory=list)


class Bgp(_Model):
    local_asn: int | None = None
    peer_address: str | None = None
    peer_asn: int | None = None

    @property
    def enabled(self) -> bool:
        return None not in (self.local_asn, self.peer_address, self.peer_asn)


class Network(_Model):
    node_cidr: str
    gateway: str
    vip: str
    pod_cidr: str
    service_cidr: str
    nameservers: list[str] = Field(default_factory=list)
    mtu: int = DEFAULT_MTU
    #: Optional VLAN id carrying the node network on top of the NIC/bond.
    vlan: int | None = None
    bond: Bond | None = None
    bgp: Bgp | None = None

    @property
    def effective_nameservers(self) -> list[str]:
        return list(self.nameservers) or [self.gateway]


class Node(_Model):
    hostname: str
    address: str
    role: Literal["controlplane", "worker"]
    install_disk: str = DEFAULT_INSTALL_DISK
    #: Optional NIC name for a single-NIC node (default: first physical link picked by MAC or eth0).
    interface: str | None = None
    #: Optional MAC addresses of this node's NICs (bond members, or the single NIC).
    macs: list[str] = Field(default_factory=list)


class Versions(_Model):
    talos: str = DEFAULT_VERSIONS["talos"]
    kubernetes: str = DEFAULT_VERSIONS["kubernetes"]
    cilium: str = DEFAULT_VERSIONS["cilium"]
    flux: str = DEFAULT_VERSIONS["flux"]
    cert_manager: str = DEFAULT_VERSIONS["certManager"]
    spegel: str = DEFAULT_VERSIONS["spegel"]
    coredns: str = DEFAULT_VERSIONS["coredns"]


class Git(_Model):
    url: str
    source_name: str = DEFAULT_SOURCE_NAME
    #: known_hosts lines for an ssh:// host other than github.com (GitHub's keys are built in).
    known_hosts: str | None = None


class Secrets(_Model):
    #: age X25519 recipients; empty means "the recipients of the repo's .sops.yaml".
    age_recipients: list[str] = Field(default_factory=list)
    onepassword_vault: str = DEFAULT_OP_VAULT


class ClusterAnswers(_Model):
    api_version: Literal["k8s-wizard/v1"] = Field(API_VERSION, alias="apiVersion")
    kind: Literal["ClusterAnswers"] = KIND
    cluster: Cluster
    network: Network
    nodes: list[Node]
    versions: Versions = Field(default_factory=Versions)
    git: Git
    secrets: Secrets = Field(default_factory=Secrets)

    # ---- derived values (never stored) -------------------------------------------------------
    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def control_planes(self) -> list[Node]:
        return [n for n in self.nodes if n.role == "controlplane"]

    @property
    def workers(self) -> list[Node]:
        return [n for n in self.nodes if n.role == "worker"]

    @property
    def first_control_plane(self) -> Node:
        """The node that etcd is bootstrapped on (never the VIP: it only exists after etcd)."""
        return self.control_planes[0]

    @property
    def api_endpoint(self) -> str:
        return f"https://{self.network.vip}:6443"

    def to_yaml_dict(self) -> dict[str, Any]:
        """The answers as the camelCase mapping written to the answers file (defaults included)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
