"""A typed answer to a card of any size is checked and drawn at once: the work is bounded by
what can be shown (typed.MAX_POINTS key points of the answer's first typed.MAX_ANSWER
characters, and a row for each only while the screen's text budget lasts), not by the answer's
size. Counted here, not timed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

from conftest import NOW
from recall1924 import typed
from recall1924.clock import FixedClock
from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.review import ReviewSession, Submit, scheduled_session
from recall1924.scheduling import Rating, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store
from recall1924.typed import MAX_ANSWER, MAX_POINTS, MAX_TYPED, compare, key_points, suggest
from recall1924.ui.bindings import View
from recall1924.ui.review import ReviewScreen

HUGE = "Word. " * 50_000
"""300 KB: 50,000 one-word key points."""

PROSE = " ".join(
    f"In {1900 + n % 100} the congress number {n} heard Bukharin, Rykov and Tomsky; "
    f"Kamenev spoke for {n % 7 + 2} hours about grain."
    for n in range(3_000)
)
"""About 300 KB of sentences, each cut into several key points."""


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """What compare does, counted: the length of each text cut into key points, and each key
    point weighed for matching."""
    done: dict[str, list[int]] = {"split": [], "weighed": []}
    split, weighted = typed.key_points, typed._weighted

    def counted_split(text: str) -> list[str]:
        done["split"].append(len(text))
        return split(text)

    def counted_weighed(point: str, given: set[str]) -> Any:
        done["weighed"].append(len(point))
        return weighted(point, given)

    monkeypatch.setattr(typed, "key_points", counted_split)
    monkeypatch.setattr(typed, "_weighted", counted_weighed)
    return done


@pytest.mark.parametrize("answer", [HUGE, PROSE], ids=["one-word points", "prose"])
def test_a_huge_answer_is_cut_and_checked_in_part(answer: str, work: dict[str, list[int]]) -> None:
    comparison = compare("word " * 5_000, answer)
    assert work["split"] == [MAX_ANSWER]  # only the start is cut into points
    assert len(work["weighed"]) == len(comparison.points) == MAX_POINTS
    assert comparison.cut
    # Of the points in the start, the last may be cut short with the text: it is dropped.
    in_start = len(key_points(answer[:MAX_ANSWER])) - 1
    assert comparison.unchecked == in_start - MAX_POINTS > 0
    assert comparison.points[0].point == key_points(answer[:200])[0]


def test_points_not_checked_count_as_missed() -> None:
    comparison = compare(HUGE[:MAX_TYPED], HUGE)  # every word of the start typed
    assert all(point.matched for point in comparison.points)
    assert suggest(comparison) is Rating.Again and not comparison.exact
    # Within MAX_ANSWER, but past MAX_POINTS: 100 of 150 recalled, the 50 unchecked missed.
    medium = "Word. " * (MAX_POINTS + 50)
    comparison = compare(medium, medium)
    assert (len(comparison.points), comparison.unchecked, comparison.cut) == (MAX_POINTS, 50, False)
    assert suggest(comparison) is Rating.Hard


def test_an_ordinary_answer_is_checked_whole() -> None:
    answer = "Bukharin, Rykov and Tomsky"
    comparison = compare("rykov", answer)
    assert (len(comparison.points), comparison.unchecked, comparison.cut) == (3, 0, False)


def _session(store: Store, settings: Settings, clock: FixedClock, answer: str) -> ReviewSession:
    deck = DeckSpec("h", "Huge", (SectionSpec("s", "S", (CardSpec("h", "Huge?", answer),)),), "t")
    import_deck(store, deck, now=NOW)
    scheduler = build_scheduler(settings)
    review = scheduled_session(store, lambda _deck: scheduler, settings, clock, typed=True)
    review.start()
    review.apply(Submit("word, word and word"))
    return review


def _rows(screen: ReviewScreen, review: ReviewSession, width: int, height: int) -> list[str]:
    term = Console(file=io.StringIO(), width=width, height=height, no_color=True)
    return ["".join(seg.text for seg in row).rstrip() for row in screen.compose(term, review)]


@pytest.mark.parametrize(("width", "height"), [(60, 20), (120, 40)])
def test_the_comparison_draws_rows_for_what_is_shown(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    width: int,
    height: int,
) -> None:
    review = _session(store, settings, clock, HUGE)
    comparison = review.comparison
    assert comparison is not None and comparison.cut
    added = 0
    add_row = Table.add_row

    def counted(table: Table, *cells: Any, **options: Any) -> None:
        nonlocal added
        added += 1
        add_row(table, *cells, **options)

    monkeypatch.setattr(Table, "add_row", counted)
    screen = ReviewScreen()
    shown = _rows(screen, review, width, height)
    # A row per key point compared, the note of what was not, and the side-by-side grid's;
    # never one per key point of the answer (50,000).
    assert added <= MAX_POINTS + 2
    assert len(shown) == height and "↓ more (PgDn)" in shown
    assert f"Answer · {MAX_POINTS} of the first {MAX_POINTS} key points" in " ".join(shown)
    added = 0
    screen.move(View.BOTTOM)
    shown = _rows(screen, review, width, height)
    assert added <= MAX_POINTS + 2
    end = " ".join(" ".join(row.strip("│ ").split()) for row in shown)
    more = f"and {comparison.unchecked} more key points and the rest of the answer, not checked"
    assert more in end
    assert "Suggested: Again" in end
