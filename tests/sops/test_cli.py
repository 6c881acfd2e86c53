"""`k8s-wizard sops encrypt|decrypt` and `keys new` as a subprocess, like an operator runs them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.sops.samples import SECRET

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHONPATH=str(ROOT))
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "wizard", *args], capture_output=True, text=True, cwd=cwd, env=full)


def test_encrypt_with_config_then_decrypt_with_sops_and_us(tmp_path, age_key, run_sops):
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {age_key[1]}\n"
        "stores:\n  yaml:\n    indent: 2\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "s.sops.yaml").write_text(SECRET)
    enc = cli("sops", "encrypt", "s.sops.yaml", cwd=tmp_path / "sub")
    assert enc.returncode == 0, enc.stderr
    assert "kind: Secret" in enc.stdout and "encrypted_regex: ^(data|stringData)$" in enc.stdout
    assert "\n  age:\n" in enc.stdout  # indent 2 from stores.yaml.indent
    (tmp_path / "sub" / "e.sops.yaml").write_text(enc.stdout)
    ours = cli("sops", "decrypt", "e.sops.yaml", cwd=tmp_path / "sub")
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == run_sops("-d", "e.sops.yaml", cwd=tmp_path / "sub").stdout


def test_flags_and_errors(tmp_path, age_key):
    (tmp_path / "p.yaml").write_text("a: 1\nb_x: 2\n")
    enc = cli("sops", "encrypt", "--age", age_key[1], "--encrypted-suffix", "_x", "--mac-only-encrypted", "p.yaml", cwd=tmp_path)
    assert enc.returncode == 0 and "a: 1\n" in enc.stdout and "mac_only_encrypted: true" in enc.stdout
    nokeys = cli("sops", "encrypt", "p.yaml", cwd=tmp_path)
    assert nokeys.returncode == 1 and "no keys provided" in nokeys.stderr and nokeys.stdout == ""
    missing = cli("sops", "decrypt", "missing.yaml", cwd=tmp_path)
    assert missing.returncode == 100 and "non-existent" in missing.stderr
    (tmp_path / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: ^nomatch$\n    age: {age_key[1]}\n")
    nomatch = cli("sops", "encrypt", "--age", age_key[1], "p.yaml", cwd=tmp_path)
    assert nomatch.returncode == 1 and "no matching creation rules" in nomatch.stderr
    plain = cli("sops", "decrypt", "p.yaml", cwd=tmp_path)
    assert plain.returncode == 1 and "sops metadata not found" in plain.stderr
    for proc in (nokeys, missing, nomatch, plain):
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    enc2 = tmp_path / "e.yaml"
    enc2.write_text(enc.stdout)
    wrong = cli("sops", "decrypt", "e.yaml", cwd=tmp_path, env={"SOPS_AGE_KEY_FILE": "", "SOPS_AGE_KEY": ""})
    assert wrong.returncode == 128 and "data key" in wrong.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sops.yaml", "e.yaml", "keys.txt", "p.yaml"]


def test_keys_new(tmp_path):
    out = cli("keys", "new", "-o", "k/keys.txt", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    key_file = tmp_path / "k" / "keys.txt"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    lines = key_file.read_text().splitlines()
    assert lines[0].startswith("# created: ") and lines[1].startswith("# public key: age1")
    assert out.stderr.strip() == f"Public key: {lines[1].split(': ')[1]}" and out.stdout == ""
    again = cli("keys", "new", "-o", "k/keys.txt", cwd=tmp_path)
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr
    assert key_file.read_text().splitlines() == lines
