"""The subset of kubectl's JSONPath templates the bootstrap and verify use.

Supported: literal text, ``{.a.b}``, ``{.a[0]}``, ``{.items[*].metadata.name}``, ``{['key']}``,
filters ``[?(@.type=="Ready")]``, ``{range .items[*]}...{end}``, and ``{"\\n"}`` style literals.
Lists print space-separated, like kubectl.
"""

from __future__ import annotations

import json
import re

_TOKEN = re.compile(r"\{([^{}]*)\}")
_STEP = re.compile(r"\.\.?([A-Za-z0-9_\-/$]+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[(\*|-?\d+)\]"
                   r"|\[\?\(@\.([A-Za-z0-9_.\-]+)\s*(==|!=)\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\s]+))\)\]")


class JsonPathError(Exception):
    pass


def _steps(expr: str) -> list[tuple]:
    expr = expr.strip()
    if expr in ("", "@", "$", "."):
        return []
    if expr.startswith("$"):
        expr = expr[1:]
    if expr.startswith("@"):
        expr = expr[1:]
    steps, pos = [], 0
    while pos < len(expr):
        m = _STEP.match(expr, pos)
        if not m:
            raise JsonPathError(f"unrecognized character in action: {expr[pos:]!r}")
        if m.group(1) is not None:
            steps.append(("key", m.group(1)))
        elif m.group(2) is not None or m.group(3) is not None:
            steps.append(("key", m.group(2) if m.group(2) is not None else m.group(3)))
        elif m.group(4) is not None:
            steps.append(("all",) if m.group(4) == "*" else ("idx", int(m.group(4))))
        else:
            val = next(g for g in (m.group(7), m.group(8), m.group(9)) if g is not None)
            steps.append(("filter", m.group(5).split("."), m.group(6), val))
        pos = m.end()
    return steps


def _eval(nodes: list, steps: list[tuple]) -> list:
    for st in steps:
        out = []
        for n in nodes:
            if st[0] == "key":
                if isinstance(n, dict) and st[1] in n:
                    out.append(n[st[1]])
            elif st[0] == "idx":
                if isinstance(n, list) and -len(n) <= st[1] < len(n):
                    out.append(n[st[1]])
            elif st[0] == "all":
                out.extend(n if isinstance(n, list) else list(n.values()) if isinstance(n, dict) else [])
            else:
                _, path, op, val = st
                for item in (n if isinstance(n, list) else [n]):
                    cur = item
                    for p in path:
                        cur = cur.get(p) if isinstance(cur, dict) else None
                    if (str(cur) == val) == (op == "=="):
                        out.append(item)
        nodes = out
    return nodes


def _fmt(v) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def render(template: str, obj) -> str:
    template = template.strip()
    if len(template) >= 2 and template[0] == template[-1] and template[0] in "'\"":
        template = template[1:-1]
    parts, pos = [], 0
    for m in _TOKEN.finditer(template):
        parts.append(("text", template[pos:m.start()]))
        parts.append(("expr", m.group(1)))
        pos = m.end()
    parts.append(("text", template[pos:]))
    out, i = _run(parts, 0, obj)
    return out


def _run(parts: list, i: int, cur) -> tuple[str, int]:
    out = []
    while i < len(parts):
        kind, val = parts[i]
        if kind == "text":
            out.append(val)
            i += 1
            continue
        body = val.strip()
        if body == "end":
            return "".join(out), i
        if body.startswith("range "):
            items = _eval([cur], _steps(body[6:]))
            j = i + 1
            end = None
            for it in items:
                s, end = _run(parts, i + 1, it)
                out.append(s)
            if end is None:  # empty range: skip to the matching end
                _, end = _run(parts, i + 1, {})
            i = (end if end is not None else j) + 1
            continue
        if body.startswith('"') and body.endswith('"'):
            out.append(json.loads(body))
        else:
            out.append(" ".join(_fmt(v) for v in _eval([cur], _steps(body))))
        i += 1
    return "".join(out), i
