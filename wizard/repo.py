"""The repo inventory: which clusters already exist under ``clusters/*`` (id, CIDRs, role, branch,
versions), the ``.sops.yaml`` recipients, the git state and whether a local age identity fits.

Read-only and tolerant: a file that cannot be read becomes a ``problems`` line, never a traceback.
"""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:  # pydantic and ruamel load with the first scan, not with find_repo_root
    from wizard.spec import ClusterAnswers

ANSWERS_FILE = "cluster-answers.yaml"
#: cluster-vars keys -> our camelCase CIDR names
_VAR_CIDRS = {"CLUSTER_CIDR": "nodeCidr", "CLUSTER_POD_CIDR": "podCidr", "CLUSTER_SVC_CIDR": "serviceCidr"}


@dataclass(frozen=True)
class NodeInfo:
    hostname: str
    address: str
    controlplane: bool


@dataclass(frozen=True)
class ClusterInfo:
    name: str
    #: ``answers`` (cluster-answers.yaml), ``cluster-vars`` / ``talconfig`` (a hand-made or older tree,
    #: read from flux/cluster-vars.yaml, talos/talconfig.yaml and flux/flux-system/), ``planned``
    #: (only ``.gitkeep`` files: the skeleton reserves the name, nothing exists) or ``unknown``.
    source: str
    id: int | None = None
    domain: str | None = None
    node_cidr: str | None = None
    pod_cidr: str | None = None
    service_cidr: str | None = None
    api_endpoint: str | None = None
    vip: str | None = None
    role: str | None = None
    target: str | None = None
    branch: str | None = None
    git_url: str | None = None
    source_name: str | None = None
    nodes: tuple[NodeInfo, ...] = ()
    versions: dict[str, str] = field(default_factory=dict, hash=False)
    #: The parsed answers when the cluster has a cluster-answers.yaml.
    answers: ClusterAnswers | None = field(default=None, hash=False, compare=False)
    #: Raw facts from talconfig.yaml used by ``suggest.answers_like`` (mtu, bond, vlan, nameservers).
    network: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def planned(self) -> bool:
        return self.source == "planned"

    @property
    def cidrs(self) -> dict[str, str]:
        """The cluster's known CIDRs by camelCase name (``nodeCidr``, ``podCidr``, ``serviceCidr``)."""
        pairs = (("nodeCidr", self.node_cidr), ("podCidr", self.pod_cidr), ("serviceCidr", self.service_cidr))
        return {k: v for k, v in pairs if v}


@dataclass(frozen=True)
class RepoInventory:
    root: Path
    clusters: tuple[ClusterInfo, ...] = ()
    sops_config: Path | None = None
    #: age recipients named anywhere in ``.sops.yaml`` (public keys, in file order).
    sops_recipients: tuple[str, ...] = ()
    #: Recipients of the age identities found locally (SOPS_AGE_KEY[_FILE], keys.txt); public only.
    local_recipients: tuple[str, ...] = ()
    #: True/False for a git work tree with/without uncommitted changes; None when git cannot tell.
    dirty: bool | None = None
    #: Files that could not be read, as ``path: reason`` lines.
    problems: tuple[str, ...] = ()

    def cluster(self, name: str) -> ClusterInfo | None:
        return next((c for c in self.clusters if c.name == name), None)

    @property
    def existing(self) -> tuple[ClusterInfo, ...]:
        """Clusters that exist (everything but the skeleton's planned folders)."""
        return tuple(c for c in self.clusters if not c.planned)

    @property
    def identity_available(self) -> bool:
        """A local identity decrypts what ``.sops.yaml`` encrypts to."""
        return bool(set(self.sops_recipients) & set(self.local_recipients))


# ---------------------------------------------------------------- repo root


def find_repo_root(start: Path) -> Path | None:
    """The git top-level folder containing ``start``; without git, the nearest folder with ``.git``."""
    start = Path(start).resolve()
    if start.is_file():
        start = start.parent
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True,
                             text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip()).resolve()
    except (OSError, subprocess.SubprocessError):
        pass  # no git binary (or a broken one): fall back to looking for the .git entry
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _git_dirty(root: Path) -> bool | None:
    try:
        out = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.stdout.strip()) if out.returncode == 0 else None


# ---------------------------------------------------------------- YAML helpers


def _load_all(path: Path) -> list[Any]:
    from ruamel.yaml import YAML

    return [d for d in YAML(typ="safe", pure=True).load_all(path.read_text(encoding="utf-8")) if d is not None]


def _read(path: Path, root: Path, problems: list[str]) -> list[Any]:
    try:
        return _load_all(path)
    except OSError as exc:
        problems.append(f"{path.relative_to(root)}: cannot read ({exc.strerror})")
    except Exception as exc:  # ruamel raises several unrelated classes for bad YAML
        problems.append(f"{path.relative_to(root)}: not valid YAML ({' '.join(str(exc).split())[:120]}); "
                        "fix it so the cluster's id and CIDRs can be checked")
    return []


