"""Build a temp copy of the operator's repo (../shared/fixtures/k8s-ops) as the tests' starting state."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from wizard.sample import answers_path, copy_taskfiles  # noqa: F401  (answers_path re-exported for tests)

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SEED = SHARED / "fixtures" / "k8s-ops"


def _make_writable(tree: Path) -> None:
    # ../shared is laid out read-only; copies keep its modes, so give the owner write access back.
    for dirpath, dirnames, filenames in os.walk(tree):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)


def make_seed_repo(dest: Path, *, git: bool = True) -> Path:
    """Copy the seed to ``dest`` with the Taskfiles its README describes, and ``git init`` it."""
    shutil.copytree(SEED, dest, dirs_exist_ok=True)
    _make_writable(dest)
    copy_taskfiles(dest)
    if git:
        env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
        for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "seed"]):
            subprocess.run(argv, cwd=dest, check=True, capture_output=True, env=env)
    return dest
