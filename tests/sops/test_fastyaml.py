"""The fast block-YAML loader builds exactly the ruamel path's tree (or declines), and the
emitter's fast quoting paths agree with the general go-yaml rule."""

from __future__ import annotations

import pyrage
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.sops.samples import ALL, SECRET
from wizard.sops import CryptRule, encrypt
from wizard.sops.fastyaml import fast_load
from wizard.sops.scalars import _format_str, format_scalar
from wizard.sops.yamlfmt import Comment, Mapping, YamlError, _load_ruamel, emit_documents, load_documents

def strict(tree):
    """A comparable form where Mapping != list, 1 != 1.0 != True and comments count."""
    if isinstance(tree, Mapping):
        return ("map", tuple(strict(i) if isinstance(i, Comment) else (strict(i[0]), strict(i[1])) for i in tree))
    if isinstance(tree, list):
        return ("seq", tuple(strict(i) for i in tree))
    if isinstance(tree, float):
        return ("float", repr(tree))
    return (type(tree).__name__, tree)


def check_same(text: str) -> bool:
    """Assert fast == ruamel when the fast loader accepts ``text``; True when it accepted it."""
    fast = fast_load(text)
    try:
        slow = _load_ruamel(text)
    except YamlError:
        assert fast is None, f"fast loader accepted invalid YAML:\n{text}"
        return False
    if fast is not None:
        assert strict(fast) == strict(slow), text
    return fast is not None


def test_samples_and_seed_files_match_ruamel(shared_dir):
    handled = [name for name, text in ALL.items() if check_same(text)]
    assert "secret" in handled
    seed_dir = shared_dir / "fixtures/k8s-ops"
    files = sorted(p for p in seed_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    fast = [p for p in files if check_same(p.read_text())]
    # the seed's Kubernetes manifests start with `---` and are plain block style: nearly all fast
    assert len(files) >= 20 and len(fast) >= len(files) - 2 and (seed_dir / ".sops.yaml") in fast
    for p in files:
        check_same("# a comment above the marker\n" + p.read_text())


def test_encrypted_file_loads_fast_and_identically():
    ident = pyrage.x25519.Identity.generate()
    enc = encrypt(SECRET, [str(ident.to_public())], rule=CryptRule("encrypted_regex", "^(data|stringData)$"))
    assert check_same(enc)  # the whole file, sops block included
    assert strict(load_documents(enc)) == strict(_load_ruamel(enc))


INDENTLESS = """\
# head
spec:
  # about the list
  containers:
  - name: app  # the app
    args:
    - --flag
    - "quoted # not a comment"
    env:
    - name: A
      value: '1'
  - name: side
  after: x
tail: |-
  line # content
    indented
# foot
"""


@pytest.mark.parametrize("text", [INDENTLESS, SECRET.replace("identity: |", "identity: |+ # header comment"),
                                  "a:\n    b:\n        - - x\n          - y\n        - {}\n        - []\n    c: ~\n",
                                  "k: \"esc \\t \\u00e9 \\\\ \\\" \\x41 \\U0001F600\"\n'q''k': 'it''s'\n",
                                  "---\nkind: Secret\nstringData: {}\n"])
def test_handled_shapes_match_ruamel(text):
    assert check_same(text)


@pytest.mark.parametrize("text", [
    "a: [1, 2]\n",                      # flow collection
    "a: &x 1\nb: *x\n",                 # anchor and alias
    "a: !!binary aGVsbG8=\n",           # tag
    "a: one\n  two\n",                  # multi-line plain scalar
    "a: >\n  folded\n",                 # folded block
    "a: |2\n   x\n",                    # indentation indicator
    "a: |\n  x\n   \n  y\n",            # whitespace-only line inside a literal
    "a: |\n\n  x\n",                    # leading blank line in a literal
    "a:\tb\n",                          # tab
    "a: 1\n---\nb: 2\n",                # several documents
    "a: 1\na: 2\n",                     # duplicate key (ruamel reports it)
    "a:\n-\n  b\n",                     # bare dash
    "a: \"one\n  two\"\n",              # multi-line quoted
    "? a\n: b\n",                       # complex key
    "a: b: c\n",                        # invalid
    "a: 1",                             # no final newline
    "- a\n",                            # sequence document
    "  a: 1\n",                         # indented root
    "a: 1\n b: 2\n",                    # odd indentation
    "",
])
def test_declines_what_it_does_not_handle(text):
    assert fast_load(text) is None
    check_same(text)


# ---------------------------------------------------------------- generated trees

chars = st.sampled_from(list("ab z09:#-'\"\\\n[{&!|>%.é☃\t") + ["\u2028", "\x85"])
keys = st.text(chars, min_size=1, max_size=6) | st.sampled_from(["name", "1", "true", "~", "-x", "a b"])
scalars = st.one_of(
    st.text(chars, max_size=10), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False), st.booleans(), st.none(),
    st.sampled_from(["yes", "010", "0x1F", "2024-01-02", "12:30", "- x", "#x", "a: b", "x\n", "x\n\n", "\nx", " x\ny", "y \n"]),
)
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=12)
comment = st.text(st.sampled_from(list("ab #:'\"|-")), max_size=6)
edits = st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["line", "trail", "blank", "ws", "pad", "gap"]), st.integers(0, 9), comment), max_size=5)


