"""GitHub deploy key: the key pair, GitHub's host keys, the github-deploy-key Secret and the gh command."""

from __future__ import annotations

import base64
import hashlib
import shlex
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from ruamel.yaml import YAML

from tests.helpers.pem import begin, end
from tests.secrets.secrets_helpers import kustomize, yamllint
from wizard.deploy_key import (
    GITHUB_KNOWN_HOSTS, DeployKey, DeployKeyError, deploy_key_secret_yaml, generate_deploy_key, gh_deploy_key_command,
    known_hosts_fingerprints, parse_deploy_key_secret, repo_slug,
)

PUBLISHED = {  # docs.github.com, "GitHub's SSH key fingerprints"
    "ssh-ed25519": "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
    "ecdsa-sha2-nistp256": "SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
    "ssh-rsa": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
}
SSH_KEYGEN = shutil.which("ssh-keygen")


def _load(text: str):
    return YAML(typ="safe", pure=True).load(text)


@pytest.fixture(scope="module")
def key() -> DeployKey:
    return generate_deploy_key("flux-apps")


def test_known_hosts_are_githubs_published_keys():
    seen = {}
    for line in GITHUB_KNOWN_HOSTS.splitlines():
        host, kind, blob = line.split(" ")
        assert host == "github.com"
        raw = base64.b64decode(blob, validate=True)
        assert raw[4:4 + int.from_bytes(raw[:4], "big")].decode() == kind  # the blob names its own type
        seen[kind] = "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
    assert seen == PUBLISHED
    assert [(k, fp) for _, k, fp in known_hosts_fingerprints(GITHUB_KNOWN_HOSTS)] == list(PUBLISHED.items())


@pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen not installed")
def test_ssh_keygen_prints_the_same_fingerprints(tmp_path):
    f = tmp_path / "known_hosts"
    f.write_text(GITHUB_KNOWN_HOSTS)
    out = subprocess.run([SSH_KEYGEN, "-l", "-E", "sha256", "-f", str(f)], capture_output=True, text=True, check=True)
    assert sorted(ln.split()[1] for ln in out.stdout.splitlines()) == sorted(PUBLISHED.values())


def test_key_pair_is_openssh_ed25519_and_matches(key):
    priv = serialization.load_ssh_private_key(key.private_openssh.encode(), password=None)
    assert isinstance(priv, ed25519.Ed25519PrivateKey)
    blob = priv.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    assert key.public_openssh == f"{blob} flux-apps" and blob.startswith("ssh-ed25519 AAAA")
    assert key.private_openssh.startswith(begin("OPENSSH") + "\n")
    assert key.private_openssh.endswith(end("OPENSSH") + "\n")
    assert "PRIVATE" not in repr(key) and "PRIVATE" not in str(key)
    assert generate_deploy_key("flux-apps").private_openssh != key.private_openssh


@pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen not installed")
def test_ssh_keygen_derives_the_same_public_key(key, tmp_path):
    f = tmp_path / "id"
    f.write_text(key.private_openssh)
    f.chmod(0o600)
    out = subprocess.run([SSH_KEYGEN, "-y", "-f", str(f)], capture_output=True, text=True, check=True)
    assert out.stdout.split()[:2] == key.public_openssh.split()[:2]


def test_comment_must_be_one_line():
    with pytest.raises(DeployKeyError, match="single line"):
        generate_deploy_key("a\nb")
    assert generate_deploy_key("").public_openssh.count(" ") == 1


def test_secret_yaml_shape_and_round_trip(key, tmp_path):
    text = deploy_key_secret_yaml(key)
    doc = _load(text)
    assert list(doc) == ["apiVersion", "kind", "metadata", "type", "stringData"]
    assert (doc["apiVersion"], doc["kind"], doc["type"]) == ("v1", "Secret", "Opaque")
    assert doc["metadata"] == {"name": "github-deploy-key", "namespace": "flux-system"}
    assert list(doc["stringData"]) == ["identity", "identity.pub", "known_hosts"]
    assert doc["stringData"]["identity"] == key.private_openssh
    assert doc["stringData"]["identity.pub"] == key.public_openssh
    assert doc["stringData"]["known_hosts"] == GITHUB_KNOWN_HOSTS
    assert f"  identity: |\n    {begin('OPENSSH')}\n" in text  # literal block, 2-space steps
    assert "  known_hosts: |\n    github.com ssh-ed25519 " in text
    assert parse_deploy_key_secret(text) == key
    f = tmp_path / "secret.yaml"
    f.write_text(text)
    lint = yamllint(f)
    assert lint.returncode == 0, lint.stdout


def test_kubernetes_yaml_parser_reads_the_secret(key, tmp_path):
    built = _load(kustomize(tmp_path, deploy_key_secret_yaml(key, namespace="flux-system")))
    assert built["stringData"]["identity"] == key.private_openssh
    assert built["stringData"]["known_hosts"] == GITHUB_KNOWN_HOSTS


def test_custom_known_hosts_name_and_namespace(key):
    hosts = "  gitea.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl  \n\n"
    doc = _load(deploy_key_secret_yaml(key, known_hosts=hosts, name="deploy-key", namespace="apps"))
    assert doc["metadata"] == {"name": "deploy-key", "namespace": "apps"}
    assert doc["stringData"]["known_hosts"] == hosts.strip() + "\n"
    with pytest.raises(DeployKeyError, match="known_hosts is empty"):
        deploy_key_secret_yaml(key, known_hosts=" \n")
    with pytest.raises(ValueError, match="not a valid Kubernetes name"):
        deploy_key_secret_yaml(key, name="Deploy_Key")


