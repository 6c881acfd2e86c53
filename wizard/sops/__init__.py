"""In-process SOPS (YAML store, age keys) compatible with sops 3.11: encrypt, decrypt, and
re-encrypt without churn. Facts and layout rules: ../shared/reference/crypto.md.

Errors are ``SopsError`` with a message that starts with the file path and an ``exit_code`` equal
to what the sops binary exits with in the same situation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wizard.sops.codec import CodecError, CryptRule, IvBank, decrypt_tree, encrypt_tree, encrypt_value, decrypt_value
from wizard.sops.yamlfmt import Comment, Mapping, YamlError, emit_documents, load_documents, to_python

__all__ = ["CryptRule", "SopsError", "encrypt", "decrypt", "decrypt_documents", "is_encrypted", "data_key", "normalize_indent"]

# sops exit codes (cmd/sops/codes), checked against the 3.11.0 binary
EXIT_GENERIC = 1
EXIT_READ_INPUT = 2
EXIT_DUMP_TREE = 4
EXIT_ENCRYPT_TREE = 23
EXIT_DECRYPT_TREE = 25
EXIT_MAC_MISMATCH = 51
EXIT_NEED_DOCUMENT = 92
EXIT_NO_FILE = 100
EXIT_DATA_KEY = 128
EXIT_ALREADY_ENCRYPTED = 203


class SopsError(Exception):
    """One clear message (starting with the file path) and the sops exit code for the situation."""

    def __init__(self, message: str, exit_code: int = EXIT_GENERIC) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def normalize_indent(indent: int, path: str = "<input>") -> int:
    """go-yaml's rules: negative is refused, 0 means sops' default 4, outside 2..9 becomes 2."""
    if indent < 0:
        raise SopsError(f"{path}: YAML negative indentation not accepted ({indent})", EXIT_DUMP_TREE)
    if indent == 0:
        return 4
    return indent if 2 <= indent <= 9 else 2


def _text(text: str | bytes, path: str, code: int = EXIT_GENERIC) -> str:
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SopsError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start})", code) from None
    return text


@dataclass
class _Opened:
    docs: list[Mapping]  # plaintext trees, comments kept
    key: bytes
    meta: Any
    bank: IvBank


def _open(text: str | bytes, identities: Sequence[str], path: str) -> _Opened:
    from wizard.sops import metadata as md

    text = _text(text, path)
    try:
        docs = load_documents(text)
    except YamlError as exc:
        raise SopsError(f"{path}: not valid YAML: {exc}", EXIT_GENERIC) from None
    first = docs[0].get("sops") if docs else None
    if first is None:
        raise SopsError(f"{path}: sops metadata not found (no `sops:` block: the file is not encrypted, or it was cut short)", EXIT_GENERIC)
    try:
        meta = md.parse(first)
        mac_aad = md.mac_aad(meta.lastmodified)
        key = md.unwrap_data_key(meta, identities)
    except CodecError as exc:
        raise SopsError(f"{path}: {exc}", exc.code) from None
    body = [Mapping(item for item in doc if isinstance(item, Comment) or item[0] != "sops") for doc in docs]
    bank = IvBank()
    try:
        plain, mac = decrypt_tree(body, key, meta.rule, bank)
    except CodecError as exc:
        hint = " (the file was modified after encryption)" if exc.code == EXIT_DECRYPT_TREE else ""
        raise SopsError(f"{path}: {exc}{hint}", exc.code) from None
    if meta.mac is None:
        raise SopsError(f"{path}: MAC mismatch: the file has no MAC (truncated or edited by hand?)", EXIT_MAC_MISMATCH)
    try:
        stored, _, _, _ = decrypt_value(meta.mac, key, mac_aad)
    except CodecError:
        raise SopsError(f"{path}: cannot decrypt the MAC: the MAC or lastmodified was tampered with", EXIT_MAC_MISMATCH) from None
    if stored != mac:
        raise SopsError(f"{path}: MAC mismatch: a value was changed, added or removed after encryption", EXIT_MAC_MISMATCH)
    return _Opened(plain, key, meta, bank)


def decrypt(text: str | bytes, identities: Sequence[str], *, path: str = "<input>", indent: int = 4) -> str:
    """The plaintext YAML exactly as ``sops -d`` prints it (MAC verified)."""
    opened = _open(text, identities, path)
    return emit_documents(opened.docs, normalize_indent(indent, path))


def decrypt_documents(text: str | bytes, identities: Sequence[str], *, path: str = "<input>") -> list[Any]:
    """The decrypted documents as python data (dicts, lists, scalars; timestamps as datetime)."""
    return [to_python(doc) for doc in _open(text, identities, path).docs]


def data_key(text: str | bytes, identities: Sequence[str], *, path: str = "<input>") -> bytes:
    """The file's 32-byte data key (the file is fully verified first)."""
    return _open(text, identities, path).key


