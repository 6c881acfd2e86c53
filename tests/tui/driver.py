"""Keystroke helpers for Pilot tests: reach a field with Tab, clear it, type; read the screen as text."""

from __future__ import annotations

from textual.widgets import Input, Select


def screen_text(app) -> str:
    """Everything painted on the current screen, as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


#: True: reach fields with Tab like an operator (the end-to-end test); False: focus them directly
#: (Pilot needs ~0.1 s per key on this machine, so the many small tests skip the Tab walks).
KEYS = {"tab": False}


async def tab_to(pilot, widget_id: str, limit: int = 60) -> None:
    """Press Tab until the widget with ``widget_id`` has focus (as an operator would)."""
    if not KEYS["tab"]:
        pilot.app.screen.query_one(f"#{widget_id}").focus()
        await pilot.pause()
        return
    for _ in range(limit):
        focused = pilot.app.focused
        if focused is not None and focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached #{widget_id} (focus is on {pilot.app.focused!r})")


async def type_into(pilot, widget_id: str, text: str, *, keys: bool = True) -> None:
    """Reach the field, clear it (Home, Ctrl-K) and type ``text`` key by key (``keys=False``: paste it)."""
    await tab_to(pilot, widget_id)
    field = pilot.app.focused
    assert isinstance(field, Input)
    await pilot.press("home", "ctrl+k")
    if keys:
        await pilot.press(*text)
    else:  # a bracketed paste from the terminal, the way an operator pastes a URL
        from textual import events

        field.post_message(events.Paste(text))
        await pilot.pause()


async def choose(pilot, widget_id: str, value: str) -> None:
    """Open the Select with Enter, move to ``value`` with the arrow keys, confirm with Enter."""
    await tab_to(pilot, widget_id)
    select = pilot.app.focused
    assert isinstance(select, Select)
    options = [v for _, v in select._options if v is not Select.NULL]
    await pilot.press("enter")
    await pilot.pause()
    current = select.value if select.value in options else options[0]
    steps = options.index(value) - options.index(current)
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await pilot.pause()
    assert select.value == value, (select.value, value)


async def next_step(pilot, expect: str | None = None) -> None:
    """Ctrl-N, then wait for the ``expect`` screen (screen switches are deferred by Textual)."""
    before = pilot.app.screen
    await pilot.press("ctrl+n")
    if expect is None:
        await pilot.pause()
        return
    await wait_until(pilot, lambda: pilot.app.screen is not before and type(pilot.app.screen).__name__ == expect
                     and pilot.app.screen.is_mounted, timeout=10, what=expect)
    await pilot.pause()


async def wait_until(pilot, predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Let the app run (workers included) until ``predicate()`` holds."""
    import time

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}: {screen_text(pilot.app)}")
        await pilot.pause(0.02)


def review_ready(app) -> bool:
    screen = app.screen
    if type(screen).__name__ != "ReviewStep":
        return False
    found = screen.query("#review-summary")
    if not found:
        return False
    summary = str(found.first().render())
    return screen.prepared is not None or "Cannot write" in summary or "block writing" in summary
