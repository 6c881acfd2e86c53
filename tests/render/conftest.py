"""Fixtures for the render tests: answers for the seed's two clusters, an in-process CLI runner,
and (once per session) the seed with both clusters rendered, copied for each test that changes it."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

import pyrage
import pytest
from ruamel.yaml import YAML

from tests.helpers.seed import SEED, make_seed_repo
from wizard.sample import SEED_RECIPIENT


def answers(name: str) -> dict:
    """The seed's two clusters (apps = the example of issue 5, 3 control planes + 3 workers)."""
    n = 11 if name == "infra" else 13
    spoke = name == "apps"
    return {
        "apiVersion": "k8s-wizard/v1", "kind": "ClusterAnswers",
        "cluster": {"name": name, "id": 1 if name == "infra" else 2, "domain": "monosense.dev",
                    "branch": "release" if spoke else "main",
                    "observability": {"role": "spoke", "target": "http://vmsingle.observability.svc.infra.local:8429"}
                    if spoke else {"role": "hub"}},
        "network": {"nodeCidr": f"10.25.{n}.0/24", "gateway": f"10.25.{n}.1", "vip": f"10.25.{n}.10",
                    "podCidr": "10.44.0.0/16" if spoke else "10.42.0.0/16",
                    "serviceCidr": "10.45.0.0/16" if spoke else "10.43.0.0/16",
                    "nameservers": [f"10.25.{n}.1"], "mtu": 9000,
                    "bond": {"mode": "802.3ad", "lacpRate": "fast", "miimon": 100, "xmitHashPolicy": "layer3+4",
                             "interfaces": ["enp1s0f0", "enp1s0f1"]},
                    "bgp": {"localAsn": 64513 if spoke else 64512, "peerAddress": f"10.25.{n}.1", "peerAsn": 64501}},
        "nodes": [{"hostname": f"{name}-{'cp' if i < 3 else 'wk'}-{i % 3 + 1}", "address": f"10.25.{n}.{11 + i}",
                   "role": "controlplane" if i < 3 else "worker", "installDisk": "/dev/nvme0n1"} for i in range(6)],
        "versions": {"talos": "v1.12.0", "kubernetes": "v1.35.0", "cilium": "1.18.5", "flux": "2.7.5",
                     "certManager": "v1.19.2"},
        "git": {"url": "ssh://git@github.com/monosense-io/k8s-ops.git", "sourceName": "k8s-ops"},
        "secrets": {"onepasswordVault": "k8s-ops"},
    }


def write_answers(path: Path, data: dict) -> Path:
    y = YAML()
    y.indent(mapping=2, sequence=4, offset=2)
    with open(path, "w", encoding="utf-8") as fh:
        y.dump(data, fh)
    return path


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``k8s-wizard <argv>`` in-process: (exit code, stdout, stderr)."""
    from wizard.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def snapshot(repo: Path) -> dict[str, tuple[bytes, int]]:
    """Every file (outside .git) with its bytes and mtime."""
    out = {}
    for p in sorted(repo.rglob("*")):
        if p.is_file() and ".git" not in p.relative_to(repo).parts:
            out[p.relative_to(repo).as_posix()] = (p.read_bytes(), p.stat().st_mtime_ns)
    return out


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """(repo, keys_file, answers dir): the seed with infra then apps written by new-cluster --answers --yes."""
    base = tmp_path_factory.mktemp("built")
    ident = pyrage.x25519.Identity.generate()
    keys = base / "keys.txt"
    keys.write_text(f"# public key: {ident.to_public()}\n{ident}\n")
    keys.chmod(0o600)
    repo = make_seed_repo(base / "k8s-ops")
    sops_yaml = repo / ".sops.yaml"
    sops_yaml.write_text(sops_yaml.read_text().replace(SEED_RECIPIENT, str(ident.to_public())))
    home = base / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        for var in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD", "SOPS_CONFIG"):
            mp.delenv(var, raising=False)
        mp.setenv("SOPS_AGE_KEY_FILE", str(keys))
        mp.setenv("PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not Path(p, "talhelper").exists()))
        for name in ("infra", "apps"):
            f = write_answers(base / f"{name}.yaml", answers(name))
            rc, out, err = run_cli("new-cluster", "--answers", str(f), "--yes", "--repo", str(repo))
            assert rc == 0, err
    return repo, keys, base


@pytest.fixture
def built_copy(built, tmp_path, monkeypatch):
    """A private copy of the built repo (for tests that change it), with the key exported."""
    repo, keys, base = built
    copy = tmp_path / "k8s-ops"
    shutil.copytree(repo, copy, symlinks=True)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(keys))
    return copy


assert SEED.is_dir()
