"""YAML as sops 3.11 sees it: a go-yaml v3 style loader (YAML 1.2 scalars, comments kept as tree
items) and an emitter that reproduces go-yaml v3's block layout byte for byte.

The tree model mirrors sops' own: a document is a ``Mapping`` (a list of ``(key, value)`` pairs and
``Comment`` items), a sequence is a plain ``list`` (values and ``Comment`` items), scalars are
``str``/``int``/``float``/``bool``/``None``/``Timestamp``. Parsing is ruamel.yaml's composer (so
every YAML construct is understood) with our own scalar resolver, because go-yaml resolves plain
scalars differently from ruamel (``010`` is octal 8, ``2024-01-02T03:04:05`` without a zone is a
string, ``1e400`` is a string, ...) and the types decide the ciphertext ``type:`` and the MAC.
Plain block-style files (most of what sops and k8s-wizard read) first go through ``fastyaml``,
which builds the same tree several times faster and declines everything else.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from wizard.sops.scalars import Timestamp, parse_timestamp, resolve_plain

__all__ = ["Comment", "Mapping", "Timestamp", "YamlError", "load_documents", "emit_documents", "to_python"]


@dataclass(frozen=True)
class Comment:
    """A comment line; ``text`` is what follows ``#`` (sops keeps the leading space)."""

    text: str


class Mapping(list):
    """An ordered mapping that may hold ``Comment`` items between its ``(key, value)`` pairs."""

    def pairs(self) -> list[tuple[Any, Any]]:
        return [item for item in self if not isinstance(item, Comment)]

    def get(self, key: Any, default: Any = None) -> Any:
        for item in self:
            if not isinstance(item, Comment) and item[0] == key:
                return item[1]
        return default


class YamlError(ValueError):
    """Invalid YAML (message carries the line number when known)."""


_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN = "!plain"
_loader = None


def _yaml():
    """A pure-Python ruamel instance whose resolver marks every plain scalar as unresolved, so the
    go-yaml rules in ``scalars.resolve_plain`` decide its type (created once, imports kept lazy)."""
    global _loader
    if _loader is None:
        from ruamel.yaml import YAML
        from ruamel.yaml.nodes import ScalarNode
        from ruamel.yaml.resolver import VersionedResolver
        from ruamel.yaml.tag import Tag

        class _GoResolver(VersionedResolver):
            def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
                if kind is ScalarNode and implicit[0]:
                    return Tag(suffix=_PLAIN)
                return super().resolve(kind, value, implicit)

        y = YAML(typ="safe", pure=True)
        y.Resolver = _GoResolver
        _loader = y
    return _loader


# ---------------------------------------------------------------- loading


class _Coll:
    """Layout facts about one block collection, used to place comments: its column and, per entry,
    the first and last source line and the nested collection (if any)."""

    __slots__ = ("target", "col", "starts", "ends", "children", "inserts")

    def __init__(self, target: list, col: int) -> None:
        self.target, self.col = target, col
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.children: list[_Coll | None] = []
        self.inserts: list[tuple[int, int, Comment]] = []  # (before entry index, order, comment)


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: list[tuple[int, int]] = []  # quoted/block scalars: '#' inside them is content
        self.colls: list[_Coll] = []
        self.line_starts: dict[int, list[tuple[int, _Coll, int]]] = {}

    def last_line(self, node: Any) -> int:
        idx = node.end_mark.index
        while idx > node.start_mark.index and self.text[idx - 1] in " \t\r\n":
            idx -= 1
        return self.text.count("\n", 0, idx) if idx > node.start_mark.index else node.start_mark.line

    def scalar(self, node: Any) -> Any:
        tag = str(node.tag)
        if node.style is not None:
            self.spans.append((node.start_mark.index, node.end_mark.index))
        if tag == _PLAIN:
            return resolve_plain(node.value)
        if tag == _STR_TAG or node.style is not None and tag in ("!", ""):
            return node.value
        return _explicit(tag, node)

    def convert(self, node: Any, depth: int = 0) -> tuple[Any, _Coll | None, int]:
        """(tree value, layout of a block collection or None, last source line of the node)"""
        from ruamel.yaml.nodes import MappingNode, ScalarNode

        if isinstance(node, ScalarNode):
            return self.scalar(node), None, self.last_line(node)
        if node.flow_style:
            end = self.text.count("\n", 0, node.end_mark.index - 1) if node.end_mark.index else 0
        block = not node.flow_style
        if isinstance(node, MappingNode):
            out: list = Mapping()
            col = node.value[0][0].start_mark.column if node.value else node.start_mark.column
        else:
            out, col = [], node.start_mark.column
        coll = _Coll(out, col) if block else None
        last = node.start_mark.line
        seen: dict[Any, int] = {}
        items = node.value if isinstance(node, MappingNode) else [(None, v) for v in node.value]
        for key_node, value_node in items:
            value, child, value_end = self.convert(value_node, depth + 1)
            if key_node is not None:
                if not isinstance(key_node, ScalarNode):
                    raise YamlError(f"line {key_node.start_mark.line + 1}: a mapping key must be a scalar")
                key = self.scalar(key_node)
                hkey = (type(key), key)
                if hkey in seen:
                    raise YamlError(
                        f"line {key_node.start_mark.line + 1}: mapping key {key!r} already defined at line {seen[hkey]}"
                    )
                seen[hkey] = key_node.start_mark.line + 1
                out.append((key, value))
                first = key_node
            else:
                out.append(value)
                first = value_node
            if coll is not None:
                start = first.start_mark.line
                coll.starts.append(start)
                coll.ends.append(max(value_end, start))
                coll.children.append(child)
                self.line_starts.setdefault(start, []).append((depth, coll, len(coll.starts) - 1))
            last = max(last, value_end)
        if coll is not None:
            self.colls.append(coll)
        return out, coll, (end if not block else last)

    def comments(self) -> list[tuple[int, int, str, str]]:
        """Every ``#`` comment outside quoted/block scalars: (line, column, text, kind); kind is
        "line" (alone on its line), "trailing" (after content) or "dash" (after a bare ``-``)."""
        found = []
        spans = sorted(self.spans)
        span_starts = [s for s, _ in spans]
        pos = 0
        for lineno, line in enumerate(self.text.split("\n")):
            col = line.find("#")
            while col != -1:
                absolute = pos + col
                k = bisect_right(span_starts, absolute) - 1
                inside = k >= 0 and spans[k][0] <= absolute < spans[k][1]
                if not inside and (col == 0 or line[col - 1] in " \t"):
                    before = line[:col].strip()
                    kind = "line" if before in ("", "---") else "dash" if before.strip("- ") == "" else "trailing"
                    found.append((lineno, col, line[col + 1 :].rstrip("\r"), kind))
                    break
                col = line.find("#", col + 1)
            pos += len(line) + 1
        return found


