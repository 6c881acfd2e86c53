"""The suite-wide scan must flag every kind of plaintext secret material it claims to find."""

from __future__ import annotations

import base64

import pyrage
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.helpers.secret_scan import scan_file, secret_findings


def _ec_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def test_flags_age_identity_pem_and_base64_pem(tmp_path):
    ident = str(pyrage.x25519.Identity.generate())
    assert secret_findings(ident.encode())
    assert secret_findings(_ec_pem())
    ssh = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    assert secret_findings(ssh)
    wrapped = b"key: " + base64.b64encode(_ec_pem())
    assert secret_findings(wrapped) == ["base64-wrapped PEM private key"]


def test_public_material_is_not_flagged():
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    pub = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    cert_b64 = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    assert secret_findings(recipient.encode() + b"\n" + pub + b"\ncrt: " + cert_b64) == []


def test_private_files_may_hold_keys_but_sops_files_never(tmp_path):
    ident = str(pyrage.x25519.Identity.generate()).encode()
    keys = tmp_path / "keys.txt"
    keys.write_bytes(ident)
    keys.chmod(0o600)
    assert scan_file(keys) == []
    keys.chmod(0o644)
    assert scan_file(keys)
    fake = tmp_path / "talsecret.sops.yaml"
    fake.write_bytes(b"cluster:\n  id: x\n")
    fake.chmod(0o600)
    assert scan_file(fake) == ["named *.sops.yaml but has no sops block"]
