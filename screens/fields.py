"""Field specs shared by the Textual screens and the plain prompts: label, help, choices and the core check.

Every check is a ``wizard.validation.check_*`` function (looked up by name when it runs), so the TUI,
the prompts and the answers file give the same message for the same mistake. Cross-field rules come
from ``validate_answers`` and are mapped back onto the step that owns the field (``findings_for``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from wizard.findings import Finding

from screens.draft import INT_FIELDS, LIST_FIELDS, Draft, _split

BOND_MODES = ("802.3ad", "active-backup", "balance-rr", "balance-xor", "broadcast", "balance-tlb", "balance-alb")
LACP_RATES = ("fast", "slow")
HASH_POLICIES = ("layer3+4", "layer2", "layer2+3", "encap2+3", "encap3+4")


@dataclass(frozen=True)
class FieldSpec:
    path: str
    label: str
    help: str = ""
    #: Name of the ``wizard.validation`` function checking one value (list fields: each item).
    check: str | None = None
    #: Extra arguments of that check (``check_ipv4(value, "gateway")``).
    args: tuple[str, ...] = ()
    optional: bool = False
    choices: tuple[str, ...] = ()
    #: A ``wizard.validation`` function giving advice that does not block (``mtu_warning``).
    warn: str | None = None
    placeholder: str = ""

    @property
    def widget_id(self) -> str:
        return "f-" + self.path.replace(".", "-")


def _f(path: str, label: str, check: str | None = None, help: str = "", **kw) -> FieldSpec:
    return FieldSpec(path, label, help, check, **kw)


def _ip(path: str, label: str, what: str, help: str, **kw) -> FieldSpec:
    return FieldSpec(path, label, help, "check_ipv4", (what,), **kw)


IDENTITY = (
    _f("cluster.name", "Cluster name", "check_cluster_name", "DNS label (a-z, 0-9, -), unique in the repo: folders, hostnames, kube context."),
    _f("cluster.id", "Cluster id", "check_cluster_id", "1-255, unique across clusters (Cilium cluster.id)."),
    _f("cluster.domain", "Domain", "check_domain", "DNS domain for ingress and certificates."),
    _f("cluster.observability.role", "Observability role", None, "hub collects metrics; a spoke sends them to the hub.", choices=("hub", "spoke")),
    _f("cluster.observability.target", "Observability target", "check_url", "Remote-write URL of the hub (spoke only).", optional=True,
       args=("observability target",), placeholder="http://vmsingle.observability.svc.infra.local:8429"),
    _f("cluster.branch", "Git branch", "check_branch", "Branch Flux syncs; a spoke usually follows release (staged rollout)."),
    _f("git.url", "Git URL", "check_git_url", "ssh://git@host/owner/repo.git or https://... (not scp-style git@host:owner/repo)."),
    _f("git.sourceName", "Flux source name", "check_k8s_name", "Name of the Flux GitRepository.", args=("GitRepository name",)),
)
NETWORK = (
    _f("network.nodeCidr", "Node CIDR", "check_cidr", "The nodes' subnet, canonical form (10.25.13.0/24)."),
    _ip("network.gateway", "Gateway", "gateway", "Default route, inside the node CIDR (.1 suggested)."),
    _ip("network.vip", "API VIP", "VIP", "Control-plane VIP inside the node CIDR: https://<vip>:6443 (.10 suggested)."),
    _f("network.podCidr", "Pod CIDR", "check_cidr", "Must not overlap any CIDR of this or another cluster."),
    _f("network.serviceCidr", "Service CIDR", "check_cidr", "Must not overlap; CoreDNS gets its .10 address."),
    _ip("network.nameservers", "Nameservers", "nameserver", "Comma-separated; empty means the gateway.", optional=True),
    _f("network.bgp.localAsn", "BGP local ASN", "check_asn", "BGP is all-or-nothing: fill all three or none.", optional=True),
    _ip("network.bgp.peerAddress", "BGP peer address", "BGP peer address", "The router Cilium peers with.", optional=True),
    _f("network.bgp.peerAsn", "BGP peer ASN", "check_asn", "The router's ASN.", optional=True),
)
NODE = (
    _f("hostname", "Hostname", "check_hostname", "DNS label, unique (<cluster>-cp-1)."),
    _ip("address", "Address", "node address", "Static IP inside the node CIDR, unique."),
    _f("role", "Role", None, "controlplane: 1, 3 or 5 of them (etcd quorum).", choices=("controlplane", "worker")),
    _f("installDisk", "Install disk", "check_install_disk", "Device path (/dev/nvme0n1) or the disk's serial."),
    _f("interface", "NIC name", "check_interface_name", "Optional: the node's single NIC (no bond).", optional=True),
    _f("macs", "MAC addresses", "check_mac", "Optional, comma-separated: this node's NICs.", optional=True),
)
BONDING = (
    _f("network.bond.interfaces", "Members (NIC names)", "check_interface_name", "Comma-separated, at least two; or MACs below, not both.", optional=True),
    _f("network.bond.deviceSelectors", "Members (MACs)", "check_mac_selector", "MACs or globs (aa:bb:cc:*), comma-separated.", optional=True),
    _f("network.bond.mode", "Bond mode", "check_bond_mode", "802.3ad = LACP: the switch ports must form an LACP port-channel.", choices=BOND_MODES),
    _f("network.bond.lacpRate", "LACP rate", "check_lacp_rate", "fast = an LACPDU every second (802.3ad only).", optional=True, choices=LACP_RATES),
    _f("network.bond.miimon", "miimon (ms)", None, "Link check interval in milliseconds (100).", optional=True),
    _f("network.bond.xmitHashPolicy", "Transmit hash policy", "check_xmit_hash_policy", "layer3+4 spreads flows across members.", optional=True, choices=HASH_POLICIES),
)
LINK = (
    _f("network.mtu", "MTU", "check_mtu", "1500 standard; 9000 = jumbo frames end to end.", warn="mtu_warning"),
    _f("network.vlan", "VLAN id", "check_vlan", "Optional 1-4094: tagged node network on the NIC/bond.", optional=True),
)
VERSION_KEYS = ("talos", "kubernetes", "cilium", "flux", "certManager", "spegel", "coredns")
_VERSION_LABELS = {"talos": "Talos", "kubernetes": "Kubernetes", "cilium": "Cilium", "flux": "Flux",
                   "certManager": "cert-manager", "spegel": "Spegel (chart)", "coredns": "CoreDNS (chart)"}
VERSIONS = tuple(_f(f"versions.{k}", _VERSION_LABELS[k], "check_version", "", args=(k,)) for k in VERSION_KEYS)
SECRETS = (
    _f("secrets.ageRecipients", "age recipients", "check_age_recipient", "Comma-separated age1... public keys.", optional=True),
    _f("secrets.onepasswordVault", "1Password vault", "check_op_vault", "Vault of the op:// references in bootstrap/<name>/secrets.yaml.tpl."),
)

#: Which draft paths each step owns (for mapping findings back to a screen).
STEP_PATHS: dict[str, tuple[str, ...]] = {
    "repo": (),
    "identity": tuple(f.path for f in IDENTITY),
    "network": tuple(f.path for f in NETWORK) + ("network.bgp",),
    "nodes": ("nodes",),
    "bonding": tuple(f.path for f in BONDING + LINK) + ("network.bond",),
    "versions": tuple(f.path for f in VERSIONS) + ("versions",),
    "secrets": tuple(f.path for f in SECRETS) + ("secrets",),
}


def step_of(path: str) -> str:
    """The step that owns a finding's field (``network.nodeCidr`` -> ``network``); unknown -> review."""
    best, size = "review", -1
    for step, paths in STEP_PATHS.items():
        for p in paths:
            if (path == p or path.startswith(p + ".") or p.startswith(path + ".")) and len(p) > size:
                best, size = step, len(p)
    return best