def _explicit(tag: str, node: Any) -> Any:
    """Scalars with an explicit tag (``!!binary`` becomes its decoded text, as in go-yaml)."""
    short = tag.replace("tag:yaml.org,2002:", "!!")
    value = node.value
    if short == "!!binary":
        import base64

        try:
            return base64.b64decode("".join(value.split())).decode("utf-8")
        except Exception as exc:
            raise YamlError(f"line {node.start_mark.line + 1}: invalid !!binary value") from exc
    if short in ("!!int", "!!float", "!!bool", "!!null", "!!timestamp"):
        resolved = resolve_plain(value) if short != "!!timestamp" else parse_timestamp(value)
        want = {"!!int": int, "!!float": (float, int), "!!bool": bool, "!!null": type(None), "!!timestamp": Timestamp}[short]
        if isinstance(resolved, bool) and short != "!!bool" or not isinstance(resolved, want):
            raise YamlError(f"line {node.start_mark.line + 1}: cannot decode {value!r} as {short}")
        return float(resolved) if short == "!!float" else resolved
    return value  # !!str, unknown local tags: the text itself


def _place(coll: _Coll, line: int, col: int, comment: Comment, order: int) -> None:
    """Put a full-line comment into the innermost open collection at or left of its column."""
    j = bisect_right(coll.starts, line - 1) - 1  # last entry starting before the comment
    if j < 0:
        coll.inserts.append((0, order, comment))
        return
    child = coll.children[j]
    if child is not None and child.starts and (line <= coll.ends[j] or col >= child.col):
        _place(child, line, col, comment, order)
        return
    coll.inserts.append((j + 1, order, comment))


_META_LINE = re.compile(r"( *)(- )?([a-z_]+): ?(.*)\Z")


def _fast_sops_block(lines: list[str]) -> Mapping | None:
    """The canonical ``sops:`` block sops and we write (age entries, scalars), parsed without the
    general YAML machinery; None when the block has any other shape (the caller then falls back)."""
    meta, age, entry, lit, lit_col, meta_indent = Mapping(), None, None, None, 0, ""
    for line in lines:
        if lit is not None:
            if line.startswith(" " * lit_col) or not line:
                lit.append(line[lit_col:])
                continue
            entry.append(("enc", "\n".join(lit) + "\n"))
            lit = None
        m = _META_LINE.match(line)
        if not m or not m.group(1):
            return None
        col, dash, key, raw = len(m.group(1)), m.group(2), m.group(3), m.group(4)
        if age is not None and (dash or col > len(meta_indent)):
            if dash:
                entry = Mapping()
                age.append(entry)
            if entry is None:
                return None
            if key == "enc" and raw == "|":
                lit, lit_col = [], _next_multiple(col + (2 if dash else 0), len(meta_indent))
            elif key == "recipient":
                entry.append((key, raw))
            else:
                return None
            continue
        age = None
        if dash or col == 0:
            return None
        meta_indent = m.group(1)
        if key == "age" and raw == "":
            age = []
            meta.append(("age", age))
        elif raw.startswith('"') and raw.endswith('"') and "\\" not in raw:
            meta.append((key, raw[1:-1]))
        elif raw and raw[0] not in "'\"[{&*!|>%@`#" and " #" not in raw:
            meta.append((key, resolve_plain(raw)))
        else:
            return None
    if lit is not None:
        entry.append(("enc", "\n".join(lit).rstrip("\n") + "\n"))
    return meta


