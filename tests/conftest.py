"""Shared fixtures: isolated HOME/XDG dirs, the seed repo copy, an age key generated at test time."""

from __future__ import annotations

import os
from pathlib import Path

import pyrage
import pytest

from tests.helpers.seed import SHARED, make_seed_repo

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """Every file k8s-wizard writes during the session (in-process or in a subprocess) is recorded
    (wizard.fsutil.atomic_write) and scanned for plaintext secrets when the session ends."""
    if hasattr(config, "workerinput"):  # xdist worker: inherits the controller's folder
        return
    import tempfile

    folder = tempfile.mkdtemp(prefix="k8s-wizard-writes-")
    os.environ["K8S_WIZARD_WRITE_LOG"] = folder
    config._k8s_wizard_write_log = folder


def pytest_sessionfinish(session, exitstatus):
    folder = getattr(session.config, "_k8s_wizard_write_log", None)
    if not folder:
        return
    from tests.helpers.secret_scan import scan_file

    paths = sorted({line for f in Path(folder).glob("writes-*.txt") for line in f.read_text().splitlines() if line})
    bad = [(p, probs) for p in paths if (probs := scan_file(Path(p)))]
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    msg = f"secret scan: {len(paths)} files written by k8s-wizard during the suite, {len(bad)} with plaintext secrets"
    if reporter:
        reporter.write_line(msg)
        for p, probs in bad:
            reporter.write_line(f"  {p}: {', '.join(probs)}", red=True)
    if bad:
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory, monkeypatch):
    """No test reads or writes the real HOME / XDG dirs / sops keys."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for var in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_CONFIG", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    yield


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}")
    return SHARED


@pytest.fixture
def age_key(tmp_path, monkeypatch):
    """A fresh age identity (never committed): returns (identity, recipient, keys_file); exports SOPS_AGE_KEY_FILE."""
    ident = pyrage.x25519.Identity.generate()
    recipient = str(ident.to_public())
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# created: 2026-11-25T00:00:00Z\n# public key: {recipient}\n{ident}\n")
    keys.chmod(0o600)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(keys))
    return str(ident), recipient, keys


@pytest.fixture
def seed_repo(tmp_path, age_key) -> Path:
    """A git-initialised temp copy of the k8s-ops seed whose .sops.yaml uses the test's age key."""
    repo = make_seed_repo(tmp_path / "k8s-ops")
    sops_yaml = repo / ".sops.yaml"
    seed_recipient = "age1j3hsfptdfsfwvkf504etjkrtmajny9csrfh5s24uqh6fchmg5dgqg087ek"
    sops_yaml.write_text(sops_yaml.read_text().replace(seed_recipient, age_key[1]))
    return repo


@pytest.fixture
def tool_env() -> dict[str, str]:
    """Environment whose PATH has the venv's real tools (sops, task, kubectl, yamllint) first."""
    import sys

    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env
