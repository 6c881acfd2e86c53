"""Render a cluster's whole tree from its answers: the Jinja2 templates, its secrets (encrypted,
reused when they exist), talhelper's machine configs, and the repo-level edits (.sops.yaml,
.gitignore, Taskfiles). Nothing is written here: ``wizard.plan`` compares and writes."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from wizard.answers_io import dump_answers
from wizard.paths import templates_dir
from wizard.validation import XMIT_IGNORED_MODES
from wizard.spec import ClusterAnswers

HEADER = "Rendered by k8s-wizard from the cluster's cluster-answers.yaml: change the answers and re-render."

#: fluxcd-community ``flux2`` chart per Flux minor. The chart's own versions differ from Flux's (the
#: story's "flux2 chart 2.7.5" does not exist): 2.17.x ships Flux 2.7.x (facts in docs/generated-tree.md).
FLUX_CHART = {"2.6": "2.16.4", "2.7": "2.17.0", "2.8": "2.18.2"}
GATEWAY_CHART_VERSION = "v1.6.1"  # Envoy Gateway of the seed's stack (Gateway API v1.4)
#: Chart sources; the HelmRepository URLs are read from the seed's repositories when it has them.
CHART_URLS = {
    "cilium": "https://helm.cilium.io",
    "cert-manager": "https://charts.jetstack.io",
    "coredns": "oci://ghcr.io/coredns/charts/coredns",
    "spegel": "oci://ghcr.io/spegel-org/helm-charts/spegel",
    "flux": "oci://ghcr.io/fluxcd-community/charts/flux2",
    "envoy-gateway": "oci://mirror.gcr.io/envoyproxy/gateway-helm",
}
_SEED_REPO_FILES = {"cilium": "helm/cilium.yaml", "cert-manager": "helm/jetstack.yaml", "envoy-gateway": "oci/envoy-gateway.yaml"}
CILIUM_CRDS = ["ciliumnetworkpolicies.cilium.io", "ciliumclusterwidenetworkpolicies.cilium.io",
               "ciliumloadbalancerippools.cilium.io"]
CILIUM_BGP_CRDS = ["ciliumbgpclusterconfigs.cilium.io", "ciliumbgppeerconfigs.cilium.io", "ciliumbgpadvertisements.cilium.io"]


@dataclass(frozen=True)
class RenderedFile:
    path: str  # relative to the repo, POSIX separators
    content: str
    secret: bool = False  # SOPS-encrypted: shown only as ciphertext
    mode: int = 0o644
    note: str = ""  # why this file changes, when that is not obvious (shown in the plan)


@dataclass
class Rendered:
    files: list[RenderedFile]
    notes: list[str] = field(default_factory=list)  # for the operator, printed after writing
    deploy_key_public: str | None = None


class RenderError(Exception):
    """The tree cannot be rendered; the message names the file and the fix."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# ---------------------------------------------------------------- template context


_PLAIN = re.compile(r"^[A-Za-z0-9_./@-][A-Za-z0-9_./:@+-]*$")
_SPECIAL = re.compile(r"^(true|false|yes|no|on|off|y|n|null|~|[-+]?[0-9][0-9_.:eE+-]*|\.inf|\.nan)$", re.I)


def yamlstr(value: Any) -> str:
    """A YAML scalar for ``value`` that stays a string: plain when safe, else double-quoted."""
    text = str(value)
    if _PLAIN.match(text) and not _SPECIAL.match(text) and ": " not in text and not text.endswith(":"):
        return text
    return json.dumps(text)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["yamlstr"] = yamlstr
    return env


def _seed_url(repo: Path, chart: str) -> str | None:
    rel = _SEED_REPO_FILES.get(chart)
    if not rel:
        return None
    try:
        text = (repo / "infrastructure/base/repositories" / rel).read_text(encoding="utf-8")
    except OSError:
        return None
    m = re.search(r"^\s+url:\s*[\"']?([^\"'\s]+)", text, re.M)
    return m.group(1) if m else None


def flux_chart_version(flux: str) -> str:
    minor = ".".join(flux.lstrip("v").split(".")[:2])
    if minor not in FLUX_CHART:
        known = ", ".join(f"{k}.x" for k in FLUX_CHART)
        raise RenderError(f"versions.flux: no known flux2 chart ships Flux {flux}; use one of {known}", 2)
    return FLUX_CHART[minor]


