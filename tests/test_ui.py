"""Rendering: exact text of the overview, stats and review screen at 80 columns."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

from fsrs import Scheduler
from rich.console import Console
from rich.panel import Panel

from conftest import NOW
from recall1924.clock import FixedClock
from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec, read_deck_file
from recall1924.importing import import_deck
from recall1924.paths import bundled_deck_path
from recall1924.review import Action, ReviewSession, scheduled_session
from recall1924.scheduling import build_scheduler, decay_of
from recall1924.settings import Settings
from recall1924.stats import build_report
from recall1924.store import QueueCounts, Store
from recall1924.ui.bindings import KEYS, View, key_lines
from recall1924.ui.reports import print_overview
from recall1924.ui.review import ReviewScreen, TerminalReviewUI
from recall1924.ui.text import safe, visible


def review_session(store: Store, settings: Settings, clock: FixedClock) -> ReviewSession:
    scheduler = build_scheduler(settings)
    return scheduled_session(store, lambda _deck: scheduler, settings, clock)


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


def small(width: int = 60, height: int = 20) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, height=height, no_color=True, highlight=False), out


def rows(term: Console, screen: ReviewScreen, session: ReviewSession) -> list[str]:
    return ["".join(seg.text for seg in row).rstrip() for row in screen.compose(term, session)]


def one_card_session(
    store: Store, settings: Settings, clock: FixedClock, card: CardSpec
) -> ReviewSession:
    deck = DeckSpec(
        "one",
        "Why did Stalin gain power from 1924?",
        (SectionSpec("s", "Lenin's legacy", (card,)),),
        "test",
    )
    import_deck(store, deck, now=NOW)
    session = review_session(store, settings, clock)
    session.start()
    return session


def longest_bundled_card() -> CardSpec:
    cards = [
        card for section in read_deck_file(bundled_deck_path()).sections for card in section.cards
    ]
    return max(cards, key=lambda card: len(card.answer) + len(card.note or ""))


def test_review_screen_shows_intervals_and_escapes_text(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    session = review_session(demo_store, settings, clock)
    session.start()
    session.apply(Action.REVEAL)
    term, _ = small(80, 30)
    shown = [line for line in rows(term, ReviewScreen(), session) if line]
    assert shown[0].startswith("Deck demo ")
    assert shown[1].startswith("╭─ Question · Section one ─")
    assert shown[0].endswith("done 0 · left 5 (5 new, 0 due)")
    assert any("Question a?" in line for line in shown)
    assert any("Answer a" in line for line in shown)
    assert shown[-1] == (
        " 1  Again 1m   2  Hard 6m   3  Good 10m   4  Easy 8d  u undo · q quit · ? help"
    )
    assert timedelta(days=8) <= session.intervals[max(session.intervals)] < timedelta(days=9)


def test_a_long_card_scrolls_between_a_fixed_header_and_key_line(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    card = longest_bundled_card()
    assert card.key == "trotsky-funeral-absence"
    session = one_card_session(store, settings, clock, card)
    session.apply(Action.REVEAL)
    term, _ = small()
    screen = ReviewScreen()
    shown = rows(term, screen, session)
    assert len(shown) == 20 and shown[-1] == ""  # the last row is the cursor's
    assert all(len(line) <= 60 for line in shown)
    assert "done 0" in shown[0]
    assert shown[-3].startswith(" 1  Again 1m") and shown[-3].endswith("4  Easy 8d")
    assert shown[-2] == "u undo · q quit · ? help"
    assert shown[-4] == "↓ more (PgDn)"
    assert "Lenin." not in "".join(shown)  # the note's end is below
    assert screen.move(View.PAGE_DOWN)
    scrolled = rows(term, screen, session)
    assert "done 0" in scrolled[0] and scrolled[-2:] == shown[-2:]
    assert scrolled[-4] == "↑ more (PgUp)"
    assert "truth, his absence looked like disrespect to Lenin." in scrolled
    assert not screen.move(View.PAGE_DOWN) and not screen.move(View.LINE_DOWN)
    assert screen.move(View.LINE_UP) and screen.move(View.TOP) and screen.scroll == 0
    assert screen.move(View.BOTTOM) and rows(term, screen, session) == scrolled


def test_the_screen_fits_a_resized_terminal(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    session = one_card_session(store, settings, clock, longest_bundled_card())
    session.apply(Action.REVEAL)
    screen = ReviewScreen()
    for width, height in [(60, 20), (100, 40), (60, 12), (120, 20)]:
        term, _ = small(width, height)
        shown = rows(term, screen, session)
        assert len(shown) == height and all(len(line) <= width for line in shown)
        assert "done 0" in shown[0] and [line for line in shown if line][-1].endswith("? help")
        borders = [line for line in shown if line.startswith("│")]
        assert borders and all(len(line) == width and line.endswith("│") for line in borders)


def test_key_line_never_breaks_an_item(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    session = review_session(demo_store, settings, clock)
    session.start()
    assert [line.plain for line in key_lines(session, 60)] == [
        "Space show answer · u undo · q quit · ? help"
    ]
    session.apply(Action.REVEAL)
    for width in (40, 50, 60, 79):
        lines = [line.plain for line in key_lines(session, width)]
        assert all(len(line) <= width for line in lines)
        items = " ".join(lines).split()
        for item in ("Again", "1m", "Easy", "8d", "undo", "quit", "help"):
            assert item in items
        assert any(line.startswith(" 1  Again 1m") for line in lines)


def test_a_huge_answer_draws_at_once(store: Store, settings: Settings, clock: FixedClock) -> None:
    answer = "Hidden words follow. " * 2_500_000  # 50 MB
    session = one_card_session(store, settings, clock, CardSpec("huge", "Huge?", answer))
    session.apply(Action.REVEAL)
    term, _ = small()
    screen = ReviewScreen()
    started = time.monotonic()
    shown = rows(term, screen, session)
    screen.move(View.BOTTOM)
    bottom = rows(term, screen, session)
    assert time.monotonic() - started < 2
    assert "Hidden words follow." in "".join(shown) and shown[-4] == "↓ more (PgDn)"
    assert bottom[-4].startswith("↓ the rest is too long to show")


def test_the_help_lists_every_key() -> None:
    term, _ = small()
    shown = ["".join(seg.text for seg in row) for row in ReviewScreen().help(term)]
    assert len(shown) == 20
    text = "\n".join(shown)
    for label in (
        "Space Enter",
        "1",
        "2",
        "3",
        "4",
        "u",
        "q Ctrl-C Ctrl-D",
        "↑ ↓",
        "PgUp PgDn",
        "?",
    ):
        assert f"│ {label} " in text
    assert all(binding.label in text for binding in KEYS)


class ScriptedKeys:
    def __init__(self, *keys: str) -> None:
        self.keys = list(keys)

    def read(self) -> str:
        return self.keys.pop(0)


def test_keys_that_do_nothing_say_nothing(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    session = review_session(demo_store, settings, clock)
    session.start()
    term, out = small()
    ui = TerminalReviewUI(
        term, ScriptedKeys("delete", "f5", "alt+x", "paste", "x", "unknown", "up", "3")
    )
    ui.show(session)
    drawn = out.getvalue()
    assert ui.next_action(session) is Action.GOOD
    assert out.getvalue() == drawn  # nothing redrawn, nothing said, the card did not move


def test_help_and_resize_redraw_and_any_key_returns(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    session = review_session(demo_store, settings, clock)
    session.start()
    term, out = small()
    ui = TerminalReviewUI(term, ScriptedKeys("?", "resize", "x", "resize", " "))
    ui.show(session)
    assert ui.next_action(session) is Action.REVEAL
    screens = out.getvalue().split("Deck demo")
    assert len(screens) == 4  # the card, again after the help, and again after the resize
    assert "Keys" in screens[1] and screens[1].count("Any key goes back") == 2
    quits = TerminalReviewUI(term, ScriptedKeys("?", "ctrl+c"))
    assert quits.next_action(session) is Action.QUIT


def test_deck_text_is_literal() -> None:
    assert visible("a\x1b[31mb\x07\tc\nd\x9b") == "a\\x1b[31mb\\x07\tc\nd\\x9b"
    assert visible("abc\u202edcba") == "abc\\u202edcba"
    term, out = console()
    term.print(safe("[bold]not bold[/bold] [link=x]y[/link]"))
    assert out.getvalue() == "[bold]not bold[/bold] [link=x]y[/link]\n"


def test_zero_width_and_separator_characters_are_escaped() -> None:
    invisible = "a\u200bb\u200cc\u200dd\u2028e\u2029f\ufeffg"
    assert visible(invisible) == "a\\u200bb\\u200cc\\u200dd\\u2028e\\u2029f\\ufeffg"
    term, out = small(30, 10)
    term.print(Panel(safe(invisible)))
    assert {len(line) for line in out.getvalue().splitlines()} == {30}


def test_an_ascii_only_output_gets_plain_tables_and_bars_not_a_traceback(db_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "ascii", "RECALL_DB": str(db_path)}
    outputs = []
    for command in ([], ["decks"], ["cards"], ["review"]):
        result = subprocess.run(
            [sys.executable, "-m", "recall1924", *command],
            input=" 3q",
            env=env,
            capture_output=True,
            text=True,
            encoding="ascii",
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        outputs.append(result.stdout)
    assert ".....   0%" in outputs[0]  # the mastery bar, in ASCII


def test_a_hint_stays_folded_until_asked_and_shows_with_the_answer(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    from recall1924.deck import hint_line

    card = CardSpec("h", f"Capital of Peru?\n{hint_line('starts with L')}", "Lima")
    session = one_card_session(store, settings, clock, card)
    term, _out = small()
    screen = ReviewScreen()
    folded = "\n".join(rows(term, screen, session))
    assert "Hint: press h" in folded and "starts with L" not in folded

    ui = TerminalReviewUI(term, ScriptedKeys("h", " "))
    assert ui.next_action(session) is Action.REVEAL
    assert "Hint: starts with L" in "\n".join(rows(term, ui.screen, session))

    session.apply(Action.REVEAL)  # the answer shows the hint, whatever was asked
    assert "Hint: starts with L" in "\n".join(rows(term, ReviewScreen(), session))


def test_a_card_without_a_hint_says_so(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    session = review_session(demo_store, settings, clock)
    session.start()
    term, _out = small()
    ui = TerminalReviewUI(term, ScriptedKeys("h", " "))
    assert ui.next_action(session) is Action.REVEAL
    assert session.message == "This card has no hint"
