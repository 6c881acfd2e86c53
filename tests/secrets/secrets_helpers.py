"""Shared helpers for the secret-material tests: a real bundle fixture (RSA-4096 takes ~1 s, so
each module that imports it generates it once), a cheap RSA key for tests that only need *a* bundle,
and runners for the venv's real tools.

This folder has no ``__init__.py`` and no ``conftest.py`` on purpose: with pytest's default
"prepend" import mode a package here would be imported as top-level ``secrets`` (``tests/`` has no
``__init__.py``) and shadow the standard library's ``secrets`` module for the whole session."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

NOW = dt.datetime(2026, 11, 25, 12, 0, 0, tzinfo=dt.timezone.utc)
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def bundle_text() -> str:
    from wizard.talos_secrets import generate_bundle

    return generate_bundle(now=NOW)


@pytest.fixture
def fast_rsa(monkeypatch):
    """generate_bundle with a 2048-bit service-account key: for tests about something else."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from wizard import talos_secrets

    real = rsa.generate_private_key
    monkeypatch.setattr(talos_secrets.rsa, "generate_private_key",
                        lambda public_exponent, key_size: real(public_exponent=public_exponent, key_size=2048))


def yamllint(path: Path) -> subprocess.CompletedProcess[str]:
    conf = "{extends: default, rules: {document-start: disable, line-length: disable}}"
    return subprocess.run([str(VENV_BIN / "yamllint"), "-s", "-d", conf, str(path)], capture_output=True, text=True)


def kustomize(folder: Path, manifest: str) -> str:
    """``kubectl kustomize`` over one manifest: Kubernetes' own YAML parser reads it back (offline)."""
    (folder / "manifest.yaml").write_text(manifest)
    (folder / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - manifest.yaml\n"
    )
    out = subprocess.run([str(VENV_BIN / "kubectl"), "kustomize", str(folder)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout
