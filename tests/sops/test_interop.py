"""Interop with the real sops 3.11 both ways, and byte layout equal to sops' own output."""

from __future__ import annotations

import re

import pytest

from tests.sops.samples import ALL
from wizard.sops import CryptRule, decrypt, decrypt_documents, encrypt

RULES = {
    "default": ([], CryptRule()),
    "encrypted_regex": (["--encrypted-regex", "^(data|stringData)$"], CryptRule("encrypted_regex", "^(data|stringData)$")),
    "unencrypted_regex": (["--unencrypted-regex", "^(kind|apiVersion|name)$"], CryptRule("unencrypted_regex", "^(kind|apiVersion|name)$")),
    "encrypted_suffix": (["--encrypted-suffix", "_secret"], CryptRule("encrypted_suffix", "_secret")),
    "unencrypted_suffix": (["--unencrypted-suffix", "_plain"], CryptRule("unencrypted_suffix", "_plain")),
    "mac_only": (["--encrypted-regex", "^(data|stringData)$", "--mac-only-encrypted"],
                 CryptRule("encrypted_regex", "^(data|stringData)$", mac_only_encrypted=True)),
}


def mask(text: str) -> str:
    """Hide what is random or time-dependent: ciphertexts, age armor bodies, lastmodified."""
    text = re.sub(r"ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:(\w+)\]", r"ENC[\1]", text)
    text = re.sub(r'lastmodified: "[^"]+"', "lastmodified: T", text)
    return re.sub(r"(?m)^( +)[A-Za-z0-9+/=]{1,64}\n(?=(\1[A-Za-z0-9+/=]{1,64}\n)*\1-----END AGE)", "", text)


@pytest.mark.parametrize("name", sorted(ALL))
def test_sops_encrypted_files_decrypt_identically(name, tmp_path, age_key, run_sops):
    src = tmp_path / "in.yaml"
    src.write_text(ALL[name])
    enc = run_sops("-e", "--age", age_key[1], str(src)).stdout
    (tmp_path / "enc.yaml").write_text(enc)
    expected = run_sops("-d", str(tmp_path / "enc.yaml")).stdout
    assert decrypt(enc, [age_key[0]], path="enc.yaml") == expected


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("name", ["secret", "nested", "multidoc"])
def test_each_rule_both_ways_and_same_layout(name, rule, tmp_path, age_key, run_sops):
    flags, crypt = RULES[rule]
    src = tmp_path / "in.yaml"
    src.write_text(ALL[name])
    theirs = run_sops("-e", "--age", age_key[1], *flags, str(src)).stdout
    ours = encrypt(ALL[name], [age_key[1]], rule=crypt, path="in.yaml")
    assert mask(ours) == mask(theirs)
    (tmp_path / "ours.yaml").write_text(ours)
    (tmp_path / "theirs.yaml").write_text(theirs)
    sops_plain = run_sops("-d", str(tmp_path / "ours.yaml")).stdout
    assert sops_plain == run_sops("-d", str(tmp_path / "theirs.yaml")).stdout
    assert decrypt(theirs, [age_key[0]]) == sops_plain == decrypt(ours, [age_key[0]])


def test_scalar_types_match_sops(tmp_path, age_key, run_sops):
    src = tmp_path / "in.yaml"
    src.write_text(ALL["scalars"])
    theirs = run_sops("-e", "--age", age_key[1], str(src)).stdout
    ours = encrypt(ALL["scalars"], [age_key[1]])
    assert mask(ours) == mask(theirs)  # same type: tags, same quoting of keys
    (tmp_path / "ours.yaml").write_text(ours)
    assert run_sops("-d", str(tmp_path / "ours.yaml")).stdout == decrypt(theirs, [age_key[0]])
    data = decrypt_documents(ours, [age_key[0]])[0]
    assert data["octal_go"] == 8 and data["yes_str"] == "yes" and data["big"] == 1e20 and data["binary"] == "hello"
    assert data["notime"] == "2024-01-02T03:04:05" and data["date"].year == 2024 and data["nul"] is None


