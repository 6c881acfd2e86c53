"""Validation rules, one pure function per rule, shared by the TUI, the prompts and the answers file.

Field checks ``check_*(value) -> str | None`` return what is wrong *and the fix* (warnings:
``*_warning``). The cross-field and repo rules live in ``wizard.validation_rules`` and return
``Finding``s whose ``field`` is the dotted camelCase path (``nodes.2.address``); ``validate_answers``
here runs them all. The full list, and how onedr0p/cluster-template's invalid cases map to our
rules, are in docs/validation.md.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from wizard.findings import Finding
from wizard.defaults import DEFAULT_VERSIONS

if TYPE_CHECKING:
    from wizard.repo import RepoInventory
    from wizard.spec import ClusterAnswers

#: cluster-template reserves global/controller/worker (its patch folders); "default" is Cilium's
#: built-in cluster.name, which ClusterMesh cannot tell apart from an unnamed cluster.
RESERVED_CLUSTER_NAMES = ("global", "controller", "worker", "default")
#: The same three plus our patch file stems, so a per-node ``patches/<hostname>.yaml`` never shadows one.
RESERVED_HOSTNAMES = ("global", "controller", "worker", "common", "controlplane")
CLUSTER_NAME_MAX = 32  # Cilium's clusterNameMaxLength (pkg/clustermesh/types)
BOND_MODES = ("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb")
LACP_RATES = ("slow", "fast")
#: Talos nethelpers.BondXmitHashPolicyByName (no vlan+srcmac: Talos rejects it).
XMIT_HASH_POLICIES = ("layer2", "layer2+3", "layer3+4", "encap2+3", "encap3+4")
#: Modes whose driver ignores xmitHashPolicy (it only picks the slave in xor/802.3ad/tlb).
XMIT_IGNORED_MODES = ("balance-rr", "active-backup", "broadcast", "balance-alb")
#: ssh hosts whose known_hosts lines the wizard ships (wizard.deploy_key.GITHUB_KNOWN_HOSTS).
BUILTIN_KNOWN_HOSTS = ("github.com",)
MTU_MIN, MTU_MAX, MTU_USUAL = 1280, 9216, (1500, 9000)
COREDNS_OFFSET = 10  # CoreDNS service IP = service network + 10 (kube-dns convention)

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z")
_FQDN = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}\Z")
_MAC = re.compile(r"([0-9a-f]{2}:){5}[0-9a-f]{2}\Z")
_MAC_GLOB = re.compile(r"([0-9a-f]{2}|\*)(:([0-9a-f]{2}|\*)){0,5}\Z")  # Talos globs know only "*"
_SEMVER = re.compile(r"v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\Z")
_DEVICE_NAME = re.compile(r"(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+|nvme\d+n\d+|mmcblk\d+)\Z")
_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*\Z")
_IFNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,14}\Z")


def _hint(value: str) -> str:
    """``value`` turned into a DNS label (lower case, other characters to '-')."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", value.strip().lower())).strip("-")[:63] or "apps"


def _as_int(value: Any, what: str, lo: int, hi: int, fix: str) -> tuple[int | None, str | None]:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(str(value).strip())
    except ValueError:
        return None, f"{what} {value!r} is not a whole number; {fix}"
    if not lo <= number <= hi:
        return number, f"{what} {number} is out of range; {fix}"
    return number, None


# ================================================================ field checks


def check_cluster_name(value: str) -> str | None:
    v = str(value).strip()
    if not v:
        return "cluster name is empty; use a short DNS label such as apps"
    if v != v.lower() and _LABEL.match(v.lower()):
        return f"cluster name {v!r} has upper-case letters; use {v.lower()!r}"
    if not _LABEL.match(v):
        return (f"cluster name {v!r} is not a DNS label (lower-case letters, digits and '-', starting and "
                f"ending with a letter or digit); try {_hint(v)!r}")
    if len(v) > CLUSTER_NAME_MAX:
        return f"cluster name is {len(v)} characters; Cilium's cluster.name allows {CLUSTER_NAME_MAX}: shorten it"
    if v in RESERVED_CLUSTER_NAMES:
        return f"cluster name {v!r} is reserved ({', '.join(RESERVED_CLUSTER_NAMES)}); pick another, e.g. {v}-1"
    return None


def check_cluster_id(value: Any) -> str | None:
    return _as_int(value, "cluster id", 1, 255, "use 1–255 (it becomes Cilium's cluster.id; 0 is reserved)")[1]


