"""Fixtures for the SOPS engine tests: the real sops 3.11 binary and helpers to run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SOPS = Path(sys.executable).parent / "sops"


@pytest.fixture
def run_sops(age_key):
    """Run the real sops with the test's age key; returns CompletedProcess (text)."""
    if not SOPS.exists():
        pytest.fail(f"real sops not found at {SOPS}")

    def run(*args: str, cwd: Path | None = None, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        full = dict(os.environ, SOPS_AGE_KEY_FILE=str(age_key[2]))
        full.update(env or {})
        proc = subprocess.run([str(SOPS), *args], capture_output=True, text=True, cwd=cwd, env=full)
        if check and proc.returncode != 0:
            raise AssertionError(f"sops {' '.join(args)} failed rc={proc.returncode}: {proc.stderr}")
        return proc

    return run


@pytest.fixture
def second_key():
    import pyrage

    ident = pyrage.x25519.Identity.generate()
    return str(ident), str(ident.to_public())
