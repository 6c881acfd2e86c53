"""Where things live: packaged templates, XDG state, per-repo state folder."""

from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """``wizard/_templates`` in a wheel, ``<checkout>/templates`` in a source or editable install."""
    packaged = _HERE / "_templates"
    return packaged if packaged.is_dir() else _HERE.parent / "templates"


def shared_dir() -> Path | None:
    """``../shared`` beside the checkout (reference data for tests), if present."""
    cand = _HERE.parent.parent / "shared"
    return cand if cand.is_dir() else None


def xdg_state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")


def xdg_config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def repo_state_dir(repo: Path, cluster: str) -> Path:
    """Per-cluster run state inside the repo (gitignored ``.k8s-wizard/``): journal, logs, kubeconfig."""
    return repo / ".k8s-wizard" / "state" / cluster
