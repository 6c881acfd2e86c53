"""A small argv parser shared by the fake tools: cobra/pflag-like flags anywhere on the line.

``parse(argv, values={...}, aliases={...})`` returns ``Args(pos, opts)``: positionals in order and a dict
canonical-name -> list of values (booleans get ``"true"``, ``--x=false`` gets ``"false"``).
"""

from __future__ import annotations


class Args:
    # a plain class, not a dataclass: importing dataclasses costs ~10 ms per tool call
    def __init__(self, pos: list[str], opts: dict[str, list[str]] | None = None):
        self.pos, self.opts = pos, opts if opts is not None else {}

    def get(self, name: str, default: str | None = None) -> str | None:
        vals = self.opts.get(name)
        return vals[-1] if vals else default

    def all(self, name: str) -> list[str]:
        return list(self.opts.get(name, []))

    def flag(self, name: str, default: bool = False) -> bool:
        v = self.get(name)
        if v is None:
            return default
        return v.lower() not in ("false", "0", "no")

    def has(self, name: str) -> bool:
        return name in self.opts

    def csv(self, name: str) -> list[str]:
        """Values of a repeatable, comma-separated flag (``--nodes a,b --nodes c``)."""
        return [x for v in self.all(name) for x in v.split(",") if x]


def parse(argv: list[str], *, values: set[str] = frozenset(), aliases: dict[str, str] | None = None) -> Args:
    """``values``: canonical names of flags taking a value; ``aliases``: e.g. {"n": "nodes"} for ``-n``."""
    aliases = aliases or {}
    pos: list[str] = []
    opts: dict[str, list[str]] = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            pos.extend(argv[i + 1:])
            break
        if a.startswith("-") and a != "-" and len(a) > 1:
            body = a.lstrip("-")
            name, eq, val = body.partition("=")
            name = aliases.get(name, name)
            if eq:
                opts.setdefault(name, []).append(val)
            elif name in values:
                if i + 1 < len(argv):
                    opts.setdefault(name, []).append(argv[i + 1])
                    i += 1
                else:
                    opts.setdefault(name, []).append("")
            elif a.startswith("-") and not a.startswith("--") and len(body) > 1 and aliases.get(body[0]) in values:
                # -nVALUE (pflag shorthand with the value attached)
                opts.setdefault(aliases[body[0]], []).append(body[1:])
            else:
                opts.setdefault(name, []).append("true")
        else:
            pos.append(a)
        i += 1
    return Args(pos, opts)
