"""Benchmark: encrypt+decrypt of a typical Secret in-process vs one `sops -e` + one `sops -d`
process per file, in the same run. Prints both timings and the ratio (target: at least 30x).

Usage: .venv/bin/python bench/bench_sops.py [N]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wizard.sops import CryptRule, decrypt, encrypt  # noqa: E402
from wizard.sops.keys import format_keys_file, generate_identity  # noqa: E402

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
    name: app-credentials
    namespace: default
type: Opaque
stringData:
    username: admin
    password: s3cr3t-p4ssw0rd-value
    api-token: 0123456789abcdef0123456789abcdef
    url: https://example.invalid/api
"""


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    sops = Path(sys.executable).parent / "sops"
    identity, recipient = generate_identity()
    rule = CryptRule("encrypted_regex", "^(data|stringData)$")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        keys = folder / "keys.txt"
        keys.write_text(format_keys_file(identity))
        keys.chmod(0o600)
        env = dict(os.environ, SOPS_AGE_KEY_FILE=str(keys))
        encrypt(SECRET, [recipient], rule=rule)  # warm-up: imports, regex compilation

        t0 = time.perf_counter()
        for _ in range(n):
            enc = encrypt(SECRET, [recipient], rule=rule)
            assert decrypt(enc, [identity]) == SECRET
        ours = (time.perf_counter() - t0) / n

        src = folder / "s.yaml"
        src.write_text(SECRET)
        t0 = time.perf_counter()
        for i in range(n):
            out = folder / f"e{i}.yaml"
            proc = subprocess.run([str(sops), "-e", "--age", recipient, "--encrypted-regex", "^(data|stringData)$", str(src)],
                                  capture_output=True, env=env, check=True)
            out.write_bytes(proc.stdout)
            plain = subprocess.run([str(sops), "-d", str(out)], capture_output=True, env=env, check=True).stdout
            assert plain.decode() == SECRET
        theirs = (time.perf_counter() - t0) / n

    print(f"files: {n}")
    print(f"in-process encrypt+decrypt: {ours * 1000:8.2f} ms/file")
    print(f"sops -e + sops -d processes: {theirs * 1000:8.2f} ms/file")
    print(f"ratio: {theirs / ours:.1f}x (target >= 30x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