def _next_multiple(col: int, indent: int) -> int:
    return indent * ((col + indent) // indent)


def load_documents(text: str) -> list[Mapping]:
    """Parse YAML text into sops trees (one ``Mapping`` per document). Empty documents become empty
    mappings; a document that is a sequence or a scalar is an error, as in sops."""
    cut = text.rfind("\nsops:\n")
    if cut != -1 and "\n---" not in text and text.endswith("\n"):
        # an encrypted single-document file: read its metadata block quickly (it is most of the text)
        meta = _fast_sops_block(text[cut + 7 : -1].split("\n"))
        if meta is not None:
            docs = _load(text[: cut + 1])
            if len(docs) == 1 and docs[0].get("sops") is None:
                docs[0].append(("sops", meta))
                return docs
    return _load(text)


def _load(text: str) -> list[Mapping]:
    from wizard.sops.fastyaml import fast_load

    docs = fast_load(text)  # the common block-style files; None when it needs the full parser
    return docs if docs is not None else _load_ruamel(text)


def _load_ruamel(text: str) -> list[Mapping]:
    try:
        nodes = list(_yaml().compose_all(text))
    except Exception as exc:  # ruamel's errors carry a position in their text
        msg = " ".join(str(exc).split())
        raise YamlError(msg) from None
    docs: list[Mapping] = []
    for node in nodes:
        b = _Builder(text)
        from ruamel.yaml.nodes import MappingNode, ScalarNode

        if node is None or isinstance(node, ScalarNode) and str(node.tag) == _PLAIN and resolve_plain(node.value) is None:
            docs.append(Mapping())
            continue
        if not isinstance(node, MappingNode):
            kind = "sequences" if not isinstance(node, ScalarNode) else "values"
            raise YamlError(f"YAML documents that are {kind} are not supported")
        tree, root, last = b.convert(node)
        _attach_comments(b, root, node.start_mark.line, text, last)
        docs.append(tree)
    return docs


def _attach_comments(b: _Builder, root: _Coll | None, first: int, text: str, last: int) -> None:
    """Put every comment of the document (root node from line ``first`` to ``last``) into the tree."""
    if root is None:
        return
    # comments that belong to this document: from the previous '---' (or file start) to the next one
    lines = text.split("\n")
    lo = first
    while lo > 0 and not lines[lo - 1].startswith("---"):
        lo -= 1
    hi = last
    while hi + 1 < len(lines) and not lines[hi + 1].startswith(("---", "...")):
        hi += 1
    starts = sorted(b.line_starts)
    for order, (line, col, body, kind) in enumerate(b.comments()):
        if not lo <= line <= hi:
            continue
        comment = Comment(body)
        if line < first:
            root.inserts.append((0, order, comment))
            continue
        owners = b.line_starts.get(line)
        if kind == "dash":  # `- # c` heads the collection that is that item (go-yaml's HeadComment)
            k = bisect_right(starts, line)
            owners = b.line_starts[starts[k]] if k < len(starts) else None
        if kind != "line" and owners:
            _, coll, idx = max(owners, key=lambda o: o[0])
            coll.inserts.append((idx, order, comment))
        else:
            _place(root, line, col, comment, order)
    for coll in b.colls:
        # insert from the back so earlier indices stay valid; same index keeps source order
        # _insert counts only non-comment entries, so source order is all that matters here
        for idx, _, comment in sorted(coll.inserts, key=lambda t: t[1]):
            _insert(coll.target, idx, comment)


def _insert(target: list, entry_index: int, comment: Comment) -> None:
    """Insert before the entry_index-th non-comment item (after any comments already there)."""
    seen = 0
    for pos, item in enumerate(target):
        if not isinstance(item, Comment):
            if seen == entry_index:
                target.insert(pos, comment)
                return
            seen += 1
    target.append(comment)


def to_python(value: Any) -> Any:
    """Plain python data (dict/list/scalars, ``datetime`` for timestamps); comments dropped."""
    if isinstance(value, Mapping):
        return {k: to_python(v) for k, v in value.pairs()}
    if isinstance(value, list):
        return [to_python(v) for v in value if not isinstance(v, Comment)]
    if isinstance(value, Timestamp):
        return value.to_datetime()
    return value


# the emitter lives in its own module; re-exported here as part of this module's API
from wizard.sops.emit import emit_documents  # noqa: E402
