"""A fast loader for the plain block-style YAML that sops and k8s-wizard write (block mappings and
sequences, plain and one-line quoted scalars, literal blocks, comments, ``{}``/``[]``).

It builds exactly the tree the ruamel path in ``yamlfmt`` builds: scalars go through the same
go-yaml resolver, and the layout facts it records (collection columns, entry lines, quoted spans)
feed the same comment placement code. Anything it does not fully understand (flow collections,
anchors, tags, folded or multi-line plain scalars, several documents, tabs, odd indentation,
errors...) makes it decline: ``fast_load`` returns None and the caller parses with ruamel, which
is 7 to 14 times slower (measured on the seed's files) but knows every YAML construct.
"""

from __future__ import annotations

import re
from typing import Any

from wizard.sops.scalars import resolve_plain
from wizard.sops.yamlfmt import Mapping, _attach_comments, _Builder, _Coll

__all__ = ["fast_load"]

# characters ruamel's reader refuses or treats as line breaks/BOM, plus tab and CR: all declined
_UNSUPPORTED = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
# document markers and directives at column 0 (several documents, %YAML...) are left to ruamel
_MARKERS = re.compile(r"^(?:---|\.\.\.|%)", re.M)
_CONTENT = re.compile(r"^ *[^ #\n]", re.M)  # a line that is neither blank nor a comment
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_LITERAL_HEADER = re.compile(r"\|([+-]?) *(?:#.*)?\Z")
_AFTER_SCALAR = re.compile(r"(?: +#.*| *)\Z")
_ESCAPES = {"0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b", "f": "\x0c",
            "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
            "L": "\u2028", "P": "\u2029"}
_HEX_LEN = {"x": 2, "u": 4, "U": 8}
_HEX = frozenset("0123456789abcdefABCDEF")


class _Decline(Exception):
    """The text uses something this loader does not handle: parse it with ruamel instead."""


def fast_load(text: str) -> list[Mapping] | None:
    """The documents of ``text`` as ``yamlfmt._load`` would build them, or None to decline."""
    if not text.endswith("\n") or _UNSUPPORTED.search(text):
        return None
    start = 0
    markers = list(_MARKERS.finditer(text))
    if markers:
        # one bare `---` before the content (the usual Kubernetes header) is fine; comments above
        # it belong to no document (the ruamel path drops them too)
        at = markers[0].start()
        if len(markers) > 1 or text[at: text.index("\n", at)] != "---" or _CONTENT.search(text, 0, at):
            return None
        start = text.count("\n", 0, at) + 1
    try:
        return _Parser(text).document(start)
    except _Decline:
        return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _plain_start(s: str) -> bool:
    """ruamel's check_plain in block context: no indicator first, except ``-?:`` before a non-space."""
    return s[0] not in _INDICATORS or s[0] in "-?:" and len(s) > 1 and s[1] != " "


