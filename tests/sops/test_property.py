"""Property tests over generated YAML trees: ours→ours and ours→sops round trips."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pyrage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard.sops import decrypt, decrypt_documents, encrypt
from wizard.sops.yamlfmt import Mapping, emit_documents, load_documents

IDENT = pyrage.x25519.Identity.generate()  # generated at import, never stored
KEY, RECIPIENT = str(IDENT), str(IDENT.to_public())
SOPS = Path(sys.executable).parent / "sops"

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
keys = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=10)
scalars = st.one_of(
    text, st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=True), st.booleans(), st.none(),
    st.sampled_from(["yes", "on", "010", "0x1F", "1_000", "2024-01-02", "12:30", "- x", "#x", "a: b", "ENC[x]", "|", ">", "*a"]),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=15,
)
documents = st.lists(st.dictionaries(keys.filter(lambda k: k != "sops"), trees, max_size=5), min_size=1, max_size=2)


def to_tree(value):
    if isinstance(value, dict):
        return Mapping((k, to_tree(v)) for k, v in value.items())
    if isinstance(value, list):
        return [to_tree(v) for v in value]
    return value


def same(a, b) -> bool:
    """Equal as sops sees data: 1.0 and 1 are the same number once written as YAML."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(b, (int, float)) and (a == b or math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_ours_to_ours(docs):
    plain = emit_documents([to_tree(d) for d in docs])
    enc = encrypt(plain, [RECIPIENT])
    back = decrypt_documents(enc, [KEY])
    assert len(back) == len(docs) and all(same(x, y) for x, y in zip(docs, back))
    # sops normalises like go-yaml does (a float -0.0 is written "-0", which reads back as int 0)
    assert decrypt(enc, [KEY]) == emit_documents(load_documents(plain))
    assert encrypt(plain, [RECIPIENT], previous=enc, identities=[KEY]) == enc


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(documents)
def test_ours_to_sops(tmp_path_factory, docs):
    plain = emit_documents([to_tree(d) for d in docs])
    enc = encrypt(plain, [RECIPIENT])
    folder = tmp_path_factory.mktemp("prop")
    (folder / "k.txt").write_text(KEY + "\n")
    (folder / "e.yaml").write_text(enc)
    env = dict(os.environ, SOPS_AGE_KEY_FILE=str(folder / "k.txt"))
    proc = subprocess.run([str(SOPS), "-d", str(folder / "e.yaml")], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == decrypt(enc, [KEY]) == emit_documents(load_documents(plain))
