"""The whole wizard driven by keystrokes (and the plain prompts) writes the tree the headless
``new-cluster --answers apps.answers.yaml --yes`` writes: plaintext files byte for byte, encrypted
files with the same structure once decrypted (their secrets are random per run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screens.launch import build_app
from screens.prompts import run_plain
from tests.helpers.seed import answers_path
from tests.tui import driver
from tests.tui.conftest import headless, tree, wizard_args
from tests.tui.driver import choose, next_step, review_ready, screen_text, tab_to, type_into, wait_until
from tests.tui.test_prompts import APPS, FakeAsk


def shape(node):
    """Keys and value types of a decrypted document (values themselves are random secrets)."""
    if isinstance(node, dict):
        return {k: shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [shape(v) for v in node]
    return type(node).__name__


def assert_same_tree(mine: Path, theirs: Path, identity: str) -> None:
    from wizard.sops import decrypt_documents, is_encrypted

    a, b = tree(mine), tree(theirs)
    assert sorted(a) == sorted(b)
    assert "clusters/apps/cluster-answers.yaml" in a
    for path in a:
        if is_encrypted(a[path]):
            assert is_encrypted(b[path]), path
            assert shape(decrypt_documents(a[path], [identity])) == shape(decrypt_documents(b[path], [identity])), path
        else:
            assert a[path] == b[path], f"{path} differs from the headless run"


@pytest.fixture
def twin(infra_repo, tmp_path) -> Path:
    """A copy of the repo where the headless path writes apps, to compare with."""
    other = tmp_path / "twin" / "k8s-ops"
    shutil.copytree(infra_repo, other, symlinks=True)
    assert headless(other, answers_path("apps")) == 0
    return other


async def test_keystrokes_write_what_headless_writes(infra_repo, twin, age_key, monkeypatch):

    monkeypatch.setitem(driver.KEYS, "tab", True)  # every field is reached with Tab, as an operator does
    app = build_app(wizard_args(infra_repo), defer_scan=True)  # as `k8s-wizard new-cluster` starts it
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RepoStep", what="the repo scan")
        await tab_to(pilot, "start")
        await pilot.press("down", "space")                     # like infra
        await next_step(pilot, "IdentityStep")
        await type_into(pilot, "f-cluster-name", "apps")
        await choose(pilot, "f-cluster-observability-role", "spoke")
        await type_into(pilot, "f-cluster-observability-target", "http://vmsingle.observability.svc.infra.local:8429",
                        keys=False)  # pasted
        await pilot.press("enter")                             # Enter = Next
        await wait_until(pilot, lambda: type(app.screen).__name__ == "NetworkStep", what="Enter = Next")
        await type_into(pilot, "f-network-nodeCidr", "10.25.13.0/24")   # gateway, VIP, DNS follow (.1/.10)
        await type_into(pilot, "f-network-bgp-localAsn", "64513")
        await type_into(pilot, "f-network-bgp-peerAddress", "10.25.13.1")
        await type_into(pilot, "f-network-bgp-peerAsn", "64501")
        await next_step(pilot, "NodesStep")
        await pilot.press("ctrl+f")                            # fill 3+3
        await next_step(pilot, "BondingStep")
        await next_step(pilot, "VersionsStep")
        await next_step(pilot, "SecretsStep")
        await next_step(pilot, "ReviewStep")
        await wait_until(pilot, lambda: review_ready(app), what="the plan")
        text = screen_text(app)
        assert "block writing" not in text and "Cannot write" not in text, text
        assert "ENC[" in "".join(f.diff for f in app.screen.prepared.plan.files if f.file.secret)
        await pilot.press("ctrl+n")                            # Write
        await wait_until(pilot, lambda: type(app.screen).__name__ == "DoneStep", what="the Done screen")
        done = screen_text(app)
        assert "k8s-wizard bootstrap apps" in done
        assert "clusters/apps/cluster-answers.yaml" in done
        await pilot.click("#bootstrap-now")  # hands over to `k8s-wizard bootstrap apps` after the app exits
        await pilot.pause()
    assert app.then == "bootstrap"
    assert app.return_code == 0
    assert_same_tree(infra_repo, twin, age_key[0])


def test_prompts_write_what_headless_writes(infra_repo, twin, age_key):
    ask = FakeAsk({**APPS, "Write the cluster?": ["write"]})
    assert run_plain(wizard_args(infra_repo, plain=True), ask=ask) == 0
    assert_same_tree(infra_repo, twin, age_key[0])
    # replaying the written answers file through the prompts (all defaults) changes nothing:
    # secrets are reused and their ciphertext stays the same
    before = tree(infra_repo)
    assert run_plain(wizard_args(infra_repo, plain=True, answers=infra_repo / "clusters/apps/cluster-answers.yaml"),
                     ask=FakeAsk({"Write the cluster?": ["write"], "Fill 3 control planes": [False],
                                  "Re-enter the nodes": [False]})) == 0
    assert tree(infra_repo) == before
