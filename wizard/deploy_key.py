"""The GitHub deploy key Flux pulls the repo with: an Ed25519 pair in OpenSSH format, generated in
memory, and the ``github-deploy-key`` Secret (identity, identity.pub, known_hosts) that is committed
only SOPS-encrypted (``encrypted_regex: ^(data|stringData)$`` so kustomize still reads kind/metadata).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

#: GitHub's published SSH host keys (docs: "GitHub's SSH key fingerprints"); fingerprints are
#: checked in tests/secrets/test_deploy_key.py.
GITHUB_KNOWN_HOSTS = (
    "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
    "github.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=\n"
    "github.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=\n"
)


@dataclass(frozen=True)
class DeployKey:
    private_openssh: str
    public_openssh: str

    def __repr__(self) -> str:  # never print the private half by accident
        return f"DeployKey(public_openssh={self.public_openssh!r})"


def generate_deploy_key(comment: str) -> DeployKey:
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return DeployKey(private.decode("ascii"), f"{public.decode('ascii')} {comment}".strip())


def _literal(value: str, indent: int) -> str:
    pad = " " * indent
    chomp = "" if value.endswith("\n") else "-"
    body = "".join(f"{pad}{line}\n" if line else "\n" for line in value.rstrip("\n").split("\n"))
    return f"|{chomp}\n{body}"


def deploy_key_secret_yaml(
    key: DeployKey, *, known_hosts: str = GITHUB_KNOWN_HOSTS, name: str = "github-deploy-key", namespace: str = "flux-system"
) -> str:
    """The Secret manifest (plaintext; encrypt it before it touches disk)."""
    known = known_hosts if known_hosts.endswith("\n") else known_hosts + "\n"
    return (
        "---\n"
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        f"  name: {name}\n"
        f"  namespace: {namespace}\n"
        "type: Opaque\n"
        "stringData:\n"
        f"  identity: {_literal(key.private_openssh, 4)}"
        f"  identity.pub: {key.public_openssh}\n"
        f"  known_hosts: {_literal(known, 4)}"
    )


def parse_deploy_key_secret(data: Any) -> DeployKey:
    """The key pair from a decrypted Secret (YAML text or the loaded mapping)."""
    if isinstance(data, str):
        from ruamel.yaml import YAML

        data = YAML(typ="safe", pure=True).load(data)
    string_data = (data or {}).get("stringData") or {}
    private, public = string_data.get("identity"), string_data.get("identity.pub")
    if not private or not public:
        raise ValueError("github-deploy-key Secret: stringData.identity and stringData.identity.pub are required")
    serialization.load_ssh_private_key(private.encode(), password=None)  # raises ValueError if damaged
    return DeployKey(private if private.endswith("\n") else private + "\n", public.strip())


_SLUG = re.compile(r"^(?:ssh://git@|https://)(?P<host>[^/:]+)(?::\d+)?/(?P<slug>[^/]+/[^/]+?)(?:\.git)?/?$")


def repo_slug(url: str) -> str | None:
    """``owner/name`` of an ``ssh://git@host/owner/name.git`` or ``https://host/owner/name`` URL."""
    m = _SLUG.match(url.strip())
    return m.group("slug") if m else None


def gh_deploy_key_command(url: str, title: str, pubkey_file: str = "deploy-key.pub") -> str:
    """The command the operator runs to register the public key as a read-only deploy key."""
    slug = repo_slug(url) or "<owner>/<repo>"
    return f"gh repo deploy-key add {pubkey_file} --repo {slug} --title {title}"
