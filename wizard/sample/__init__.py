"""The embedded sample GitOps repo (a snapshot of monosense-io/k8s-ops before any cluster exists)
and answers for its two clusters, used by ``k8s-wizard demo`` and the tests.

Dotfiles are stored as ``dot-<name>`` so packaging and our own .gitignore never treat them as ours.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent
SAMPLE_REPO = SAMPLE_DIR / "repo"
#: The operator's real public key in the snapshot's .sops.yaml (public, not secret).
SEED_RECIPIENT = "age1j3hsfptdfsfwvkf504etjkrtmajny9csrfh5s24uqh6fchmg5dgqg087ek"


def answers_path(cluster: str) -> Path:
    return SAMPLE_DIR / f"{cluster}.answers.yaml"


def materialize(dest: Path, *, recipient: str | None = None) -> Path:
    """Copy the sample repo to ``dest`` (restoring dotfiles); optionally re-key its .sops.yaml."""
    dest.mkdir(parents=True, exist_ok=True)
    for src in SAMPLE_REPO.iterdir():
        name = "." + src.name[4:] if src.name.startswith("dot-") else src.name
        if src.is_dir():
            shutil.copytree(src, dest / name, dirs_exist_ok=True)
        else:
            shutil.copyfile(src, dest / name)
    if recipient:
        sops_yaml = dest / ".sops.yaml"
        sops_yaml.write_text(sops_yaml.read_text().replace(SEED_RECIPIENT, recipient))
    return dest


def copy_taskfiles(dest: Path) -> None:
    """Add only the sample's Taskfiles (root + .taskfiles/*) to ``dest``."""
    shutil.copyfile(SAMPLE_REPO / "Taskfile.yaml", dest / "Taskfile.yaml")
    shutil.copytree(SAMPLE_REPO / "dot-taskfiles", dest / ".taskfiles", dirs_exist_ok=True)
