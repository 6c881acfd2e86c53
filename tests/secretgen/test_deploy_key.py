"""GitHub deploy key, its Secret, GitHub's host keys, and the sops-age Secret."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives import serialization
from ruamel.yaml import YAML

from wizard.deploy_key import (
    GITHUB_KNOWN_HOSTS, gh_deploy_key_command, generate_deploy_key, deploy_key_secret_yaml,
    parse_deploy_key_secret, repo_slug,
)
from wizard.flux_secrets import sops_age_secret_yaml

PUBLISHED = {  # GitHub docs, "GitHub's SSH key fingerprints"
    "ssh-ed25519": "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
    "ecdsa-sha2-nistp256": "SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
    "ssh-rsa": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
}


def test_known_hosts_match_githubs_published_fingerprints():
    seen = {}
    for line in GITHUB_KNOWN_HOSTS.splitlines():
        host, kind, blob = line.split()
        assert host == "github.com"
        seen[kind] = "SHA256:" + base64.b64encode(hashlib.sha256(base64.b64decode(blob)).digest()).decode().rstrip("=")
    assert seen == PUBLISHED


def test_key_pair_is_openssh_ed25519_and_matches(tmp_path):
    key = generate_deploy_key("flux-apps")
    priv = serialization.load_ssh_private_key(key.private_openssh.encode(), password=None)
    pub = priv.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    assert key.public_openssh == f"{pub} flux-apps" and pub.startswith("ssh-ed25519 ")
    assert key.private_openssh.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert "PRIVATE" not in repr(key)
    if shutil.which("ssh-keygen"):
        f = tmp_path / "id"
        f.write_text(key.private_openssh)
        f.chmod(0o600)
        out = subprocess.run(["ssh-keygen", "-y", "-f", str(f)], capture_output=True, text=True, check=True)
        assert out.stdout.split()[:2] == pub.split()[:2]


def test_secret_yaml_round_trips_and_lints(tmp_path):
    key = generate_deploy_key("flux-apps")
    text = deploy_key_secret_yaml(key)
    doc = YAML(typ="safe", pure=True).load(text)
    assert doc["kind"] == "Secret" and doc["metadata"] == {"name": "github-deploy-key", "namespace": "flux-system"}
    assert set(doc["stringData"]) == {"identity", "identity.pub", "known_hosts"}
    assert doc["stringData"]["known_hosts"] == GITHUB_KNOWN_HOSTS
    assert parse_deploy_key_secret(text) == key
    f = tmp_path / "secret.yaml"
    f.write_text(text)
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "yamllint"), "-s", "-d",
         "{extends: default, rules: {document-start: disable, line-length: disable}}", str(f)],
        capture_output=True, text=True,
    )
    assert lint.returncode == 0, lint.stdout


def test_damaged_secret_is_refused():
    with pytest.raises(ValueError, match="stringData.identity"):
        parse_deploy_key_secret({"stringData": {"identity.pub": "ssh-ed25519 AAAA"}})
    key = generate_deploy_key("x")
    with pytest.raises(ValueError):
        parse_deploy_key_secret({"stringData": {"identity": key.private_openssh[:80], "identity.pub": key.public_openssh}})


@pytest.mark.parametrize(
    "url, slug",
    [("ssh://git@github.com/monosense-io/k8s-ops.git", "monosense-io/k8s-ops"),
     ("https://github.com/monosense-io/k8s-ops", "monosense-io/k8s-ops"),
     ("git@github.com:monosense-io/k8s-ops.git", None)],
)
def test_repo_slug_and_gh_command(url, slug):
    assert repo_slug(url) == slug
    cmd = gh_deploy_key_command(url, "flux-apps")
    assert cmd.startswith("gh repo deploy-key add ") and "--title flux-apps" in cmd
    if slug:
        assert f"--repo {slug}" in cmd


def test_sops_age_secret_holds_only_the_identity():
    ident = str(pyrage.x25519.Identity.generate())
    text = sops_age_secret_yaml(f"# created: x\n# public key: age1xyz\n{ident}\n\ngarbage line\n")
    doc = YAML(typ="safe", pure=True).load(text)
    assert doc["metadata"] == {"name": "sops-age", "namespace": "flux-system"}
    assert doc["stringData"]["age.agekey"].splitlines()[-1] == ident
    assert "garbage" not in doc["stringData"]["age.agekey"]
    with pytest.raises(ValueError):
        sops_age_secret_yaml("# nothing here\n")
