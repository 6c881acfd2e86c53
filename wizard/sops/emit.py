"""go-yaml v3's block emitter as sops configures it (indent 4 or stores.yaml.indent, indented
sequences, +2 inside sequence items, comments at their collection's column, no line folding)."""

from __future__ import annotations

from typing import Any

from wizard.sops.scalars import format_scalar
from wizard.sops.yamlfmt import Comment, Mapping

def _child_col(col: int, indent: int) -> int:
    """go-yaml puts a block nested under a key at column ``col`` on the next multiple of indent."""
    return indent * ((col + indent) // indent)


def _is_empty(value: Any) -> bool:
    return isinstance(value, list) and not any(not isinstance(i, Comment) for i in value)


def _emit_comments(out: list[str], comments: list[Comment], col: int) -> None:
    pad = " " * col
    for c in comments:
        out.append(f"{pad}#{c.text}\n")


def _emit_value(out: list[str], value: Any, col: int, indent: int) -> None:
    """Emit the value after ``key:`` or ``- ``; ``col`` is the column of that key or dash content."""
    if isinstance(value, list) and not _is_empty(value):
        out.append("\n")
        child = _child_col(col, indent)
        if isinstance(value, Mapping):
            _emit_mapping(out, value, child, indent)
        else:
            _emit_sequence(out, value, child, indent)
        return
    if isinstance(value, list):
        text = "{}" if isinstance(value, Mapping) else "[]"
        out.append(f" {text}\n")
        return
    _emit_scalar(out, value, _child_col(col, indent))


def _emit_scalar(out: list[str], value: Any, body_col: int) -> None:
    text = format_scalar(value)
    if text.startswith("|"):  # literal block: header line, then the body at body_col
        header, _, body = text.partition("\n")
        out.append(f" {header}\n")
        pad = " " * body_col
        for line in body.split("\n"):
            out.append(f"{pad}{line}\n" if line else "\n")
        return
    out.append(f" {text}\n")


def _emit_mapping(out: list[str], mapping: Mapping, col: int, indent: int, inline: bool = False) -> None:
    pad = " " * col
    pending: list[Comment] = []
    first = True
    for item in mapping:
        if isinstance(item, Comment):
            pending.append(item)
            continue
        key, value = item
        _emit_comments(out, pending, col)
        pending = []
        out.append(("" if first and inline else pad) + format_scalar(key, key=True) + ":")
        first = False
        _emit_value(out, value, col, indent)  # a literal block's body goes to _child_col(col) too
    _emit_comments(out, pending, col)


def _lead_comments(value: Any) -> list[Comment]:
    lead = []
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, Comment):
                break
            lead.append(item)
    return lead


def _emit_sequence(out: list[str], seq: list, col: int, indent: int, inline: bool = False) -> None:
    pad = " " * col
    first = True
    pending: list[Comment] = []
    for item in seq:
        if isinstance(item, Comment):
            pending.append(item)
            continue
        lead = _lead_comments(item) if not _is_empty(item) else []
        _emit_comments(out, pending + lead, col)
        pending = []
        prefix = "" if first and inline and not lead else pad
        first = False
        out.append(prefix + "-")
        if isinstance(item, list) and not _is_empty(item):
            out.append(" ")
            rest = item[len(lead):]
            if isinstance(item, Mapping):
                _emit_mapping(out, Mapping(rest), col + 2, indent, inline=True)
            else:
                _emit_sequence(out, rest, col + 2, indent, inline=True)
        elif isinstance(item, list):
            _emit_value(out, item, col, indent)  # [] or {}
        else:
            _emit_scalar(out, item, col + 2)  # a literal block's body sits under the item's text
    _emit_comments(out, pending, col)


def emit_documents(docs: list[Mapping], indent: int = 4) -> str:
    """The text go-yaml v3 (as configured by sops) writes for these documents."""
    out: list[str] = []
    for n, doc in enumerate(docs):
        if n:
            out.append("---\n")
        if not doc:
            out.append("{}\n")
            continue
        _emit_mapping(out, doc, 0, indent)
    return "".join(out)

