"""What the TUI and the plain prompts share besides the fields: the session (repo, inventory, args),
the first draft (answers file, ``--like`` or suggestions), suggestions per step, plan, write and save.

Planning and writing go through ``wizard.newcluster``, the functions the headless ``--answers --yes``
path uses, so the interactive paths write exactly the same tree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.findings import Finding
from wizard.defaults import DEFAULT_DOMAIN, DEFAULT_INSTALL_DISK, DEFAULT_OP_VAULT, DEFAULT_SOURCE_NAME, DEFAULT_VERSIONS

from screens.draft import Draft

STEPS: tuple[tuple[str, str], ...] = (
    ("repo", "Repository"), ("identity", "Identity"), ("network", "Network"), ("nodes", "Nodes"),
    ("bonding", "Bonding / MTU"), ("versions", "Versions & components"), ("secrets", "Secrets"),
    ("review", "Review"), ("done", "Done"),
)
STEP_NAMES = tuple(s for s, _ in STEPS)
ANSWERS_FILE = "cluster-answers.yaml"


class FlowError(Exception):
    """Cannot continue (no repo, unreadable answers file...); the message says what to do."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Session:
    repo: Path
    inventory: Any
    args: Any = None
    #: Last plan made (answers, Rendered, Plan): reused by Review/Write while the answers are unchanged,
    #: so the deploy key shown on the Secrets screen is the one that gets written.
    cached: tuple[Any, Any, Any] | None = None
    written: list[Path] = field(default_factory=list)
    answers_saved: Path | None = None
    #: "written", "dry-run" or "saved" (answers only) once the Review step is done.
    outcome: str = ""

    @property
    def dry_run(self) -> bool:
        return bool(getattr(self.args, "dry_run", False))

    @property
    def force(self) -> bool:
        return bool(getattr(self.args, "force", False))

    def answers_path(self, name: str) -> Path:
        return self.repo / "clusters" / name / ANSWERS_FILE


def locate_repo(args: Any) -> Path:
    """The GitOps repo's root from ``--repo`` or the current folder (one ``git rev-parse``). Raises FlowError."""
    from wizard.repo import find_repo_root

    start = Path(getattr(args, "repo", None) or os.getcwd())
    if not start.is_dir():
        raise FlowError(f"--repo {start}: not a folder; pass the GitOps repo's folder")
    root = find_repo_root(start) if not getattr(args, "repo", None) else start.resolve()
    if root is None:
        raise FlowError(f"{start}: not inside a git repo; run from your GitOps repo or pass --repo DIR")
    return root


def open_session(args: Any, root: Path | None = None) -> tuple[Session, Draft]:
    """Find the repo (unless ``root`` is given), scan it, and build the first draft. Raises FlowError with the fix."""
    from wizard.repo import scan_repo

    root = root if root is not None else locate_repo(args)
    session = Session(root, scan_repo(root), args)
    answers_file = getattr(args, "answers", None)
    like = getattr(args, "like", None)
    if answers_file:
        from wizard.answers_io import AnswersError
        from wizard.newcluster import load

        try:
            answers, _ = load(Path(answers_file), like=like, repo=root)
        except AnswersError as exc:
            raise FlowError(str(exc)) from None
        draft = Draft.from_answers(answers, like=like or "scratch")
    elif like:
        draft = like_draft(session, like)
    else:
        draft = scratch_draft(session)
    return session, draft


def like_draft(session: Session, like: str) -> Draft:
    """Answers copied from an existing cluster (versions, bond/MTU...) with a new name/id/CIDRs to fill."""
    from wizard import suggest

    try:
        data = suggest.answers_like(session.inventory, like)
    except KeyError as exc:
        raise FlowError(f"--like {like}: {exc.args[0]}") from None
    role = suggest.default_role(session.inventory)
    data["cluster"] = {"observability": {"role": role}, "branch": suggest.default_branch(role), **data.get("cluster", {})}
    draft = Draft.from_answers(data, like=like)
    return _complete(draft.with_values(**{"network.mtu": draft.get("network.mtu") or "1500"}), session)


def scratch_draft(session: Session) -> Draft:
    from wizard import suggest

    role = suggest.default_role(session.inventory)
    values = {
        "cluster.domain": DEFAULT_DOMAIN, "cluster.observability.role": role,
        "cluster.branch": suggest.default_branch(role),
        "git.sourceName": DEFAULT_SOURCE_NAME, "network.mtu": "1500", "secrets.onepasswordVault": DEFAULT_OP_VAULT,
    }
    values.update({f"versions.{k}": v for k, v in DEFAULT_VERSIONS.items()})
    existing = session.inventory.existing
    if existing and existing[0].git_url:
        values["git.url"] = existing[0].git_url
    return _complete(Draft.from_answers({}).with_values(**values), session)


