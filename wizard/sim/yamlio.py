"""YAML for the fake tools, imported lazily (ruamel costs ~40 ms, so only calls that read YAML pay it)."""

from __future__ import annotations

import io
from typing import Any


def load_all(text: str) -> list[Any]:
    from ruamel.yaml import YAML

    return [d for d in YAML(typ="safe", pure=True).load_all(text) if d is not None]


def load(text: str) -> Any:
    docs = load_all(text)
    return docs[0] if docs else None


def dump(obj: Any) -> str:
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.width = 4096
    buf = io.StringIO()
    y.dump(obj, buf)
    return buf.getvalue()


def dump_all(objs: list[Any]) -> str:
    return "".join("---\n" + dump(o) for o in objs)
