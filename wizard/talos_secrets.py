"""The Talos secrets bundle (what ``talhelper gensecret`` prints for Talos 1.12), generated in memory
with ``cryptography``, and checked the way ``Bundle.Validate()`` does plus the CA properties.

Shape, key order and encodings follow shared/reference/crypto.md §4: cluster id (URL-safe base64)
and secret, bootstrap and trustd tokens, secretbox encryption secret (contract > 1.2), CAs for etcd /
k8s / k8s aggregator (ECDSA P-256) and os (Ed25519), and the RSA-4096 service-account key
(contract > 1.6). Every crt/key value is the standard base64 of the full PEM text.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
import secrets
import threading
from concurrent.futures import Future
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["BundleError", "CAS", "CA_VALIDITY", "TOKEN_RE", "generate_bundle", "parse_bundle", "validate_bundle",
           "load_key_pem"]

#: 87600 h, no backdating (siderolabs/crypto NewSelfSignedCertificateAuthority).
CA_VALIDITY = dt.timedelta(hours=87600)
TOKEN_RE = re.compile(r"^[0-9a-z]{6}\.[0-9a-z]{16}$")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
#: cert name -> (key algorithm, subject organisation; None = the empty DN Talos gives the aggregator CA)
CAS: dict[str, tuple[str, str | None]] = {
    "etcd": ("ecdsa", "etcd"),
    "k8s": ("ecdsa", "kubernetes"),
    "k8saggregator": ("ecdsa", None),
    "os": ("ed25519", "talos"),
}
#: Talos writes its Ed25519 keys as PKCS#8 under this non-standard PEM label.
_ED25519_LABEL = "ED25519 PRIVATE KEY"
_ACCEPTED_KEY_LABELS = ("EC PRIVATE KEY", "RSA PRIVATE KEY", _ED25519_LABEL, "PRIVATE KEY")
_EKU = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]


class BundleError(ValueError):
    """The bundle text is not a YAML mapping at all."""


def _token(n: int) -> str:
    """n characters of [0-9a-z]: bytes >= 252 are dropped (252 = 7 * 36), the rest taken mod 36, as
    Talos does, so every character is equally likely."""
    out: list[str] = []
    while len(out) < n:
        out.extend(_ALPHABET[b % 36] for b in secrets.token_bytes(n) if b < 252)
    return "".join(out[:n])


def _bundle_token() -> str:
    """``[0-9a-z]{6}.[0-9a-z]{16}``, redrawn if it would read back from YAML as a float."""
    while True:
        t = f"{_token(6)}.{_token(16)}"
        if not re.fullmatch(r"[0-9.e]+", t):  # digits, '.', 'e' only: a YAML float, not a string
            return t


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _ed25519_pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    """PKCS#8 DER under Talos' non-standard ``ED25519 PRIVATE KEY`` label, 64-column lines like Go."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (f"-----BEGIN {_ED25519_LABEL}-----\n" + "\n".join(lines) + f"\n-----END {_ED25519_LABEL}-----\n").encode()


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
        sig_hash = None  # Ed25519 signs the message itself
    # Go's asn1 writes an ASCII-only O= as PrintableString (cryptography defaults to UTF8String):
    # match it, so the DER subject equals what Talos makes and issuer matching is byte-exact.
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org, _type=_ASN1Type.PrintableString)] if org else [])
    serial = 0
    while serial == 0:  # Go draws from [0, 2^128); cryptography needs a positive serial
        serial = secrets.randbits(128)
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=True, crl_sign=False, encipher_only=False, decipher_only=False,
    )
    # Extensions in Go's order and criticality; Go omits the AKI on self-signed certificates.
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage(_EKU), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier(secrets.token_bytes(20)), critical=False)
        .sign(key, sig_hash)
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _utc(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.timezone.utc)
    now = now.replace(tzinfo=dt.timezone.utc) if now.tzinfo is None else now.astimezone(dt.timezone.utc)
    return now.replace(microsecond=0)  # X.509 times have whole seconds


