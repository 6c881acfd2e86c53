"""Step 1, Repository: the detected GitOps repo, its clusters, warnings, and "scratch" or "like <cluster>"."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import ComposeResult
from textual.widgets import DataTable, RadioButton, RadioSet, Static

from screens.draft import Draft
from screens.flow import like_draft, scratch_draft
from screens.steps.base import StepScreen


class RepoStep(StepScreen):
    STEP = "repo"
    HELP = """The GitOps repo found from the current folder (or `--repo`). Existing clusters are listed
with their id, CIDRs, branch and observability role: a new cluster must not reuse any of them.

**New from scratch** starts from the seed's defaults; **like <cluster>** copies an existing cluster's
versions, bonding, MTU and nameservers so you only type what differs (name, id, CIDRs, nodes)."""

    def compose_body(self) -> ComposeResult:
        inv = self.session.inventory
        yield Static(f"Repo: {inv.root}", id="repo-path", markup=False)
        table: DataTable = DataTable(id="clusters", cursor_type="row", zebra_stripes=True)
        for key in ("cluster", "id", "node CIDR", "pod CIDR", "service CIDR", "branch", "role", "state"):
            table.add_column(key, key=key)
        for c in inv.clusters:
            table.add_row(c.name, "" if c.id is None else str(c.id), c.node_cidr or "", c.pod_cidr or "",
                          c.service_cidr or "", c.branch or "", c.role or "", "planned" if c.planned else c.source,
                          key=c.name)
        yield table
        for line in self.warnings():
            yield Static(f"⚠ {line}", classes="warning", markup=False)
        yield Static("Start the new cluster:", classes="section")
        existing = [c for c in inv.existing if c.answers is not None or c.source != "unknown"]
        with RadioSet(id="start"):
            yield RadioButton("New from scratch (the seed's defaults)", value=self.draft.like == "scratch", id="like-scratch")
            for c in existing:
                yield RadioButton(f"Like {c.name} (copy versions, bond/MTU, nameservers)",
                                  value=self.draft.like == c.name, id=f"like-{c.name}")

    def warnings(self) -> list[str]:
        inv = self.session.inventory
        out = []
        if inv.dirty:
            out.append("the git tree has uncommitted changes: commit or stash them so the new files form a clean commit")
        if inv.sops_config is None:
            out.append("no .sops.yaml: the secrets step will ask for age recipients")
        elif not inv.identity_available:
            out.append("no local age private key matches .sops.yaml's recipients: existing secrets cannot be "
                       "decrypted (set SOPS_AGE_KEY_FILE, or generate a key on the Secrets step)")
        out.extend(inv.problems)
        return out

    def focus_target(self):
        return self.query_one("#start")

    def chosen(self) -> str:
        pressed = self.query_one("#start", RadioSet).pressed_button
        return "scratch" if pressed is None or pressed.id == "like-scratch" else str(pressed.id)[5:]

    def collect(self) -> Draft:
        return self.draft

    def before_next(self, draft: Draft) -> Draft:
        choice = self.chosen()
        if choice == draft.like:
            return draft
        return scratch_draft(self.session) if choice == "scratch" else like_draft(self.session, choice)


class ScanningStep(StepScreen):
    """The Repository step before the scan has finished: the repo path and a loading line.

    It is the wizard's first frame; ``painted`` is set once it is on screen, and the App then scans the
    repo in a thread and replaces this screen with the real Repository step."""

    STEP = "repo"
    HELP = RepoStep.HELP

    def __init__(self, root: Path, *, answers_file: str | None = None) -> None:
        super().__init__(None, Draft())  # type: ignore[arg-type]  # no session until the scan ends
        self.root = root
        self.answers_file = answers_file
        self.painted = asyncio.Event()

    def compose_body(self) -> ComposeResult:
        yield Static(f"Repo: {self.root}", id="repo-path", markup=False)
        # A still line, not a LoadingIndicator: its animation would take the GIL from the scan thread.
        yield Static("Scanning clusters/, .sops.yaml, the age keys and git status…", id="scanning", markup=False)
        if self.answers_file:
            yield Static(f"Loading the answers from {self.answers_file}…", id="loading-answers", markup=False)

    def on_mount(self) -> None:
        self.query_one("#next").disabled = True
        self.call_after_refresh(self.painted.set)

    def focus_target(self):
        return None

    def action_next(self) -> None:
        self.notify("still scanning the repo…")

    def goto(self, step: str) -> None:
        self.notify("still scanning the repo…")