def charts(answers: ClusterAnswers, repo: Path) -> dict[str, dict[str, str]]:
    v = answers.versions
    out = {
        "cilium": {"version": v.cilium, "repo_url": _seed_url(repo, "cilium") or CHART_URLS["cilium"]},
        "cert-manager": {"version": v.cert_manager, "repo_url": _seed_url(repo, "cert-manager") or CHART_URLS["cert-manager"]},
        "coredns": {"version": v.coredns, "url": CHART_URLS["coredns"]},
        "spegel": {"version": v.spegel, "url": CHART_URLS["spegel"]},
        "flux": {"version": flux_chart_version(v.flux), "url": CHART_URLS["flux"]},
        "envoy-gateway": {"version": GATEWAY_CHART_VERSION,
                          "url": _seed_url(repo, "envoy-gateway") or CHART_URLS["envoy-gateway"]},
    }
    return out


def context(answers: ClusterAnswers, repo: Path) -> dict[str, Any]:
    net = answers.network
    node_net = ipaddress.ip_network(net.node_cidr, strict=False)
    svc_net = ipaddress.ip_network(net.service_cidr, strict=False)
    bond = net.bond
    nodes = []
    for n in answers.nodes:
        # bond members by NIC name, else by MAC: this node's own MACs first, the answers' globs otherwise
        selectors = list(n.macs) or (list(bond.device_selectors) if bond else [])
        nodes.append({
            "hostname": n.hostname, "address": n.address, "install_disk": n.install_disk,
            "controlplane": "true" if n.role == "controlplane" else "false",
            "interface": n.interface, "selectors": [s.lower() for s in selectors],
        })
    # Cilium's device is the link that carries the node address (auto-detected when unnamed)
    base = "bond0" if bond else (answers.nodes[0].interface if len({n.interface for n in answers.nodes}) == 1 else None)
    device = f"{base}.{net.vlan}" if base and net.vlan else base
    bgp = net.bgp if net.bgp is not None and net.bgp.enabled else None
    return {
        "header": HEADER, "name": answers.name, "cluster": answers.cluster, "role": answers.cluster.observability.role,
        "net": net, "prefix": node_net.prefixlen, "nameservers": net.effective_nameservers,
        "bond": bond, "bgp": bgp,
        # the bond driver ignores these outside the modes that use them: do not write dead settings
        "bond_lacp": bool(bond and bond.lacp_rate and bond.mode == "802.3ad"),
        "bond_xmit": bool(bond and bond.xmit_hash_policy and bond.mode not in XMIT_IGNORED_MODES), "nodes": nodes, "workers": answers.workers, "v": answers.versions,
        "git": answers.git, "ssh": answers.git.url.startswith("ssh://"),
        "vault": answers.secrets.onepassword_vault, "coredns_ip": str(svc_net.network_address + 10),
        "cilium_device": device, "cilium_crds": CILIUM_CRDS + (CILIUM_BGP_CRDS if bgp else []),
        "charts": charts(answers, repo),
    }


def _target(rel: Path, name: str) -> str:
    parts = [p.replace("__name__", name) for p in rel.parts]
    parts = ["." + p[4:] if p.startswith("dot-") else p for p in parts]
    return "/".join(parts)[: -len(".j2")]


def render_templates(answers: ClusterAnswers, repo: Path) -> list[RenderedFile]:
    """The cluster's plaintext files (templates/tree), plus shared targets the repo lacks."""
    env = _environment()
    ctx = context(answers, repo)
    root = templates_dir() / "tree"
    files = []
    for src in sorted(root.rglob("*.j2")):
        rel = src.relative_to(templates_dir()).as_posix()
        content = env.get_template(rel).render(ctx)
        if content.strip():  # a template that renders empty is a file this cluster does not need (bgp.yaml)
            files.append(RenderedFile(_target(src.relative_to(root), answers.name), content))
    for folder, tpl in (("infrastructure/base", "infrastructure-base"), ("kubernetes/apps", "kubernetes-apps")):
        if not (repo / folder / "kustomization.yaml").exists():
            files.append(RenderedFile(f"{folder}/kustomization.yaml", env.get_template(f"shared/{tpl}-kustomization.yaml.j2").render(ctx),
                                      note="created: the Flux Kustomization that applies this folder needs a valid target"))
    answers_text = (f"# k8s-wizard answers for cluster {answers.name} (no secrets). Re-render with:\n"
                    f"#   k8s-wizard new-cluster --answers clusters/{answers.name}/cluster-answers.yaml --yes\n"
                    + dump_answers(answers))
    files.append(RenderedFile(f"clusters/{answers.name}/cluster-answers.yaml", answers_text))
    return files


