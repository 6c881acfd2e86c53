"""Create or re-render one cluster in the repo: load the answers, validate, render, plan, write.
The CLI (``new-cluster --answers``), the TUI and the prompts all call these functions."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wizard.answers_io import AnswersError, load_answers, locate, locate_findings, parse_answers
from wizard.findings import Finding, errors
from wizard.plan import Plan, apply_plan, make_plan
from wizard.render import Rendered, RenderError, render_tree
from wizard.spec import ClusterAnswers


class NewClusterError(Exception):
    """Why the cluster cannot be written; ``exit_code`` 2 for bad input, 1 for anything else."""

    def __init__(self, message: str, exit_code: int = 1, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.findings = list(findings)


def repo_root(start: Path | None = None) -> Path:
    """The git root of ``start`` (default: the current folder)."""
    from wizard.repo import find_repo_root

    start = Path(start or Path.cwd())
    root = find_repo_root(start)
    if root is None:
        raise NewClusterError(f"{start} is not inside a git repository: pass --repo DIR (the GitOps repo's root)", 2)
    return Path(root)


def inventory(repo: Path) -> Any:
    from wizard.repo import scan_repo

    return scan_repo(repo)


def _deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _deep_merge(base.get(k), v) for k, v in over.items()}}
    return over


def load(path: Path, *, like: str | None = None, repo: Path | None = None) -> tuple[ClusterAnswers, Any]:
    """The answers file (and its YAML doc, for line numbers); with ``like``, what it leaves out is
    taken from that existing cluster."""
    if like is None:
        return load_answers(Path(path))
    from ruamel.yaml import YAML

    from wizard.suggest import answers_like

    text = Path(path).read_text(encoding="utf-8")
    try:
        own = _plain(YAML(typ="rt").load(text))
    except Exception:
        own = None  # parse_answers below reports where the YAML breaks
    node_cidr = ((own or {}).get("network") or {}).get("nodeCidr") if isinstance(own, dict) else None
    try:
        base = answers_like(inventory(repo), like, node_cidr) if repo else None
    except KeyError as exc:
        raise AnswersError(str(path), [Finding("(--like)", str(exc.args[0]))]) from None
    try:
        return parse_answers(text, str(path))  # complete on its own: nothing to fill in
    except AnswersError as exc:
        if any(f.field == "(file)" for f in exc.findings):
            raise  # not YAML at all: nothing to merge into
    doc = YAML(typ="rt").load(text)
    try:
        return ClusterAnswers.model_validate(_deep_merge(base, _plain(doc))), doc
    except ValidationError as exc:
        found = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            found.append(Finding(field, err["msg"]).at(*locate(doc, field)))
        raise AnswersError(str(path), found) from None


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _without(inv: Any, name: str) -> Any:
    """The inventory minus the cluster being re-rendered (it must not clash with itself)."""
    clusters = getattr(inv, "clusters", None)
    if clusters is None:
        return inv
    kept = type(clusters)(c for c in clusters if getattr(c, "name", None) != name) if not isinstance(clusters, dict) \
        else {k: v for k, v in clusters.items() if k != name}
    try:
        return dataclasses.replace(inv, clusters=kept)
    except TypeError:
        return inv


def validate(answers: ClusterAnswers, repo: Path, doc: Any = None) -> list[Finding]:
    from wizard.validation import validate_answers

    inv = inventory(repo)
    findings = validate_answers(answers, _without(inv, answers.name) if inv is not None else None)
    return locate_findings(list(findings), doc)


def existing_conflict(answers: ClusterAnswers, repo: Path) -> str | None:
    """Why ``clusters/<name>`` holds a *different* cluster (other id or CIDRs), or None."""
    name = answers.name
    old = None
    path = repo / "clusters" / name / "cluster-answers.yaml"
    if path.exists():
        try:
            a = load_answers(path)[0]
            old = {"id": str(a.cluster.id), "node CIDR": a.network.node_cidr, "pod CIDR": a.network.pod_cidr,
                   "service CIDR": a.network.service_cidr}
        except AnswersError:
            old = None
    vars_path = repo / "clusters" / name / "flux" / "cluster-vars.yaml"
    if old is None and vars_path.exists():
        from ruamel.yaml import YAML

        try:
            data = (YAML(typ="safe", pure=True).load(vars_path.read_text(encoding="utf-8")) or {}).get("data") or {}
        except Exception:
            data = {}
        old = {"id": data.get("CLUSTER_ID"), "node CIDR": data.get("CLUSTER_CIDR"),
               "pod CIDR": data.get("CLUSTER_POD_CIDR"), "service CIDR": data.get("CLUSTER_SVC_CIDR")}
    if not old:
        return None
    new = {"id": str(answers.cluster.id), "node CIDR": answers.network.node_cidr, "pod CIDR": answers.network.pod_cidr,
           "service CIDR": answers.network.service_cidr}
    diff = [f"{k} {old[k]} -> {new[k]}" for k in new if old.get(k) is not None and str(old[k]) != new[k]]
    if not diff:
        return None
    return (f"clusters/{name} already holds a different cluster ({', '.join(diff)}): pick another name, "
            "or pass --force to overwrite it (its Talos secrets and deploy key are kept)")


def identities() -> tuple[list[str], str | None]:
    """The age identities sops would use, and the problem if the configured ones cannot be read."""
    from wizard.sops.keys import KeysError, find_identities

    try:
        return find_identities(), None
    except KeysError as exc:
        return [], str(exc)


@dataclass
class Prepared:
    answers: ClusterAnswers
    repo: Path
    rendered: Rendered
    plan: Plan
    identities: list[str]
    warnings: list[str]


def prepare(answers: ClusterAnswers, repo: Path, *, force: bool = False,
            identities_: Sequence[str] | None = None) -> Prepared:
    """Render and plan (nothing is written). Raises NewClusterError."""
    repo = Path(repo)
    warnings = []
    if identities_ is None:
        ids, problem = identities()
        if problem:
            warnings.append(f"age key: {problem}")
    else:
        ids = list(identities_)
    conflict = existing_conflict(answers, repo)
    if conflict and not force:
        raise NewClusterError(conflict, 1)
    try:
        rendered = render_tree(answers, repo, identities=ids, force=force)
    except RenderError as exc:
        raise NewClusterError(str(exc), exc.exit_code) from None
    if not ids:
        warnings.append("no age identity found (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, ~/.config/sops/age/keys.txt): the "
                        "secrets are written for the .sops.yaml recipients but not verified, and re-rendering needs the key")
    return Prepared(answers, repo, rendered, make_plan(repo, rendered.files), ids, warnings)


def write(prepared: Prepared) -> list[Path]:
    """Apply the plan in one transaction; secrets are checked to decrypt before anything moves."""
    from wizard.sops.config import verify_written

    ids = prepared.identities
    try:
        return apply_plan(prepared.plan, verify=(lambda paths: verify_written(paths, ids)) if ids else None)
    except RuntimeError as exc:
        raise NewClusterError(f"{exc}; nothing was written", 1) from None
    except OSError as exc:
        raise NewClusterError(f"writing the cluster failed ({exc}); the repo was left as it was", 1) from None


def new_cluster(answers: ClusterAnswers, repo: Path, *, dry_run: bool = False, force: bool = False,
                out: Callable[[str], None] = print) -> Prepared:
    """Plan, print, and (unless ``dry_run``) write. Raises NewClusterError."""
    prepared = prepare(answers, repo, force=force)
    for w in prepared.warnings:
        out(f"warning: {w}")
    out(f"cluster {answers.name} in {prepared.repo}:")
    out(prepared.plan.summary())
    if dry_run:
        diff = prepared.plan.diff()
        if diff:
            out(diff.rstrip("\n"))
        out("dry run: nothing written")
        return prepared
    written = write(prepared)
    out(f"wrote {len(written)} file(s)" if written else "nothing to write: the repo already matches the answers")
    for note in prepared.rendered.notes:
        out(note)
    return prepared


def validation_errors(answers: ClusterAnswers, repo: Path, doc: Any) -> tuple[list[Finding], list[Finding]]:
    """(errors, warnings) of the answers against the repo, with YAML positions."""
    found = validate(answers, repo, doc)
    errs = errors(found)
    return errs, [f for f in found if not f.is_error]
