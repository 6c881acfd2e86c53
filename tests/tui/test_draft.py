"""The draft round-trips the answers model exactly (so the TUI writes what --answers writes)."""

from __future__ import annotations

import pytest

from screens.draft import Draft
from tests.helpers.seed import answers_path
from wizard.answers_io import load_answers


@pytest.mark.parametrize("cluster", ["infra", "apps"])
def test_sample_answers_round_trip(cluster):
    answers, _ = load_answers(answers_path(cluster))
    back, problems = Draft.from_answers(answers).to_answers()
    assert problems == []
    assert back == answers


def test_bond_off_drops_bond_but_keeps_text():
    answers, _ = load_answers(answers_path("apps"))
    draft = Draft.from_answers(answers).evolve(bond=False)
    back, _ = draft.to_answers()
    assert back.network.bond is None
    assert draft.get("network.bond.interfaces") == "enp1s0f0, enp1s0f1"  # still there when switched back on


def test_text_that_is_not_a_number_is_a_finding_not_a_crash():
    answers, _ = load_answers(answers_path("apps"))
    draft = Draft.from_answers(answers).with_values(**{"cluster.id": "two"})
    back, problems = draft.to_answers()
    assert back is None
    assert [p.field for p in problems] == ["cluster.id"]
    assert "whole number" in problems[0].message
