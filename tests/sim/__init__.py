"""Tests of the simulated cluster tools (wizard.sim)."""

from __future__ import annotations
