"""TUI fixtures: a seed repo with infra already created headless, args for the wizard, and the
snapshot folder override (SVGs land in <repo>/snapshots/<test module>/)."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import pytest
import pytest_textual_snapshot

from tests.helpers.seed import answers_path

SNAPSHOTS = Path(__file__).resolve().parents[2] / "snapshots"


class _RepoSnapshots(pytest_textual_snapshot.SVGImageExtension):
    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(SNAPSHOTS / Path(test_location.filepath).stem)


# snap_compare looks the class up on the module when it runs, so rebinding the name is enough.
pytest_textual_snapshot.SVGImageExtension = _RepoSnapshots


def git_commit(repo: Path, message: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for argv in (["git", "add", "-A"], ["git", "commit", "-q", "-m", message]):
        subprocess.run(argv, cwd=repo, check=True, capture_output=True, env=env)


def headless(repo: Path, answers: Path, *extra: str) -> int:
    from wizard.cli import main

    return main(["new-cluster", "--answers", str(answers), "--yes", "--repo", str(repo), *extra])


@pytest.fixture
def infra_repo(seed_repo) -> Path:
    """The seed with the infra cluster written by the headless path and committed."""
    assert headless(seed_repo, answers_path("infra")) == 0
    git_commit(seed_repo, "infra")
    return seed_repo


@pytest.fixture
def answers_repo(seed_repo) -> Path:
    """The seed where infra exists only as its answers file (enough for the inventory; no render)."""
    from wizard.answers_io import dump_answers, load_answers

    answers, _ = load_answers(answers_path("infra"))
    target = seed_repo / "clusters" / "infra" / "cluster-answers.yaml"
    target.write_text(dump_answers(answers))
    git_commit(seed_repo, "infra answers")
    return seed_repo


def tree(repo: Path) -> dict[str, bytes]:
    """Every file of the repo (outside .git) with its bytes."""
    return {str(p.relative_to(repo)): p.read_bytes() for p in sorted(repo.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(repo).parts}


def wizard_args(repo: Path, **kw) -> argparse.Namespace:
    base = dict(answers=None, yes=False, repo=repo, like=None, dry_run=False, force=False, plain=False)
    base.update(kw)
    return argparse.Namespace(**base)
