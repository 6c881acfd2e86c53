"""The sops value cipher, tree walk and MAC: AES-256-GCM per value with the key path as AAD,
SHA-512 over the values in document order, and the age-wrapped data key (sops 3.11 format)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from wizard.sops.scalars import Timestamp, value_bytes
from wizard.sops.yamlfmt import Comment, Mapping

ENC_RE = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]", re.S)
MAC_ONLY_PREFIX = hashlib.sha256(b"sops").digest()
RULE_KINDS = ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")


class CodecError(Exception):
    """A cipher/tree problem; ``code`` is the sops exit code for it."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CryptRule:
    """Which values sops encrypts: one of the four path rules, plus ``mac_only_encrypted``."""

    kind: str = "unencrypted_suffix"
    value: str = "_unencrypted"
    mac_only_encrypted: bool = False

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise ValueError(f"unknown crypt rule {self.kind!r}; use one of {', '.join(RULE_KINDS)}")
        if self.kind.endswith("regex"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"{self.kind} {self.value!r} is not a valid regular expression: {exc}") from None

    def encrypts(self, path: Sequence[str]) -> bool:
        """sops' decision for a leaf at ``path`` (mapping keys from the root; any component counts).
        An empty value is no rule at all: sops then encrypts everything."""
        if not self.value:
            return True
        if self.kind == "unencrypted_suffix":
            return not any(p.endswith(self.value) for p in path)
        if self.kind == "encrypted_suffix":
            return any(p.endswith(self.value) for p in path)
        pattern = _compiled(self.value)
        hit = any(pattern.search(p) for p in path)
        return hit if self.kind == "encrypted_regex" else not hit


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern not in _REGEX_CACHE:
        _REGEX_CACHE[pattern] = re.compile(pattern)
    return _REGEX_CACHE[pattern]


def _type_of(value: Any) -> str:
    if isinstance(value, Comment):
        return "comment"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "str"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, Timestamp):
        return "time"
    raise CodecError(f"cannot encrypt a value of type {type(value).__name__}", 23)


def encrypt_value(value: Any, key: bytes, aad: str, iv: bytes | None = None) -> str:
    """``ENC[AES256_GCM,...]`` for one leaf (32-byte IV, 16-byte tag written apart)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kind = _type_of(value)
    plain = value.text.encode() if isinstance(value, Comment) else value_bytes(value)
    iv = iv if iv is not None else os.urandom(32)
    sealed = AESGCM(key).encrypt(iv, plain, aad.encode())
    b64 = base64.b64encode
    return f"ENC[AES256_GCM,data:{b64(sealed[:-16]).decode()},iv:{b64(iv).decode()},tag:{b64(sealed[-16:]).decode()},type:{kind}]"


_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def _typed(kind: str, text: str) -> Any:
    from wizard.sops.scalars import parse_timestamp

    if kind in ("str", "bytes"):
        return text
    if kind == "comment":
        return Comment(text)
    if kind == "int":
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return int(text)
    elif kind == "float":
        try:
            return float(text)
        except ValueError:
            pass
    elif kind == "bool":
        if text in _GO_TRUE or text in _GO_FALSE:
            return text in _GO_TRUE
    elif kind == "time":
        stamp = parse_timestamp(text)
        if stamp is not None and "T" in text:
            return stamp
    else:
        raise CodecError(f"unknown value type {kind!r}", 25)
    raise CodecError(f"cannot parse {text!r} as {kind}", 25)


def decrypt_value(enc: str, key: bytes, aad: str) -> tuple[Any, bytes, str, bytes]:
    """Decrypt one ``ENC[...]``: (typed value, iv, type, plaintext bytes)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    m = ENC_RE.match(enc)
    if not m:
        raise CodecError("Input string does not match sops' data format", 25)
    try:
        data, iv, tag = (base64.b64decode(g, validate=True) for g in m.groups()[:3])
    except ValueError as exc:
        raise CodecError(f"Error base64-decoding a value: {exc}", 25) from None
    if not iv:
        raise CodecError("empty IV", 25)
    try:
        plain = AESGCM(key).decrypt(iv, data + tag, aad.encode())
    except InvalidTag:
        raise CodecError("message authentication failed", 25) from None
    kind = m.group(4)
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError:
        raise CodecError("decrypted value is not UTF-8", 25) from None
    return _typed(kind, text), iv, kind, plain


Leaf = Callable[[Any, list[str]], Any]


