"""age keys: generation, keys.txt format and mode, lookup order, recipient checks."""

from __future__ import annotations

import re
import stat
from datetime import datetime, timedelta, timezone

import pyrage
import pytest

from wizard.sops.keys import (KeysError, check_recipient, find_identities, format_keys_file, generate_identity,
                              parse_identities, recipient_of, write_keys_file)


def test_generate_and_recipient():
    ident, recip = generate_identity()
    assert re.fullmatch(r"AGE-SECRET-KEY-1[0-9A-Z]{58}", ident) and re.fullmatch(r"age1[0-9a-z]{58}", recip)
    assert recipient_of(ident) == recip == str(pyrage.x25519.Identity.from_str(ident).to_public())
    assert check_recipient(recip) is None
    assert generate_identity()[0] != ident


def test_keys_file_format_like_age_keygen():
    ident, recip = generate_identity()
    when = datetime(2026, 11, 25, 19, 42, 11, tzinfo=timezone(timedelta(hours=2)))
    text = format_keys_file(ident, when)
    assert text == f"# created: 2026-11-25T19:42:11+02:00\n# public key: {recip}\n{ident}\n"
    utc = format_keys_file(ident, datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert utc.startswith("# created: 2026-01-01T00:00:00Z\n")
    assert parse_identities(text) == [ident]


def test_write_keys_file_mode_and_no_overwrite(tmp_path):
    ident, _ = generate_identity()
    target = tmp_path / "sub" / "keys.txt"
    write_keys_file(target, ident)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    before = target.read_text()
    with pytest.raises(FileExistsError):
        write_keys_file(target, generate_identity()[0])
    assert target.read_text() == before


def test_find_identities_order(tmp_path):
    keys = [generate_identity()[0] for _ in range(4)]
    key_file = tmp_path / "k.txt"
    key_file.write_text(f"# c\n\n{keys[1]}\n")
    xdg = tmp_path / "xdg" / "sops" / "age"
    xdg.mkdir(parents=True)
    (xdg / "keys.txt").write_text(keys[2] + "\n")
    home = tmp_path / "home" / ".config" / "sops" / "age"
    home.mkdir(parents=True)
    (home / "keys.txt").write_text(keys[3] + "\n")
    env = {"SOPS_AGE_KEY": keys[0], "SOPS_AGE_KEY_FILE": str(key_file), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    assert find_identities(env) == keys
    assert find_identities({"HOME": str(tmp_path / "home")}) == [keys[3]]
    assert find_identities({"HOME": str(tmp_path / "nohome")}) == []
    with pytest.raises(KeysError, match="cannot read"):
        find_identities({"SOPS_AGE_KEY_FILE": str(tmp_path / "missing"), "HOME": str(tmp_path)})


def test_bad_keys_and_pq_refused():
    assert "post-quantum" in check_recipient("age1pq1" + "q" * 100)
    assert "private" in check_recipient(generate_identity()[0])
    good = generate_identity()[1]
    typo = good[:-1] + ("q" if good[-1] != "q" else "p")
    assert "checksum" in check_recipient(typo)
    assert check_recipient("ssh-ed25519 AAAA") is not None
    with pytest.raises(KeysError, match="post-quantum"):
        parse_identities("AGE-SECRET-KEY-PQ-1ABC\n")
    with pytest.raises(KeysError, match="line 2"):
        parse_identities("# x\nnot a key\n")
    with pytest.raises(KeysError):
        recipient_of("AGE-SECRET-KEY-PQ-1ABC")
