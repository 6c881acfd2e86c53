"""The Talos secrets bundle (what ``talhelper gensecret`` / ``talosctl gen secrets`` produce for
Talos 1.12), generated in memory with ``cryptography`` and checked the way ``Bundle.Validate()`` does.

Shape, key order and encodings follow shared/reference/crypto.md §4: cluster id (URL-safe base64)
and secret, bootstrap and trustd tokens, secretbox encryption secret (contract > 1.2), CAs for etcd /
k8s / k8s aggregator (ECDSA P-256) and os (Ed25519), and the RSA-4096 service-account key
(contract > 1.6). Every crt/key value is the standard base64 of the full PEM text.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: 87600 h, no backdating (siderolabs/crypto NewSelfSignedCertificateAuthority).
CA_VALIDITY = dt.timedelta(hours=87600)
TOKEN_RE = re.compile(r"^[0-9a-z]{6}\.[0-9a-z]{16}$")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
#: cert name -> (key algorithm, subject organisation or None for the empty DN)
CAS: dict[str, tuple[str, str | None]] = {
    "etcd": ("ecdsa", "etcd"),
    "k8s": ("ecdsa", "kubernetes"),
    "k8saggregator": ("ecdsa", None),
    "os": ("ed25519", "talos"),
}
_ACCEPTED_KEY_LABELS = ("EC PRIVATE KEY", "RSA PRIVATE KEY", "ED25519 PRIVATE KEY", "PRIVATE KEY")


def _token(n: int) -> str:
    """n characters of [0-9a-z] by rejection sampling (bytes >= 252 dropped, then mod 36), as Talos does."""
    out: list[str] = []
    while len(out) < n:
        for b in secrets.token_bytes(n * 2):
            if b < 252 and len(out) < n:
                out.append(_ALPHABET[b % 36])
    return "".join(out)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _ed25519_pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN ED25519 PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END ED25519 PRIVATE KEY-----\n").encode()


def _ca(algo: str, org: str | None, now: dt.datetime) -> tuple[bytes, bytes]:
    key: Any
    if algo == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
        sig_hash: hashes.HashAlgorithm | None = hashes.SHA256()
    else:
        key = ed25519.Ed25519PrivateKey.generate()
        key_pem = _ed25519_pem(key)
        sig_hash = None
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else [])
    serial = 0
    while serial == 0:
        serial = secrets.randbits(128)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier(secrets.token_bytes(20)), critical=False)
        .sign(key, sig_hash)
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def generate_bundle(*, now: dt.datetime | None = None) -> str:
    """A fresh bundle as YAML text, 2-space indent, key order as talhelper gensecret prints it."""
    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    certs = {name: _ca(algo, org, now) for name, (algo, org) in CAS.items()}
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=4096).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    lines = [
        "cluster:",
        f"  id: {base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}",
        f"  secret: {_b64(secrets.token_bytes(32))}",
        "secrets:",
        f"  bootstraptoken: {_token(6)}.{_token(16)}",
        f"  secretboxencryptionsecret: {_b64(secrets.token_bytes(32))}",
        "trustdinfo:",
        f"  token: {_token(6)}.{_token(16)}",
        "certs:",
    ]
    for name in ("etcd", "k8s", "k8saggregator"):
        crt, key = certs[name]
        lines += [f"  {name}:", f"    crt: {_b64(crt)}", f"    key: {_b64(key)}"]
    lines += ["  k8sserviceaccount:", f"    key: {_b64(sa_key)}"]
    crt, key = certs["os"]
    lines += ["  os:", f"    crt: {_b64(crt)}", f"    key: {_b64(key)}"]
    return "\n".join(lines) + "\n"


def parse_bundle(text: str) -> dict[str, Any]:
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load(text)
    if not isinstance(data, dict):
        raise ValueError("the Talos secrets bundle must be a YAML mapping")
    return data


def _load_key(pem: bytes) -> Any:
    label = pem.split(b"\n", 1)[0].decode(errors="replace").removeprefix("-----BEGIN ").removesuffix("-----")
    if label not in _ACCEPTED_KEY_LABELS:
        raise ValueError(f"unexpected key PEM label {label!r}")
    if label == "ED25519 PRIVATE KEY":
        pem = pem.replace(b"ED25519 PRIVATE KEY", b"PRIVATE KEY")
    return serialization.load_pem_private_key(pem, password=None)


def _spki(pub: Any) -> bytes:
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _get(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def _check_ca(data: dict[str, Any], name: str, problems: list[str]) -> None:
    field = f"certs.{name}"
    try:
        crt_pem = base64.b64decode(_get(data, f"{field}.crt"), validate=True)
        key_pem = base64.b64decode(_get(data, f"{field}.key"), validate=True)
        cert = x509.load_pem_x509_certificate(crt_pem)
        key = _load_key(key_pem)
    except KeyError as exc:
        problems.append(f"{exc.args[0]}: missing")
        return
    except (ValueError, TypeError) as exc:
        problems.append(f"{field}: does not parse ({exc})")
        return
    if _spki(cert.public_key()) != _spki(key.public_key()):
        problems.append(f"{field}: the key does not match the certificate")
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # noqa: BLE001 - any failure means "not a valid self-signed CA"
        problems.append(f"{field}.crt: not self-signed")
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        problems.append(f"{field}.crt: missing extension ({exc})")
        return
    if not bc.ca:
        problems.append(f"{field}.crt: not a CA (BasicConstraints CA:FALSE)")
    if not (ku.digital_signature and ku.key_cert_sign):
        problems.append(f"{field}.crt: key usage must include digitalSignature and keyCertSign")
    expected_algo = CAS[name][0]
    is_ed = isinstance(key, ed25519.Ed25519PrivateKey)
    if (expected_algo == "ed25519") != is_ed:
        problems.append(f"{field}.key: expected an {expected_algo} key")


def validate_bundle(text: str) -> list[str]:
    """Problems with a bundle (empty list = valid), each naming the field."""
    try:
        data = parse_bundle(text)
    except Exception as exc:  # noqa: BLE001 - any YAML error is reported, never raised
        return [f"(bundle): not valid YAML ({exc})"]
    problems: list[str] = []
    for field, size, urlsafe in (("cluster.id", 32, True), ("cluster.secret", 32, False)):
        try:
            value = str(_get(data, field))
            raw = base64.urlsafe_b64decode(value) if urlsafe else base64.b64decode(value, validate=True)
            if len(raw) != size:
                problems.append(f"{field}: must encode {size} bytes, has {len(raw)}")
        except KeyError:
            problems.append(f"{field}: missing")
        except ValueError:
            problems.append(f"{field}: not base64")
    for field in ("secrets.bootstraptoken", "trustdinfo.token"):
        try:
            if not TOKEN_RE.match(str(_get(data, field))):
                problems.append(f"{field}: must look like abcdef.0123456789abcdef ([0-9a-z]{{6}}.[0-9a-z]{{16}})")
        except KeyError:
            problems.append(f"{field}: missing")
    enc = [k for k in ("secretboxencryptionsecret", "aescbcencryptionsecret") if k in (data.get("secrets") or {})]
    if len(enc) != 1:
        problems.append("secrets: exactly one of secretboxencryptionsecret / aescbcencryptionsecret is required")
    for name in CAS:
        _check_ca(data, name, problems)
    try:
        sa = _load_key(base64.b64decode(_get(data, "certs.k8sserviceaccount.key"), validate=True))
        if not isinstance(sa, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            problems.append("certs.k8sserviceaccount.key: must be an RSA or ECDSA key")
    except KeyError:
        problems.append("certs.k8sserviceaccount.key: missing")
    except (ValueError, TypeError) as exc:
        problems.append(f"certs.k8sserviceaccount.key: does not parse ({exc})")
    return problems
