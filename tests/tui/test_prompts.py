"""The --plain prompts: same defaults and validators as the TUI, answers injected through the Ask seam."""

from __future__ import annotations

from screens.prompts import QuestionaryAsk, run_plain
from tests.tui.conftest import tree, wizard_args


class FakeAsk:
    """Answers by prompt prefix; each typed answer goes through the prompt's validator like questionary
    does (a rejected answer is recorded and the next one is tried). Unlisted prompts take the default."""

    def __init__(self, answers: dict[str, list], interrupt_at: str | None = None) -> None:
        self.answers = {k: list(v) for k, v in answers.items()}
        self.rejected: list[tuple[str, str, str]] = []
        self.asked: list[str] = []
        self.defaults: dict[str, object] = {}
        self.interrupt_at = interrupt_at

    def _next(self, message: str):
        self.asked.append(message)
        if self.interrupt_at and message.startswith(self.interrupt_at):
            raise KeyboardInterrupt
        for prefix, queue in self.answers.items():
            if message.startswith(prefix) and queue:
                return queue.pop(0)
        return None

    def text(self, message, default, validate):
        self.defaults[message.split(" (")[0]] = default
        while True:
            value = self._next(message)
            value = default if value is None else value
            verdict = validate(value)
            if verdict is True:
                return value
            self.rejected.append((message, value, verdict))
            assert self.answers, f"{message}: {value!r} rejected ({verdict}) and no answer left"

    def select(self, message, choices, default):
        value = self._next(message)
        value = default if value is None else value
        assert value in choices, (message, value, choices)
        return value

    def confirm(self, message, default):
        value = self._next(message)
        return default if value is None else value


APPS = {
    "Start the new cluster": ["like infra"],
    "Cluster name": ["Apps", "apps"],            # upper case is rejected by check_cluster_name first
    "Observability target": ["vmsingle", "http://vmsingle.observability.svc.infra.local:8429"],
    "Node CIDR": ["10.25.13.5/24", "10.25.13.0/24"],
    "BGP local ASN": ["64513"],
    "BGP peer address": ["10.25.13.1"],
    "BGP peer ASN": ["64501"],
}


def test_prompts_reject_invalid_answers_with_the_core_messages(answers_repo):
    from wizard.validation import check_cidr, check_cluster_name

    ask = FakeAsk(APPS, interrupt_at="1Password vault")
    before = tree(answers_repo)
    rc = run_plain(wizard_args(answers_repo, plain=True), ask=ask)
    rejected = {m.split(" (")[0]: (v, why) for m, v, why in ask.rejected}
    assert rejected["Cluster name"] == ("Apps", check_cluster_name("Apps"))
    assert rejected["Node CIDR"] == ("10.25.13.5/24", check_cidr("10.25.13.5/24"))
    assert "Observability target" in rejected
    assert rc == 130
    assert tree(answers_repo) == before


def test_prompts_like_infra_defaults(answers_repo):
    ask = FakeAsk(APPS, interrupt_at="Fill 3 control planes")
    assert run_plain(wizard_args(answers_repo, plain=True), ask=ask) == 130
    # the same suggestions as the TUI: next free id and CIDR pair, gateway/VIP from the node CIDR,
    # spoke on release because infra is the hub, git URL copied from infra
    d = ask.defaults
    assert (d["Cluster id"], d["Git branch"], d["Git URL"]) == ("2", "release", "ssh://git@github.com/monosense-io/k8s-ops.git")
    assert (d["Pod CIDR"], d["Service CIDR"]) == ("10.44.0.0/16", "10.45.0.0/16")
    assert (d["Gateway"], d["API VIP"], d["Nameservers"]) == ("10.25.13.1", "10.25.13.10", "10.25.13.1")


def test_prompts_print_the_core_version_advice_once_and_go_on(answers_repo, capsys):
    from wizard.validation import kubernetes_talos_warning

    ask = FakeAsk({**APPS, "Kubernetes": ["v1.36.0"]}, interrupt_at="1Password vault")
    assert run_plain(wizard_args(answers_repo, plain=True), ask=ask) == 130
    advice = kubernetes_talos_warning("v1.36.0", "v1.12.0")
    assert advice and "1.30-1.35" in advice
    err = capsys.readouterr().err
    assert err.count(advice) == 1, err
    assert f"warning: versions.kubernetes: {advice}" in err
    assert any(m.startswith("1Password vault") for m in ask.asked)  # advice does not stop the flow


def test_ctrl_c_once_says_no_changes(answers_repo, capsys):
    ask = FakeAsk({}, interrupt_at="Start the new cluster")
    before = tree(answers_repo)
    assert run_plain(wizard_args(answers_repo, plain=True), ask=ask) == 130
    assert "no changes were made" in capsys.readouterr().err
    assert tree(answers_repo) == before


def test_bad_repo_is_one_clear_error(tmp_path, capsys):
    assert run_plain(wizard_args(tmp_path / "missing", plain=True), ask=FakeAsk({})) == 2
    assert "not a folder" in capsys.readouterr().err


def test_questionary_ask_uses_the_same_validator(monkeypatch):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    import questionary

    from screens.fields import IDENTITY
    from screens.prompts import _validator

    with create_pipe_input() as inp:
        inp.send_text("Bad Name\r")
        inp.send_text("\x7f" * 8 + "apps\r")
        real = questionary.text

        def text(message, **kw):
            return real(message, input=inp, output=DummyOutput(), **kw)

        monkeypatch.setattr(questionary, "text", text)
        assert QuestionaryAsk().text("Cluster name", "", _validator(IDENTITY[0])) == "apps"


def test_wizard_launch_reports_a_bad_answers_file(answers_repo, tmp_path, capsys, monkeypatch):
    """The TUI paints, loads the file after the first frame, closes, and the fix is printed (exit 2)."""
    from textual.app import App

    from screens.app import WizardApp
    from screens.launch import run_wizard

    monkeypatch.setattr(WizardApp, "run", lambda self: App.run(self, headless=True, size=(100, 32)))
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: k8s-wizard/v1\nkind: ClusterAnswers\ncluster: {name: apps}\n")
    before = tree(answers_repo)
    assert run_wizard(wizard_args(answers_repo, answers=bad)) == 2
    err = capsys.readouterr().err
    assert "cluster.id" in err and "required" in err and "Traceback" not in err
    assert tree(answers_repo) == before
