"""age X25519 keys: generation, ``keys.txt`` in age-keygen's format, and lookup in sops' order."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping as EnvMapping
from datetime import datetime
from pathlib import Path

_RECIPIENT = re.compile(r"age1[02-9ac-hj-np-z]{58}\Z")
_IDENTITY = re.compile(r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}\Z")


class KeysError(ValueError):
    """A bad key or keys file (message names what is wrong)."""


def generate_identity() -> tuple[str, str]:
    """A fresh X25519 identity and its recipient: (``AGE-SECRET-KEY-1…``, ``age1…``)."""
    import pyrage

    ident = pyrage.x25519.Identity.generate()
    return str(ident), str(ident.to_public())


def recipient_of(identity: str) -> str:
    """The ``age1…`` recipient of an identity (like ``age-keygen -y``)."""
    import pyrage

    text = identity.strip()
    if text.upper().startswith("AGE-SECRET-KEY-PQ-"):
        raise KeysError("post-quantum age identities (AGE-SECRET-KEY-PQ-…) cannot be used: sops 3.11 supports X25519 keys only")
    try:
        return str(pyrage.x25519.Identity.from_str(text).to_public())
    except Exception:
        raise KeysError("not an age identity (expected AGE-SECRET-KEY-1… as written by age-keygen)") from None


def check_recipient(text: str) -> str | None:
    """None if ``text`` is a valid X25519 ``age1…`` recipient, else what is wrong with it."""
    value = text.strip()
    if value.lower().startswith("age1pq1"):
        return (f"{value[:16]}… is a post-quantum age recipient; sops 3.11 cannot encrypt to it. "
                "Generate a classic key with `k8s-wizard keys new` (or `age-keygen` without -pq).")
    if value.upper().startswith("AGE-SECRET-KEY-"):
        return "this is a private age identity, not a recipient: use its public key (age1…)"
    if not value.startswith("age1"):
        return f"{value[:20]!r} is not an age recipient (expected age1… as printed by age-keygen)"
    if not _RECIPIENT.match(value):
        return f"{value[:20]}… is not a valid age recipient (bad length or characters)"
    import pyrage

    try:
        pyrage.x25519.Recipient.from_str(value)
    except Exception:
        return f"{value[:20]}… is not a valid age recipient (checksum failed: a typo?)"
    return None


def format_keys_file(identity: str, created: datetime | None = None) -> str:
    """``keys.txt`` text exactly like age-keygen: created time (local, with offset), public key, key."""
    when = (created or datetime.now().astimezone()).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.astimezone()
    stamp = when.isoformat()
    if stamp.endswith("+00:00"):
        stamp = stamp[:-6] + "Z"
    return f"# created: {stamp}\n# public key: {recipient_of(identity)}\n{identity.strip()}\n"


def write_keys_file(path: Path, identity: str, created: datetime | None = None) -> None:
    """Write a new keys file (mode 0600, atomically). An existing file is never overwritten."""
    from wizard.fsutil import atomic_write

    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path}: already exists; refusing to overwrite an age key file (move it away first)")
    atomic_write(path, format_keys_file(identity, created), mode=0o600)


def parse_identities(text: str) -> list[str]:
    """Identities in a keys file / SOPS_AGE_KEY text (blank and ``#`` lines ignored)."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("AGE-SECRET-KEY-PQ-"):
            raise KeysError(f"line {n}: post-quantum age identity; sops 3.11 supports X25519 keys only")
        if not _IDENTITY.match(line.upper()):
            raise KeysError(f"line {n}: not an age identity (expected AGE-SECRET-KEY-1…)")
        out.append(line)
    return out


def default_keys_paths(env: EnvMapping[str, str] = os.environ) -> list[Path]:
    home = Path(env.get("HOME") or Path.home())
    paths = []
    if env.get("XDG_CONFIG_HOME"):
        paths.append(Path(env["XDG_CONFIG_HOME"]) / "sops" / "age" / "keys.txt")
    paths.append(home / ".config" / "sops" / "age" / "keys.txt")
    return paths


def find_identities(env: EnvMapping[str, str] = os.environ) -> list[str]:
    """All identities sops would try, in its order: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, then the
    user config file (``$XDG_CONFIG_HOME`` or ``~/.config``)/sops/age/keys.txt."""
    found: list[str] = []
    if env.get("SOPS_AGE_KEY"):
        found += parse_identities(env["SOPS_AGE_KEY"])
    if env.get("SOPS_AGE_KEY_FILE"):
        key_file = Path(env["SOPS_AGE_KEY_FILE"])
        try:
            found += parse_identities(key_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise KeysError(f"SOPS_AGE_KEY_FILE={key_file}: cannot read it ({exc.strerror})") from None
        except KeysError as exc:
            raise KeysError(f"{key_file}: {exc}") from None
    # sops reads only its UserConfigDir (XDG_CONFIG_HOME, else ~/.config); we also try ~/.config
    # when XDG_CONFIG_HOME points elsewhere, after it, which can only find more keys
    for default in dict.fromkeys(default_keys_paths(env)):
        if default.is_file():
            try:
                found += parse_identities(default.read_text(encoding="utf-8"))
            except (KeysError, OSError) as exc:
                raise KeysError(f"{default}: {exc}") from None
    return found