def check_domain(value: str) -> str | None:
    v = str(value).strip()
    if v.endswith("."):
        return f"domain {v!r}: drop the trailing dot ({v.rstrip('.')!r})"
    if v != v.lower() and _FQDN.match(v.lower()):
        return f"domain {v!r} has upper-case letters; use {v.lower()!r}"
    if not _FQDN.match(v) or len(v) > 253:
        return f"domain {v!r} is not a fully qualified domain name; use e.g. monosense.dev"
    return None


def check_branch(value: str) -> str | None:
    """git check-ref-format rules for a branch name (what Flux puts in ``ref.branch``)."""
    v = str(value)
    bad = None
    if not v.strip():
        return "branch is empty; use main or release"
    if v != v.strip() or any(c.isspace() or ord(c) < 32 or c == "\x7f" for c in v):
        bad = "spaces or control characters"
    elif any(c in v for c in "~^:?*[\\"):
        bad = "one of ~ ^ : ? * [ \\"
    elif ".." in v or "//" in v or "@{" in v or v == "@":
        bad = "'..', '//', '@{' or a lone '@'"
    elif v.startswith(("-", "/")) or v.endswith(("/", ".", ".lock")):
        bad = "a leading '-' or '/', or a trailing '/', '.' or '.lock'"
    elif any(part.startswith(".") for part in v.split("/")):
        bad = "a path component starting with '.'"
    return f"branch {v!r} is not a valid git branch name ({bad}); use e.g. main or release" if bad else None


def check_ipv4(value: str, what: str = "address") -> str | None:
    v = str(value).strip()
    if "/" in v:
        return f"{what} {v!r} has a prefix length; an address has none: use {v.split('/')[0]!r}"
    try:
        ipaddress.IPv4Address(v)
    except ValueError:
        if ":" in v:
            return f"{what} {v!r} is IPv6; only IPv4 is supported"
        return f"{what} {v!r} is not an IPv4 address (four numbers 0–255, e.g. 10.25.13.11)"
    return None


def check_cidr(value: str) -> str | None:
    v = str(value).strip()
    if "/" not in v:
        return f"{v!r} has no prefix length; write the network as e.g. {v or '10.25.13.0'}/24"
    try:
        net = ipaddress.IPv4Network(v, strict=False)
    except ValueError:
        if ":" in v:
            return f"{v!r} is IPv6; only IPv4 CIDRs are supported"
        return f"{v!r} is not an IPv4 CIDR; use the network/prefix form, e.g. 10.25.13.0/24"
    if str(net) != v:
        return f"{v} is not a network address; did you mean {net}?"
    return None


def check_mac(value: str) -> str | None:
    v = str(value).strip()
    if _MAC.match(v):
        return None
    hexdigits = re.sub(r"[^0-9A-Fa-f]", "", v)
    fixed = ":".join(hexdigits[i:i + 2] for i in range(0, 12, 2)).lower() if len(hexdigits) == 12 else None
    if fixed and v.lower() == fixed:
        return f"MAC {v!r} must be lower case: {fixed}"
    if fixed:
        return f"MAC {v!r} is not in aa:bb:cc:dd:ee:ff form; did you mean {fixed}?"
    return f"MAC {v!r} is not a MAC address; write six lower-case hex pairs, e.g. aa:bb:cc:dd:ee:ff"


def check_mac_selector(value: str) -> str | None:
    """A Talos deviceSelector ``hardwareAddr``: a MAC or a glob such as ``f8:f2:1e:20:57:*``."""
    v = str(value).strip()
    if v != v.lower() and _MAC_GLOB.match(v.lower()):
        return f"MAC selector {v!r} must be lower case: {v.lower()}"
    if not _MAC_GLOB.match(v) or ("*" not in v and not _MAC.match(v)):
        return (f"MAC selector {v!r} is neither a MAC nor a MAC glob; use e.g. aa:bb:cc:dd:ee:ff "
                "or aa:bb:cc:* (lower-case hex, ':' separated, '*' for the rest)")
    return None


def check_hostname(value: str) -> str | None:
    v = str(value).strip()
    if v != v.lower() and _LABEL.match(v.lower()):
        return f"hostname {v!r} has upper-case letters; use {v.lower()!r}"
    if not _LABEL.match(v):
        return f"hostname {v!r} is not a DNS label (lower-case letters, digits, '-'); try {_hint(v)!r}"
    if v in RESERVED_HOSTNAMES:
        return f"hostname {v!r} is reserved ({', '.join(RESERVED_HOSTNAMES)}); use e.g. <cluster>-cp-1"
    return None


