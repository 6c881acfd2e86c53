"""The sops-age Secret and the generic Secret manifest writer."""

from __future__ import annotations

import pyrage
import pytest
import yaml as pyyaml  # YAML 1.1, as kubectl's parser resolves scalars
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tests.secrets.secrets_helpers import kustomize, yamllint
from wizard.flux_secrets import SecretError, secret_manifest, sops_age_secret_yaml


def _load(text: str):
    return YAML(typ="safe", pure=True).load(text)


@pytest.fixture
def identity() -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.generate()


def test_sops_age_secret_holds_a_working_identity(identity, tmp_path):
    keys = f"# created: 2026-11-25T00:00:00Z\n# public key: {identity.to_public()}\n{identity}\n"
    text = sops_age_secret_yaml(keys)
    doc = _load(text)
    assert doc["kind"] == "Secret" and doc["metadata"] == {"name": "sops-age", "namespace": "flux-system"}
    assert list(doc["stringData"]) == ["age.agekey"]
    agekey = doc["stringData"]["age.agekey"]
    assert agekey == keys
    # what kustomize-controller does with it: parse the identities and decrypt
    sealed = pyrage.encrypt(b"hello", [identity.to_public()])
    idents = [pyrage.x25519.Identity.from_str(ln) for ln in agekey.splitlines() if ln.startswith("AGE-SECRET-KEY-")]
    assert pyrage.decrypt(sealed, idents) == b"hello"
    f = tmp_path / "sops-age.yaml"
    f.write_text(text)
    assert yamllint(f).returncode == 0


def test_only_identity_and_comment_lines_are_kept(identity):
    other = pyrage.x25519.Identity.generate()
    noisy = (f"  # created: x\n{identity}\n\nexport SOPS_AGE_KEY_FILE=~/keys.txt\n{identity}\n"
             f"AGE-SECRET-KEY-PQ-1QQQQ\nAGE-PLUGIN-YUBIKEY-1QQQQ\n  {other}  \n")
    agekey = _load(sops_age_secret_yaml(noisy, namespace="flux-system"))["stringData"]["age.agekey"]
    assert agekey.splitlines() == ["# created: x", str(identity), str(other)]  # deduplicated, trimmed


def test_unusable_key_material_is_refused_without_echoing_it(identity):
    with pytest.raises(SecretError, match="no AGE-SECRET-KEY-1 identity found"):
        sops_age_secret_yaml("# nothing here\n")
    with pytest.raises(SecretError, match="post-quantum"):
        sops_age_secret_yaml("AGE-SECRET-KEY-PQ-1QQQQQQ\n")
    damaged = str(identity)[:-6] + "QQQQQQ"
    with pytest.raises(SecretError, match="line 2: not a valid AGE-SECRET-KEY-1 identity") as info:
        sops_age_secret_yaml(f"# c\n{damaged}\n")
    assert str(identity)[15:40] not in str(info.value)


def test_kubernetes_parser_reads_the_sops_age_secret(identity, tmp_path):
    built = _load(kustomize(tmp_path, sops_age_secret_yaml(f"{identity}\n", namespace="flux-system")))
    assert built["stringData"]["age.agekey"] == f"{identity}\n"


TRICKY = ["yes", "no", "on", "off", "y", "n", "~", "null", "true", "1.0", "0o17", "017", "0x1F", "1e3", "12:30:00",
          "2026-11-25", ".inf", "=", "<<", "- item", "key: value", "a #b", "#c", "'q'", '"q"', "@x", "`x`", "!tag",
          "&a", "*a", "%x", "|", ">", "", " lead", "trail ", "tab\tin", "x\n", "\n", "a\n\n", "  indented\nnext\n",
          "a\r\nb", "é ünï", "\u2028", "\x85", "\x7f", "\x00", "\ufeff", "\U0001f600", "\\", "-", "---", "...", "?",
          ":", "-x", "a:b"]


def test_tricky_values_come_back_as_the_same_strings():
    text = secret_manifest("s", "ns", {f"k{i}": v for i, v in enumerate(TRICKY)})
    keys = secret_manifest("s", "ns", {k: "v" for k in ("0", "yes", "1.5", "-", "a.b", "true")})
    for loader in (_load, pyyaml.safe_load):  # YAML 1.2 and 1.1 resolution
        data = loader(text)["stringData"]
        assert [data[f"k{i}"] for i in range(len(TRICKY))] == TRICKY
        assert list(loader(keys)["stringData"]) == ["0", "yes", "1.5", "-", "a.b", "true"]


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True),
                       st.text(st.characters(blacklist_categories=("Cs",)), max_size=60), max_size=6))
def test_any_text_round_trips(data):
    text = secret_manifest("s", "ns", data)
    assert (_load(text)["stringData"] or {}) == data
    assert (pyyaml.safe_load(text)["stringData"] or {}) == data


def test_bad_names_and_keys_are_refused():
    with pytest.raises(SecretError, match="Secret name 'Bad_Name'"):
        secret_manifest("Bad_Name", "ns", {})
    with pytest.raises(SecretError, match="namespace 'a.b'"):
        secret_manifest("ok", "a.b", {})
    with pytest.raises(SecretError, match="stringData key 'a/b'"):
        secret_manifest("ok", "ns", {"a/b": "x"})
    with pytest.raises(SecretError, match="stringData.n must be text"):
        secret_manifest("ok", "ns", {"n": 3})  # type: ignore[dict-item]