@pytest.mark.parametrize("indent", [2, 4])
def test_indent_from_config_both_ways(indent, tmp_path, age_key, run_sops):
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {age_key[1]}\nstores:\n  yaml:\n    indent: {indent}\n")
    (tmp_path / "in.yaml").write_text(ALL["nested"])
    theirs = run_sops("-e", "in.yaml", cwd=tmp_path).stdout
    ours = encrypt(ALL["nested"], [age_key[1]], indent=indent)
    assert mask(ours) == mask(theirs)
    (tmp_path / "ours.yaml").write_text(ours)
    assert run_sops("-d", "ours.yaml", cwd=tmp_path).stdout == decrypt(theirs, [age_key[0]], indent=indent)


def test_two_recipients_either_key_opens(tmp_path, age_key, second_key, run_sops):
    ours = encrypt(ALL["secret"], [age_key[1], second_key[1]])
    assert decrypt(ours, [second_key[0]]) == decrypt(ours, [age_key[0]])
    (tmp_path / "ours.yaml").write_text(ours)
    run_sops("-d", str(tmp_path / "ours.yaml"))
    theirs = run_sops("-e", "--age", f"{age_key[1]},{second_key[1]}", str(tmp_path / "ours.yaml"), check=False)
    assert theirs.returncode == 203  # sops also refuses to encrypt twice
    src = tmp_path / "in.yaml"
    src.write_text(ALL["secret"])
    sops_two = run_sops("-e", "--age", f"{age_key[1]},{second_key[1]}", str(src)).stdout
    assert mask(sops_two) == mask(ours)
    assert decrypt(sops_two, [second_key[0]]) == decrypt(ours, [second_key[0]])


@pytest.mark.parametrize("action", [("updatekeys", "-y"), ("rotate", "-i")])
def test_sops_rewrites_our_file_and_both_still_read_it(action, tmp_path, age_key, second_key, run_sops):
    (tmp_path / ".sops.yaml").write_text(f"creation_rules:\n  - age: {age_key[1]},{second_key[1]}\n")
    target = tmp_path / "s.sops.yaml"
    ours = encrypt(ALL["nested"], [age_key[1]])
    target.write_text(ours)
    run_sops(*action, "s.sops.yaml", cwd=tmp_path)
    rewritten = target.read_text()
    assert rewritten != ours
    assert decrypt(rewritten, [age_key[0]]) == decrypt(ours, [age_key[0]])
    assert run_sops("-d", "s.sops.yaml", cwd=tmp_path).stdout == decrypt(ours, [age_key[0]])
    if action[0] == "updatekeys":  # same data key: only the sops block may differ
        body = lambda t: t.split("\nsops:\n")[0]  # noqa: E731
        assert body(rewritten) == body(ours)
        assert decrypt(rewritten, [second_key[0]]) == decrypt(ours, [age_key[0]])
    else:
        assert mask(rewritten) == mask(ours)


def test_existing_mac_only_talsecret_style_file(tmp_path, age_key, run_sops):
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: talos/.*\\.sops\\.ya?ml\n    mac_only_encrypted: true\n    age: {age_key[1]}\n")
    (tmp_path / "talos").mkdir()
    f = tmp_path / "talos" / "talsecret.sops.yaml"
    f.write_text("cluster:\n  id: abc\n  secret: def\nsecrets:\n  bootstraptoken: abcdef.0123456789abcdef\n")
    run_sops("-e", "-i", "talos/talsecret.sops.yaml", cwd=tmp_path)
    text = f.read_text()
    assert "mac_only_encrypted: true" in text
    assert decrypt_documents(text, [age_key[0]])[0]["secrets"]["bootstraptoken"] == "abcdef.0123456789abcdef"
