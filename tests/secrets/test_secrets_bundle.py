"""Talos secrets bundle: YAML shape, certificates and keys as Talos 1.12 / talhelper gensecret make them."""

from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.helpers.pem import begin, end
from tests.secrets.secrets_helpers import NOW, bundle_text, fast_rsa  # noqa: F401 - fixtures
from wizard import talos_secrets
from wizard.talos_secrets import TOKEN_RE, generate_bundle, load_key_pem, parse_bundle

CA_NAMES = ["etcd", "k8s", "k8saggregator", "os"]
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def bundle(bundle_text):
    return parse_bundle(bundle_text)


def _pem(bundle, name, part):
    return base64.b64decode(bundle["certs"][name][part], validate=True)


def _cert(bundle, name):
    return x509.load_pem_x509_certificate(_pem(bundle, name, "crt"))


def test_yaml_layout_is_talhelpers(bundle_text, bundle):
    assert list(bundle) == ["cluster", "secrets", "trustdinfo", "certs"]
    assert list(bundle["cluster"]) == ["id", "secret"]
    assert list(bundle["secrets"]) == ["bootstraptoken", "secretboxencryptionsecret"]
    assert list(bundle["trustdinfo"]) == ["token"]
    assert list(bundle["certs"]) == ["etcd", "k8s", "k8saggregator", "k8sserviceaccount", "os"]
    assert [list(v) for v in bundle["certs"].values()] == [["crt", "key"]] * 3 + [["key"], ["crt", "key"]]
    # 2-space block style, every value one plain scalar on its key's line (no quotes, no folding)
    for line in bundle_text.splitlines():
        assert re.fullmatch(r"[a-z]+:|  [a-z0-9]+:( [A-Za-z0-9+/=._-]+)?|    (crt|key): [A-Za-z0-9+/=]+", line), line
    assert bundle_text.endswith("\n") and not bundle_text.endswith("\n\n")


def test_text_is_what_go_yaml_prints(bundle_text):
    """The go-yaml-style emitter (wizard.sops.yamlfmt, as talhelper's yaml.v3 with SetIndent(2))
    re-emits the parsed bundle byte for byte."""
    from wizard.sops.yamlfmt import emit_documents, load_documents

    assert emit_documents(load_documents(bundle_text), 2) == bundle_text


def test_scalar_fields(bundle):
    cid = bundle["cluster"]["id"]
    assert len(cid) == 44 and len(base64.urlsafe_b64decode(cid)) == 32
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}=", cid)  # URL-safe alphabet, '=' padded (Talos 1.12)
    for value in (bundle["cluster"]["secret"], bundle["secrets"]["secretboxencryptionsecret"]):
        assert len(base64.b64decode(value, validate=True)) == 32
    for token in (bundle["secrets"]["bootstraptoken"], bundle["trustdinfo"]["token"]):
        assert TOKEN_RE.match(token), token
    assert bundle["secrets"]["bootstraptoken"] != bundle["trustdinfo"]["token"]