def _is_planned(folder: Path) -> bool:
    return all(p.name == ".gitkeep" for p in folder.rglob("*") if p.is_file())


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlparse(url).hostname
    except ValueError:
        return None


# ---------------------------------------------------------------- one cluster


def _from_answers(name: str, a: ClusterAnswers) -> ClusterInfo:
    n = a.network
    return ClusterInfo(
        name=name, source="answers", id=a.cluster.id, domain=a.cluster.domain, node_cidr=n.node_cidr,
        pod_cidr=n.pod_cidr, service_cidr=n.service_cidr, api_endpoint=a.api_endpoint, vip=n.vip,
        role=a.cluster.observability.role, target=a.cluster.observability.target, branch=a.cluster.branch,
        git_url=a.git.url, source_name=a.git.source_name,
        nodes=tuple(NodeInfo(x.hostname, x.address, x.role == "controlplane") for x in a.nodes),
        versions=a.versions.model_dump(by_alias=True), answers=a)


def _cluster_vars(folder: Path, root: Path, problems: list[str]) -> dict[str, str]:
    path = folder / "flux" / "cluster-vars.yaml"
    if not path.is_file():
        return {}
    for doc in _read(path, root, problems):
        if isinstance(doc, dict) and doc.get("kind") == "ConfigMap" and isinstance(doc.get("data"), dict):
            return {str(k): str(v) for k, v in doc["data"].items() if v is not None}
    problems.append(f"{path.relative_to(root)}: no ConfigMap with a data: mapping")
    return {}


def _git_repository(folder: Path, root: Path, problems: list[str]) -> dict[str, Any]:
    for path in sorted((folder / "flux" / "flux-system").glob("*.yaml")):
        for doc in _read(path, root, problems):
            if isinstance(doc, dict) and doc.get("kind") == "GitRepository":
                spec = doc.get("spec") or {}
                return {"branch": (spec.get("ref") or {}).get("branch"), "url": spec.get("url"),
                        "name": (doc.get("metadata") or {}).get("name")}
    return {}


def _talconfig(folder: Path, root: Path, problems: list[str]) -> dict[str, Any]:
    path = folder / "talos" / "talconfig.yaml"
    docs = _read(path, root, problems) if path.is_file() else []
    return docs[0] if docs and isinstance(docs[0], dict) else {}


def _talos_network(nodes: list[Any]) -> dict[str, Any]:
    """MTU, bond, VLAN and nameservers of the first node's first interface (what ``--like`` copies)."""
    first = next((n for n in nodes if isinstance(n, dict)), {})
    out: dict[str, Any] = {}
    if isinstance(first.get("nameservers"), list):
        out["nameservers"] = [str(s) for s in first["nameservers"]]
    iface = next((i for i in first.get("networkInterfaces") or [] if isinstance(i, dict)), {})
    if isinstance(iface.get("mtu"), int):
        out["mtu"] = iface["mtu"]
    if isinstance(iface.get("bond"), dict):
        out["bond"] = dict(iface["bond"])
    vlan = next((v for v in iface.get("vlans") or [] if isinstance(v, dict)), {})
    if isinstance(vlan.get("vlanId"), int):
        out["vlan"] = vlan["vlanId"]
    return out


def _from_files(name: str, folder: Path, root: Path, problems: list[str]) -> ClusterInfo:
    cv = _cluster_vars(folder, root, problems)
    tc = _talconfig(folder, root, problems)
    gr = _git_repository(folder, root, problems)
    if not (cv or tc or gr):
        return ClusterInfo(name=name, source="unknown")
    cluster_id = None
    if cv.get("CLUSTER_ID"):
        try:
            cluster_id = int(cv["CLUSTER_ID"])
        except ValueError:
            problems.append(f"clusters/{name}/flux/cluster-vars.yaml: CLUSTER_ID {cv['CLUSTER_ID']!r} is not a number")
    nets = tc.get("clusterPodNets") or [None]
    svcs = tc.get("clusterSvcNets") or [None]
    endpoint = cv.get("CLUSTER_API_ENDPOINT") or tc.get("endpoint")
    raw_nodes = [n for n in tc.get("nodes") or [] if isinstance(n, dict)]
    nodes = tuple(NodeInfo(str(n.get("hostname", "")), str(n.get("ipAddress", "")).split(",")[0].strip(),
                           bool(n.get("controlPlane"))) for n in raw_nodes)
    versions = {k: str(tc[f"{k}Version"]) for k in ("talos", "kubernetes") if tc.get(f"{k}Version")}
    return ClusterInfo(
        name=name, source="cluster-vars" if cv else "talconfig" if tc else "unknown", id=cluster_id, domain=cv.get("CLUSTER_DOMAIN"),
        node_cidr=cv.get("CLUSTER_CIDR"), pod_cidr=cv.get("CLUSTER_POD_CIDR") or nets[0],
        service_cidr=cv.get("CLUSTER_SVC_CIDR") or svcs[0], api_endpoint=endpoint, vip=_host(endpoint),
        role=cv.get("OBSERVABILITY_ROLE"), target=cv.get("OBSERVABILITY_TARGET"), branch=gr.get("branch"),
        git_url=gr.get("url"), source_name=gr.get("name"), nodes=nodes, versions=versions,
        network=_talos_network(raw_nodes))


