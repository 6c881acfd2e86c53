"""The launch path of ``k8s-wizard new-cluster``: the Repository step paints in its scanning state
before the repo is scanned (pydantic, ruamel, git), then shows the scan; failures end the app with
the message ``run_wizard`` prints, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import threading
from functools import partial

from screens.app import WizardApp
from screens.flow import FlowError, locate_repo, open_session
from screens.launch import build_app, run_wizard
from tests.tui.conftest import tree, wizard_args
from tests.tui.driver import screen_text, wait_until

SIZE = (100, 32)


def gated_app(repo, loader=None) -> tuple[WizardApp, threading.Event]:
    """A deferred-scan app whose scan waits for ``gate`` (so the test sees the scanning state)."""
    gate = threading.Event()
    args = wizard_args(repo)
    scan = loader or partial(open_session, args, repo)

    def slow():
        assert gate.wait(30), "the test never opened the gate"
        return scan()

    return WizardApp(None, None, root=repo, loader=slow), gate


async def test_first_frame_is_the_repository_step_scanning_then_the_scan(answers_repo):
    app, gate = gated_app(answers_repo)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "Scanning clusters/" in screen_text(app), what="the first frame")
        assert type(app.screen).__name__ == "ScanningStep"
        text = screen_text(app)
        assert "step 1/9: Repository" in text and "Scanning clusters/" in text
        assert str(answers_repo) in text
        assert app.screen.query_one("#next").disabled
        await pilot.press("ctrl+n")  # refused while scanning, nothing breaks
        await pilot.pause()
        assert type(app.screen).__name__ == "ScanningStep"
        gate.set()
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RepoStep" and "infra" in screen_text(app),
                         what="the scanned clusters")
        assert "Scanning" not in screen_text(app)
        assert app.session is not None and app.session.inventory.cluster("infra") is not None
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "IdentityStep", what="Next after the scan")


async def test_scanning_frame_names_the_answers_file(answers_repo):
    from tests.helpers.seed import answers_path

    app = build_app(wizard_args(answers_repo, answers=answers_path("apps")), defer_scan=True)
    real, gate = app.loader, threading.Event()

    def slow():
        assert gate.wait(30)
        return real()

    app.loader = slow
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "Loading the answers from" in screen_text(app), what="the first frame")
        assert "apps.answers.yaml" in screen_text(app)
        gate.set()
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RepoStep", what="the answers")
        assert app.draft.name == "apps" and len(app.draft.nodes) == 6


async def test_quit_while_scanning_writes_nothing(answers_repo):
    before = tree(answers_repo)
    app, gate = gated_app(answers_repo)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ScanningStep", what="the first frame")
        await pilot.press("ctrl+q")
        await pilot.pause()
        gate.set()
    assert app.return_code == 130
    assert app.session is None
    assert tree(answers_repo) == before


async def test_like_unknown_cluster_ends_with_the_fix(answers_repo):
    app = build_app(wizard_args(answers_repo, like="nosuch"), defer_scan=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.failure is not None, what="the scan failure")
        await pilot.pause()
    assert isinstance(app.failure, FlowError)
    assert "--like nosuch" in str(app.failure)
    assert app.return_code == app.failure.exit_code == 2


async def test_unexpected_scan_error_is_a_message_not_a_traceback(answers_repo):
    def broken():
        raise PermissionError(13, "Permission denied", str(answers_repo / "clusters"))

    app, gate = gated_app(answers_repo, loader=broken)
    gate.set()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.failure is not None, what="the scan failure")
        await pilot.pause()
    assert app.return_code == 1
    assert "cannot scan" in str(app.failure) and "Permission denied" in str(app.failure)


def test_not_a_git_repo_is_refused_before_the_app_starts(tmp_path, capsys):
    folder = tmp_path / "plain"
    folder.mkdir()
    args = wizard_args(None)
    args.repo = None
    import os

    cwd = os.getcwd()
    os.chdir(folder)
    try:
        try:
            locate_repo(args)
        except FlowError as exc:
            assert "not inside a git repo" in str(exc)
        else:
            raise AssertionError("a folder outside git was accepted")
        assert run_wizard(args) == 2
    finally:
        os.chdir(cwd)
    assert "not inside a git repo" in capsys.readouterr().err


def test_first_paint_path_imports_no_heavy_module(answers_repo):
    """What the first frame needs (the App, the Repository step, the repo root) loads none of
    pydantic, ruamel.yaml, jinja2, questionary or kubernetes: they come with the scan, after it."""
    code = f"""
import sys, argparse
from screens.launch import build_app
args = argparse.Namespace(answers=None, yes=False, repo={str(answers_repo)!r}, like=None, dry_run=False,
                          force=False, plain=False)
app = build_app(args, defer_scan=True)
from screens.steps.repo import ScanningStep
print(",".join(m for m in ("pydantic", "ruamel.yaml", "jinja2", "questionary", "kubernetes", "cryptography",
                           "pyrage") if m in sys.modules) or "none")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "none"
