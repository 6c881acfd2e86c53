"""validate_bundle: a good bundle passes, and each kind of damage is reported naming the field."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.secrets.secrets_helpers import NOW, bundle_text  # noqa: F401 - fixture
from wizard.talos_secrets import BundleError, parse_bundle, validate_bundle

PEM, TRAD, NOENC = serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()


@pytest.fixture(scope="module")
def bundle(bundle_text):
    return parse_bundle(bundle_text)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1
    return text.replace(old, new)


def _ec_ca(*, org="etcd", ca=True, days=3650, eku=True, issuer_key=None, start=NOW):
    """An ECDSA CA like Talos' except for the one property a test changes."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else [])
    usage = x509.KeyUsage(True, False, False, False, False, True, False, False, False)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start)
               .not_valid_after(start + dt.timedelta(days=days))
               .add_extension(usage, critical=True)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return _b64(cert.public_bytes(PEM)), _b64(key.private_bytes(PEM, TRAD, NOENC))


def _with_ca(text, bundle, name, crt, key):
    return _replace(_replace(text, bundle["certs"][name]["crt"], crt), bundle["certs"][name]["key"], key)


def test_generated_bundle_is_valid(bundle_text):
    assert validate_bundle(bundle_text, now=NOW) == []
    assert validate_bundle(bundle_text) == []  # and today


def test_swapped_key_is_reported(bundle_text, bundle):
    swapped = _replace(bundle_text, bundle["certs"]["etcd"]["key"], bundle["certs"]["k8s"]["key"])
    assert validate_bundle(swapped, now=NOW) == ["certs.etcd: the key does not match the certificate"]


def test_truncated_certificate_is_reported(bundle_text, bundle):
    crt = bundle["certs"]["os"]["crt"]
    problems = validate_bundle(_replace(bundle_text, crt, crt[:40]), now=NOW)
    assert len(problems) == 1 and problems[0].startswith("certs.os.crt: not a PEM certificate")
    cut_pem = _b64(base64.b64decode(crt)[:300])  # valid base64, PEM body cut short
    problems = validate_bundle(_replace(bundle_text, crt, cut_pem), now=NOW)
    assert len(problems) == 1 and problems[0].startswith("certs.os.crt:")


@pytest.mark.parametrize(
    "line, field",
    [("  token: ", "trustdinfo.token"), ("  id: ", "cluster.id"), ("  secret: ", "cluster.secret"),
     ("  bootstraptoken: ", "secrets.bootstraptoken")],
)
def test_missing_field_is_named(bundle_text, line, field):
    text = "".join(ln for ln in bundle_text.splitlines(keepends=True) if not ln.startswith(line))
    assert validate_bundle(text, now=NOW) == [f"{field}: missing"]


def test_missing_certificate_blocks_are_named(bundle_text, bundle):
    lines = bundle_text.splitlines(keepends=True)
    without_sa = "".join(ln for ln in lines if ln != "  k8sserviceaccount:\n"
                         and ln != f"    key: {bundle['certs']['k8sserviceaccount']['key']}\n")
    assert validate_bundle(without_sa, now=NOW) == ["certs.k8sserviceaccount.key: missing"]
    no_key = _replace(bundle_text, f"    key: {bundle['certs']['k8s']['key']}\n", "")
    assert validate_bundle(no_key, now=NOW) == ["certs.k8s.key: missing"]
    no_certs = bundle_text.split("certs:\n")[0]
    problems = validate_bundle(no_certs, now=NOW)
    assert problems == ["certs.etcd.crt: missing", "certs.k8s.crt: missing", "certs.k8saggregator.crt: missing",
                        "certs.os.crt: missing", "certs.k8sserviceaccount.key: missing"]


def test_bad_scalar_values_are_named(bundle_text, bundle):
    cases = {
        "secrets.bootstraptoken": (bundle["secrets"]["bootstraptoken"], "ABCDEF.0123456789abcdef"),
        "trustdinfo.token": (bundle["trustdinfo"]["token"], "abcdef0123456789abcdef"),
        "cluster.secret": (bundle["cluster"]["secret"], _b64(b"x" * 16)),
        "cluster.id": (bundle["cluster"]["id"], "not base64!"),
        "secrets.secretboxencryptionsecret": (bundle["secrets"]["secretboxencryptionsecret"], _b64(b"y" * 31)),
    }
    for field, (old, new) in cases.items():
        problems = validate_bundle(_replace(bundle_text, old, new), now=NOW)
        assert len(problems) == 1 and problems[0].startswith(f"{field}: "), (field, problems)


def test_cluster_id_in_standard_base64_is_accepted(bundle_text, bundle):
    """Talos 1.14 writes the id with the standard alphabet; the id is never decoded by Talos."""
    std = _b64(b"\xfb\xff" * 16)
    assert "+" in std or "/" in std
    assert validate_bundle(_replace(bundle_text, bundle["cluster"]["id"], std), now=NOW) == []