GITIGNORE_ENTRIES = (".kubeconfig*", "talosconfig", "bootstrap/*/secrets.yaml", ".k8s-wizard/")


def gitignore(repo: Path) -> RenderedFile:
    """The repo .gitignore with k8s-wizard's entries appended (only those missing)."""
    path = repo / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    have = {line.strip() for line in text.splitlines()}
    missing = [e for e in GITIGNORE_ENTRIES if e not in have]
    if missing:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "")
        text += "# k8s-wizard: kubeconfigs, talosconfigs, rendered bootstrap secrets, run state\n" + "\n".join(missing) + "\n"
    return RenderedFile(".gitignore", text)


def render_tree(answers: ClusterAnswers, repo: Path, *, identities: Sequence[str], force: bool = False) -> Rendered:
    """Everything the cluster needs in the repo, as files to plan and write."""
    from wizard import taskfile

    repo = Path(repo)
    files = render_templates(answers, repo)
    sops_file, cfg = sops_rules(answers, repo)
    out = Rendered(files + [sops_file])
    secret_files(answers, repo, cfg, identities, out)
    out.files.append(gitignore(repo))
    out.files += taskfile.bootstrap_task_files(repo, answers.name, force=force)
    return out


def render_cluster(answers: ClusterAnswers, repo: Path, *, identities: Sequence[str], force: bool = False) -> list[RenderedFile]:
    return render_tree(answers, repo, identities=identities, force=force).files


# ---------------------------------------------------------------- secrets


def sops_rules(answers: ClusterAnswers, repo: Path):
    """The repo .sops.yaml with this cluster's rules merged in, and the config to encrypt with."""
    from ruamel.yaml import YAML

    from wizard.sops import SopsError, normalize_indent
    from wizard.sops.config import SopsConfig, check_cluster_rules, load_config, merge_cluster_rules

    name, path = answers.name, repo / ".sops.yaml"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    recipients = list(answers.secrets.age_recipients)
    if not recipients:
        if not text:
            raise RenderError(f"{path}: not found, and secrets.ageRecipients is empty: list your age public key there", 2)
        try:
            recipients = load_config(path).rule_for(repo / f"clusters/{name}/talos/talsecret.sops.yaml").recipients
        except SopsError as exc:
            raise RenderError(f"{exc}; or list the age recipients in secrets.ageRecipients", 2) from None
        if not recipients:
            raise RenderError(f"{path}: the rule for clusters/{name}/ lists no age recipients; add one or set secrets.ageRecipients", 2)
    try:
        merged = merge_cluster_rules(text, name, recipients)
        problems = check_cluster_rules(merged, name)
        if problems:
            raise RenderError(f"{path}: refusing to write secrets of {name}: " + "; ".join(problems), 1)
        data = YAML(typ="safe", pure=True).load(merged) or {}
        indent = int(((data.get("stores") or {}).get("yaml") or {}).get("indent") or 0)
        cfg = SopsConfig(path, data.get("creation_rules") or [], normalize_indent(indent, str(path)))
    except SopsError as exc:
        raise RenderError(str(exc), 1) from None
    return RenderedFile(".sops.yaml", merged), cfg


def _existing_plaintext(repo: Path, rel: str, identities: Sequence[str], what: str) -> str | None:
    """Decrypt an existing secret so it is reused; without a key that opens it, stop (never regenerate)."""
    from wizard.sops import SopsError, decrypt

    path = repo / rel
    if not path.exists():
        return None
    try:
        return decrypt(path.read_bytes(), identities, path=rel)
    except SopsError as exc:
        raise RenderError(
            f"{rel} exists but cannot be decrypted ({exc}). It holds the {what} and is reused, never "
            "regenerated: point SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) at an age key of its recipients and re-run.", 1) from None


def _encrypted(cfg: Any, repo: Path, rel: str, plaintext: str, identities: Sequence[str]) -> RenderedFile:
    from wizard.sops import SopsError, encrypt

    rule = cfg.rule_for(repo / rel)
    path = repo / rel
    previous = path.read_bytes() if path.exists() else None
    try:
        text = encrypt(plaintext, rule.recipients, rule=rule.crypt, indent=rule.indent,
                       previous=previous, identities=identities, path=rel)
    except SopsError as exc:
        raise RenderError(str(exc), 1) from None
    return RenderedFile(rel, text, secret=True)