def check_install_disk(value: str) -> str | None:
    v = str(value).strip()
    if not v:
        return "install disk is empty; give a device path such as /dev/nvme0n1 or the disk's serial"
    if v.startswith("/"):
        if not re.match(r"/dev/[A-Za-z0-9._/:-]+\Z", v):
            return f"install disk {v!r} is not a /dev/... device path; use e.g. /dev/nvme0n1 or /dev/sda"
        return None
    if _DEVICE_NAME.match(v):
        return f"install disk {v!r} looks like a device name but would be read as a serial; did you mean /dev/{v}?"
    if not _SERIAL.match(v):
        return f"install disk {v!r} is neither a /dev/... path nor a disk serial (letters, digits, . _ : -)"
    return None


def check_interface_name(value: str) -> str | None:
    v = str(value).strip()
    if not _IFNAME.match(v):
        return f"interface name {v!r} is not a Linux link name (1–15 letters, digits, . _ -); e.g. enp1s0f0"
    return None


def check_mtu(value: Any) -> str | None:
    return _as_int(value, "MTU", MTU_MIN, MTU_MAX, f"use {MTU_MIN}–{MTU_MAX} (1500 standard, 9000 jumbo frames)")[1]


def mtu_warning(value: Any) -> str | None:
    number, err = _as_int(value, "MTU", MTU_MIN, MTU_MAX, "")
    if err is None and number not in MTU_USUAL:
        return f"MTU {number} is unusual; every switch port and NIC on the path must match (1500 or 9000 are typical)"
    return None


def check_vlan(value: Any) -> str | None:
    return _as_int(value, "VLAN id", 1, 4094, "use 1–4094 (0 and 4095 are reserved by 802.1Q)")[1]


def check_asn(value: Any) -> str | None:
    return _as_int(value, "ASN", 1, 4294967295, "use 1–4294967295 (private: 64512–65534, 4200000000–4294967294)")[1]


def check_git_url(value: str) -> str | None:
    v = str(value).strip()
    scp = re.match(r"([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!//)(.+)\Z", v)
    if scp:
        return (f"git URL {v!r} is scp-style, which Flux cannot use; write it as "
                f"ssh://{scp.group(1)}@{scp.group(2)}/{scp.group(3).lstrip('/')}")
    if v.startswith("http://"):
        return f"git URL {v!r} is plain http; use https://{v[7:]} or an ssh://git@... URL"
    if not re.match(r"(https://|ssh://git@)[^/\s]+/\S+\Z", v):
        return f"git URL {v!r} is not ssh://git@<host>/<owner>/<repo>.git or https://<host>/<owner>/<repo>.git"
    host = re.match(r"[a-z]+://(?:[^@/]+@)?([^/]+)/", v)
    if host and ":" in host.group(1) and not host.group(1).rsplit(":", 1)[1].isdigit():
        name, path = host.group(1).split(":", 1)
        return (f"git URL {v!r} has ':{path}' after the host, which a URL reads as a port; "
                f"write {v.replace(host.group(1) + '/', name + '/' + path + '/', 1)}")
    return None


