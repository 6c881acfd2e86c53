"""A crashing handler must not print local variables: ours hold answers and decrypted secrets."""

from __future__ import annotations

import pyrage
import pytest
from textual.app import App

from screens.app import WizardApp
from screens.crash import NoLocalsOnCrash
from screens.dashboard import DashboardApp


def crashing(base: type) -> type:
    class Crashy(base):
        def on_mount(self) -> None:
            identity = str(pyrage.x25519.Identity.generate())  # a local, as in the bootstrap code
            self.secret = identity
            raise RuntimeError("boom")

    return Crashy


async def report(app, capsys) -> str:
    """What the App prints to stderr when it exits after the crash."""
    capsys.readouterr()
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test():
            pass
    return capsys.readouterr().err


async def test_crash_report_shows_the_error_but_no_locals(capsys):
    app = crashing(type("Safe", (NoLocalsOnCrash, App), {}))()
    text = await report(app, capsys)
    assert "RuntimeError" in text and "boom" in text
    assert app.secret not in text and "AGE-SECRET-KEY-" not in text


async def test_textuals_default_report_would_show_them(capsys):
    """The control: without the mixin the identity is printed (this is what the mixin prevents)."""
    app = crashing(App)()
    text = await report(app, capsys)
    assert "AGE-SECRET-KEY-" in text


def test_both_apps_use_it():
    assert issubclass(WizardApp, NoLocalsOnCrash) and issubclass(DashboardApp, NoLocalsOnCrash)
    assert WizardApp._fatal_error is NoLocalsOnCrash._fatal_error
    assert DashboardApp._fatal_error is NoLocalsOnCrash._fatal_error
