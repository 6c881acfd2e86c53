"""One module per simulated tool; each exposes ``run(call) -> int``."""

from __future__ import annotations