def _new_service_account_key() -> bytes:
    """RSA-4096, PKCS#1 PEM (what Talos' bundle holds for k8sserviceaccount)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=4096).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


#: A key being generated ahead of time (``prefetch_service_account_key``); used by the next bundle.
_prefetched: Future[bytes] | None = None
_prefetch_lock = threading.Lock()


def prefetch_service_account_key() -> None:
    """Start generating the next bundle's RSA-4096 key in a thread.

    RSA-4096 generation takes 0.2–2 s (random prime search) and OpenSSL runs it without the GIL, so
    ``new-cluster`` starts it as soon as it knows a new bundle will be needed and it overlaps the
    validation and the template render. The key stays in this process's memory; one prefetch serves
    one bundle. Calling it again while one is pending does nothing."""
    global _prefetched
    with _prefetch_lock:
        if _prefetched is not None:
            return
        future: Future[bytes] = Future()
        _prefetched = future

    def run() -> None:
        try:
            future.set_result(_new_service_account_key())
        except BaseException as exc:  # noqa: BLE001 - the bundle falls back to generating it inline
            future.set_exception(exc)

    threading.Thread(target=run, name="k8s-wizard-rsa-keygen", daemon=True).start()


def _service_account_key() -> bytes:
    global _prefetched
    with _prefetch_lock:
        future, _prefetched = _prefetched, None
    if future is not None:
        try:
            return future.result()
        except Exception:  # noqa: BLE001 - a failed prefetch is retried here, where errors surface
            pass
    return _new_service_account_key()


def generate_bundle(*, now: dt.datetime | None = None) -> str:
    """A fresh bundle as YAML text: 2-space indent and key order as ``talhelper gensecret`` prints it.

    Every value is a plain scalar: base64 and PEM-base64 never need quoting, and a token can only
    look like a number when it is digits, '.' and an exponent 'e' (chance ~1e-12); such a token is
    redrawn rather than quoted, so the text stays what go-yaml would print."""
    now = _utc(now)
    certs = {name: _ca(algo, org, now) for name, (algo, org) in CAS.items()}
    sa_key = _service_account_key()

    lines = [
        "cluster:",
        f"  id: {base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}",
        f"  secret: {_b64(secrets.token_bytes(32))}",
        "secrets:",
        f"  bootstraptoken: {_bundle_token()}",
        f"  secretboxencryptionsecret: {_b64(secrets.token_bytes(32))}",
        "trustdinfo:",
        f"  token: {_bundle_token()}",
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
    """The bundle as a mapping (YAML 1.2, so no value changes type); BundleError if it is not one."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BundleError(f"the Talos secrets bundle is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise BundleError("the Talos secrets bundle must be a YAML mapping (cluster, secrets, trustdinfo, certs)")
    return data


def load_key_pem(pem: bytes) -> Any:
    """A private key from the PEM labels Talos accepts (ED25519 PRIVATE KEY is relabelled PKCS#8)."""
    first = pem.lstrip().split(b"\n", 1)[0].decode(errors="replace").strip()
    label = first.removeprefix("-----BEGIN ").removesuffix("-----")
    if not first.startswith("-----BEGIN ") or label not in _ACCEPTED_KEY_LABELS:
        raise ValueError(f"PEM label {label[:40]!r} is not one of {', '.join(_ACCEPTED_KEY_LABELS)}")
    if label == _ED25519_LABEL:
        pem = pem.replace(_ED25519_LABEL.encode(), b"PRIVATE KEY")
    # OpenSSL's RSA check proves p and q prime (0.3 s for 4096 bits); damage shows up as broken
    # arithmetic, which the cheap consistency check below catches.
    key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        p, q, d, e = n.p, n.q, n.d, n.public_numbers.e
        lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
        if p * q != n.public_numbers.n or (d * e) % lam != 1 or n.dmp1 != d % (p - 1) or n.dmq1 != d % (q - 1) \
                or (n.iqmp * q) % p != 1:
            raise ValueError("RSA key numbers are inconsistent (the key is damaged)")
    return key


_load_key = load_key_pem  # older name, kept for callers written against it


def _spki(pub: Any) -> bytes:
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class _Missing(Exception):
    pass


def _get(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) in (None, ""):
            raise _Missing(path)
        node = node[part]
    return node


def _pem(data: dict[str, Any], field: str) -> bytes:
    value = _get(data, field)
    if not isinstance(value, str):
        raise ValueError("must be the base64 of a PEM block")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("not valid base64") from None


