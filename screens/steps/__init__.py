"""The wizard's step screens, one module each, in the order of ``screens.flow.STEPS``."""

from __future__ import annotations


def step_class(name: str):
    """The screen class for a step name (imported on demand: each screen loads only when shown)."""
    import importlib

    module = importlib.import_module(f"screens.steps.{name}")
    return getattr(module, f"{name.capitalize()}Step")