def test_sops_round_trip_keeps_kind_and_metadata_readable(key, age_key, tool_env, tmp_path):
    """Encrypted as the repo's rule says (encrypted_regex ^(data|stringData)$), the real sops
    decrypts it back to the same Secret, and kustomize-visible fields stay plaintext."""
    from wizard.sops import CryptRule, encrypt

    identity, recipient, keys_file = age_key
    text = deploy_key_secret_yaml(key)
    enc = encrypt(text, [recipient], rule=CryptRule("encrypted_regex", "^(data|stringData)$"))
    enc_doc = _load(enc)
    assert enc_doc["kind"] == "Secret" and enc_doc["metadata"]["name"] == "github-deploy-key"
    assert all(v.startswith("ENC[AES256_GCM,") for v in enc_doc["stringData"].values())
    assert key.private_openssh.splitlines()[1] not in enc
    f = tmp_path / "github-deploy-key.sops.yaml"
    f.write_text(enc)
    out = subprocess.run(["sops", "-d", str(f)], capture_output=True, text=True, env=tool_env)
    assert out.returncode == 0, out.stderr
    assert _load(out.stdout) == _load(text)
    assert parse_deploy_key_secret(out.stdout) == key


def test_parse_accepts_data_and_missing_pub(key):
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    from_data = {"data": {"identity": b64(key.private_openssh), "identity.pub": b64(key.public_openssh)}}
    assert parse_deploy_key_secret(from_data) == key
    derived = parse_deploy_key_secret({"stringData": {"identity": key.private_openssh.rstrip("\n")}})
    assert derived.private_openssh == key.private_openssh
    assert derived.public_openssh.split() == key.public_openssh.split()[:2]


def test_parse_reuses_an_existing_rsa_key():
    priv = rsa.generate_private_key(65537, 2048)
    pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption()).decode()
    got = parse_deploy_key_secret({"stringData": {"identity": pem}})
    assert got.public_openssh.startswith("ssh-rsa AAAA")


def test_damaged_secrets_are_refused_without_echoing_the_key(key):
    other = generate_deploy_key("x")
    cases = [
        ({"stringData": {"identity.pub": key.public_openssh}}, "stringData.identity .*is missing"),
        ({"stringData": {"identity": key.private_openssh[:120], "identity.pub": key.public_openssh}},
         "not an unencrypted OpenSSH private key"),
        ({"stringData": {"identity": key.private_openssh, "identity.pub": other.public_openssh}},
         "identity.pub does not belong to identity"),
        ({"data": {"identity": "%%%"}}, "data.identity is not base64"),
        ("stringData: [unclosed", "not valid YAML"),
        ("- a list\n", "expected a Secret mapping"),
    ]
    body = key.private_openssh.splitlines()[1]
    for data, message in cases:
        with pytest.raises(DeployKeyError, match=message) as info:
            parse_deploy_key_secret(data)
        assert body[:16] not in str(info.value)


@pytest.mark.parametrize(
    "url, slug",
    [("ssh://git@github.com/monosense-io/k8s-ops.git", "monosense-io/k8s-ops"),
     ("ssh://git@github.com:22/monosense-io/k8s-ops", "monosense-io/k8s-ops"),
     ("https://github.com/monosense-io/k8s-ops", "monosense-io/k8s-ops"),
     ("https://github.com/monosense-io/k8s-ops.git/", "monosense-io/k8s-ops"),
     ("git@github.com:monosense-io/k8s-ops.git", None),
     ("ssh://git@github.com/k8s-ops.git", None),
     ("ftp://github.com/a/b", None)],
)
def test_repo_slug(url, slug):
    assert repo_slug(url) == slug


def test_gh_command_is_read_only_and_quoted():
    argv = shlex.split(gh_deploy_key_command("ssh://git@github.com/monosense-io/k8s-ops.git", "flux apps"))
    assert argv == ["gh", "repo", "deploy-key", "add", "deploy-key.pub", "--repo", "monosense-io/k8s-ops",
                    "--title", "flux apps"]
    assert "--allow-write" not in argv
    ghe = shlex.split(gh_deploy_key_command("ssh://git@ghe.corp.example/team/ops.git", "t"))
    assert ghe[ghe.index("--repo") + 1] == "ghe.corp.example/team/ops"  # gh's [HOST/]OWNER/REPO
    unknown = gh_deploy_key_command("git@github.com:o/r.git", "t")
    assert "--repo <owner>/<repo>" in unknown


def test_gh_command_can_pipe_the_public_key(key):
    line = gh_deploy_key_command("https://github.com/o/r", "flux-apps", public_key=key.public_openssh)
    left, right = line.split(" | ")
    assert shlex.split(left) == ["echo", key.public_openssh]
    assert shlex.split(right) == ["gh", "repo", "deploy-key", "add", "-", "--repo", "o/r", "--title", "flux-apps"]


def test_known_hosts_fingerprints_reports_bad_lines():
    assert known_hosts_fingerprints("# comment\n\n") == []
    with pytest.raises(DeployKeyError, match="known_hosts line 2"):
        known_hosts_fingerprints("# c\ngithub.com ssh-ed25519\n")
