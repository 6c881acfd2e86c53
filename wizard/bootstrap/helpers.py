"""In-process pieces of the phases: file checks, in-memory secret producers (decrypted deploy key,
sops-age, op inject output) that register every secret value with the redactor, release discovery."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterable

from wizard.bootstrap.model import Action, Cmd, Context, Func, Rule, RunFn, StepError
from wizard.bootstrap.rules import SOPS

RELEASE_ESTIMATES = {"cilium": 120, "coredns": 30, "spegel": 30, "cert-manager": 90, "flux": 90, "flux2": 90}
DEFAULT_RELEASES = (("cilium", "kube-system"), ("coredns", "kube-system"), ("spegel", "kube-system"),
                    ("cert-manager", "cert-manager"), ("flux", "flux-system"))
_SECRET_PARENTS = ("data", "stringData")


# ---- rule helpers -------------------------------------------------------------------------------
def with_confirm(rules: tuple[Rule, ...], confirm: Cmd) -> tuple[Rule, ...]:
    return tuple(dataclasses.replace(r, confirm=confirm) if r.action is Action.CONFIRM else r for r in rules)


def with_fix(rules: tuple[Rule, ...], fix: Func) -> tuple[Rule, ...]:
    return tuple(dataclasses.replace(r, fix=fix) if r.action is Action.FIX else r for r in rules)


def already_configured_ok(rest: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """Preflight: a node that wants a client certificate left maintenance mode in an earlier run."""
    return (Rule(r"certificate required|authentication handshake failed|x509|tls: ", Action.DONE,
                 "node already configured (earlier run)"), *rest)


def disk_listed(disk: str):
    name = disk.rsplit("/", 1)[-1]
    return lambda out: re.search(rf"(^|\s|/){re.escape(name)}(\s|$)", out, re.M) is not None


# ---- preflight ----------------------------------------------------------------------------------
def version_commands(ctx: Context) -> list[tuple[str, tuple[str, ...]]]:
    table = {"talosctl": ("version", "--client"), "talhelper": ("--version",), "kubectl": ("version", "--client"),
             "helmfile": ("--version",), "helm": ("version", "--short"), "git": ("--version",), "op": ("--version",)}
    return [(t, table[t]) for t in tools_required(ctx)]


def tools_required(ctx: Context) -> list[str]:
    tools = ["talosctl", "kubectl", "helmfile", "helm", "git"]
    if not encrypted_clusterconfig(ctx):
        tools.append("talhelper")
    if needs_op(ctx):
        tools.append("op")
    return tools


async def check_tools(ctx: Context, run: RunFn) -> None:
    missing = [t for t in tools_required(ctx) if not shutil.which(t, path=ctx.env.get("PATH"))]
    if missing:
        raise StepError(f"not on PATH: {', '.join(missing)}",
                        "install them (see the README's tool list) or run with --simulate to try the flow")


async def prepare_state_dir(ctx: Context, run: RunFn) -> None:
    from wizard.fsutil import atomic_write

    ctx.state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(ctx.state_dir, 0o700)
    # a self-ignoring folder: the run state never reaches git even if the repo's .gitignore lacks it
    marker = ctx.repo / ".k8s-wizard" / ".gitignore"
    if not marker.exists():
        atomic_write(marker, "# k8s-wizard run state (journal, logs, machine configs): never commit\n*\n")


def _register(ctx: Context, docs: list[Any], whole_file: bool) -> None:
    def leaves(node: Any, under_secret: bool) -> Iterable[str]:
        if isinstance(node, dict):
            for k, v in node.items():
                yield from leaves(v, under_secret or k in _SECRET_PARENTS)
        elif isinstance(node, list):
            for v in node:
                yield from leaves(v, under_secret)
        elif isinstance(node, str) and under_secret:
            yield node

    for doc in docs:
        for value in leaves(doc, whole_file):
            if whole_file and len(value) < 16:
                continue  # structural strings (kinds, short names) are not worth hiding
            ctx.redactor.add(value)


def _load_all(text: str) -> list[Any]:
    from ruamel.yaml import YAML

    return [d for d in YAML(typ="safe").load_all(text) if d is not None]


def decrypt_file(ctx: Context, path: Path) -> str:
    """Plaintext of a SOPS file, in memory only; its secret values are registered with the redactor."""
    text = path.read_text(encoding="utf-8")
    rel = os.path.relpath(path, ctx.repo)
    from wizard.sops import decrypt

    try:
        plain = decrypt(text, ctx.load_identities(), path=rel)
    except Exception as exc:  # SopsError/KeysError: one clear message, never a traceback
        raise StepError(f"{rel}: cannot decrypt ({exc})", SOPS[0].remedy) from None
    _register(ctx, _load_all(plain), whole_file="/talos/" in rel.replace(os.sep, "/"))
    return plain


def sops_files(ctx: Context) -> list[Path]:
    found = []
    for base in (ctx.repo / "clusters" / ctx.name, ctx.bootstrap_dir):
        if base.is_dir():
            found += sorted(p for p in base.rglob("*.sops.yaml") if "clusterconfig" not in p.parts)
    return found


async def check_decrypt(ctx: Context, run: RunFn) -> None:
    files = sops_files(ctx)
    if not files:
        raise StepError(f"no *.sops.yaml under clusters/{ctx.name} or bootstrap/{ctx.name}",
                        "render the cluster first: `k8s-wizard new-cluster` (writes talsecret.sops.yaml, deploy key)")
    for f in files:
        decrypt_file(ctx, f)


async def check_deploy_key(ctx: Context, run: RunFn) -> None:
    f = ctx.bootstrap_dir / "github-deploy-key.sops.yaml"
    if not f.exists():
        raise StepError(f"{f.relative_to(ctx.repo)} missing", "re-render the cluster (`k8s-wizard new-cluster`)")
    docs = _load_all(decrypt_file(ctx, f))
    data = (docs[0] or {}).get("stringData") or (docs[0] or {}).get("data") or {} if docs else {}
    if "identity" not in data:
        raise StepError(f"{f.name}: no stringData.identity (the deploy key)", "re-render the cluster's deploy key Secret")


def needs_op(ctx: Context) -> bool:
    tpl = ctx.bootstrap_dir / "secrets.yaml.tpl"
    return tpl.exists() and "op://" in tpl.read_text(encoding="utf-8")


# ---- machine configs ----------------------------------------------------------------------------
def encrypted_clusterconfig(ctx: Context) -> list[Path] | None:
    d = ctx.talos_dir / "clusterconfig"
    files = [d / f"{ctx.name}-{n.hostname}.sops.yaml" for n in ctx.answers.nodes] + [d / "talosconfig.sops.yaml"]
    return files if all(f.exists() for f in files) else None


async def make_clusterconfig_dir(ctx: Context, run: RunFn) -> None:
    ctx.clusterconfig.mkdir(parents=True, exist_ok=True)
    os.chmod(ctx.state_dir, 0o700)
    os.chmod(ctx.clusterconfig, 0o700)


async def decrypt_clusterconfig(ctx: Context, run: RunFn) -> None:
    from wizard.fsutil import atomic_write

    for f in encrypted_clusterconfig(ctx) or []:
        atomic_write(ctx.clusterconfig / f.name.replace(".sops.yaml", ".yaml").replace("talosconfig.yaml", "talosconfig"),
                     decrypt_file(ctx, f), mode=0o600)


def configs_present(ctx: Context):
    def test(c: Context) -> bool:
        return c.talosconfig.is_file() and all(c.node_config(n).is_file() for n in c.answers.nodes)
    return test


async def check_clusterconfig(ctx: Context, run: RunFn) -> None:
    missing = [n.hostname for n in ctx.answers.nodes if not ctx.node_config(n).is_file()]
    if missing or not ctx.talosconfig.is_file():
        raise StepError(f"talhelper wrote no config for: {', '.join(missing) or 'talosconfig'}",
                        "hostnames in talconfig.yaml must equal cluster-answers.yaml; re-render the cluster")
    for f in ctx.clusterconfig.iterdir():
        if f.is_file():
            os.chmod(f, 0o600)


async def check_kubeconfig(ctx: Context, run: RunFn) -> None:
    if not ctx.kubeconfig.is_file():
        raise StepError(f"{ctx.kubeconfig} was not written", "re-run with `--from kubeconfig`")
    os.chmod(ctx.kubeconfig, 0o600)
    if not re.search(rf"^\s*(- )?name: {re.escape(ctx.name)}\s*$", ctx.kubeconfig.read_text(), re.M):
        raise StepError(f"{ctx.kubeconfig.name} has no context named {ctx.name!r}", "re-run with `--from kubeconfig`")


# ---- namespaces and secrets (stdin producers) -----------------------------------------------------
def namespaces(ctx: Context) -> list[str]:
    found = {"flux-system"} | {ns for _, ns in releases(ctx)}
    tpl = ctx.bootstrap_dir / "secrets.yaml.tpl"
    if tpl.exists():
        found |= set(re.findall(r"^\s+namespace:\s*['\"]?([a-z0-9-]+)", tpl.read_text(encoding="utf-8"), re.M))
    return sorted(found - {"kube-system", "default"})


def namespaces_yaml(ctx: Context) -> str:
    return "".join(f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n" for ns in namespaces(ctx))


def deploy_key_yaml(ctx: Context) -> str:
    return decrypt_file(ctx, ctx.bootstrap_dir / "github-deploy-key.sops.yaml")


def sops_age_yaml(ctx: Context) -> str:
    idents = ctx.load_identities()
    if not idents:
        raise StepError("no age identity found", SOPS[0].remedy)
    text = "\n".join(idents) + "\n"
    from wizard.flux_secrets import sops_age_secret_yaml

    return sops_age_secret_yaml(text)


def op_secrets_yaml(ctx: Context) -> str:
    text = ctx.vars.get("op_secrets", "")
    _register(ctx, _load_all(text), whole_file=False)
    return text


async def noop(ctx: Context, run: RunFn) -> None:
    return None


def crds_only(ctx: Context) -> str:
    """Only the CustomResourceDefinitions of ``helmfile template`` (the proven yq filter, in Python)."""
    src = ctx.vars.get("crds_rendered", "")
    cached = ctx.vars.get("crds_filtered")
    if not cached or cached[0] is not src:
        keep = [chunk.strip("\n") + "\n" for chunk in re.split(r"^---\s*$", src, flags=re.M)
                if re.search(r"^kind:\s*CustomResourceDefinition\s*$", chunk, re.M)]
        ctx.vars["crds_filtered"] = cached = (src, "".join(f"---\n{c}" for c in keep))
    return cached[1]


def crd_names(ctx: Context) -> tuple[str, ...]:
    names = [((d.get("metadata") or {}).get("name")) for d in _load_all(crds_only(ctx))
             if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
    return tuple(f"crd/{n}" for n in dict.fromkeys(n for n in names if n))


def has_crds(ctx: Context) -> bool:
    return bool(crds_only(ctx).strip())


def helm_recover(name: str, namespace: str):
    """pending-upgrade → ``helm rollback``; pending-install (nothing to roll back to) → ``helm uninstall``."""
    async def fix(ctx: Context, run: RunFn) -> None:
        r = await run(Cmd(("helm", "rollback", name, "--namespace", namespace), label=f"helm rollback {name}"))
        if r.rc != 0:
            r = await run(Cmd(("helm", "uninstall", name, "--namespace", namespace), label=f"helm uninstall {name}"))
            # "release: not found": no pending record is left (the lock was another process's): just retry
            if r.rc != 0 and "not found" not in r.output:
                raise StepError(f"cannot recover the pending Helm release {name}",
                                f"`helm -n {namespace} history {name}`, then rollback or uninstall it by hand")
    return fix


async def list_releases(ctx: Context, run: RunFn) -> None:
    """One ``helm list`` answers every release's "already deployed?" (instead of a ``helm status`` per
    release on the critical path). A failure is not fatal: each release then probes on its own."""
    r = await run(Cmd(("helm", "list", "--all-namespaces", "--output", "json"), label="deployed Helm releases",
                      quiet=True, timeout=60))
    try:
        rows = json.loads(r.stdout) if r.rc == 0 else None
        deployed = {(str(x["namespace"]), str(x["name"])) for x in rows if x.get("status") == "deployed"}
    except (ValueError, TypeError, KeyError, AttributeError):
        rows = None
    if rows is None:
        ctx.vars["note:releases"] = "could not list the releases: each one is probed with `helm status`"
        return
    ctx.vars["helm_deployed"] = deployed
    names = sorted(n for _, n in deployed)
    ctx.vars["note:releases"] = f"deployed: {', '.join(names)}" if names else "none deployed yet"


def release_deployed(ctx: Context, name: str, namespace: str) -> bool | None:
    """From ``list_releases`` of this run, or None (unknown: probe with ``helm status``)."""
    seen = ctx.vars.get("helm_deployed")
    return None if seen is None else (namespace, name) in seen


# ---- releases of 01-apps.yaml, in order --------------------------------------------------------
def releases(ctx: Context) -> list[tuple[str, str]]:
    f = ctx.bootstrap_dir / "helmfile.d" / "01-apps.yaml"
    if "releases" in ctx.vars:
        return ctx.vars["releases"]
    found: list[tuple[str, str]] = []
    if f.exists():
        try:
            for doc in _load_all(f.read_text(encoding="utf-8")):
                for rel in (doc or {}).get("releases") or []:
                    if isinstance(rel, dict) and rel.get("name"):
                        found.append((str(rel["name"]), str(rel.get("namespace") or "default")))
        except Exception:  # a templated helmfile: fall back to the proven chain
            found = []
    ctx.vars["releases"] = found or list(DEFAULT_RELEASES)
    return ctx.vars["releases"]
