"""SVG snapshots of every wizard screen at 100x32 (in <repo>/snapshots/test_snapshots/).

Deterministic: the repo lives at a fixed path, its .sops.yaml keeps the seed's public recipient,
no private key exists (so nothing random is generated on screen), cursors do not blink."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screens.app import WizardApp
from screens.draft import Draft
from screens.flow import open_session
from tests.helpers.seed import answers_path, make_seed_repo
from tests.tui.conftest import git_commit, wizard_args
from tests.tui.driver import review_ready, wait_until
from wizard.answers_io import dump_answers, load_answers

SIZE = (100, 32)
FIXED = Path("/tmp/k8s-wizard-tui-snapshots/k8s-ops")


@pytest.fixture
def snap_repo() -> Path:
    shutil.rmtree(FIXED.parent, ignore_errors=True)
    repo = make_seed_repo(FIXED)
    answers, _ = load_answers(answers_path("infra"))
    (repo / "clusters" / "infra" / "cluster-answers.yaml").write_text(dump_answers(answers))
    git_commit(repo, "infra answers")
    yield repo
    shutil.rmtree(FIXED.parent, ignore_errors=True)


def make_app(repo: Path, step: str) -> WizardApp:
    session, draft = open_session(wizard_args(repo))
    if step != "repo":
        answers, _ = load_answers(answers_path("apps"))
        draft = Draft.from_answers(answers, like="infra")
    return WizardApp(session, draft, start=step)


async def still(pilot) -> None:
    from textual.widgets import Input

    await pilot.pause()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("step", ["repo", "identity", "network", "nodes", "bonding", "versions", "secrets"])
def test_step_screen(snap_compare, snap_repo, step):
    assert snap_compare(make_app(snap_repo, step), terminal_size=SIZE, run_before=still)


def test_review_screen(snap_compare, snap_repo):
    async def ready(pilot):
        await wait_until(pilot, lambda: review_ready(pilot.app), what="the plan")
        await still(pilot)

    assert snap_compare(make_app(snap_repo, "review"), terminal_size=SIZE, run_before=ready)


def test_done_screen(snap_compare, snap_repo):
    async def written(pilot):
        await wait_until(pilot, lambda: review_ready(pilot.app), what="the plan")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "DoneStep", what="Done")
        await still(pilot)

    assert snap_compare(make_app(snap_repo, "review"), terminal_size=SIZE, run_before=written)


def test_validation_error_state(snap_compare, snap_repo):
    """The Network screen after Next with a non-canonical CIDR: message under the field, focus on it."""
    async def invalid(pilot):
        await still(pilot)
        field = pilot.app.screen.query_one("#f-network-nodeCidr")
        field.value = "10.25.13.5/24"
        await pilot.press("ctrl+n")
        await still(pilot)

    assert snap_compare(make_app(snap_repo, "network"), terminal_size=SIZE, run_before=invalid)
