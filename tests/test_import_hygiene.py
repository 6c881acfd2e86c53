"""The pure core never imports textual or questionary (design card rule)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import wizard

FORBIDDEN = ("textual", "questionary", "prompt_toolkit", "screens")


def _core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(wizard.__path__, "wizard.") if not m.name.endswith("__main__"))


def test_core_modules_do_not_import_ui():
    mods = _core_modules()
    assert "wizard.spec" in mods
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n"
        "    importlib.import_module(m)\n"
        f"bad = sorted(k for k in sys.modules if k.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(wizard.__file__).parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"wizard/ imports UI modules: {out.stdout.strip()}"


UI_LIBS = ("textual", "questionary", "prompt_toolkit")


def test_no_ui_import_in_source():
    """textual/questionary never appear in wizard/; ``screens`` only as a lazy import inside a
    function of a ``cli_*`` entry module (the TUI branch of the command line)."""
    root = Path(wizard.__file__).parent
    offenders = []
    for py in root.rglob("*.py"):
        for line in py.read_text().splitlines():
            s = line.strip()
            if not s.startswith(("import ", "from ")):
                continue
            top = s.split()[1].split(".")[0]
            lazy_cli = line[:1].isspace() and py.name.startswith("cli")
            if top in UI_LIBS or (top == "screens" and not lazy_cli):
                offenders.append(f"{py.relative_to(root)}: {s}")
    assert offenders == []