def test_exactly_one_encryption_secret(bundle_text, bundle):
    value = bundle["secrets"]["secretboxencryptionsecret"]
    aescbc = _replace(bundle_text, "secretboxencryptionsecret:", "aescbcencryptionsecret:")
    assert validate_bundle(aescbc, now=NOW) == []  # a bundle made for Talos <= 1.2
    both = _replace(bundle_text, f"  secretboxencryptionsecret: {value}\n",
                    f"  secretboxencryptionsecret: {value}\n  aescbcencryptionsecret: {value}\n")
    neither = _replace(bundle_text, f"  secretboxencryptionsecret: {value}\n", "")
    for text in (both, neither):
        assert validate_bundle(text, now=NOW) == [
            "secrets: exactly one of secretboxencryptionsecret / aescbcencryptionsecret is required"]


@pytest.mark.parametrize(
    "kwargs, expected",
    [({"ca": False}, "certs.etcd.crt: not a CA"),
     ({"days": 365}, "certs.etcd.crt: valid for 365 days"),
     ({"eku": False}, "certs.etcd.crt: missing extension"),
     ({"org": "kubernetes"}, "certs.etcd.crt: subject is 'O=kubernetes', Talos uses O=etcd"),
     ({"issuer_key": "other"}, "certs.etcd.crt: self-signature does not verify"),
     ({"start": NOW - dt.timedelta(days=3700)}, "certs.etcd.crt: expired on")],
)
def test_each_ca_property_is_checked(bundle_text, bundle, kwargs, expected):
    if kwargs.get("issuer_key") == "other":
        kwargs["issuer_key"] = ec.generate_private_key(ec.SECP256R1())
    crt, key = _ec_ca(**kwargs)
    problems = validate_bundle(_with_ca(bundle_text, bundle, "etcd", crt, key), now=NOW)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_wrong_algorithm_for_the_os_ca(bundle_text, bundle):
    crt, key = _ec_ca(org="talos")
    assert validate_bundle(_with_ca(bundle_text, bundle, "os", crt, key), now=NOW) == [
        "certs.os.crt: expected an Ed25519 key"]


def test_key_pem_labels(bundle_text, bundle):
    ed = base64.b64decode(bundle["certs"]["os"]["key"])
    pkcs8 = ed.replace(b"ED25519 PRIVATE KEY", b"PRIVATE KEY")  # plain PKCS#8 is accepted too
    assert validate_bundle(_replace(bundle_text, bundle["certs"]["os"]["key"], _b64(pkcs8)), now=NOW) == []
    odd = ed.replace(b"ED25519 PRIVATE KEY", b"OPENSSH PRIVATE KEY")
    problems = validate_bundle(_replace(bundle_text, bundle["certs"]["os"]["key"], _b64(odd)), now=NOW)
    assert len(problems) == 1 and problems[0].startswith("certs.os.key: not a usable private key (PEM label")


def test_service_account_key_kinds(bundle_text, bundle):
    old = bundle["certs"]["k8sserviceaccount"]["key"]
    ecdsa = _b64(ec.generate_private_key(ec.SECP256R1()).private_bytes(PEM, TRAD, NOENC))
    assert validate_bundle(_replace(bundle_text, old, ecdsa), now=NOW) == []  # bundles from before Talos 1.7
    small = _b64(rsa.generate_private_key(65537, 1024).private_bytes(PEM, TRAD, NOENC))
    assert validate_bundle(_replace(bundle_text, old, small), now=NOW) == [
        "certs.k8sserviceaccount.key: RSA key of 1024 bits is too small (Talos makes 4096)"]
    n = rsa.generate_private_key(65537, 2048).private_numbers()
    bent = rsa.RSAPrivateNumbers(n.p, n.q, n.d + 2, n.dmp1, n.dmq1, n.iqmp, n.public_numbers)
    damaged = _b64(bent.private_key(unsafe_skip_rsa_key_validation=True).private_bytes(PEM, TRAD, NOENC))
    assert validate_bundle(_replace(bundle_text, old, damaged), now=NOW) == [
        "certs.k8sserviceaccount.key: not a usable private key (RSA key numbers are inconsistent (the key is damaged))"]


def test_not_a_bundle_at_all():
    assert validate_bundle("cluster: [unclosed")[0].startswith("(bundle): the Talos secrets bundle is not valid YAML at line")
    assert validate_bundle("- a\n- b\n") == [
        "(bundle): the Talos secrets bundle must be a YAML mapping (cluster, secrets, trustdinfo, certs)"]
    with pytest.raises(BundleError):
        parse_bundle("")
    problems = validate_bundle("cluster: 3\nsecrets: []\ntrustdinfo: x\ncerts: {}\n")
    assert problems[:3] == ["cluster: must be a mapping", "secrets: must be a mapping", "trustdinfo: must be a mapping"]
    assert "cluster.id: missing" in problems and "certs.os.crt: missing" in problems


def test_problems_never_quote_secret_values(bundle_text, bundle):
    secret = bundle["cluster"]["secret"]
    broken = _replace(bundle_text, secret, secret[:-6] + "!!!!!=")
    problems = validate_bundle(broken, now=NOW)
    assert problems and not any(secret[:20] in p for p in problems)
