"""Re-encrypting with ``previous``: unchanged plaintext keeps the file byte for byte; a changed
value changes only its own line (plus lastmodified and MAC)."""

from __future__ import annotations

import difflib

from tests.sops.samples import ALL, SECRET
from wizard.sops import CryptRule, decrypt, encrypt

RULE = CryptRule("encrypted_regex", "^(data|stringData)$")


def changed_lines(a: str, b: str) -> list[str]:
    return [l for l in difflib.ndiff(a.splitlines(), b.splitlines()) if l.startswith(("- ", "+ "))]


def test_unchanged_plaintext_returns_previous_bytes(age_key):
    first = encrypt(SECRET, [age_key[1]], rule=RULE)
    again = encrypt(SECRET, [age_key[1]], rule=RULE, previous=first, identities=[age_key[0]])
    assert again == first


def test_unchanged_with_comments_and_multidoc(age_key):
    for text in (ALL["nested"], ALL["multidoc"]):
        first = encrypt(text, [age_key[1]])
        assert encrypt(text, [age_key[1]], previous=first, identities=[age_key[0]]) == first


def test_one_value_changed_only_that_line_and_metadata(age_key, run_sops, tmp_path):
    first = encrypt(SECRET, [age_key[1]], rule=RULE)
    edited = SECRET.replace("identity.pub: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake", "identity.pub: ssh-ed25519 OTHER")
    second = encrypt(edited, [age_key[1]], rule=RULE, previous=first, identities=[age_key[0]])
    diff = changed_lines(first, second)
    changed = {line[2:].split(":")[0].strip() for line in diff}
    # lastmodified changes too unless both writes fell in the same second
    assert {"identity.pub", "mac"} <= changed <= {"identity.pub", "lastmodified", "mac"}, diff
    assert len(diff) == 2 * len(changed)
    assert decrypt(second, [age_key[0]]) == decrypt(encrypt(edited, [age_key[1]], rule=RULE), [age_key[0]])
    (tmp_path / "s.yaml").write_text(second)
    assert "ssh-ed25519 OTHER" in run_sops("-d", str(tmp_path / "s.yaml")).stdout


def test_type_change_is_a_change(age_key):
    first = encrypt("a: 1\n", [age_key[1]])
    second = encrypt("a: true\n", [age_key[1]], previous=first, identities=[age_key[0]])
    assert second != first and decrypt(second, [age_key[0]]) == "a: true\n"


def test_new_recipient_reencrypts_with_a_fresh_key(age_key, second_key):
    first = encrypt(SECRET, [age_key[1]], rule=RULE)
    second = encrypt(SECRET, [age_key[1], second_key[1]], rule=RULE, previous=first, identities=[age_key[0]])
    assert second != first
    assert decrypt(second, [second_key[0]]) == decrypt(first, [age_key[0]])
    assert not set(changed_lines(first, second)) & {f"- {l}" for l in first.splitlines() if "ENC[" in l} == set()


def test_rule_change_reencrypts(age_key):
    first = encrypt(SECRET, [age_key[1]])
    second = encrypt(SECRET, [age_key[1]], rule=RULE, previous=first, identities=[age_key[0]])
    assert "kind: Secret" in second and "kind: Secret" not in first
