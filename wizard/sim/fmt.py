"""Output helpers shared by the fake tools: Go tabwriter tables, ages, fake certificate blobs."""

from __future__ import annotations

import base64


def table(rows: list[list[str]], *, padding: int = 3, minwidth: int = 0, right: set[int] = frozenset()) -> str:
    """Go ``text/tabwriter`` layout: each column as wide as its widest cell + padding; the last
    column is not padded. ``right``: indices of right-aligned columns (helmfile's DURATION)."""
    if not rows:
        return ""
    ncol = max(len(r) for r in rows)
    rows = [list(r) + [""] * (ncol - len(r)) for r in rows]
    widths = [max(minwidth, max(len(r[i]) for r in rows)) for i in range(ncol)]
    lines = []
    for r in rows:
        cells = []
        for i, cell in enumerate(r):
            if i == ncol - 1 and i not in right:
                cells.append(cell)
            elif i in right:
                cells.append(cell.rjust(widths[i]) + (" " * padding if i < ncol - 1 else ""))
            else:
                cells.append(cell.ljust(widths[i] + padding))
        lines.append("".join(cells).rstrip() if ncol - 1 not in right else "".join(cells))
    return "\n".join(lines)


def tab_table(rows: list[list[str]]) -> str:
    """Flux's tablewriter with tab padding: cells padded to the column width, joined by a tab."""
    if not rows:
        return ""
    ncol = max(len(r) for r in rows)
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(ncol)]
    return "\n".join("\t".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows)


def age(seconds: float) -> str:
    """kubectl's AGE column (``5s``, ``3m2s``, ``12m``, ``2h``)."""
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    return f"{m // 60}h"


def fake_blob(what: str) -> str:
    """Base64 of an obviously fake marker: kubeconfigs and machine configs carry these instead of PKI."""
    return base64.b64encode(f"k8s-wizard simulator: fake {what}, not key material\n".encode()).decode()


def iso(t: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