def check_known_hosts(text: str) -> str | None:
    for n, line in enumerate(str(text).splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if parts[0].startswith("@"):
            parts = parts[1:]
        if len(parts) < 3 or not re.match(r"(ssh-|ecdsa-|sk-)", parts[1]):
            return (f"known_hosts line {n} is not '<host> <key-type> <base64-key>'; "
                    "copy the output of ssh-keyscan <host>")
    if not any(x.strip() and not x.lstrip().startswith("#") for x in str(text).splitlines()):
        return "known_hosts is empty; paste the output of ssh-keyscan <host>"
    return None


def check_url(value: str, what: str = "URL") -> str | None:
    v = str(value).strip()
    try:
        parts = urlsplit(v)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok or " " in v:
        return f"{what} {v!r} is not an http(s) URL; use e.g. http://vmsingle.observability.svc.infra.local:8429"
    return None


def check_age_recipient(value: str) -> str | None:
    from wizard.sops.keys import check_recipient  # the SOPS engine owns the key format

    msg = check_recipient(str(value))
    return f"age recipient: {msg}" if msg else None


def check_bond_mode(value: str) -> str | None:
    if value not in BOND_MODES:
        return f"bond mode {value!r} is not a Linux bond mode; use one of {', '.join(BOND_MODES)}"
    return None


def check_lacp_rate(value: str) -> str | None:
    if value not in LACP_RATES:
        return f"lacpRate {value!r} is invalid; use slow or fast (fast = LACPDU every second)"
    return None


def check_xmit_hash_policy(value: str) -> str | None:
    if value not in XMIT_HASH_POLICIES:
        return f"xmitHashPolicy {value!r} is not one Talos accepts; use one of {', '.join(XMIT_HASH_POLICIES)}"
    return None


def check_version(value: str, key: str) -> str | None:
    """Versions keep the seed's form: ``v`` for Talos/Kubernetes/cert-manager, none for charts."""
    v = str(value).strip()
    want_v = DEFAULT_VERSIONS.get(key, "v").startswith("v")
    if not _SEMVER.match(v):
        return f"{key} version {v!r} is not X.Y.Z; e.g. {DEFAULT_VERSIONS.get(key, '1.0.0')}"
    if want_v != v.startswith("v"):
        fixed = f"v{v}" if want_v else v[1:]
        return f"{key} version {v!r}: {'add' if want_v else 'drop'} the leading v ({fixed})"
    return None


#: Talos' support matrix (docs "Support Matrix"): Talos 1.<m> runs Kubernetes 1.<m+18> to 1.<m+23> since
#: Talos 1.7 (1.7: 1.25-1.30 ... 1.12: 1.30-1.35). Older Talos releases supported fewer versions.
TALOS_K8S_SPAN = (18, 23)
#: The oldest Kubernetes minor each Flux minor supports (`flux check --pre` fails below it).
FLUX_MIN_K8S = {4: 28, 5: 30, 6: 31, 7: 32}
FLUX_MIN_K8S_LATEST = 33  # Flux 2.8 and later


def _minor(version: str) -> int | None:
    m = re.match(r"v?1\.(\d+)\.", str(version).strip() + ".")
    return int(m.group(1)) if m else None


def kubernetes_talos_warning(kubernetes: str, talos: str) -> str | None:
    """Advice when Kubernetes is outside the range the Talos release supports (not blocking)."""
    t, k = _minor(talos), _minor(kubernetes)
    if t is None or k is None or t < 7:
        return None
    lo, hi = t + TALOS_K8S_SPAN[0], t + TALOS_K8S_SPAN[1]
    if lo <= k <= hi:
        return None
    side = "newer" if k > hi else "older"
    return (f"Kubernetes 1.{k} is {side} than Talos 1.{t} supports (1.{lo}-1.{hi}): "
            f"pick Kubernetes 1.{hi if k > hi else lo} or a Talos release that supports 1.{k}")


def kubernetes_flux_warning(kubernetes: str, flux: str) -> str | None:
    """Advice when Kubernetes is older than the Flux release supports (`flux check --pre` would fail)."""
    m = re.match(r"v?2\.(\d+)\.", str(flux).strip() + ".")
    k = _minor(kubernetes)
    if not m or k is None:
        return None
    f = int(m.group(1))
    need = FLUX_MIN_K8S.get(f, FLUX_MIN_K8S_LATEST if f > max(FLUX_MIN_K8S) else None)
    if need is None or k >= need:
        return None
    return (f"Flux 2.{f} needs Kubernetes 1.{need} or newer (`flux check --pre` fails on 1.{k}): "
            f"raise Kubernetes to 1.{need}+ or pick an older Flux")


def check_k8s_name(value: str, what: str = "name") -> str | None:
    v = str(value).strip()
    if len(v) > 253 or not re.match(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?\Z", v):
        return f"{what} {v!r} is not a Kubernetes object name (lower-case letters, digits, '-', '.'); try {_hint(v)!r}"
    return None


def check_op_vault(value: str) -> str | None:
    v = str(value).strip()
    if not v or "/" in v:
        return f"1Password vault {v!r} must be a non-empty name without '/' (op://<vault>/<item>/<field> splits on '/')"
    return None


# ================================================================ all rules


def validate_answers(answers: ClusterAnswers | dict[str, Any], inventory: RepoInventory | None = None) -> list[Finding]:
    """Every rule on ``answers`` (a model or a camelCase mapping), plus the repo rules when an
    ``inventory`` is given: errors and warnings in a fixed order (the answers file's order)."""
    from wizard.validation_rules import run_rules  # the cross-field rules live there (module size)

    return run_rules(answers, inventory)
