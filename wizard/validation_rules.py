"""Cross-field and repo-level validation rules (the field checks live in ``wizard.validation``).

Each ``_rule`` function appends ``Finding``s to a collector; ``run_rules`` calls them in the order
of the answers file so the findings come out in a stable, readable order.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from wizard import validation as v
from wizard.findings import Finding
from wizard.spec import ClusterAnswers

if TYPE_CHECKING:
    from wizard.repo import RepoInventory

_CIDR_KEYS = (("nodeCidr", "node_cidr"), ("podCidr", "pod_cidr"), ("serviceCidr", "service_cidr"))
_POD_BLOCK = 24  # per-node pod range (kube-controller-manager --node-cidr-mask-size / Cilium default)
_SVC_MAX_BITS = 20  # kube-apiserver refuses an IPv4 service range wider than /12


class _Out:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, field: str, message: str | None, severity: str = "error") -> None:
        if message and Finding(field, message, severity) not in self.findings:  # type: ignore[arg-type]
            self.findings.append(Finding(field, message, severity))  # type: ignore[arg-type]

    def check(self, field: str, value: Any, fn: Any, *args: Any) -> bool:
        """Run a field check; True when the value passed."""
        msg = fn(value, *args)
        self.add(field, msg)
        return msg is None


def _coerce(answers: ClusterAnswers | dict[str, Any], out: _Out) -> ClusterAnswers | None:
    if isinstance(answers, ClusterAnswers):
        return answers
    try:
        return ClusterAnswers.model_validate(answers)
    except ValidationError as exc:
        for err in exc.errors():
            msg = {"extra_forbidden": "unknown field; remove it or check its spelling (fields are camelCase)",
                   "missing": "required field is missing"}.get(err["type"], err["msg"])
            out.add(".".join(str(p) for p in err["loc"]), msg)
        return None


def _ip(text: str | None) -> IPv4Address | None:
    try:
        return IPv4Address(str(text))
    except ValueError:
        return None


def _free_host(net: IPv4Network, used: set[IPv4Address]) -> str:
    start = max(int(net.network_address) + 11, max((int(u) + 1 for u in used if u in net), default=0))
    for n in range(start, int(net.broadcast_address)):
        if IPv4Address(n) not in used:
            return f"e.g. {IPv4Address(n)}"
    return "a free address"


# ---------------------------------------------------------------- cluster, versions, git, secrets


def _cluster(a: ClusterAnswers, out: _Out) -> None:
    c = a.cluster
    out.check("cluster.name", c.name, v.check_cluster_name)
    out.check("cluster.id", c.id, v.check_cluster_id)
    out.check("cluster.domain", c.domain, v.check_domain)
    out.check("cluster.branch", c.branch, v.check_branch)
    target = c.observability.target
    if c.observability.role == "spoke" and not target:
        out.add("cluster.observability.target", "a spoke sends its metrics to the hub: set target to the hub's "
                "remote-write URL (e.g. http://vmsingle.observability.svc.infra.local:8429)")
    elif c.observability.role == "hub" and target:
        out.add("cluster.observability.target", "a hub receives metrics and has no target: remove target, "
                "or set role: spoke if this cluster ships its metrics elsewhere")
    elif target:
        out.check("cluster.observability.target", target, v.check_url, "observability target")


def _versions(a: ClusterAnswers, out: _Out) -> None:
    ok = {key: out.check(f"versions.{key}", value, v.check_version, key)
          for key, value in a.versions.model_dump(by_alias=True).items()}
    k8s = a.versions.kubernetes
    if ok.get("kubernetes") and ok.get("talos"):
        out.add("versions.kubernetes", v.kubernetes_talos_warning(k8s, a.versions.talos), "warning")
    if ok.get("kubernetes") and ok.get("flux"):
        out.add("versions.kubernetes", v.kubernetes_flux_warning(k8s, a.versions.flux), "warning")


def _git(a: ClusterAnswers, out: _Out) -> None:
    g = a.git
    if out.check("git.url", g.url, v.check_git_url):
        parts = urlsplit(g.url)
        if parts.scheme == "ssh" and parts.hostname not in v.BUILTIN_KNOWN_HOSTS and not g.known_hosts:
            out.add("git.knownHosts", f"{parts.hostname} is not github.com, so Flux cannot verify its SSH host key: "
                    f"set git.knownHosts to the output of `ssh-keyscan {parts.hostname}`")
        if parts.scheme == "https":
            out.add("git.url", "https URL: Flux authenticates with a username/token there, not the SSH deploy key "
                    "the wizard generates; use ssh://git@... unless you add a token secret yourself", "warning")
    if g.known_hosts:
        out.check("git.knownHosts", g.known_hosts, v.check_known_hosts)
    out.check("git.sourceName", g.source_name, v.check_k8s_name, "GitRepository name")


def _secrets(a: ClusterAnswers, out: _Out) -> None:
    seen: dict[str, int] = {}
    for i, r in enumerate(a.secrets.age_recipients):
        if out.check(f"secrets.ageRecipients.{i}", r, v.check_age_recipient) and r in seen:
            out.add(f"secrets.ageRecipients.{i}", f"recipient listed twice (also item {seen[r]}); remove one")
        seen.setdefault(r, i)
    out.check("secrets.onepasswordVault", a.secrets.onepassword_vault, v.check_op_vault)


# ---------------------------------------------------------------- network


def _cidrs(a: ClusterAnswers, inv: RepoInventory | None, out: _Out) -> dict[str, IPv4Network]:
    from wizard.suggest import next_cidr_pair

    nets: dict[str, IPv4Network] = {}
    for key, attr in _CIDR_KEYS:
        if out.check(f"network.{key}", getattr(a.network, attr), v.check_cidr):
            nets[key] = IPv4Network(getattr(a.network, attr))
    # the node CIDR is physical; pod/service ranges are free choices, so the later one is blamed
    for i, (k1, _) in enumerate(_CIDR_KEYS):
        for k2, _ in _CIDR_KEYS[i + 1:]:
            n1, n2 = nets.get(k1), nets.get(k2)
            if n1 and n2 and n1.overlaps(n2):
                free_pod, free_svc = next_cidr_pair(inv, [str(nets["nodeCidr"])] if "nodeCidr" in nets else [])
                how = ("is the same range as" if n1 == n2 else
                       "lies inside" if n2.subnet_of(n1) else "contains")
                out.add(f"network.{k2}", f"{k2} {n2} {how} {k1} {n1}; node, pod and service CIDRs must not share "
                        f"any address: pick disjoint ranges, e.g. pods {free_pod}, services {free_svc}")
    nodes = len(a.nodes)
    node = nets.get("nodeCidr")
    if node is not None and node.num_addresses - 2 < nodes + 2:
        out.add("network.nodeCidr", f"{node} has {max(node.num_addresses - 2, 0)} usable addresses but the gateway, "
                f"the VIP and {nodes} nodes need {nodes + 2}: use a larger network (e.g. /24)")
    pod = nets.get("podCidr")
    blocks = 2 ** (_POD_BLOCK - pod.prefixlen) if pod is not None and pod.prefixlen <= _POD_BLOCK else 0
    if pod is not None and blocks < max(nodes, 1):
        out.add("network.podCidr", f"{pod} holds {blocks} per-node /{_POD_BLOCK} pod ranges for {nodes} nodes: "
                "use a /16 (65536 pod addresses)")
    svc = nets.get("serviceCidr")
    if svc is not None:
        if svc.prefixlen < 32 - _SVC_MAX_BITS:
            out.add("network.serviceCidr", f"{svc} is wider than the /12 kube-apiserver accepts: use e.g. a /16")
        elif svc.num_addresses <= v.COREDNS_OFFSET + 1:
            dns = svc.network_address + v.COREDNS_OFFSET
            out.add("network.serviceCidr", f"{svc} has {svc.num_addresses} addresses, too small for the CoreDNS "
                    f"service address {dns} (service network + {v.COREDNS_OFFSET}) and the API service (+1): "
                    "use a /28 or larger, typically /16")
    return nets


def _addresses(a: ClusterAnswers, node: IPv4Network | None, out: _Out) -> None:
    n = a.network
    # gateway, VIP and nodes, in file order: each must be valid, inside the node CIDR, and unique
    entries = [("network.gateway", "the gateway", n.gateway), ("network.vip", "the VIP", n.vip)]
    entries += [(f"nodes.{i}.address", f"node {x.hostname}", x.address) for i, x in enumerate(a.nodes)]
    seen: dict[IPv4Address, tuple[str, str]] = {}
    used = {ip for ip in (_ip(e[2]) for e in entries) if ip}
    for field, label, text in entries:
        if not out.check(field, text, v.check_ipv4):
            continue
        ip = IPv4Address(text)
        if node is not None and ip not in node:
            out.add(field, f"{text} ({label}) is outside the node network {node}; use an address inside it, "
                    f"{_free_host(node, used)}")
        elif node is not None and ip in (node.network_address, node.broadcast_address):
            kind = "network" if ip == node.network_address else "broadcast"
            out.add(field, f"{text} is the {kind} address of {node}; use a host address, {_free_host(node, used)}")
        elif ip in seen:
            other_field, other = seen[ip]
            fix = f"give {label} its own address, {_free_host(node, used)}" if node else "use distinct addresses"
            out.add(field, f"{text} is already used by {other} ({other_field}); the gateway, the VIP and every "
                    f"node need distinct addresses: {fix}")
        seen.setdefault(ip, (field, label))
    for i, server in enumerate(n.nameservers):
        out.check(f"network.nameservers.{i}", server, v.check_ipv4, "nameserver")
        if n.nameservers.index(server) < i:
            out.add(f"network.nameservers.{i}", f"nameserver {server} is listed twice; remove one")


def _link(a: ClusterAnswers, out: _Out) -> None:
    n = a.network
    if out.check("network.mtu", n.mtu, v.check_mtu):
        out.add("network.mtu", v.mtu_warning(n.mtu), "warning")
    if n.vlan is not None:
        out.check("network.vlan", n.vlan, v.check_vlan)


def _bond(a: ClusterAnswers, out: _Out) -> None:
    b = a.network.bond
    if b is None:
        return
    mode_ok = out.check("network.bond.mode", b.mode, v.check_bond_mode)
    if b.lacp_rate is not None:
        out.check("network.bond.lacpRate", b.lacp_rate, v.check_lacp_rate)
        if mode_ok and b.mode != "802.3ad" and "lacp_rate" in b.model_fields_set:
            out.add("network.bond.lacpRate", f"lacpRate only applies to 802.3ad; the {b.mode} bond ignores it: "
                    "remove it", "warning")
    if b.xmit_hash_policy is not None:
        out.check("network.bond.xmitHashPolicy", b.xmit_hash_policy, v.check_xmit_hash_policy)
        if b.mode in v.XMIT_IGNORED_MODES and "xmit_hash_policy" in b.model_fields_set:
            out.add("network.bond.xmitHashPolicy", f"xmitHashPolicy is ignored in {b.mode} mode: remove it", "warning")
    if b.miimon is not None and b.miimon < 0:
        out.add("network.bond.miimon", f"miimon {b.miimon} is negative; use 100 (milliseconds between link checks)")
    few = "error" if b.mode != "active-backup" else "warning"  # a one-link active-backup bond0 is a known naming trick
    if b.interfaces and b.device_selectors:
        out.add("network.bond", "bond lists both interfaces and deviceSelectors; Talos takes one or the other: "
                "keep NIC names (interfaces) or MAC selectors (deviceSelectors)")
    elif b.interfaces:
        for i, name in enumerate(b.interfaces):
            if out.check(f"network.bond.interfaces.{i}", name, v.check_interface_name) and b.interfaces.index(name) < i:
                out.add(f"network.bond.interfaces.{i}", f"{name} is listed twice; each bond member is a different NIC")
        if len(set(b.interfaces)) < 2:
            out.add("network.bond.interfaces", "a bond needs at least 2 distinct member NICs (e.g. enp1s0f0, "
                    "enp1s0f1); with one NIC remove network.bond", few)
    elif b.device_selectors:
        for i, sel in enumerate(b.device_selectors):
            if out.check(f"network.bond.deviceSelectors.{i}", sel, v.check_mac_selector) and \
                    b.device_selectors.index(sel) < i:
                out.add(f"network.bond.deviceSelectors.{i}", f"{sel} is listed twice; remove one")
        if len(set(b.device_selectors)) < 2 and not any("*" in s for s in b.device_selectors):
            out.add("network.bond.deviceSelectors", "one exact MAC selects one NIC, but a bond needs at least 2: "
                    "add the second NIC's MAC or use a glob such as aa:bb:cc:dd:ee:*", few)
    else:
        short = [i for i, x in enumerate(a.nodes) if len(set(x.macs)) < 2]
        if len(short) == len(a.nodes):
            out.add("network.bond", "the bond has no members: list interfaces (NIC names) or deviceSelectors "
                    "(MAC globs), or give every node its member MACs in nodes[].macs", few)
        for i in short if len(short) < len(a.nodes) else []:
            out.add(f"nodes.{i}.macs", f"node {a.nodes[i].hostname} lists {len(set(a.nodes[i].macs))} MAC(s) "
                    "but the bond needs at least 2 member NICs per node", few)
    for i, x in enumerate(a.nodes):
        if x.interface and x.interface in b.interfaces:
            out.add(f"nodes.{i}.interface", f"{x.interface} is a member of the bond and cannot also be the node's "
                    "standalone interface: remove nodes[].interface")


def _bgp(a: ClusterAnswers, node: IPv4Network | None, out: _Out) -> None:
    g = a.network.bgp
    if g is None:
        return
    values = {"localAsn": g.local_asn, "peerAddress": g.peer_address, "peerAsn": g.peer_asn}
    missing = [k for k, x in values.items() if x is None]
    if missing and len(missing) < 3:
        out.add("network.bgp", f"BGP needs localAsn, peerAddress and peerAsn together (missing: "
                f"{', '.join(missing)}); set all three or remove network.bgp")
    for key in ("localAsn", "peerAsn"):
        if values[key] is not None:
            out.check(f"network.bgp.{key}", values[key], v.check_asn)
    if g.peer_address is not None and out.check("network.bgp.peerAddress", g.peer_address, v.check_ipv4, "peer"):
        peer = IPv4Address(g.peer_address)
        hosts = {_ip(a.network.vip): "the VIP", **{_ip(x.address): f"node {x.hostname}" for x in a.nodes}}
        if peer in hosts and peer != _ip(a.network.gateway):  # a gateway clash is reported on its own
            out.add("network.bgp.peerAddress", f"{peer} is {hosts[peer]}; the BGP peer is your router (often the "
                    "gateway)")
        elif node is not None and peer not in node:
            out.add("network.bgp.peerAddress", f"{peer} is outside the node network {node}; eBGP to a peer that is "
                    "not directly connected needs multihop on the router", "warning")


# ---------------------------------------------------------------- nodes


def _nodes(a: ClusterAnswers, out: _Out) -> None:
    names: dict[str, int] = {}
    macs: dict[str, int] = {}
    for i, x in enumerate(a.nodes):
        if out.check(f"nodes.{i}.hostname", x.hostname, v.check_hostname):
            if x.hostname in names:
                j = names[x.hostname]
                prefix = f"{a.cluster.name}-{'cp' if x.role == 'controlplane' else 'wk'}-"
                free = next(f"{prefix}{n}" for n in range(1, 999) if f"{prefix}{n}" not in {y.hostname for y in a.nodes})
                out.add(f"nodes.{i}.hostname", f"{x.hostname} is also the hostname of nodes.{j}; hostnames must be "
                        f"unique (e.g. {free})")
            names.setdefault(x.hostname, i)
        out.check(f"nodes.{i}.installDisk", x.install_disk, v.check_install_disk)
        if x.interface is not None:
            out.check(f"nodes.{i}.interface", x.interface, v.check_interface_name)
        for k, mac in enumerate(x.macs):
            if out.check(f"nodes.{i}.macs.{k}", mac, v.check_mac) and mac in macs:
                j = macs[mac]
                owner = f"nodes.{j} ({a.nodes[j].hostname})" if j != i else "this node already"
                out.add(f"nodes.{i}.macs.{k}", f"{mac} is also listed for {owner}; every NIC has its own MAC")
            macs.setdefault(mac, i)
    cps = len(a.control_planes)
    if not a.nodes:
        out.add("nodes", "no nodes: add at least one control-plane node (role: controlplane)")
    elif cps == 0:
        out.add("nodes", "no control-plane node: set role: controlplane on 1 or 3 nodes")
    elif cps % 2 == 0:
        out.add("nodes", f"{cps} control-plane nodes: etcd needs an odd count for a quorum (1, 3 or 5); "
                f"{cps} tolerates no more failures than {cps - 1}: make one a worker or add one")


# ---------------------------------------------------------------- across the repo


def _repo(a: ClusterAnswers, inv: RepoInventory, nets: dict[str, IPv4Network], out: _Out) -> None:
    from wizard.repo import cidr_or_none
    from wizard.suggest import next_cidr_pair, next_cluster_id

    name, cid = a.cluster.name, a.cluster.id
    others = [c for c in inv.existing if not (c.name == name and c.id == cid)]
    for c in others:
        if c.name == name:
            out.add("cluster.name", f"cluster {name} already exists in clusters/{name} with id {c.id}; keep id "
                    f"{c.id} to re-render it, or choose another name")
        elif c.id == cid:
            out.add("cluster.id", f"id {cid} is already used by cluster {c.name}; cluster ids must be unique "
                    f"(next free: {next_cluster_id(inv)})")
    pod, svc = next_cidr_pair(inv, [str(nets["nodeCidr"])] if "nodeCidr" in nets else [])
    for key, mine in nets.items():
        for c in others:
            for their_key, text in c.cidrs.items():
                theirs = cidr_or_none(text)
                if theirs is not None and mine.overlaps(theirs):
                    fix = f"free: pods {pod}, services {svc}" if key != "nodeCidr" else "use another subnet"
                    out.add(f"network.{key}", f"{mine} overlaps cluster {c.name}'s {their_key} {text}; clusters "
                            f"must not share addresses (ClusterMesh routes between them): {fix}")
    role, branch = a.cluster.observability.role, a.cluster.branch
    if (role == "spoke" or name == "apps") and branch == "main":
        out.add("cluster.branch", f"{'spoke' if role == 'spoke' else 'apps'} clusters follow release in the "
                "staged-rollout pattern (changes land on main for the hub first, then are promoted): "
                "set branch: release unless this cluster should get changes first", "warning")
    elif role == "hub" and branch != "main":
        out.add("cluster.branch", f"the hub tracks main in the staged-rollout pattern; {branch} delays its "
                "changes: set branch: main unless that is intended", "warning")
    hubs = [c.name for c in others if c.role == "hub"]
    if role == "hub" and hubs:
        out.add("cluster.observability.role", f"{', '.join(hubs)} is already the hub; a second hub splits the "
                "metrics: make this a spoke unless intended", "warning")
    elif role == "spoke" and not hubs:
        out.add("cluster.observability.role", "no hub cluster exists yet, so the spoke's target may not answer "
                "until the hub is created", "warning")
    _repo_keys(a, inv, out)
    if inv.dirty:
        out.add("(repo)", "the git tree has uncommitted changes; commit them first so the wizard's changes "
                "are one reviewable diff", "warning")
    for problem in inv.problems:
        out.add("(repo)", problem, "warning")


def _repo_keys(a: ClusterAnswers, inv: RepoInventory, out: _Out) -> None:
    mine = list(a.secrets.age_recipients) or list(inv.sops_recipients)
    if not mine:
        out.add("secrets.ageRecipients", "no age recipient: the repo has no .sops.yaml recipients and none is "
                "given; add one (`k8s-wizard keys new` prints a new one) to secrets.ageRecipients")
        return
    extra = [r for r in a.secrets.age_recipients if inv.sops_config and r not in inv.sops_recipients]
    if extra:
        out.add("secrets.ageRecipients", f"{extra[0][:16]}… is not in .sops.yaml; the repo's shared secrets are "
                "encrypted to the .sops.yaml recipients, so this cluster's Flux needs one of those keys too",
                "warning")
    if not set(mine) & set(inv.local_recipients):
        out.add("secrets.ageRecipients", "no local age identity matches these recipients: the wizard cannot "
                "decrypt talsecret for re-renders or create Flux's sops-age secret; set SOPS_AGE_KEY_FILE",
                "warning")


def run_rules(answers: ClusterAnswers | dict[str, Any], inventory: RepoInventory | None = None) -> list[Finding]:
    out = _Out()
    a = _coerce(answers, out)
    if a is None:
        return out.findings
    _cluster(a, out)
    nets = _cidrs(a, inventory, out)
    _addresses(a, nets.get("nodeCidr"), out)
    _link(a, out)
    _bond(a, out)
    _bgp(a, nets.get("nodeCidr"), out)
    _nodes(a, out)
    _versions(a, out)
    _git(a, out)
    _secrets(a, out)
    if inventory is not None:
        _repo(a, inventory, nets, out)
    return out.findings
