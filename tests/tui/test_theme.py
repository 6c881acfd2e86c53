"""NO_COLOR and themes: the wizard uses semantic colours only, so NO_COLOR renders it in greys and a
light theme changes its background (``TEXTUAL_THEME=textual-light``, or Ctrl-P → Change theme)."""

from __future__ import annotations

import re

from tests.tui.test_wizard import SIZE, apps_app

HEX = re.compile(r'fill="#([0-9a-f]{6})"')
#: Rich's SVG frame draws three window buttons (red, amber, green) around every screenshot.
FRAME = {"ff5f57", "febc2e", "28c840"}


def colours(svg: str) -> set[tuple[int, int, int]]:
    return {(int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)) for h in HEX.findall(svg) if h not in FRAME}


def chromatic(rgb: tuple[int, int, int]) -> bool:
    return max(rgb) - min(rgb) > 8


async def screenshot(repo, step: str, theme: str | None = None) -> tuple[str, object]:
    app = apps_app(repo, step)
    async with app.run_test(size=SIZE) as pilot:
        if theme:
            app.theme = theme
        await pilot.pause()
        return app.export_screenshot(), app


async def test_no_color_renders_only_greys(answers_repo, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured, app = await screenshot(answers_repo, "bonding")
    assert not app.no_color and any(chromatic(c) for c in colours(coloured))
    monkeypatch.setenv("NO_COLOR", "1")
    grey, app = await screenshot(answers_repo, "bonding")
    assert app.no_color
    assert colours(grey) and not any(chromatic(c) for c in colours(grey)), sorted(colours(grey))


async def test_light_theme_changes_the_background(answers_repo, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    dark, _ = await screenshot(answers_repo, "network")
    light, app = await screenshot(answers_repo, "network", theme="textual-light")
    assert app.theme == "textual-light"

    def brightness(svg: str) -> float:
        cs = colours(svg)
        return sum(sum(c) for c in cs) / (3 * len(cs))

    assert brightness(light) > brightness(dark) + 40