def _drift(info: ClusterInfo, folder: Path, root: Path, problems: list[str]) -> None:
    """Report cluster-vars.yaml values that disagree with cluster-answers.yaml (a hand edit)."""
    cv = _cluster_vars(folder, root, problems)
    want = {"CLUSTER_NAME": info.name, "CLUSTER_ID": str(info.id), "CLUSTER_CIDR": info.node_cidr,
            "CLUSTER_POD_CIDR": info.pod_cidr, "CLUSTER_SVC_CIDR": info.service_cidr}
    for key, value in want.items():
        if key in cv and cv[key] != value:
            problems.append(f"clusters/{info.name}/flux/cluster-vars.yaml: {key} is {cv[key]!r} but "
                            f"{ANSWERS_FILE} says {value!r}; re-render the cluster or fix the answers")


def scan_cluster(root: Path, name: str, problems: list[str]) -> ClusterInfo:
    folder = root / "clusters" / name
    if _is_planned(folder):
        return ClusterInfo(name=name, source="planned")
    answers_path = folder / ANSWERS_FILE
    if answers_path.is_file():
        from wizard.answers_io import AnswersError, parse_answers

        try:
            answers, _ = parse_answers(answers_path.read_text(encoding="utf-8"), str(answers_path))
        except AnswersError as exc:
            first = exc.findings[0] if exc.findings else "unreadable"
            problems.append(f"clusters/{name}/{ANSWERS_FILE}: {first}; using cluster-vars.yaml instead")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"clusters/{name}/{ANSWERS_FILE}: cannot read ({exc}); using cluster-vars.yaml instead")
        else:
            if answers.name != name:
                problems.append(f"clusters/{name}/{ANSWERS_FILE}: cluster.name is {answers.name!r}, not the "
                                f"folder name {name!r}; the folder name is used")
            info = _from_answers(name, answers)
            _drift(info, folder, root, problems)
            return info
    return _from_files(name, folder, root, problems)


# ---------------------------------------------------------------- sops / keys


def _sops_recipients(path: Path, root: Path, problems: list[str]) -> tuple[str, ...]:
    docs = _read(path, root, problems)
    rules = docs[0].get("creation_rules") if docs and isinstance(docs[0], dict) else None
    found: list[str] = []

    def add(value: Any) -> None:
        items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
        for item in items:
            if str(item).strip() and str(item).strip() not in found:
                found.append(str(item).strip())

    for rule in rules if isinstance(rules, list) else []:
        if isinstance(rule, dict):
            add(rule.get("age"))
            for group in rule.get("key_groups") or []:
                if isinstance(group, dict):
                    add(group.get("age"))
    return tuple(found)


def _local_recipients(problems: list[str]) -> tuple[str, ...]:
    from wizard.sops.keys import find_identities, recipient_of

    try:
        return tuple(dict.fromkeys(recipient_of(i) for i in find_identities()))
    except ValueError as exc:  # KeysError: a broken key file
        problems.append(f"age identities: {exc}")
        return ()


# ---------------------------------------------------------------- the scan


def scan_repo(root: Path) -> RepoInventory:
    """Inventory of ``root``: clusters (sorted by name), .sops.yaml recipients, git state, local keys."""
    root = Path(root).resolve()
    problems: list[str] = []
    base = root / "clusters"
    names = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")) if base.is_dir() else []
    clusters = tuple(scan_cluster(root, n, problems) for n in names)
    sops = root / ".sops.yaml"
    recipients = _sops_recipients(sops, root, problems) if sops.is_file() else ()
    return RepoInventory(root=root, clusters=clusters, sops_config=sops if sops.is_file() else None,
                         sops_recipients=recipients, local_recipients=_local_recipients(problems),
                         dirty=_git_dirty(root), problems=tuple(problems))


def cidr_or_none(text: str | None) -> ipaddress.IPv4Network | None:
    """``text`` as an IPv4 network (non-strict), or None when it is missing or malformed."""
    try:
        return ipaddress.IPv4Network(str(text), strict=False) if text else None
    except ValueError:
        return None
