"""Bootstrap tests: snapshots stored under <repo>/snapshots/<test module>/ (textual.md §6), a context
factory on the sample apps answers, and fake tools written at test time."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _snapshots_in_repo(monkeypatch):
    import pytest_textual_snapshot as pts

    class RepoSnapshots(pts.SVGImageExtension):
        @classmethod
        def dirname(cls, *, test_location) -> str:
            return str(ROOT / "snapshots" / Path(test_location.filepath).stem)

    monkeypatch.setattr(pts, "SVGImageExtension", RepoSnapshots)


@pytest.fixture
def make_ctx(tmp_path):
    """A Context for the sample apps cluster in a temp repo (answers only; no tools)."""
    from wizard.answers_io import load_answers
    from wizard.bootstrap.model import Context
    from wizard.sample import answers_path

    def make(env: dict | None = None):
        answers, _ = load_answers(answers_path("apps"))
        repo = tmp_path / "repo"
        (repo / "clusters" / "apps").mkdir(parents=True, exist_ok=True)
        full = dict(os.environ if env is None else env)
        return Context(answers=answers, repo=repo, state_dir=repo / ".k8s-wizard" / "state" / "apps", env=full)

    return make


@pytest.fixture
def fake_bin(tmp_path):
    """Write small executable scripts: ``fake_bin(name, python_body)`` → bin dir (first on PATH via env)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()

    def write(name: str, body: str) -> Path:
        p = bin_dir / name
        p.write_text(f"#!{sys.executable}\nimport os, sys, time\n{body}\n")
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
        return bin_dir

    write.dir = bin_dir
    write.env = lambda: {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return write
