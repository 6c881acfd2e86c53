"""Bad input: one clear message naming the file, the exit code sops uses, nothing written."""

from __future__ import annotations

import base64
import re

import pytest

from wizard.sops import CryptRule, SopsError, decrypt, encrypt


@pytest.fixture
def good(age_key):
    return encrypt("a: secret\nb: 2\nc_unencrypted: plain\n", [age_key[1]])


def _flip_first_value(text: str) -> str:
    m = re.search(r"a: ENC\[AES256_GCM,data:([^,]+)", text)
    raw = bytearray(base64.b64decode(m.group(1)))
    raw[0] ^= 1
    return text.replace(m.group(1), base64.b64encode(bytes(raw)).decode())


CASES = {
    "wrong key": (lambda t: t, "other", 128, "none of the available age identities"),
    "no key": (lambda t: t, "none", 128, "no age identity found"),
    "tampered value": (_flip_first_value, "right", 25, "message authentication failed"),
    "not ENC format": (lambda t: t.replace("a: ENC[AES256_GCM,", "a: XNC[AES256_GCM,"), "right", 25, "does not match sops' data format"),
    "tampered MAC": (lambda t: re.sub(r"mac: ENC\[AES256_GCM,data:(.)", lambda m: "mac: ENC[AES256_GCM,data:" + ("B" if m.group(1) != "B" else "C"), t), "right", 51, "cannot decrypt the MAC"),
    "plain value edited": (lambda t: t.replace("c_unencrypted: plain", "c_unencrypted: other"), "right", 51, "MAC mismatch"),
    "value added": (lambda t: t.replace("c_unencrypted: plain", "c_unencrypted: plain\nd_unencrypted: x"), "right", 51, "MAC mismatch"),
    "no MAC": (lambda t: re.sub(r"    mac: .*\n", "", t), "right", 51, "has no MAC"),
    "truncated": (lambda t: t[: len(t) // 2], "right", 1, None),
    "missing sops block": (lambda t: "a: 1\n", "right", 1, "sops metadata not found"),
    "unknown version": (lambda t: t.replace("version: 3.11.0", "version: 9.0.0"), "right", 1, "unknown sops metadata version"),
    "no version": (lambda t: t.replace("    version: 3.11.0\n", ""), "right", 1, "no version"),
    "not utf-8": (lambda t: t.encode() + b"\xff\xfe", "right", 1, "not UTF-8"),
    "lastmodified changed": (lambda t: re.sub(r'lastmodified: "[^"]+"', 'lastmodified: "2020-01-01T00:00:00Z"', t), "right", 51, "MAC"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_decrypt_errors(case, good, age_key, second_key):
    mutate, which, code, words = CASES[case]
    identities = {"right": [age_key[0]], "other": [second_key[0]], "none": []}[which]
    with pytest.raises(SopsError) as err:
        decrypt(mutate(good), identities, path="x.sops.yaml")
    assert err.value.exit_code == code
    msg = str(err.value)
    assert msg.startswith("x.sops.yaml: ") and "\n" not in msg
    if words:
        assert words in msg


@pytest.mark.parametrize(
    "text,recipients,code,words",
    [
        ("", "ok", 92, "cannot be completely empty"),
        ("1: a\n", "ok", 23, "non-string key"),
        ("a:\n  true: x\n", "ok", 23, "non-string key"),
        ("- a\n", "ok", 2, "sequences are not supported"),
        ("a: [\n", "ok", 2, "not valid YAML"),
        ("a: 1\na: 2\n", "ok", 2, "already defined"),
        ("a: 1\nsops: x\n", "ok", 203, "already encrypted"),
        (b"a: \xff\n", "ok", 2, "not UTF-8"),
        ("a: 1\n", ["age1pq1" + "q" * 60], 1, "post-quantum"),
        ("a: 1\n", ["AGE-SECRET-KEY-PQ-1XYZ"], 1, "private age identity"),
        ("a: 1\n", ["ssh-ed25519 AAAA"], 1, "not an age recipient"),
        ("a: 1\n", ["age1notvalid"], 1, "not a valid age recipient"),
        ("a: 1\n", [], 1, "no age recipients"),
    ],
)
def test_encrypt_errors(text, recipients, code, words, age_key):
    recips = [age_key[1]] if recipients == "ok" else recipients
    with pytest.raises(SopsError) as err:
        encrypt(text, recips, path="in.yaml")
    assert err.value.exit_code == code and words in str(err.value) and str(err.value).startswith("in.yaml: ")


def test_already_encrypted_file_is_refused(good, age_key):
    with pytest.raises(SopsError) as err:
        encrypt(good, [age_key[1]])
    assert err.value.exit_code == 203


def test_previous_needs_a_key_that_opens_it(good, age_key, second_key):
    with pytest.raises(SopsError) as err:
        encrypt("a: 1\n", [age_key[1]], previous=good, identities=[second_key[0]])
    assert err.value.exit_code == 128


def test_bad_rule_and_indent():
    with pytest.raises(ValueError):
        CryptRule("encrypted_regex", "(")
    with pytest.raises(ValueError):
        CryptRule("nope", "x")
    with pytest.raises(SopsError) as err:
        encrypt("a: 1\n", ["age1x"], indent=-1)
    assert err.value.exit_code == 4