def _validation():
    import wizard.validation as v  # imported on first check, not on the launch path

    return v


def run_check(name: str, value: object, *args: str) -> str | None:
    fn: Callable[..., str | None] = getattr(_validation(), name)
    return fn(value, *args)


def check_value_severity(spec: FieldSpec, text: str) -> tuple[str | None, str]:
    """(message, "error"|"warning") for one field's text; the error check wins over the advice."""
    msg = check_value(spec, text)
    if msg or not spec.warn or not (text or "").strip():
        return msg, "error"
    return run_check(spec.warn, text.strip()), "warning"


def check_value(spec: FieldSpec, text: str) -> str | None:
    """The message for one field's text (None = fine). Empty required fields are errors too."""
    text = (text or "").strip()
    if not text:
        return None if spec.optional else f"{spec.label} is required"
    items: Iterable[object]
    if spec.path in LIST_FIELDS or spec.path == "macs":
        items = _split(text)
    elif spec.path in INT_FIELDS:
        try:
            items = [int(text)]
        except ValueError:
            return f"{text!r} is not a whole number; type digits only"
    else:
        items = [text]
    if not spec.check:
        return None
    for item in items:
        msg = run_check(spec.check, item, *spec.args)
        if msg:
            return msg
    return None


def validate_draft(draft: Draft, inventory: object = None) -> list[Finding]:
    """All findings for the whole draft: type problems first, else ``validate_answers``."""
    answers, problems = draft.to_answers()
    if answers is None:
        return problems
    return list(_validation().validate_answers(answers, inventory))


def findings_for(step: str, draft: Draft, inventory: object = None) -> list[Finding]:
    """Cross-field findings that belong to ``step``. Nodes may still be empty on early steps; the
    other rules (name and id unique in the repo, CIDR overlaps) still apply then. When the draft
    cannot be built yet (a later step's required field is empty), only shape errors are returned."""
    data, problems = draft.to_data()
    if problems:
        return [f for f in problems if step_of(f.field) == step]
    from pydantic import ValidationError

    from wizard.spec import ClusterAnswers

    try:
        answers = ClusterAnswers.model_validate(data)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            path = ".".join(str(p) for p in err["loc"])
            if step_of(path) == step and err["type"] != "missing":
                out.append(Finding(path, err["msg"]))
        return out
    found = _validation().validate_answers(answers, inventory)
    return [f for f in found if step_of(f.field) == step]