def secret_files(answers: ClusterAnswers, repo: Path, cfg: Any, identities: Sequence[str], out: Rendered) -> None:
    """talsecret (generated once), the Flux deploy key (ssh:// only) and talhelper's machine configs."""
    from wizard import deploy_key, talos_secrets

    name = answers.name
    rel = f"clusters/{name}/talos/talsecret.sops.yaml"
    talsecret = _existing_plaintext(repo, rel, identities, "Talos cluster PKI")
    if talsecret is None:
        talsecret = talos_secrets.generate_bundle()
    elif problems := talos_secrets.validate_bundle(talsecret):
        # reused as-is, never "repaired": a damaged bundle would only fail later, inside talhelper/talosctl
        raise RenderError(f"{rel} decrypts but is not a valid Talos secrets bundle ({'; '.join(problems[:3])}); "
                          "restore it from git history or 1Password (regenerating it would lock you out of the cluster)", 1)
    out.files.append(_encrypted(cfg, repo, rel, talsecret, identities))

    if answers.git.url.startswith("ssh://"):
        rel = f"bootstrap/{name}/github-deploy-key.sops.yaml"
        old = _existing_plaintext(repo, rel, identities, "Flux deploy key")
        if old is not None:
            from ruamel.yaml import YAML

            key = deploy_key.parse_deploy_key_secret(YAML(typ="safe", pure=True).load(old))
        else:
            key = deploy_key.generate_deploy_key(f"flux-{name}")
        kwargs = {"known_hosts": answers.git.known_hosts} if answers.git.known_hosts else {}
        out.files.append(_encrypted(cfg, repo, rel, deploy_key.deploy_key_secret_yaml(key, **kwargs), identities))
        out.deploy_key_public = key.public_openssh.strip()
        out.notes.append(f"Flux deploy key (read-only is enough): {out.deploy_key_public}")
        out.notes.append(f"register it: {deploy_key.gh_deploy_key_command(answers.git.url, f'flux-{name}', public_key=key.public_openssh)}")
    else:
        out.notes.append(f"git.url is not ssh://: no deploy key; Flux reads {answers.git.url} without credentials")
    _talhelper_configs(answers, repo, cfg, talsecret, identities, out)


def _talhelper_configs(answers: ClusterAnswers, repo: Path, cfg: Any, talsecret: str,
                       identities: Sequence[str], out: Rendered) -> None:
    import os
    import shutil
    import subprocess
    import tempfile

    name = answers.name
    folder = f"clusters/{name}/talos"
    exe = shutil.which("talhelper")
    if exe is None:
        out.notes.append(f"talhelper is not on PATH: {folder}/clusterconfig/ is left for the bootstrap (talhelper genconfig)")
        return
    inputs = {f.path[len(folder) + 1:]: f.content for f in out.files if f.path.startswith(folder + "/") and f.path.endswith(".yaml")
              and not f.secret}
    with tempfile.TemporaryDirectory(prefix="k8s-wizard-talhelper-") as tmp:  # mkdtemp: 0700, outside the repo
        for rel, text in inputs.items():
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / rel).write_text(text, encoding="utf-8")
        # the plaintext bundle lives only in this private folder, for talhelper, and is deleted with it
        fd = os.open(Path(tmp) / "talsecret.yaml", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(talsecret)
        argv = [exe, "genconfig", "-c", "talconfig.yaml", "-s", "talsecret.yaml", "-o", "clusterconfig", "--no-gitignore"]
        try:
            proc = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"talhelper genconfig ({exe}) could not run: {exc}", 1) from None
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise RenderError(f"talhelper genconfig failed (exit {proc.returncode}): " + " | ".join(tail), 1)
        made = sorted(p for p in (Path(tmp) / "clusterconfig").iterdir() if p.is_file() and p.name != ".gitignore")
        for src in made:
            stem = src.name[:-5] if src.name.endswith(".yaml") else src.name
            rel = f"{folder}/clusterconfig/{stem}.sops.yaml"
            text = src.read_text(encoding="utf-8")
            if src.name == "talosconfig":
                # every genconfig issues a new client certificate: keep the committed one so a re-run is a no-op
                text = _existing_plaintext(repo, rel, identities, "talosconfig") or text
            out.files.append(_encrypted(cfg, repo, rel, text, identities))
    out.notes.append(f"talhelper genconfig: {len(made)} file(s) stored encrypted in {folder}/clusterconfig/")
