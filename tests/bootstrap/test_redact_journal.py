"""Redaction patterns and stream state; journal torn-line tolerance and resume bookkeeping."""

from __future__ import annotations

import base64
import os

import pyrage

from tests.helpers.pem import fake_block
from wizard.bootstrap import journal
from wizard.bootstrap.redact import MASK, Redactor, strip_ansi


def test_patterns_hide_identities_pem_tokens_and_key_data():
    ident = str(pyrage.x25519.Identity.generate())
    b64pem = base64.b64encode((fake_block("EC", "MHcCAQEE") + "\n").encode()).decode()
    r = Redactor()
    samples = {
        f"SOPS_AGE_KEY={ident}": ident,
        f"    key: {b64pem}": b64pem[:30],
        "client-key-data: QUJDREVGR0hJSktMTU5PUA==": "QUJDREVGR0hJSktMTU5PUA",
        "Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6": "eyJhbGciOiJSUzI1NiIsImtpZCI6",
        "OP_SERVICE_ACCOUNT_TOKEN=ops_" + "x" * 40: "ops_xxxx",
        "password: hunter2hunter2": "hunter2hunter2",
    }
    for line, secret in samples.items():
        out = r.line(line)
        assert secret not in out, out
        assert MASK in out


def test_benign_output_is_untouched():
    r = Redactor()
    for line in ("Upgrading release=cilium, chart=oci://ghcr.io/home-operations/charts-mirror/cilium, namespace=kube-system",
                 "secret/github-deploy-key serverside-applied", "waiting for etcd to be healthy: OK",
                 "NAME       \tREVISION                \tSUSPENDED\tREADY"):
        assert r.line(line) == line


def test_multiline_pem_is_hidden_including_markers_and_known_values_per_line():
    r = Redactor()
    key = fake_block("OPENSSH", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU", "AAAAC3NzaC1lZDI1NTE5AAAA")
    out = [r.line(x) for x in ["before", *key.splitlines(), "after"]]
    assert out[0] == "before" and out[-1] == "after"
    assert not any("b3Blbn" in x or "BEGIN" in x or "END" in x for x in out)
    r2 = Redactor()
    r2.add(key)
    assert "AAAAC3NzaC1lZDI1NTE5AAAA" not in r2.text("echo AAAAC3NzaC1lZDI1NTE5AAAA")
    assert "BEGIN OPENSSH" not in r2.text(key)


def test_strip_ansi_and_carriage_returns():
    assert strip_ansi("\x1b[1;32m✔\x1b[0m ready") == "✔ ready"
    assert strip_ansi("10%\r50%\r100% done") == "100% done"


def test_journal_survives_a_torn_last_line_and_tracks_latest_outcome(tmp_path):
    j = journal.Journal(tmp_path / "journal.jsonl", run_id="r1")
    j.write("phase-done", phase="preflight")
    j.write("phase-fail", phase="apply")
    j.write("phase-skip", phase="health", selected=False)
    j.close()
    assert oct(os.stat(tmp_path / "journal.jsonl").st_mode & 0o777) == "0o600"
    with open(tmp_path / "journal.jsonl", "a") as fh:
        fh.write('{"ts": 1, "ev": "phase-do')  # SIGKILL mid-write
    recs = journal.read(tmp_path / "journal.jsonl")
    assert len(recs) == 3
    assert journal.completed(recs) == {"preflight"}
    j2 = journal.Journal(tmp_path / "journal.jsonl", run_id="r2")
    j2.write("phase-done", phase="apply")
    j2.close()
    assert journal.completed(journal.read(tmp_path / "journal.jsonl")) == {"preflight", "apply"}
