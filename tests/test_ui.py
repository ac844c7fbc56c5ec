"""Rendering: exact text of the overview, stats and review screen at 80 columns."""

from __future__ import annotations

import io
from datetime import timedelta

from fsrs import Scheduler
from rich.console import Console

from conftest import NOW
from recall1924.clock import FixedClock
from recall1924.review import Action, ReviewSession
from recall1924.scheduling import build_scheduler, decay_of
from recall1924.settings import Settings
from recall1924.stats import build_report
from recall1924.store import QueueCounts, Store
from recall1924.ui.reports import print_overview, print_stats
from recall1924.ui.review import render_card
from recall1924.ui.text import safe, visible


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=80, no_color=True, highlight=False), out


def lines(out: io.StringIO) -> list[str]:
    return [line.rstrip() for line in out.getvalue().splitlines() if line.strip()]


def test_overview(demo_store: Store) -> None:
    report = build_report(demo_store, now=NOW, day_start=NOW, decay=decay_of(Scheduler()))
    term, out = console()
    print_overview(term, report, QueueCounts(0, 0, 5), None, NOW)
    assert lines(out) == [
        "Deck demo",
        " Section       Due now   New   Mastery",
        " ────────────────────────────────────────",
        " Section one         0     3   ░░░░░   0%",
        " Section two         0     2   ░░░░░   0%",
        "To do today: 0 reviews, 0 learning, 5 new. Next: recall review",
    ]
    term, out = console()
    print_overview(term, report, QueueCounts(0, 0, 0), NOW + timedelta(hours=3), NOW)
    assert " ".join(lines(out)[-2:]) == (
        "Nothing to review now. Next card due in 3h (Fri 27 Nov 12:00). "
        "See progress with recall stats"
    )


def test_stats_table(demo_store: Store) -> None:
    report = build_report(demo_store, now=NOW, day_start=NOW, decay=decay_of(Scheduler()))
    term, out = console()
    print_stats(term, report)
    shown = lines(out)
    assert shown[0] == "Deck demo"
    assert shown[3] == " Section one       3     3       0        0     0   ░░░░░   0%           –"
    assert shown[5].startswith("Total: 5 cards · 5 new · 0 learning · 0 review · 0 due now")


def test_review_screen_shows_intervals_and_escapes_text(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    session = ReviewSession(demo_store, build_scheduler(settings), settings, clock)
    session.start()
    session.apply(Action.REVEAL)
    term, out = console()
    term.print(render_card(session))
    shown = lines(out)
    assert shown[0].startswith("Deck demo ")
    assert shown[1].startswith("╭─ Question · Section one ─")
    assert shown[0].endswith("done 0 · left 5 (5 new, 0 due)")
    assert "Question a?" in out.getvalue() and "Answer a" in out.getvalue()
    assert shown[-1] == " 1  Again 1m    2  Hard 6m    3  Good 10m    4  Easy 8d   u undo · q quit"
    assert timedelta(days=8) <= session.intervals[max(session.intervals)] < timedelta(days=9)


def test_deck_text_is_literal() -> None:
    assert visible("a\x1b[31mb\x07\tc\nd\x9b") == "a\\x1b[31mb\\x07\tc\nd\\x9b"
    assert visible("abc\u202edcba") == "abc\\u202edcba"
    term, out = console()
    term.print(safe("[bold]not bold[/bold] [link=x]y[/link]"))
    assert out.getvalue() == "[bold]not bold[/bold] [link=x]y[/link]\n"