def is_encrypted(text: str | bytes) -> bool:
    """True when the (first) document carries a sops metadata block with a version and a MAC."""
    try:
        docs = load_documents(_text(text, "<input>"))
    except (YamlError, SopsError):
        return False
    meta = docs[0].get("sops") if docs else None
    return isinstance(meta, Mapping) and meta.get("version") is not None and meta.get("mac") is not None


def _plain_documents(plaintext: str | bytes, path: str) -> list[Mapping]:
    text = _text(plaintext, path, EXIT_READ_INPUT)
    try:
        docs = load_documents(text)
    except YamlError as exc:
        raise SopsError(f"{path}: not valid YAML: {exc}", EXIT_READ_INPUT) from None
    if not docs:
        raise SopsError(f"{path}: file cannot be completely empty, it must contain at least one document", EXIT_NEED_DOCUMENT)
    for doc in docs:
        if doc.get("sops") is not None or any(not isinstance(i, Comment) and i[0] == "sops" for i in doc):
            raise SopsError(
                f"{path}: the file already has a top-level `sops` entry: it is probably already encrypted", EXIT_ALREADY_ENCRYPTED
            )
    return docs


def _signature(tree: Any) -> Any:
    """A comparable form that tells ``1``, ``1.0`` and ``true`` apart (python's == does not)."""
    if isinstance(tree, Mapping):
        return ("map", tuple(_signature(i) if isinstance(i, Comment) else (i[0], _signature(i[1])) for i in tree))
    if isinstance(tree, list):
        return ("seq", tuple(_signature(i) for i in tree))
    if isinstance(tree, float):
        return ("float", repr(tree))
    return (type(tree).__name__, tree)


def _seq_comments_as_items(tree: Any) -> Any:
    """sops writes an encrypted comment inside a sequence as a sequence item (``- ENC[...]``)."""
    if isinstance(tree, Mapping):
        return Mapping(i if isinstance(i, Comment) else (i[0], _seq_comments_as_items(i[1])) for i in tree)
    if isinstance(tree, list):
        return [i.text if isinstance(i, Comment) and i.text.startswith("ENC[") else _seq_comments_as_items(i) for i in tree]
    return tree


def encrypt(
    plaintext: str | bytes,
    recipients: Sequence[str],
    *,
    rule: CryptRule | None = None,
    indent: int = 4,
    previous: str | bytes | None = None,
    identities: Sequence[str] = (),
    path: str = "<input>",
) -> str:
    """sops-format YAML of ``plaintext`` for ``recipients`` (layout as sops 3.11 writes it).

    With ``previous`` (the current encrypted file) and ``identities`` that open it, the data key
    and the IV of every unchanged value are reused, and an unchanged plaintext returns
    ``previous`` itself, so re-rendering does not churn git.
    """
    from wizard.sops import metadata as md
    from wizard.sops.keys import check_recipient

    rule = rule or CryptRule()
    indent = normalize_indent(indent, path)
    recipients = [r.strip() for r in recipients]
    if not recipients:
        raise SopsError(f"{path}: no age recipients: add one with --age or a creation rule in .sops.yaml", EXIT_GENERIC)
    for r in recipients:
        problem = check_recipient(r)
        if problem:
            raise SopsError(f"{path}: recipient {problem}", EXIT_GENERIC)
    docs = _plain_documents(plaintext, path)

    key, age, bank = os.urandom(32), None, None
    if previous is not None:
        old = _open(previous, identities, path)
        same_keys = [r for r, _ in old.meta.age] == recipients
        if same_keys and old.meta.rule == rule and _signature(old.docs) == _signature(docs):
            return _text(previous, path)
        if same_keys:
            key, age, bank = old.key, old.meta.age, old.bank
    try:
        enc_docs, mac = encrypt_tree(docs, key, rule, bank)
    except CodecError as exc:
        raise SopsError(f"{path}: {exc}", exc.code) from None
    lastmodified = md.now_rfc3339()
    if age is None:
        age = md.wrap_data_key(key, recipients)
    meta = md.build(age, lastmodified, encrypt_value(mac, key, lastmodified), rule)
    out = []
    for doc in enc_docs:
        doc = _seq_comments_as_items(doc)
        doc.append(("sops", meta))
        out.append(doc)
    return emit_documents(out, indent)