def to_tree(value):
    if isinstance(value, dict):
        return Mapping((k, to_tree(v)) for k, v in value.items())
    if isinstance(value, list):
        return [to_tree(v) for v in value]
    return value


def perturb(text: str, ops, header: bool) -> str:
    lines = text.split("\n")[:-1]
    for pos, kind, ind, body in ops:
        k = int(pos * len(lines))
        if kind == "trail" and k < len(lines):
            lines[k] += " #" + body
        elif kind == "pad" and k < len(lines):
            lines[k] += " " * (ind + 1)  # trailing spaces
        elif kind == "gap" and k < len(lines):
            lines[k] = lines[k].replace(": ", ":" + " " * (ind + 1), 1)  # more spaces after a key
        elif kind in ("pad", "gap"):
            pass
        elif kind == "line":
            lines.insert(k, " " * ind + "#" + body)
        else:
            lines.insert(k, "" if kind == "blank" else " " * (ind + 1))
    return ("---\n" if header else "") + "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, trees, min_size=1, max_size=4), st.sampled_from([2, 4]), edits, st.booleans())
def test_generated_documents_match_ruamel(doc, indent, ops, header):
    text = emit_documents([to_tree(doc)], indent)
    event("plain: fast" if check_same(text) else "plain: declined")
    event("edited: fast" if check_same(perturb(text, ops, header)) else "edited: declined")


SCALAR_TEXTS = ["v", "1", "x y", "'q #'", '"q\\t"', "{}", "[]", "~", "-1", ":x", "a:b", "''", '""', "true", "1.5",
                "2024-01-02", "0x1F", "v # c"]


@st.composite
def block_yaml(draw, col: int = 0, depth: int = 0, seq: bool = False) -> list[str]:
    """Hand-style block YAML (indentless or indented sequences, compact mappings in items, empty
    values, literal blocks with blank lines), unlike the emitter's single layout."""
    pad, lines = " " * col, []
    if seq:
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["scalar", "map", "seq"] if depth < 3 else ["scalar"]))
            if kind == "scalar":
                lines.append(f"{pad}- {draw(st.sampled_from(SCALAR_TEXTS))}")
                continue
            inner = draw(block_yaml(col + 2, depth + 1, kind == "seq"))
            lines += [pad + "- " + inner[0][col + 2:], *inner[1:]]
        return lines
    for key in draw(st.lists(st.sampled_from(["a", "b", "'k'", '"k 2"', "-x", "1"]), min_size=1, max_size=3, unique=True)):
        kind = draw(st.sampled_from(["scalar", "empty", "map", "seq", "literal"] if depth < 3 else ["scalar", "empty"]))
        if kind == "scalar":
            lines.append(f"{pad}{key}: {draw(st.sampled_from(SCALAR_TEXTS))}")
        elif kind == "empty":
            lines.append(f"{pad}{key}:")
        elif kind == "literal":
            lines.append(f"{pad}{key}: |{draw(st.sampled_from(['', '-', '+']))}")
            body = " " * (col + draw(st.integers(1, 3)))
            texts = draw(st.lists(st.sampled_from(["x", "a # b", "  more", "k: v", "", "- i"]), min_size=1, max_size=4))
            lines += [body + "first", *[body + t if t else "" for t in texts]]
        else:
            lines.append(f"{pad}{key}:")
            step = draw(st.sampled_from([0, 2, 4] if kind == "seq" else [1, 2, 4]))
            lines += draw(block_yaml(col + step, depth + 1, kind == "seq"))
    return lines


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block_yaml(), edits, st.booleans())
def test_hand_style_documents_match_ruamel(lines, ops, header):
    text = "\n".join(lines) + "\n"
    event("plain: fast" if check_same(text) else "plain: declined")
    event("edited: fast" if check_same(perturb(text, ops, header)) else "edited: declined")


def test_emitted_block_style_is_handled():
    doc = {"apiVersion": "v1", "metadata": {"name": "x", "labels": {"a": "1"}}, "list": [1, "two", {"k": [True, None]}],
           "pem": "-----BEGIN-----\nabc\n-----END-----\n", "q": "a: b", "e": "", "t": "2024-01-02"}
    for indent in (2, 4):
        assert check_same(emit_documents([to_tree(doc)], indent))


# ---------------------------------------------------------------- emitter fast paths

strings = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12) | st.text(
    st.sampled_from(list("0123456789abcxeE.:+-_ /$^()[]|*?=,\n#'\"")), max_size=12)


@settings(max_examples=400, deadline=None)
@given(strings, st.booleans())
def test_format_scalar_fast_paths_agree_with_general_rule(s, key):
    if key and "\n" in s:
        return  # keys never hold line breaks in block style (go-yaml double-quotes them; same code)
    assert format_scalar(s, key=key) == _format_str(s, key)


@pytest.mark.parametrize("s", ["2026-11-25T23:36:25Z", "3.11.0", "0123abc", "1:20", "0x1F", "1e400", "007", "yes", "...x",
                               ".5", "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n",
                               "a \nb", "a\n ", "a\nb", "x\n\n", "ENC[AES256_GCM,data:x+/=,iv:y,tag:z,type:str]"])
def test_format_scalar_examples_agree(s):
    assert format_scalar(s) == _format_str(s, False)