@pytest.mark.parametrize(
    "name, org, key_type, label",
    [("etcd", "etcd", ec.EllipticCurvePrivateKey, "EC PRIVATE KEY"),
     ("k8s", "kubernetes", ec.EllipticCurvePrivateKey, "EC PRIVATE KEY"),
     ("k8saggregator", None, ec.EllipticCurvePrivateKey, "EC PRIVATE KEY"),
     ("os", "talos", ed25519.Ed25519PrivateKey, "ED25519 PRIVATE KEY")],
)
def test_certificate_authority(bundle, name, org, key_type, label):
    cert = _cert(bundle, name)
    key_pem = _pem(bundle, name, "key")
    assert key_pem.startswith(f"-----BEGIN {label}-----\n".encode()) and key_pem.endswith(f"-----END {label}-----\n".encode())
    key = load_key_pem(key_pem)
    assert isinstance(key, key_type)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        assert key.curve.name == "secp256r1"
    assert cert.public_key().public_bytes(*SPKI) == key.public_key().public_bytes(*SPKI)
    # subject = issuer: O=<org> as a PrintableString like Go writes it, or the empty DN
    assert cert.subject == cert.issuer
    if org is None:
        assert len(cert.subject) == 0
    else:
        (attr,) = cert.subject
        assert attr.oid == NameOID.ORGANIZATION_NAME and attr.value == org and attr._type == _ASN1Type.PrintableString
    cert.verify_directly_issued_by(cert)
    assert cert.version == x509.Version.v3 and 0 < cert.serial_number < 2**128
    ext = cert.extensions
    assert [e.oid for e in ext] == [x509.KeyUsage.oid, x509.ExtendedKeyUsage.oid, x509.BasicConstraints.oid,
                                   x509.SubjectKeyIdentifier.oid]  # Go's order
    assert [e.critical for e in ext] == [True, False, True, False]
    bc = ext.get_extension_for_class(x509.BasicConstraints).value
    assert bc.ca is True and bc.path_length is None
    ku = ext.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.key_cert_sign
    assert not (ku.crl_sign or ku.key_encipherment or ku.content_commitment or ku.data_encipherment or ku.key_agreement)
    assert list(ext.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    assert len(ext.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest) == 20
    with pytest.raises(x509.ExtensionNotFound):
        ext.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert cert.not_valid_before_utc == NOW  # no backdating
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(days=3650)


def test_ed25519_key_is_pkcs8_under_talos_label(bundle):
    pem = _pem(bundle, "os", "key").decode()
    lines = pem.splitlines()
    assert lines[0] == begin("ED25519") and lines[-1] == end("ED25519")
    der = base64.b64decode("".join(lines[1:-1]))
    assert len(der) == 48 and der.hex().startswith("302e020100300506032b657004220420")
    assert all(len(ln) <= 64 for ln in lines[1:-1])


def test_service_account_key_is_rsa_4096_pkcs1(bundle):
    pem = _pem(bundle, "k8sserviceaccount", "key")
    assert pem.startswith(begin("RSA").encode() + b"\n")
    key = load_key_pem(pem)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 4096
    assert key.public_key().public_numbers().e == 65537


def test_cas_have_distinct_keys_and_serials(bundle):
    certs = [_cert(bundle, n) for n in CA_NAMES]
    assert len({c.serial_number for c in certs}) == 4
    assert len({c.public_key().public_bytes(*SPKI) for c in certs}) == 4


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
@pytest.mark.parametrize("name", CA_NAMES)
def test_openssl_verifies_each_ca(bundle, name, tmp_path):
    crt = tmp_path / "ca.crt"
    crt.write_bytes(_pem(bundle, name, "crt"))
    out = subprocess.run(["openssl", "verify", "-CAfile", str(crt), str(crt)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip().endswith(": OK"), out.stdout + out.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_openssl_reads_the_ec_key_as_sec1_with_named_curve(bundle, tmp_path):
    key = tmp_path / "ca.key"
    key.write_bytes(_pem(bundle, "etcd", "key"))
    key.chmod(0o600)
    out = subprocess.run(["openssl", "ec", "-in", str(key), "-noout", "-text"], capture_output=True, text=True)
    assert out.returncode == 0 and "ASN1 OID: prime256v1" in out.stdout, out.stderr


def test_two_bundles_share_nothing(bundle_text):
    a, b = parse_bundle(bundle_text), parse_bundle(generate_bundle(now=NOW))
    flat = lambda d: [(k, v) for k, v in d.items() if not isinstance(v, dict)] + [  # noqa: E731
        x for k, v in d.items() if isinstance(v, dict) for x in flat(v)]
    pairs = list(zip(flat(a), flat(b), strict=True))
    assert len(pairs) == 14 and all(x[1] != y[1] for x, y in pairs)


def test_now_is_taken_as_utc_whole_seconds(fast_rsa):
    local = dt.timezone(dt.timedelta(hours=7))
    text = generate_bundle(now=dt.datetime(2026, 11, 25, 19, 0, 0, 987654, tzinfo=local))
    cert = x509.load_pem_x509_certificate(base64.b64decode(parse_bundle(text)["certs"]["k8s"]["crt"]))
    assert cert.not_valid_before_utc == NOW
    naive = generate_bundle(now=dt.datetime(2026, 11, 25, 12, 0, 0))
    assert x509.load_pem_x509_certificate(base64.b64decode(parse_bundle(naive)["certs"]["os"]["crt"])).not_valid_before_utc == NOW


def test_tokens_use_rejection_sampling(monkeypatch):
    """Bytes >= 252 are dropped (they would bias 'a'..'d'); the rest map mod 36."""
    feed = iter([bytes([252, 255, 0, 35, 36, 251]), bytes([253, 71, 1, 2, 3, 4])])
    monkeypatch.setattr(talos_secrets.secrets, "token_bytes", lambda n: next(feed))
    assert talos_secrets._token(6) == "0z0zz1"


def test_a_token_that_would_read_as_a_float_is_redrawn(monkeypatch):
    draws = iter(["123456", "0123456789e12345", "abc123", "0123456789abcdef"])
    monkeypatch.setattr(talos_secrets, "_token", lambda n: next(draws))
    assert talos_secrets._bundle_token() == "abc123.0123456789abcdef"


def test_token_characters_cover_the_alphabet():
    chars = "".join(talos_secrets._token(16) for _ in range(200))
    assert set(chars) == set("0123456789abcdefghijklmnopqrstuvwxyz")


def test_real_sops_decrypts_it_back_byte_for_byte(bundle_text, age_key, tool_env, tmp_path):
    """talhelper's flow is gensecret | sops -e; ours encrypts in-process. sops 3.11 with --indent 2
    must give back exactly the text we generated (so a later re-render shows no diff)."""
    from wizard.sops import CryptRule, encrypt

    _, recipient, _ = age_key
    enc = encrypt(bundle_text, [recipient], rule=CryptRule(mac_only_encrypted=True), indent=2)
    assert bundle_text.splitlines()[1].split(": ")[1] not in enc
    f = tmp_path / "talsecret.sops.yaml"
    f.write_text(enc)
    out = subprocess.run(["sops", "-d", "--indent", "2", str(f)], capture_output=True, text=True, env=tool_env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == bundle_text
