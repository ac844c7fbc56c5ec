"""The end-of-session report as it is printed: how each section's mastery moved."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from rich.console import Console

from conftest import NOW
from recall1924.review.session import Summary
from recall1924.store import QueueCounts
from recall1924.ui.reports import print_summary


@pytest.mark.parametrize(
    ("moved", "shown"),
    [(0.031, "+3 pts"), (-0.012, "-1 pts"), (-0.003, "0 pts"), (0.004, "0 pts"), (0.0, "0 pts")],
)
def test_a_sections_mastery_moves_by_whole_points_and_never_by_minus_zero(
    moved: float, shown: str
) -> None:
    out = io.StringIO()
    summary = Summary(
        cards=2,
        answers=2,
        ratings={},
        elapsed=timedelta(seconds=13),
        remaining=QueueCounts(learning=0, review=0, new=0),
        sections={"Spanish": (1, 2)},
        mastery_moved={"Spanish": moved},
    )
    print_summary(Console(file=out, width=80), summary, None, NOW)
    [row] = [line for line in out.getvalue().splitlines() if line.strip().startswith("Spanish")]
    assert row.split() == ["Spanish", "2", "50%", *shown.split()]
