"""The RSA-4096 service-account key generated ahead (``prefetch_service_account_key``): used once by
the next bundle, a failed prefetch falls back to inline generation, and ``new-cluster --answers``
starts it only when the cluster has no talsecret yet."""

from __future__ import annotations

import base64
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wizard import talos_secrets


def small_key_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())


@pytest.fixture
def keygen(monkeypatch):
    """Counts key generations and records the thread each ran on; 2048-bit keys made at test time."""
    monkeypatch.setattr(talos_secrets, "_prefetched", None)
    calls: list[tuple[str, bytes]] = []

    def fake() -> bytes:
        pem = small_key_pem()
        calls.append((threading.current_thread().name, pem))
        return pem

    monkeypatch.setattr(talos_secrets, "_new_service_account_key", fake)
    return calls


def sa_key(bundle: str) -> bytes:
    return base64.b64decode(talos_secrets.parse_bundle(bundle)["certs"]["k8sserviceaccount"]["key"])


def test_prefetched_key_is_used_by_the_next_bundle_only(keygen):
    talos_secrets.prefetch_service_account_key()
    talos_secrets.prefetch_service_account_key()  # already pending: no second keygen
    first = talos_secrets.generate_bundle()
    assert len(keygen) == 1 and keygen[0][0] == "k8s-wizard-rsa-keygen"
    assert sa_key(first) == keygen[0][1]
    second = talos_secrets.generate_bundle()  # nothing prefetched: generated inline
    assert len(keygen) == 2 and keygen[1][0] == threading.current_thread().name
    assert sa_key(second) == keygen[1][1] != keygen[0][1]


def test_failed_prefetch_falls_back_to_inline_generation(keygen, monkeypatch):
    real = talos_secrets._new_service_account_key
    state = {"n": 0}

    def flaky() -> bytes:
        state["n"] += 1
        if state["n"] == 1:
            raise OSError("entropy source unavailable")
        return real()

    monkeypatch.setattr(talos_secrets, "_new_service_account_key", flaky)
    talos_secrets.prefetch_service_account_key()
    bundle = talos_secrets.generate_bundle()
    assert state["n"] == 2 and sa_key(bundle) == keygen[-1][1]


@pytest.mark.parametrize("has_talsecret", [False, True])
def test_new_cluster_prefetches_only_for_a_new_bundle(tmp_path, monkeypatch, has_talsecret):
    from wizard import cli_new
    from wizard.sample import answers_path

    repo = tmp_path / "repo"
    if has_talsecret:
        (repo / "clusters/apps/talos").mkdir(parents=True)
        (repo / "clusters/apps/talos/talsecret.sops.yaml").write_text("x: 1\n")
    started = []
    monkeypatch.setattr(talos_secrets, "prefetch_service_account_key", lambda: started.append(1))
    cli_new._prefetch_keygen(str(answers_path("apps")), repo)
    assert started == ([] if has_talsecret else [1])
    cli_new._prefetch_keygen(str(tmp_path / "missing.yaml"), repo)  # unreadable: load() reports it later
    assert len(started) == (0 if has_talsecret else 1)
