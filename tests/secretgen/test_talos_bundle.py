"""Talos secrets bundle: shape, certificates and keys as Talos 1.12 expects them."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wizard.talos_secrets import TOKEN_RE, _load_key, generate_bundle, parse_bundle, validate_bundle

NOW = dt.datetime(2026, 11, 25, 12, 0, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def bundle_text() -> str:
    return generate_bundle(now=NOW)  # RSA-4096 keygen ~1 s: once per module


@pytest.fixture(scope="module")
def bundle(bundle_text):
    return parse_bundle(bundle_text)


def _cert(bundle, name):
    return x509.load_pem_x509_certificate(base64.b64decode(bundle["certs"][name]["crt"]))


def test_shape_and_key_order(bundle_text, bundle):
    assert list(bundle) == ["cluster", "secrets", "trustdinfo", "certs"]
    assert list(bundle["certs"]) == ["etcd", "k8s", "k8saggregator", "k8sserviceaccount", "os"]
    assert list(bundle["secrets"]) == ["bootstraptoken", "secretboxencryptionsecret"]
    assert bundle_text.startswith("cluster:\n  id: ")  # talhelper's 2-space layout
    assert len(base64.urlsafe_b64decode(bundle["cluster"]["id"])) == 32
    assert len(base64.b64decode(bundle["cluster"]["secret"])) == 32
    assert len(base64.b64decode(bundle["secrets"]["secretboxencryptionsecret"])) == 32
    assert TOKEN_RE.match(bundle["secrets"]["bootstraptoken"])
    assert TOKEN_RE.match(bundle["trustdinfo"]["token"])
    assert validate_bundle(bundle_text) == []


@pytest.mark.parametrize(
    "name, org, key_type",
    [("etcd", "etcd", ec.EllipticCurvePrivateKey), ("k8s", "kubernetes", ec.EllipticCurvePrivateKey),
     ("k8saggregator", None, ec.EllipticCurvePrivateKey), ("os", "talos", ed25519.Ed25519PrivateKey)],
)
def test_certificate_authorities(bundle, name, org, key_type):
    cert = _cert(bundle, name)
    key = _load_key(base64.b64decode(bundle["certs"][name]["key"]))
    assert isinstance(key, key_type)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        assert key.curve.name == "secp256r1"
    orgs = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    assert orgs == ([org] if org else []) and cert.subject == cert.issuer
    if org is None:
        assert len(cert.subject) == 0  # the aggregator CA has an empty DN, like Talos'
    cert.verify_directly_issued_by(cert)
    assert cert.public_key().public_bytes(*_spki_args()) == key.public_key().public_bytes(*_spki_args())
    ext = cert.extensions
    assert ext.get_extension_for_class(x509.BasicConstraints).value.ca is True
    ku = ext.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.key_cert_sign
    eku = ext.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    assert len(ext.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest) == 20
    with pytest.raises(x509.ExtensionNotFound):
        ext.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert cert.not_valid_before_utc == NOW
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(days=3650)
    label = base64.b64decode(bundle["certs"][name]["key"]).split(b"\n")[0]
    assert label == (b"-----BEGIN ED25519 PRIVATE KEY-----" if name == "os" else b"-----BEGIN EC PRIVATE KEY-----")


def _spki_args():
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo


def test_service_account_key_is_rsa_4096(bundle):
    pem = base64.b64decode(bundle["certs"]["k8sserviceaccount"]["key"])
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    key = _load_key(pem)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 4096 and key.public_key().public_numbers().e == 65537


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
@pytest.mark.parametrize("name", ["etcd", "k8s", "k8saggregator", "os"])
def test_openssl_verifies_each_ca(bundle, name, tmp_path):
    crt = tmp_path / "ca.crt"
    crt.write_bytes(base64.b64decode(bundle["certs"][name]["crt"]))
    out = subprocess.run(["openssl", "verify", "-CAfile", str(crt), str(crt)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip().endswith("OK"), out.stdout + out.stderr


def test_two_bundles_differ(bundle_text):
    other = parse_bundle(generate_bundle(now=NOW))
    mine = parse_bundle(bundle_text)
    assert other["cluster"]["secret"] != mine["cluster"]["secret"]
    assert other["certs"]["etcd"]["key"] != mine["certs"]["etcd"]["key"]


def test_tampered_bundles_are_rejected_naming_the_field(bundle_text, bundle):
    swapped = bundle_text.replace(bundle["certs"]["etcd"]["key"], bundle["certs"]["k8s"]["key"])
    assert "certs.etcd: the key does not match the certificate" in validate_bundle(swapped)
    truncated = bundle_text.replace(bundle["certs"]["os"]["crt"], bundle["certs"]["os"]["crt"][:40])
    assert any(p.startswith("certs.os") for p in validate_bundle(truncated))
    missing = bundle_text.replace(f"  token: {bundle['trustdinfo']['token']}\n", "")
    assert "trustdinfo.token: missing" in validate_bundle(missing)
    bad_token = bundle_text.replace(bundle["secrets"]["bootstraptoken"], "ABCDEF.0123456789abcdef")
    assert any(p.startswith("secrets.bootstraptoken") for p in validate_bundle(bad_token))
    assert validate_bundle("cluster: [unclosed")[0].startswith("(bundle)")