def _check_ca(data: dict[str, Any], name: str, now: dt.datetime, problems: list[str]) -> None:
    algo, org = CAS[name]
    field = f"certs.{name}"
    try:
        cert = x509.load_pem_x509_certificate(_pem(data, f"{field}.crt"))
    except _Missing as exc:
        problems.append(f"{exc.args[0]}: missing")
        return
    except ValueError as exc:
        problems.append(f"{field}.crt: not a PEM certificate ({exc})")
        return
    try:
        key = load_key_pem(_pem(data, f"{field}.key"))
    except _Missing as exc:
        problems.append(f"{exc.args[0]}: missing")
        key = None
    except (ValueError, TypeError) as exc:
        problems.append(f"{field}.key: not a usable private key ({exc})")
        key = None

    pub = cert.public_key()
    if algo == "ed25519" and not isinstance(pub, ed25519.Ed25519PublicKey):
        problems.append(f"{field}.crt: expected an Ed25519 key")
    if algo == "ecdsa" and not (isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == "secp256r1"):
        problems.append(f"{field}.crt: expected an ECDSA P-256 key")
    if key is not None and _spki(pub) != _spki(key.public_key()):
        problems.append(f"{field}: the key does not match the certificate")
    if cert.subject != cert.issuer:
        problems.append(f"{field}.crt: issuer differs from subject (a CA here must be self-signed)")
    else:
        try:
            cert.verify_directly_issued_by(cert)
        except (InvalidSignature, ValueError, TypeError):
            problems.append(f"{field}.crt: self-signature does not verify")
    orgs = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if orgs != ([org] if org else []) or (org is None and len(cert.subject) != 0):
        want = f"O={org}" if org else "an empty subject"
        problems.append(f"{field}.crt: subject is {cert.subject.rfc4514_string() or 'empty'!r}, Talos uses {want}")
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        eku = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound as exc:
        problems.append(f"{field}.crt: missing extension ({exc})")
        return
    except ValueError as exc:  # a malformed extension
        problems.append(f"{field}.crt: bad extension ({exc})")
        return
    if not bc.ca:
        problems.append(f"{field}.crt: not a CA (BasicConstraints CA:FALSE)")
    if not (ku.digital_signature and ku.key_cert_sign):
        problems.append(f"{field}.crt: key usage must include digitalSignature and keyCertSign")
    if not set(_EKU) <= set(eku):
        problems.append(f"{field}.crt: extended key usage must include serverAuth and clientAuth")
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    if lifetime != CA_VALIDITY:
        problems.append(f"{field}.crt: valid for {lifetime}, Talos CAs are valid for 87600h (3650 days)")
    if cert.not_valid_after_utc <= now:
        problems.append(f"{field}.crt: expired on {cert.not_valid_after_utc:%Y-%m-%d}")


def _check_b64(data: dict[str, Any], field: str, urlsafe_ok: bool, problems: list[str]) -> None:
    try:
        value = _get(data, field)
    except _Missing:
        problems.append(f"{field}: missing")
        return
    text = str(value)
    if urlsafe_ok:  # Talos 1.12/1.13 write cluster.id URL-safe, 1.14 standard: accept both
        text = text.translate(str.maketrans("-_", "+/"))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        problems.append(f"{field}: not base64")
        return
    if len(raw) != 32:
        problems.append(f"{field}: must encode 32 random bytes, has {len(raw)}")


def validate_bundle(text: str, *, now: dt.datetime | None = None) -> list[str]:
    """Problems with a bundle (empty list = valid), each starting with the dotted field name."""
    try:
        data = parse_bundle(text)
    except BundleError as exc:
        return [f"(bundle): {exc}"]
    now = _utc(now)
    problems: list[str] = []
    for section in ("cluster", "secrets", "trustdinfo", "certs"):
        if data.get(section) is not None and not isinstance(data[section], dict):
            problems.append(f"{section}: must be a mapping")
            data[section] = {}
    _check_b64(data, "cluster.id", True, problems)
    _check_b64(data, "cluster.secret", False, problems)
    for field in ("secrets.bootstraptoken", "trustdinfo.token"):
        try:
            if not TOKEN_RE.match(str(_get(data, field))):
                problems.append(f"{field}: must look like abcdef.0123456789abcdef ([0-9a-z]{{6}}.[0-9a-z]{{16}})")
        except _Missing:
            problems.append(f"{field}: missing")
    enc = [k for k in ("secretboxencryptionsecret", "aescbcencryptionsecret") if k in (data.get("secrets") or {})]
    if len(enc) != 1:
        problems.append("secrets: exactly one of secretboxencryptionsecret / aescbcencryptionsecret is required")
    for k in enc:
        _check_b64(data, f"secrets.{k}", False, problems)
    for name in CAS:
        _check_ca(data, name, now, problems)
    field = "certs.k8sserviceaccount.key"
    try:
        sa = load_key_pem(_pem(data, field))
        if isinstance(sa, rsa.RSAPrivateKey):
            if sa.key_size < 2048:
                problems.append(f"{field}: RSA key of {sa.key_size} bits is too small (Talos makes 4096)")
        elif not isinstance(sa, ec.EllipticCurvePrivateKey):  # ECDSA P-256: bundles made before Talos 1.7
            problems.append(f"{field}: must be an RSA or ECDSA key")
    except _Missing:
        problems.append(f"{field}: missing")
    except (ValueError, TypeError) as exc:
        problems.append(f"{field}: not a usable private key ({exc})")
    return problems
