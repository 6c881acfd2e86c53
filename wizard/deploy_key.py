"""The GitHub deploy key Flux pulls the repo with: an Ed25519 pair in OpenSSH format made in memory,
and the ``github-deploy-key`` Secret (identity, identity.pub, known_hosts) that is committed only
SOPS-encrypted (``encrypted_regex: ^(data|stringData)$`` so kustomize still reads kind/metadata).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import shlex
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from wizard.flux_secrets import secret_manifest

__all__ = ["DeployKey", "DeployKeyError", "GITHUB_KNOWN_HOSTS", "generate_deploy_key", "deploy_key_secret_yaml",
           "parse_deploy_key_secret", "gh_deploy_key_command", "repo_slug", "known_hosts_fingerprints"]

#: GitHub's published SSH host keys for github.com (docs.github.com, "GitHub's SSH key fingerprints";
#: the RSA key is the one rotated in on 2023-03-24). tests/secrets/test_deploy_key.py checks each
#: line's SHA256 fingerprint against the published ones.
GITHUB_KNOWN_HOSTS = (
    "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
    "github.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=\n"
    "github.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=\n"
)


class DeployKeyError(ValueError):
    """A deploy key or its Secret is unusable; the message names the field, never the key text."""


@dataclass(frozen=True)
class DeployKey:
    private_openssh: str
    public_openssh: str

    def __repr__(self) -> str:  # never print the private half by accident (logs, tracebacks)
        return f"DeployKey(public_openssh={self.public_openssh!r})"


def _public_line(key: Any, comment: str) -> str:
    blob = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{blob} {comment}".strip()


def generate_deploy_key(comment: str) -> DeployKey:
    """A new Ed25519 pair: OpenSSH private key (unencrypted: Flux has no passphrase) and public line."""
    if "\n" in comment or "\r" in comment:
        raise DeployKeyError("deploy key comment must be a single line")
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    return DeployKey(private.decode("ascii"), _public_line(key, comment.strip()))


def deploy_key_secret_yaml(
    key: DeployKey, *, known_hosts: str = GITHUB_KNOWN_HOSTS, name: str = "github-deploy-key", namespace: str = "flux-system"
) -> str:
    """The Secret manifest as plaintext YAML (encrypt it before it touches disk)."""
    if not known_hosts.strip():
        raise DeployKeyError("known_hosts is empty: Flux refuses ssh:// sources without the host keys")
    known = "\n".join(ln.strip() for ln in known_hosts.strip().splitlines() if ln.strip()) + "\n"
    private = key.private_openssh if key.private_openssh.endswith("\n") else key.private_openssh + "\n"
    return secret_manifest(name, namespace, {"identity": private, "identity.pub": key.public_openssh.strip(),
                                             "known_hosts": known})


def _field(data: dict[str, Any], key: str) -> str | None:
    """``stringData[key]``, else base64-decoded ``data[key]`` (what ``kubectl get -o yaml`` shows)."""
    string_data = data.get("stringData") or {}
    if isinstance(string_data, dict) and isinstance(string_data.get(key), str):
        return string_data[key]
    raw = data.get("data") or {}
    if isinstance(raw, dict) and isinstance(raw.get(key), str):
        try:
            return base64.b64decode(raw[key], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise DeployKeyError(f"deploy key Secret: data.{key} is not base64 of UTF-8 text") from None
    return None


def parse_deploy_key_secret(text_or_data: str | dict[str, Any]) -> DeployKey:
    """The key pair from a decrypted ``github-deploy-key`` Secret (YAML text or the loaded mapping),
    so an existing key is reused instead of replaced. ``identity.pub`` is optional (derived)."""
    data: Any = text_or_data
    if isinstance(data, str):
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        try:
            data = YAML(typ="safe", pure=True).load(data)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise DeployKeyError(f"deploy key Secret: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise DeployKeyError("deploy key Secret: expected a Secret mapping with stringData.identity")
    private = _field(data, "identity")
    if not private:
        raise DeployKeyError("deploy key Secret: stringData.identity (the OpenSSH private key) is missing")
    try:
        loaded = serialization.load_ssh_private_key(private.encode(), password=None)
    except (ValueError, TypeError, binascii.Error):
        raise DeployKeyError("deploy key Secret: stringData.identity is not an unencrypted OpenSSH private key "
                             "(damaged, truncated or passphrase-protected)") from None
    derived = _public_line(loaded, "")
    public = (_field(data, "identity.pub") or "").strip()
    if public:
        if public.split()[:2] != derived.split()[:2]:
            raise DeployKeyError("deploy key Secret: identity.pub does not belong to identity (fix or delete identity.pub)")
    else:
        public = derived
    return DeployKey(private if private.endswith("\n") else private + "\n", public)


def known_hosts_fingerprints(text: str) -> list[tuple[str, str, str]]:
    """``(hosts, key type, SHA256:… fingerprint)`` per known_hosts line, as ``ssh-keygen -lf`` prints."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0].startswith("@"):  # @cert-authority / @revoked marker
            fields = fields[1:]
        try:
            hosts, kind, blob = fields[0], fields[1], base64.b64decode(fields[2], validate=True)
        except (IndexError, binascii.Error):
            raise DeployKeyError(f"known_hosts line {number}: expected 'host key-type base64-key'") from None
        digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        out.append((hosts, kind, f"SHA256:{digest}"))
    return out


_URL = re.compile(r"^(?:ssh://(?:[^@/]+@)?|https?://(?:[^@/]+@)?)(?P<host>[^/:]+)(?::\d+)?/(?P<slug>[^/]+/[^/]+?)(?:\.git)?/?$")


def _parse_url(url: str) -> tuple[str, str] | None:
    m = _URL.match(url.strip())
    return (m.group("host").lower(), m.group("slug")) if m else None


def repo_slug(url: str) -> str | None:
    """``owner/name`` of an ``ssh://git@host[:port]/owner/name.git`` or ``https://host/owner/name[.git]``
    URL; None for anything else (scp-style ``git@host:owner/name`` is not a URL Flux accepts)."""
    parsed = _parse_url(url)
    return parsed[1] if parsed else None


def gh_deploy_key_command(repo_url: str, title: str, pubkey_file: str = "deploy-key.pub", *,
                          public_key: str | None = None) -> str:
    """The shell line that registers the public key as a read-only deploy key (gh's default; Flux
    only reads). With ``public_key`` the key is piped in (``gh … add -``), so no file is needed."""
    parsed = _parse_url(repo_url)
    if parsed is None:
        repo = "<owner>/<repo>"  # the operator fills it in; the rest of the line is still right
    else:
        host, slug = parsed
        repo = slug if host == "github.com" else f"{host}/{slug}"  # gh's [HOST/]OWNER/REPO form
    tail = f"--repo {shlex.quote(repo) if parsed else repo} --title {shlex.quote(title)}"
    if public_key is not None:
        return f"echo {shlex.quote(public_key.strip())} | gh repo deploy-key add - {tail}"
    return f"gh repo deploy-key add {shlex.quote(pubkey_file)} {tail}"
