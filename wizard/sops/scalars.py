"""Scalars the way go-yaml v3 and sops 3.11 treat them: plain-scalar resolution (YAML 1.2 plus
go-yaml's quirks), timestamps, Go float formatting, and the quoting rules of go-yaml's emitter."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS = {
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
}
_HINT_MAP = set("yYnNtTfFoO~")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?\Z")
_DIGITS = {16: re.compile(r"[0-9a-fA-F]+\Z"), 10: re.compile(r"[0-9]+\Z"), 8: re.compile(r"[0-7]+\Z"), 2: re.compile(r"[01]+\Z")}
_OLD_BOOLS = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"}
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_TS = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?P<sep>[Tt ])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?(?P<zone>Z|[+-]\d{2}:\d{2})?)?\Z"
)
INT64 = 2**63


@dataclass(frozen=True)
class Timestamp:
    """A go ``time.Time``; ``text`` is its RFC 3339 form with nanoseconds (what sops encrypts)."""

    text: str

    def to_datetime(self) -> datetime:
        m = re.match(r"(.{19})(?:\.(\d+))?(Z|[+-]\d\d:\d\d)\Z", self.text)
        assert m is not None
        base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
        micro = int((m.group(2) or "0").ljust(6, "0")[:6])
        zone = m.group(3)
        tz = timezone.utc if zone == "Z" else timezone(
            (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        )
        return base.replace(microsecond=micro, tzinfo=tz)

    @classmethod
    def from_datetime(cls, value: datetime) -> Timestamp:
        stamp = parse_timestamp(value.isoformat(sep="T") + ("" if value.tzinfo else "Z"))
        assert stamp is not None
        return stamp


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_timestamp(s: str) -> Timestamp | None:
    """go-yaml's timestamp formats (date, RFC 3339 with short fields, space-separated UTC)."""
    m = _TS.match(s)
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= _days_in(year, month)):
        return None
    if m.group("sep") is None:
        return Timestamp(f"{year:04d}-{month:02d}-{day:02d}T00:00:00Z")
    hour, minute, sec = int(m.group(5)), int(m.group(6)), int(m.group(7))
    zone = m.group("zone")
    if (m.group("sep") == " ") == (zone is not None):  # T/t need a zone, a space takes none
        return None
    if hour > 23 or minute > 59 or sec > 59:
        return None
    frac = (m.group(8) or "")[:9].rstrip("0")
    if zone in (None, "Z", "+00:00", "-00:00"):
        zone = "Z"
    elif int(zone[1:3]) > 24 or int(zone[4:6]) > 60:
        return None
    return Timestamp(f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{sec:02d}{'.' + frac if frac else ''}{zone}")


def _go_parse_int(s: str) -> int | None:
    """strconv.ParseInt(s, 0, 64) then ParseUint(s, 0, 64), as go-yaml tries them."""
    sign, body = 1, s
    if body[:1] in ("+", "-"):
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    base = 10
    if len(body) > 1 and body[0] == "0":
        prefix = body[1].lower()
        base, body = {"x": (16, body[2:]), "b": (2, body[2:]), "o": (8, body[2:])}.get(prefix, (8, body[1:]))
    if not body or not _DIGITS[base].match(body):
        return None
    value = sign * int(body, base)
    if -INT64 <= value < INT64 or (s[0] not in "+-" and 0 <= value < 2 * INT64):
        return value
    return None


def resolve_plain(s: str) -> Any:
    """The value go-yaml v3 gives an untagged plain scalar."""
    hint = s[0] if s else ""
    if s in _NULLS and (hint in _HINT_MAP or s == ""):
        return None
    if s in _BOOLS:
        return _BOOLS[s]
    if s in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[s]
    if hint == ".":
        return float(s) if _DOT_FLOAT.match(s) and not math.isinf(float(s)) else s
    if hint and (hint.isdigit() or hint in "+-"):
        if hint.isdigit() and len(s) > 4 and s[4] == "-" and s[:4].isdigit():
            stamp = parse_timestamp(s)
            if stamp is not None:
                return stamp
        plain = s.replace("_", "")
        if plain:
            value = _go_parse_int(plain)
            if value is not None:
                return value
            if _YAML_FLOAT.match(plain):
                f = float(plain)
                if not math.isinf(f):  # Go's ParseFloat reports overflow as an error
                    return f
    return s


# ---------------------------------------------------------------- byte forms and formatting


def _digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of abs(f) and the decimal point position."""
    sign, digits, exp = Decimal(repr(abs(f))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    stripped = len("".join(map(str, digits))) - len(text)
    return text, len(text) + int(exp) + stripped


def go_float_f(f: float) -> str:
    """strconv.FormatFloat(f, 'f', -1, 64): what sops encrypts and feeds to the MAC."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, f) < 0 else ""
    if f == 0:
        return sign + "0"
    digits, dp = _digits(f)
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def go_float_g(f: float) -> str:
    """go-yaml's float output: FormatFloat(f, 'g', -1, 64) with YAML's inf/nan spellings."""
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    digits, dp = _digits(f)
    exp = dp - 1
    sign = "-" if f < 0 else ""
    if exp < -4 or exp >= 6:  # shortest 'g' switches to an exponent at 1e+06, like Go
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return go_float_f(f)


def value_bytes(value: Any) -> bytes:
    """sops' ToBytes: the plaintext bytes of a leaf, for both the cipher and the MAC."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return go_float_f(value).encode()
    if isinstance(value, Timestamp):
        return value.text.encode()
    raise TypeError(f"cannot encrypt a value of type {type(value).__name__}")


def _printable(ch: str) -> bool:
    c = ord(ch)
    return c == 0x0A or 0x20 <= c <= 0x7E or 0xA0 <= c <= 0xD7FF or (0xE000 <= c <= 0xFFFD and c != 0xFEFF)


_BREAKS = "\n\r\x85\u2028\u2029"
_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
            "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\u2028": "L", "\u2029": "P"}


def _analyze(s: str) -> tuple[bool, bool, bool]:
    """libyaml's yaml_emitter_analyze_scalar: (block_plain_allowed, single_quoted_allowed, block_allowed)."""
    flow_ind = block_ind = False
    if s.startswith(("---", "...")):
        flow_ind = block_ind = True
    line_breaks = special = leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = previous_space = previous_break = False
    n = len(s)
    for i, ch in enumerate(s):
        nxt_blank = i + 1 >= n or s[i + 1] in " \t" + _BREAKS
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                flow_ind = block_ind = True
            if ch in "?:":
                flow_ind = True
                block_ind = block_ind or nxt_blank
            if ch == "-" and nxt_blank:
                flow_ind = block_ind = True
        else:
            if ch in ",?[]{}":
                flow_ind = True
            if ch == ":":
                flow_ind = True
                block_ind = block_ind or nxt_blank
            if ch == "#" and s[i - 1] in " \t" + _BREAKS:
                flow_ind = block_ind = True
        if not _printable(ch) or ch == "\ufeff":
            special = True
        if ch in _BREAKS:
            line_breaks = True
        if ch == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == n - 1
            break_space = break_space or previous_break
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            leading_break = leading_break or i == 0
            trailing_break = trailing_break or i == n - 1
            space_break = space_break or previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
    plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        plain = False
    if trailing_space:
        block = False
    if break_space:
        plain = single = False
    if space_break or special:
        plain = single = False
    if space_break or special:
        block = False
    if line_breaks:
        plain = False
    if block_ind:
        plain = False
    return plain, single, block


# no spaces, breaks, quotes or indicators in leading position, no trailing ':': _analyze would find
# nothing that forbids plain style, so only the resolver decides between plain and double quotes
_SAFE_PLAIN = re.compile(r"[A-Za-z0-9_/(^$.][A-Za-z0-9_./+=,:\[\]()|^$*?-]*(?<!:)\Z")
# printable ASCII lines: _analyze would allow a literal block unless a space ends a line or the text
_ASCII_LINES = re.compile(r"[\x20-\x7e\n]*\Z")


def _double_quoted(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append("\\" + _ESCAPES[ch])
        elif not _printable(ch) or ch == "\ufeff":
            c = ord(ch)
            out.append(f"\\x{c:02X}" if c <= 0xFF else f"\\u{c:04X}" if c <= 0xFFFF else f"\\U{c:08X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _literal(s: str) -> str:
    hint = "4" if s[0] in " " + _BREAKS else ""  # go-yaml writes its best_indent; sops' files never need it
    if not s.endswith(tuple(_BREAKS)):
        chomp = "-"
    elif len(s) == 1 or s[-2] in _BREAKS:
        chomp = "+"
    else:
        chomp = ""
    body = s[:-1] if s.endswith("\n") else s
    return f"|{hint}{chomp}\n{body}"


def format_scalar(value: Any, *, key: bool = False) -> str:
    """One scalar as go-yaml v3 writes it in block context (a literal block comes back as
    ``|...\\n<body lines>``; the caller indents the body)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float_g(value)
    if isinstance(value, Timestamp):
        return value.text
    s = str(value)
    if _SAFE_PLAIN.match(s) and not s.startswith("..."):
        # fast path for the common case (ENC[...] values, identifiers, hex, versions, timestamps)
        if isinstance(resolve_plain(s), str) and s not in _OLD_BOOLS and not _BASE60.match(s):
            return s
        return _double_quoted(s)
    if not key and "\n" in s and _ASCII_LINES.match(s):  # fast path for PEM blocks, age files
        return _literal(s) if " \n" not in s and not s.endswith(" ") else _double_quoted(s)
    return _format_str(s, key)


def _format_str(s: str, key: bool) -> str:
    """The general rule for a string (format_scalar's fast paths must agree with it)."""
    plain_ok, single_ok, block_ok = _analyze(s)
    if "\n" in s and not key:
        if block_ok:
            return _literal(s)
        return _double_quoted(s)
    if "\n" not in s:
        resolves_str = isinstance(resolve_plain(s), str) if s else False
        if resolves_str and s not in _OLD_BOOLS and not _BASE60.match(s):
            if plain_ok:
                return s
            if single_ok:
                return "'" + s.replace("'", "''") + "'"
    return _double_quoted(s)
