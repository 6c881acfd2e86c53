"""The ``sops:`` metadata block (field order of sops 3.11) and the age-wrapped data key."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from wizard.sops.codec import RULE_KINDS, CodecError, CryptRule
from wizard.sops.yamlfmt import Mapping

SOPS_VERSION = "3.11.0"
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?\S*\Z")


@dataclass
class Metadata:
    age: list[tuple[str, str]]  # (recipient, armored age file holding the data key)
    lastmodified: str  # as written in the file
    mac: str | None
    rule: CryptRule
    version: str
    other_keys: list[str]  # key types present that we cannot use (pgp, kms, ...)


def now_rfc3339() -> str:
    """What sops writes: UTC, whole seconds, ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def mac_aad(lastmodified: str) -> str:
    """Go's ``time.Parse(RFC3339)`` then ``Format(RFC3339)``: fraction dropped, ``+00:00`` → ``Z``."""
    m = _RFC3339.match(lastmodified)
    if not m:
        raise CodecError(f"lastmodified {lastmodified!r} is not an RFC 3339 time", 1)
    zone = "Z" if m.group(2) in ("Z", "+00:00", "-00:00") else m.group(2)
    return m.group(1) + zone


def build(age: Sequence[tuple[str, str]], lastmodified: str, mac: str, rule: CryptRule) -> Mapping:
    meta = Mapping()
    meta.append(("age", [Mapping([("recipient", r), ("enc", enc)]) for r, enc in age]))
    meta.append(("lastmodified", lastmodified))
    meta.append(("mac", mac))
    meta.append((rule.kind, rule.value))
    if rule.mac_only_encrypted:
        meta.append(("mac_only_encrypted", True))
    meta.append(("version", SOPS_VERSION))
    return meta


def _age_entries(items: Any, where: str) -> list[tuple[str, str]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise CodecError(f"sops.{where} must be a list", 1)
    out = []
    for entry in items:
        if not isinstance(entry, Mapping):
            raise CodecError(f"sops.{where} entries must be mappings", 1)
        recipient, enc = entry.get("recipient"), entry.get("enc")
        if not isinstance(recipient, str) or not isinstance(enc, str):
            raise CodecError(f"sops.{where} entry without recipient/enc", 1)
        out.append((recipient, enc))
    return out


def parse(meta: Any) -> Metadata:
    """Read the metadata the way sops does (older files' empty key lists are accepted)."""
    if not isinstance(meta, Mapping):
        raise CodecError("sops metadata not found", 1)
    version = meta.get("version")
    if version is None or version == "":
        raise CodecError("sops metadata has no version (file truncated?)", 1)
    vm = _VERSION.match(str(version))
    if not vm or vm.group(1) != "3":
        raise CodecError(f"unknown sops metadata version {version!r}: this tool reads files of sops 3.x", 1)
    age = _age_entries(meta.get("age"), "age")
    other = [k for k in ("pgp", "kms", "gcp_kms", "azure_kv", "hc_vault") if meta.get(k)]
    groups = meta.get("key_groups")
    if groups:
        if not isinstance(groups, list) or len(groups) != 1:
            raise CodecError("files with several key_groups (Shamir secret sharing) are not supported", 1)
        group = groups[0]
        if isinstance(group, Mapping):
            age += _age_entries(group.get("age"), "key_groups[0].age")
            other += [k for k in ("pgp", "kms", "gcp_kms", "azure_kv", "hc_vault") if group.get(k)]
    lastmodified = meta.get("lastmodified")
    if isinstance(lastmodified, str) is False:
        lastmodified = getattr(lastmodified, "text", None)
    if not lastmodified:
        raise CodecError("sops metadata has no lastmodified (file truncated?)", 1)
    set_rules = [k for k in (*RULE_KINDS, "unencrypted_comment_regex", "encrypted_comment_regex") if meta.get(k)]
    if len(set_rules) > 1:
        raise CodecError(f"sops metadata sets more than one crypt rule: {', '.join(set_rules)}", 1)
    if set_rules and set_rules[0].endswith("comment_regex"):
        raise CodecError(f"{set_rules[0]} is not supported", 1)
    mac_only = meta.get("mac_only_encrypted") is True
    if set_rules:
        rule = CryptRule(set_rules[0], str(meta.get(set_rules[0])), mac_only)
    else:  # sops treats "no rule" as encrypting everything
        rule = CryptRule("unencrypted_suffix", "", mac_only)
    mac = meta.get("mac")
    return Metadata(age, lastmodified, mac if isinstance(mac, str) and mac else None, rule, str(version), other)


def wrap_data_key(data_key: bytes, recipients: Sequence[str]) -> list[tuple[str, str]]:
    """One armored single-recipient age file per recipient, as sops writes them."""
    import pyrage

    out = []
    for r in recipients:
        enc = pyrage.encrypt(data_key, [pyrage.x25519.Recipient.from_str(r)], armored=True).decode()
        out.append((r, enc if enc.endswith("\n") else enc + "\n"))
    return out


def unwrap_data_key(meta: Metadata, identities: Sequence[str]) -> bytes:
    """The 32-byte data key, from the first age entry one of ``identities`` opens."""
    import pyrage

    if not meta.age:
        kinds = ", ".join(meta.other_keys) or "none"
        raise CodecError(f"the file has no age recipients (key types: {kinds}); only age keys are supported", 128)
    idents = []
    for ident in identities:
        try:
            idents.append(pyrage.x25519.Identity.from_str(ident.strip()))
        except Exception:
            continue
    if not idents:
        raise CodecError(
            "Failed to get the data key: no age identity found (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY, "
            "or put the key in ~/.config/sops/age/keys.txt)", 128)
    for _, enc in meta.age:
        try:
            key = pyrage.decrypt(enc.encode(), idents)
        except Exception:
            continue
        if len(key) == 32:
            return key
    recips = ", ".join(r for r, _ in meta.age)
    raise CodecError(f"Failed to get the data key: none of the available age identities matches the file's recipients ({recips})", 128)
