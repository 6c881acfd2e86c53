"""Fake 1Password CLI ``op``: ``whoami``, ``inject`` (``op://vault/item[/section]/field`` references,
bare or inside ``{{ }}``, become deterministic fake values), ``read``, ``--version``."""

from __future__ import annotations

import hashlib
import re
import sys
import time

from wizard.sim.args import parse
from wizard.sim.main import Fail, Unsupported

_WRAPPED = re.compile(r"\{\{\s*(op://[^\s}]+)\s*\}\}")
_BARE = re.compile(r"op://[^\s\"'}]+")


def fake_value(ref: str) -> str:
    """The same reference always gives the same fake value (tests can predict it; it is no secret)."""
    return "sim-" + hashlib.sha256(ref.encode()).hexdigest()[:20]


def _err(msg: str) -> Fail:
    return Fail(f"[ERROR] {time.strftime('%Y/%m/%d %H:%M:%S')} {msg}")


def _signed_in(call) -> None:
    with call.state(write=False) as st:
        if not st.get("op_signed_in", True):
            raise _err("You are not currently signed in. Please run `op signin --help` for instructions")


def _check_ref(ref: str) -> None:
    parts = ref[len("op://"):].split("/")
    if len(parts) < 3 or not all(parts):
        raise _err(f'could not read secret \'{ref}\': invalid secret reference \'{ref}\': too few "/": secret '
                   "references should match op://<vault>/<item>[/<section>]/<field>")


def inject(call, a) -> int:
    src = a.get("in-file")
    try:
        with open(src, encoding="utf-8") if src else sys.stdin as fh:
            text = fh.read()
    except FileNotFoundError:
        raise _err(f"open {src}: no such file or directory") from None
    for ref in _WRAPPED.findall(text) + _BARE.findall(_WRAPPED.sub("", text)):
        _check_ref(ref)
    out = _WRAPPED.sub(lambda m: fake_value(m.group(1)), text)
    out = _BARE.sub(lambda m: fake_value(m.group(0)), out)
    dest = a.get("out-file")
    if not dest:
        call.out(out, end="")
        return 0
    from pathlib import Path

    p = Path(dest)
    if p.exists() and not a.flag("force"):
        raise _err(f"file {dest} already exists; use --force to overwrite it")
    from wizard.fsutil import atomic_write

    atomic_write(p, out, mode=int(a.get("file-mode", "0600"), 8))
    call.out(str(p))
    return 0


def run(call) -> int:
    a = parse(call.argv, values={"in-file", "out-file", "file-mode", "account", "format"},
              aliases={"i": "in-file", "o": "out-file", "f": "force"})
    sub = a.pos[0] if a.pos else ""
    if a.flag("version") or sub == "version":
        call.begin("version")
        call.out("2.32.0")
        return 0
    if sub not in ("whoami", "inject", "read"):
        raise Unsupported(sub or "(no subcommand)")
    call.begin(sub)
    _signed_in(call)
    if sub == "whoami":
        call.out("URL:        https://my.1password.com/\nEmail:      operator@example.invalid\n"
                 "User ID:    SIMULATEDUSER0000000000000\nUser Type:  HUMAN")
        return 0
    if sub == "read":
        if len(a.pos) < 2:
            raise _err("expected a secret reference as argument")
        _check_ref(a.pos[1])
        call.out(fake_value(a.pos[1]))
        return 0
    return inject(call, a)