def _complete(draft: Draft, session: Session) -> Draft:
    """Fill what is still empty with the core's suggestions (next id, next free CIDR pair)."""
    from wizard import suggest

    inv = session.inventory
    add: dict[str, str] = {}
    if not draft.get("cluster.id"):
        add["cluster.id"] = str(suggest.next_cluster_id(inv))
    if not draft.get("network.podCidr") or not draft.get("network.serviceCidr"):
        pod, svc = suggest.next_cidr_pair(inv)
        add["network.podCidr"], add["network.serviceCidr"] = str(pod), str(svc)
    for key, default in DEFAULT_VERSIONS.items():
        if not draft.get(f"versions.{key}"):
            add[f"versions.{key}"] = default
    return draft.with_values(**add) if add else draft


def network_defaults(draft: Draft) -> Draft:
    """Gateway and VIP from the node CIDR when they are still empty (.1 and .10, the seed's pattern)."""
    from wizard import suggest
    from wizard.validation import check_cidr

    cidr = draft.get("network.nodeCidr").strip()
    if not cidr or check_cidr(cidr):
        return draft
    add = {}
    if not draft.get("network.gateway"):
        add["network.gateway"] = str(suggest.default_gateway(cidr))
    if not draft.get("network.vip"):
        add["network.vip"] = str(suggest.default_vip(cidr))
    if not draft.get("network.nameservers") and "network.gateway" in add:
        add["network.nameservers"] = add["network.gateway"]
    return draft.with_values(**add) if add else draft


def fill_nodes(draft: Draft, controlplanes: int = 3, workers: int = 3) -> Draft:
    """cp-1..3 at .11-.13 and wk-1..3 at .14-.16 of the node CIDR (the seed's pattern)."""
    from wizard import suggest

    disk = next((n["installDisk"] for n in draft.nodes if n.get("installDisk")), DEFAULT_INSTALL_DISK)
    nodes = suggest.fill_nodes(draft.name, draft.get("network.nodeCidr").strip(), controlplanes, workers, disk)
    return draft.with_nodes([{k: str(v) for k, v in n.items()} for n in nodes])


def default_branch(role: str) -> str:
    from wizard import suggest

    return suggest.default_branch(role)


# ---------------------------------------------------------------- plan / write / save


def review_findings(session: Session, answers: Any) -> list[Finding]:
    """Exactly what the headless path checks before writing (``newcluster.validate``)."""
    from wizard import newcluster

    return newcluster.validate(answers, session.repo)


def make_plan(session: Session, answers: Any) -> Any:
    """``newcluster.prepare`` (rendered tree + plan); cached while the answers stay the same, so the
    deploy key shown on the Secrets screen is the one that gets written. Raises FlowError."""
    if session.cached and session.cached[0] == answers:
        return session.cached[1]
    from wizard import newcluster

    try:
        prepared = newcluster.prepare(answers, session.repo, force=session.force)
    except newcluster.NewClusterError as exc:
        raise FlowError(str(exc), exc.exit_code) from None
    session.cached = (answers, prepared, None)
    return prepared


def write(session: Session, answers: Any) -> list[Path]:
    """Write the planned tree in one transaction (nothing at all with --dry-run). Raises FlowError."""
    from wizard import newcluster

    prepared = make_plan(session, answers)
    if session.dry_run:
        session.written, session.outcome = [], "dry-run"
        return []
    try:
        session.written = list(newcluster.write(prepared))
    except newcluster.NewClusterError as exc:
        raise FlowError(str(exc), exc.exit_code) from None
    session.cached = None  # the repo changed: a new plan would be all "unchanged"
    session.outcome = "written"
    session.answers_saved = session.answers_path(answers.name)
    return session.written


def save_answers(session: Session, answers: Any) -> Path:
    """Write only the answers file (where ``--answers`` replay and re-render read it)."""
    from wizard.answers_io import dump_answers
    from wizard.fsutil import atomic_write

    target = Path(getattr(session.args, "answers", None) or session.answers_path(answers.name))
    atomic_write(target, dump_answers(answers))
    session.answers_saved, session.outcome = target, "saved"
    return target


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]