def _is_dash(line: str, col: int) -> bool:
    """A sequence entry indicator at ``col`` (``-x`` is a plain scalar, not an entry)."""
    return line[col] == "-" and (len(line) == col + 1 or line[col + 1] == " ")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")[:-1]  # text ends with "\n": the last piece is not a line
        self.offsets = [0] * len(self.lines)
        pos = 0
        for n, line in enumerate(self.lines):
            self.offsets[n] = pos
            pos += len(line) + 1
        self.b = _Builder(text)
        self.done = -1  # the last line consumed so far (entry lines are not the same as "last" lines)

    def next_content(self, i: int) -> int | None:
        """The first line at or after ``i`` that is neither blank nor a comment."""
        lines = self.lines
        while i < len(lines):
            stripped = lines[i].lstrip(" ")
            if stripped and stripped[0] != "#":
                return i
            i += 1
        return None

    def document(self, start: int) -> list[Mapping]:
        first = self.next_content(start)
        if first is None or self.lines[first][0] == " ":
            raise _Decline  # empty, or an indented root: rare, ruamel knows the details
        tree, root, last = self.mapping(first, 0, 0)
        if self.next_content(self.done + 1) is not None:
            raise _Decline  # something after the root mapping (an error, or a construct we stopped at)
        _attach_comments(self.b, root, first, self.text, last)
        return [tree]

    # ------------------------------------------------------------ collections

    def record(self, coll: _Coll, start: int, end: int, child: _Coll | None, depth: int) -> None:
        coll.starts.append(start)
        coll.ends.append(max(end, start))
        coll.children.append(child)
        self.b.line_starts.setdefault(start, []).append((depth, coll, len(coll.starts) - 1))

    def mapping(self, i: int, col: int, depth: int) -> tuple[Mapping, _Coll, int]:
        out = Mapping()
        coll = _Coll(out, col)
        seen: set[tuple[type, Any]] = set()
        last = i
        while True:
            key, after = self.key(i, col)
            hkey = (type(key), key)
            if hkey in seen:
                raise _Decline  # ruamel path reports the duplicate key with its line numbers
            seen.add(hkey)
            value, child, end = self.value(i, after, col, depth + 1)
            if end < 0:
                # ruamel marks an empty value at the next token: the next content line, or the end
                # of the text; that line counts as the entry's last line when comments are placed
                self.done = i
                nxt = self.next_content(i + 1)
                end = len(self.lines) if nxt is None else nxt
            j = self.next_content(self.done + 1)
            out.append((key, value))
            self.record(coll, i, end, child, depth)
            last = max(last, end)
            if j is None:
                break
            ind = _indent(self.lines[j])
            if ind < col:
                break
            if ind > col or _is_dash(self.lines[j], col):
                raise _Decline  # deeper content after a value (continuation or error), or a stray item
            i = j
        self.b.colls.append(coll)
        return out, coll, last

    def sequence(self, i: int, col: int, depth: int) -> tuple[list, _Coll, int]:
        out: list = []
        coll = _Coll(out, col)
        last = i
        while True:
            line = self.lines[i]
            rest = line[col + 1:]
            content = rest.lstrip(" ")
            if not rest.startswith(" ") or not content or content[0] == "#":
                raise _Decline  # `-x` is a scalar, a bare `-` puts the item on the next lines
            c = len(line) - len(content)
            self.lines[i] = " " * c + content  # blank the dash: the item is a node at column c
            value, child, end = self.item(i, c, col, depth + 1)
            out.append(value)
            self.record(coll, i, end, child, depth)
            last = max(last, end)
            j = self.next_content(self.done + 1)
            if j is None:
                break
            ind = _indent(self.lines[j])
            if ind > col:
                raise _Decline  # deeper content after an item (continuation or error)
            if ind < col or not _is_dash(self.lines[j], col):
                break  # the parent mapping goes on (an unindented sequence ends at its next key)
            i = j
        self.b.colls.append(coll)
        return out, coll, last

    def item(self, i: int, c: int, dash_col: int, depth: int) -> tuple[Any, _Coll | None, int]:
        """The node after ``- `` at line ``i``, column ``c``: nested sequence, compact mapping or scalar."""
        if _is_dash(self.lines[i], c):
            return self.sequence(i, c, depth)
        if self.key_end(self.lines[i][c:]) is not None:
            return self.mapping(i, c, depth)
        return self.scalar(i, c, dash_col)

    # ------------------------------------------------------------ keys and values

    @staticmethod
    def key_end(s: str) -> int | None:
        """Index of the ``:`` that ends a plain or one-line quoted key at the start of ``s``."""
        if s[0] in "\"'":
            close = _quoted_end(s, 0)
            if close is None:
                return None
            k = close
            while k < len(s) and s[k] == " ":
                k += 1
            return k if k < len(s) and s[k] == ":" and (k + 1 == len(s) or s[k + 1] == " ") else None
        p = s.find(":")
        while p != -1:
            if p + 1 == len(s) or s[p + 1] == " ":
                hash_at = s.find(" #")
                return p if hash_at == -1 or hash_at > p else None
            p = s.find(":", p + 1)
        return None

    def key(self, i: int, col: int) -> tuple[Any, int]:
        """(key, column just after its ``:``) for the mapping entry at line ``i``, column ``col``."""
        s = self.lines[i][col:]
        if s[0] not in "\"'" and not _plain_start(s):
            raise _Decline  # complex keys, anchors, tags, flow keys, items where keys belong
        end = self.key_end(s)
        if end is None or end > 1000:
            raise _Decline  # not a `key: value` line (or a key longer than a YAML simple key may be)
        if s[0] in "\"'":
            close = _quoted_end(s, 0)
            key = self.quoted(i, col, s[: close])
        else:
            key = resolve_plain(s[:end].rstrip(" "))
        return key, col + end + 1

    def value(self, i: int, after: int, key_col: int, depth: int) -> tuple[Any, _Coll | None, int]:
        """The value of the entry whose key sits at ``key_col``; it starts after column ``after``."""
        rest = self.lines[i][after:]
        content = rest.lstrip(" ")
        if not content or content[0] == "#":
            j = self.next_content(i + 1)
            if j is not None:
                line = self.lines[j]
                ind = _indent(line)
                if ind >= key_col and _is_dash(line, ind):  # `key:` then items, indented or not
                    return self.sequence(j, ind, depth)
                if ind > key_col:
                    if self.key_end(line[ind:]) is None:
                        raise _Decline  # a scalar on the next line(s)
                    return self.mapping(j, ind, depth)
            return None, None, -1  # empty value: null (the caller places it)
        return self.scalar(i, len(self.lines[i]) - len(content), key_col)

    def scalar(self, i: int, c: int, parent_col: int) -> tuple[Any, None, int]:
        """A scalar starting at line ``i``, column ``c`` whose collection sits at ``parent_col``."""
        line = self.lines[i]
        s = line[c:]
        first = s[0]
        if first == "|":
            return self.literal(i, c, parent_col)
        if first in "\"'":
            close = _quoted_end(s, 0)
            if close is None or not _AFTER_SCALAR.match(s, close):
                raise _Decline  # multi-line quoted scalar, or text after the closing quote
            self.done = i
            return self.quoted(i, c, s[:close]), None, i
        if first in "{[":
            if s[1:2] != ("}" if first == "{" else "]") or not _AFTER_SCALAR.match(s, 2):
                raise _Decline  # non-empty flow collection
            self.done = i
            return (Mapping() if first == "{" else []), None, i
        hash_at = s.find(" #")
        plain = (s if hash_at == -1 else s[:hash_at]).rstrip(" ")
        if not _plain_start(plain):
            raise _Decline  # anchors, aliases, tags, folded blocks, `? `, items in value position
        if ": " in plain or plain.endswith(":"):
            raise _Decline  # `a: b: c` is an error in YAML
        self.done = i
        return resolve_plain(plain), None, i

    def quoted(self, i: int, c: int, token: str) -> str:
        """The value of a one-line quoted scalar ``token`` (quotes included) at line ``i``, column ``c``."""
        start = self.offsets[i] + c
        self.b.spans.append((start, start + len(token)))
        body = token[1:-1]
        if token[0] == "'":
            return body.replace("''", "'")
        if "\\" not in body:
            return body
        out, k = [], 0
        while k < len(body):
            ch = body[k]
            if ch != "\\":
                out.append(ch)
                k += 1
                continue
            esc = body[k + 1]  # _quoted_end guarantees a character after a backslash
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                k += 2
                continue
            width = _HEX_LEN.get(esc)
            digits = body[k + 2: k + 2 + width] if width else ""
            if not width or len(digits) != width or not set(digits) <= _HEX:
                raise _Decline  # ruamel reports the bad escape
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                raise _Decline
            out.append(chr(code))
            k += 2 + width
        return "".join(out)

    def literal(self, i: int, c: int, parent_col: int) -> tuple[str, None, int]:
        """A ``|``, ``|-`` or ``|+`` block; the body indentation is that of its first line."""
        header = _LITERAL_HEADER.match(self.lines[i], c)
        if header is None:
            raise _Decline  # indentation indicator, folded style, odd header
        lines, k = self.lines, i + 1
        if k >= len(lines) or not lines[k].strip(" "):
            raise _Decline  # empty block or leading blank lines: ruamel's rules there are subtle
        m = _indent(lines[k])
        if m <= parent_col:
            raise _Decline
        body: list[str] = []
        while k < len(lines):
            line = lines[k]
            if not line:
                body.append("")
            elif not line.strip(" "):
                raise _Decline  # whitespace-only lines inside a block: ruamel keeps some of them
            elif _indent(line) >= m:
                body.append(line[m:])
            else:
                break
            k += 1
        trailing = 0
        while body and not body[-1]:
            body.pop()
            trailing += 1
        self.b.spans.append((self.offsets[i] + c, self.offsets[k] if k < len(lines) else len(self.text)))
        value = "\n".join(body)
        chomp = header.group(1)
        if chomp == "":
            value += "\n"
        elif chomp == "+":
            value += "\n" * (1 + trailing)
        self.done = i + len(body)
        return value, None, self.done


def _quoted_end(s: str, start: int) -> int | None:
    """Index just after the closing quote of the quoted scalar at ``s[start]`` (one line), or None."""
    quote = s[start]
    k = start + 1
    while k < len(s):
        ch = s[k]
        if quote == "'":
            if ch == "'":
                if k + 1 < len(s) and s[k + 1] == "'":
                    k += 2
                    continue
                return k + 1
        elif ch == "\\":
            if k + 1 >= len(s):
                return None  # an escaped line break continues the scalar on the next line
            k += 2
            continue
        elif ch == '"':
            return k + 1
        k += 1
    return None