def walk(tree: Any, path: list[str], fn: Leaf) -> Any:
    """A copy of ``tree`` with every leaf (comments included, nulls skipped) replaced by
    ``fn(leaf, path)``; keys must be strings, as sops demands."""
    if isinstance(tree, Mapping):
        out = Mapping()
        for item in tree:
            if isinstance(item, Comment):
                out.append(fn(item, path))
                continue
            key, value = item
            if not isinstance(key, str):
                raise CodecError(
                    f"Tree contains a non-string key (type {type(key).__name__}): {key!r}. Only string keys are supported", 23
                )
            out.append((key, walk(value, path + [key], fn)))
        return out
    if isinstance(tree, list):
        return [walk(item, path, fn) for item in tree]
    if tree is None:
        return None
    return fn(tree, path)


class IvBank:
    """IVs of an earlier version of the file, by (AAD, type, plaintext): reusing one for the same
    plaintext under the same key and AAD reproduces the old ciphertext (small git diffs)."""

    def __init__(self) -> None:
        self._ivs: dict[tuple[str, str, bytes], list[bytes]] = {}

    def add(self, aad: str, kind: str, plain: bytes, iv: bytes) -> None:
        self._ivs.setdefault((aad, kind, plain), []).append(iv)

    def take(self, aad: str, kind: str, plain: bytes) -> bytes | None:
        ivs = self._ivs.get((aad, kind, plain))
        return ivs.pop(0) if ivs else None


def encrypt_tree(docs: list[Mapping], key: bytes, rule: CryptRule, bank: IvBank | None = None) -> tuple[list[Mapping], str]:
    """Encrypt all documents; returns (encrypted trees, upper-case hex MAC)."""
    digest = hashlib.sha512()
    if rule.mac_only_encrypted:
        digest.update(MAC_ONLY_PREFIX)

    def leaf(value: Any, path: list[str]) -> Any:
        encrypted = rule.encrypts(path)
        if not isinstance(value, Comment) and (encrypted or not rule.mac_only_encrypted):
            digest.update(value_bytes(value))
        if not encrypted or value == "" or value == Comment(""):
            return value
        aad = ":".join(path) + ":"
        iv = None
        if bank is not None:
            plain = value.text.encode() if isinstance(value, Comment) else value_bytes(value)
            iv = bank.take(aad, _type_of(value), plain)
        text = encrypt_value(value, key, aad, iv)
        return Comment(text) if isinstance(value, Comment) else text

    out = [walk(doc, [], leaf) for doc in docs]
    return out, digest.hexdigest().upper()


def decrypt_tree(docs: list[Mapping], key: bytes, rule: CryptRule, bank: IvBank | None = None) -> tuple[list[Mapping], str]:
    """Decrypt all documents; returns (plaintext trees, recomputed MAC). Comments that do not
    decrypt are kept as they are (sops does the same for files from older versions)."""
    digest = hashlib.sha512()
    if rule.mac_only_encrypted:
        digest.update(MAC_ONLY_PREFIX)

    def leaf(value: Any, path: list[str]) -> Any:
        encrypted = rule.encrypts(path)
        aad = ":".join(path) + ":"
        if encrypted:
            if isinstance(value, Comment):
                try:
                    plain_value, iv, kind, plain = decrypt_value(value.text, key, aad)
                except CodecError:
                    return value
                if bank is not None:
                    bank.add(aad, kind, plain, iv)
                return plain_value if isinstance(plain_value, Comment) else Comment(str(plain_value))
            if not isinstance(value, str):
                raise CodecError(f"value at {'.'.join(path)} should be encrypted but is a plain {type(value).__name__}", 25)
            if value != "":
                try:
                    new, iv, kind, plain = decrypt_value(value, key, aad)
                except CodecError as exc:
                    raise CodecError(f"Could not decrypt value at {'.'.join(path) or '<root>'}: {exc}", exc.code) from None
                if bank is not None:
                    bank.add(aad, kind, plain, iv)
                value = new
        if not isinstance(value, Comment) and (encrypted or not rule.mac_only_encrypted):
            digest.update(value_bytes(value))
        return value

    out = [walk(doc, [], leaf) for doc in docs]
    return out, digest.hexdigest().upper()


def iter_leaves(tree: Any) -> Iterator[Any]:
    if isinstance(tree, Mapping):
        for item in tree:
            yield from iter_leaves(item if isinstance(item, Comment) else item[1])
    elif isinstance(tree, list):
        for item in tree:
            yield from iter_leaves(item)
    elif tree is not None:
        yield tree
