"""Find plaintext secret material in files: age identities, PEM private keys (also base64-wrapped,
as Talos bundles store them), OpenSSH private keys. Used by the suite-wide scan in conftest."""

from __future__ import annotations

import base64
import re
import stat
from pathlib import Path

_MARKERS = (
    re.compile(rb"AGE-SECRET-KEY-1[0-9A-Z]{20,}"),
    re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"),
)
# base64 of "-----BEGIN " then a PEM private-key label, as in talsecret's `key:` values.
_B64_TOKEN = re.compile(rb"LS0tLS1CRUdJTi[A-Za-z0-9+/=]{20,}")


def secret_findings(data: bytes) -> list[str]:
    found = [m.pattern.decode() for m in _MARKERS if m.search(data)]
    for tok in _B64_TOKEN.findall(data):
        try:
            decoded = base64.b64decode(tok + b"=" * (-len(tok) % 4), validate=False)
        except ValueError:
            continue
        if b"PRIVATE KEY-----" in decoded:
            found.append("base64-wrapped PEM private key")
            break
    return found


def scan_file(path: Path) -> list[str]:
    """Problems of one written file; private files (mode 0600: keys.txt, kubeconfig) may hold keys."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return []
    if not stat.S_ISREG(st.st_mode):
        return []
    data = path.read_bytes()
    problems = []
    private = (st.st_mode & 0o077) == 0
    sops_file = path.name.endswith((".sops.yaml", ".sops.yml")) and path.name not in (".sops.yaml", ".sops.yml")
    if sops_file and b"\nsops:" not in data and not data.startswith(b"sops:"):
        problems.append("named *.sops.yaml but has no sops block")
    if not private or sops_file:
        problems += [f"plaintext {what}" for what in secret_findings(data)]
    return problems
