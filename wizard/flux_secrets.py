"""Kubernetes Secret manifests as YAML text, and the ``sops-age`` Secret Flux decrypts with.

``sops-age`` holds the operator's age identities as ``age.agekey`` so kustomize-controller can
decrypt ``*.sops.yaml``. It is built in memory at bootstrap time and piped to
``kubectl apply --server-side -f -``; it is never written to disk or committed.
"""

from __future__ import annotations

import re

__all__ = ["SecretError", "secret_manifest", "sops_age_secret_yaml", "yaml_scalar", "age_identity_lines"]


class SecretError(ValueError):
    """Bad input for a Secret manifest; the message names the field and never holds secret text."""


# Names: DNS-1123 subdomain (Secret name) and label (namespace); data keys as the API server allows.
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

# Plain scalars that a YAML 1.1 (kubectl, go-yaml v2) or 1.2 loader would not read back as a string.
_NOT_A_STRING = re.compile(
    r"""^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF
    |[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?0x[0-9a-fA-F_]+|0o[0-7]+|[-+]?0[0-7_]+|[-+]?0b[01_]+
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|=|<<)$""",
    re.X,
)
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
# Characters that must be escaped: outside YAML's printable set (C0/C1 controls, DEL, surrogates,
# U+FFFE/FFFF), and the line breaks other than \n (\r, NEL, LS, PS) plus the BOM.
_UNPRINTABLE = re.compile("[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}


def _plain_ok(value: str) -> bool:
    if not value or value != value.strip() or "\n" in value or "\t" in value or _UNPRINTABLE.search(value):
        return False
    if value[0] in _INDICATORS and not (value[0] in "-?:" and len(value) > 1 and value[1] != " "):
        return False
    if ": " in value or " #" in value or value.endswith(":") or value.startswith("--- ") or value == "---":
        return False
    return not _NOT_A_STRING.match(value)


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if _UNPRINTABLE.match(ch):
        return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"
    return ch


def _double_quoted(value: str) -> str:
    """A YAML double-quoted scalar: only backslash, quote and non-printables are escaped."""
    return '"' + "".join(_escape(ch) for ch in value) + '"'


def yaml_scalar(value: str, indent: int) -> str:
    """``value`` as the text after ``key: `` in block context whose key sits at column ``indent``.

    Plain when that is safe, a ``|`` literal block (content at ``indent + 2``) for multi-line text,
    double-quoted otherwise; always loads back as the identical string (YAML 1.1 and 1.2)."""
    if "\n" not in value:
        return value if _plain_ok(value) else _double_quoted(value)
    # Whitespace at a line end is invisible (and yamllint flags it); unprintables need escapes.
    if _UNPRINTABLE.search(value) or not value.strip() or any(ln != ln.rstrip() for ln in value.split("\n")):
        return _double_quoted(value)
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = body.split("\n")
    first = next(ln for ln in lines if ln.strip())
    # A first content line that starts with a space would set the indentation: say it explicitly.
    head = "|" + ("2" if first[0] == " " else "") + chomp
    pad = " " * (indent + 2)
    rendered = [f"{pad}{ln}" if ln else "" for ln in lines] + [""] * (trailing - 1 if trailing > 1 else 0)
    return head + "\n" + "\n".join(rendered)


def secret_manifest(name: str, namespace: str, string_data: dict[str, str], *, secret_type: str = "Opaque") -> str:
    """A v1 Secret with ``stringData`` as YAML text (2-space indent, no ``---``, yamllint-clean)."""
    if not _SUBDOMAIN.match(name) or len(name) > 253:
        raise SecretError(f"Secret name {name!r} is not a valid Kubernetes name (lower-case letters, digits, '-', '.')")
    if not _LABEL.match(namespace) or len(namespace) > 63:
        raise SecretError(f"namespace {namespace!r} is not a valid Kubernetes namespace (lower-case letters, digits, '-')")
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}", f"  namespace: {namespace}",
             f"type: {yaml_scalar(secret_type, 0)}", "stringData:"]
    for key, value in string_data.items():
        if not _DATA_KEY.match(key) or len(key) > 253:
            raise SecretError(f"Secret {name}: stringData key {key!r} may only hold letters, digits, '-', '_' and '.'")
        if not isinstance(value, str):
            raise SecretError(f"Secret {name}: stringData.{key} must be text, not {type(value).__name__}")
        lines.append(f"  {yaml_scalar(key, 2)}: {yaml_scalar(value, 2)}")  # a key like "0" or "yes" needs quotes
    return "\n".join(lines) + "\n"


def age_identity_lines(identities_text: str) -> str:
    """The comment and X25519 ``AGE-SECRET-KEY-1…`` lines of an age keys file, each checked.

    Post-quantum (``AGE-SECRET-KEY-PQ-1…``) and plugin identities are left out: the sops inside
    Flux's kustomize-controller cannot parse them, and one unknown line makes it reject the whole
    file. Errors name the line number, never its content."""
    import pyrage

    keep: list[str] = []
    seen: set[str] = set()
    skipped = 0
    for number, raw in enumerate(identities_text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("#"):
            keep.append(line)
        elif line.startswith(("AGE-SECRET-KEY-PQ-", "AGE-PLUGIN-")):
            skipped += 1
        elif line.upper().startswith("AGE-SECRET-KEY-"):
            try:
                pyrage.x25519.Identity.from_str(line)
            except Exception:  # noqa: BLE001 - pyrage raises its own IdentityError; the message could echo the key
                raise SecretError(f"age key material, line {number}: not a valid AGE-SECRET-KEY-1 identity "
                                  "(damaged or truncated; re-export the key file)") from None
            if line not in seen:
                seen.add(line)
                keep.append(line)
    if not seen:
        why = " (post-quantum and plugin identities are not usable by Flux's sops)" if skipped else ""
        raise SecretError(f"age key material: no AGE-SECRET-KEY-1 identity found{why}; "
                          "point SOPS_AGE_KEY_FILE at the keys.txt that decrypts this repo")
    return "\n".join(keep) + "\n"


def sops_age_secret_yaml(identities_text: str, namespace: str = "flux-system") -> str:
    """The ``sops-age`` Secret (key ``age.agekey``): plaintext, for ``kubectl apply -f -`` only."""
    return secret_manifest("sops-age", namespace, {"age.agekey": age_identity_lines(identities_text)})
