"""The real ``recall review`` in a pseudo-terminal: single keypresses, then the rows written."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

import collection_sql
from conftest import NOW
from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec, read_deck_file
from recall1924.importing import import_deck
from recall1924.paths import bundled_deck_path
from recall1924.store import Store

pytestmark = pytest.mark.pty


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CLEAR = "\x1b[2J"  # how Rich clears the terminal before each new screen


class Screen:
    """The child's output with styling stripped, read until some text shows; each clearing of
    the terminal is kept as a form feed, where a new screen starts."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.raw = ""
        self.at = 0  # how much of the plain text has been consumed

    def plain(self) -> str:
        return ANSI.sub("", self.raw.replace(CLEAR, "\f"))

    def _wait(self, text: str) -> tuple[str, int]:
        while True:
            plain = self.plain()
            found = plain.find(text, self.at)
            if found >= 0:
                return plain, found
            try:
                self.raw += self.child.read_nonblocking(4096, timeout=20)
            except (pexpect.EOF, pexpect.TIMEOUT) as exc:
                raise AssertionError(
                    f"{text!r} never shown ({type(exc).__name__}); last output: {plain[-800:]!r}"
                ) from None

    def expect(self, text: str) -> str:
        """Wait for ``text``; return what came before it and consume up to its end."""
        plain, found = self._wait(text)
        before, self.at = plain[self.at : found], found + len(text)
        return before

    def frame(self, text: str) -> list[str]:
        """Wait for a screen showing ``text``; return its rows up to the one with ``text``, and
        consume that screen."""
        plain, found = self._wait(text)
        start = max(self.at, plain.rfind("\f", 0, found) + 1)
        end = plain.find("\f", found)
        self.at = len(plain) if end < 0 else end
        return [row.rstrip() for row in plain[start : found + len(text)].split("\r\n")]


def spawn(
    db_path: Path,
    *args: str,
    dimensions: tuple[int, int] = (40, 110),
    command: str = "review",
    now: str = "2026-11-27T09:00:00+00:00",
    environ: dict[str, str | None] | None = None,
) -> pexpect.spawn:
    """The real command in a pty; ``environ`` sets variables last (None removes one)."""
    env = {
        **os.environ,
        "RECALL_DB": str(db_path),
        "RECALL_NOW": now,
        "TERM": "xterm-256color",
    }
    env.pop("COLUMNS", None)
    for name, value in (environ or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return pexpect.spawn(
        sys.executable,
        ["-m", "recall1924", command, *args],
        env=env,
        encoding="utf-8",
        dimensions=dimensions,
        timeout=20,
    )


def test_reveal_rate_undo_quit_in_a_terminal(db_path: Path) -> None:
    cards = read_deck_file(bundled_deck_path()).sections[0].cards
    child = spawn(db_path)
    screen = Screen(child)
    before = screen.expect("Space show answer")
    assert " ".join(cards[0].question.split()[:4]) in " ".join(before.split())
    child.send(" ")
    screen.expect("Again")
    screen.expect("Good 10m")
    child.send("3")  # Good on the first card
    screen.expect("done 1")
    child.send(" ")
    screen.expect("Easy")
    child.send("1")  # Again on the second
    screen.expect("done 2")
    child.send("u")  # take the Again back
    screen.expect("Undid Again")
    child.send(" ")
    screen.expect("Hard")
    child.send("2")  # Hard instead
    screen.expect("done 2")
    child.send("q")
    screen.expect("Session: 2 answers on 2 cards")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    with collection_sql.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT card.key, review_log.rating, review_log.duration_ms IS NOT NULL "
            "FROM review_log JOIN card ON card.id = review_log.card_id ORDER BY review_log.id"
        ).fetchall()
    assert rows == [(cards[0].key, 3, 1), (cards[1].key, 2, 1)]


@pytest.mark.parametrize("wait", [True, False], ids=["after-the-next-card", "at-once"])
def test_ctrl_c_ends_the_session_and_keeps_answers(db_path: Path, wait: bool) -> None:
    # Ctrl-C is a key while a session runs, so even one sent while the answer before it is
    # still being saved comes after that answer: never a lost answer, never a traceback.
    child = spawn(db_path, "--section", "trotsky")
    screen = Screen(child)
    screen.expect("Space show answer")
    child.send(" ")
    screen.expect("Easy")
    child.send("4")
    if wait:
        screen.expect("done 1")
    child.sendintr()
    screen.expect("Session: 1 answer on 1 card")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    with collection_sql.connect(db_path) as conn:
        assert conn.execute("SELECT rating FROM review_log").fetchall() == [(4,)]


# Every special key in the forms xterm, VT100 (SS3), rxvt and the linux console send, and a
# bracketed paste full of ratings: on the question and on the answer screen none of them may
# answer, quit or say anything.
SPECIAL_KEYS = [
    "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1bOA", "\x1bOD", "\x1b[1;5A",
    "\x1b[H", "\x1b[F", "\x1bOH", "\x1bOF", "\x1b[1~", "\x1b[4~", "\x1b[7~", "\x1b[8~",
    "\x1b[2~", "\x1b[3~", "\x1b[5~", "\x1b[6~", "\x1b[3;5~", "\x1b[2$",
    "\x1bOP", "\x1bOQ", "\x1bOR", "\x1bOS", "\x1b[1;5P", "\x1b[[A", "\x1b[[E",
    *(f"\x1b[{n}~" for n in (11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 23, 24)),
    "\x1b[15;2~", "\x1b[24;5~", "\x1b[11^",
    "\x1bx", "\x1b3", "\x1bq", "\x1b\x1b[A", "é",
    "\x1b[200~1 2 3 4 q\x1b[3~\x1b[201~",
]  # fmt: skip


def review_log_rows(db_path: Path) -> int:
    with collection_sql.connect(db_path) as conn:
        return int(conn.execute("SELECT count(*) FROM review_log").fetchone()[0])


def one_card_deck(db_path: Path, key: str, card: CardSpec) -> None:
    """Put a deck of just ``card`` into the collection at ``db_path``."""
    deck = DeckSpec(
        key=key,
        title="Why did Stalin gain power from 1924?",
        sections=(SectionSpec("s", "Lenin's legacy", (card,)),),
        source="test",
    )
    store = Store.open(collection_sql.location(db_path), NOW)
    try:
        import_deck(store, deck, now=NOW)
    finally:
        store.close()


def test_special_keys_neither_answer_nor_quit(db_path: Path) -> None:
    child = spawn(db_path, "--section", "trotsky")
    screen = Screen(child)
    screen.expect("Space show answer")
    child.delaybeforesend = None
    child.send("".join(SPECIAL_KEYS))  # on the question screen
    child.send("?")  # every key before it has been read by the time the help shows
    screen.expect("Any key goes back")
    child.send("x")
    screen.expect("Space show answer")
    child.send(" ")
    screen.expect("Easy")
    child.send("".join(SPECIAL_KEYS))  # on the answer screen
    child.send("?")
    before = screen.expect("Any key goes back")
    assert "Show the answer first" not in before and "Session" not in before
    child.send("q")  # any key leaves the help, q too
    screen.expect("Easy")
    child.send("q")
    screen.expect("No answers this session.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert review_log_rows(db_path) == 0


def test_a_long_card_in_a_small_terminal_keeps_header_and_keys(db_path: Path) -> None:
    sections = read_deck_file(bundled_deck_path()).sections
    cards = [card for section in sections for card in section.cards]
    card = max(cards, key=lambda card: len(card.answer) + len(card.note or ""))
    assert card.key == "trotsky-funeral-absence"
    one_card_deck(db_path, "long", card)
    child = spawn(db_path, "--deck", "long", dimensions=(20, 60))
    screen = Screen(child)
    screen.expect("Space show answer · u undo · q quit · ? help")
    child.send(" ")
    rows = screen.frame("u undo · q quit · ? help")
    assert len(rows) <= 19  # the last row stays free for the cursor: nothing scrolls away
    assert "done 0" in rows[0]
    assert rows[-3] == "↓ more (PgDn)"
    assert rows[-2].startswith(" 1  Again") and rows[-2].endswith("4  Easy 6d")
    assert all(len(row) <= 60 for row in rows)
    child.send("\x1b[6~")  # PgDn
    rows = screen.frame("u undo · q quit · ? help")
    assert "done 0" in rows[0] and rows[-3] == "↑ more (PgUp)"
    assert "truth, his absence looked like disrespect to Lenin." in rows
    child.send("\x1b[5~")  # PgUp
    rows = screen.frame("u undo · q quit · ? help")
    assert "done 0" in rows[0] and rows[-3] == "↓ more (PgDn)"
    child.setwinsize(30, 100)  # a resize redraws at the new size, with room for everything
    rows = screen.frame("? help")
    assert "done 0" in rows[0] and "Lenin." in " ".join(rows) and "more" not in " ".join(rows)
    assert rows[-1].startswith(" 1  Again 1m    2  Hard") and rows[-1].endswith("? help")
    child.send("?")
    rows = screen.frame("Any key goes back to the card")
    assert any("PgUp PgDn" in row for row in rows) and any("Space Enter" in row for row in rows)
    child.send("\x1b[15~")  # F5 leaves the help, and rates nothing
    screen.frame("? help")
    child.send("q")
    screen.expect("No answers this session.")
    child.expect(pexpect.EOF)
    assert review_log_rows(db_path) == 0


def test_a_huge_answer_shows_at_once_and_ctrl_c_ends_at_once(db_path: Path, tmp_path: Path) -> None:
    answer = "Ten megabytes of answer. " * 420_000
    one_card_deck(db_path, "huge", CardSpec("huge", "Huge?", answer))
    child = spawn(db_path, "--deck", "huge", dimensions=(24, 80))
    screen = Screen(child)
    screen.expect("Space show answer")
    started = time.monotonic()
    child.send(" ")
    screen.expect("Ten megabytes of answer.")
    screen.expect("↓ more (PgDn)")
    assert time.monotonic() - started < 3
    child.send("\x1b[6~" * 20)  # pages down, then Ctrl-C before they are all drawn
    started = time.monotonic()
    child.sendcontrol("c")
    screen.expect("No answers this session.")
    child.expect(pexpect.EOF)
    assert time.monotonic() - started < 1.5
    child.close()
    assert child.exitstatus == 0


def test_a_typed_answer_is_checked_and_its_suggestion_confirmed(db_path: Path) -> None:
    cards = read_deck_file(bundled_deck_path()).sections
    card = next(card for section in cards for card in section.cards if card.key == "right-leaders")
    one_card_deck(db_path, "typed", card)
    child = spawn(db_path, "--deck", "typed", "--type", dimensions=(20, 60))
    screen = Screen(child)
    screen.expect("Enter check · Alt-Enter new line")
    child.send("Bukharin, Rykov 3 q")  # "3" and "q" are text here: nothing rates or quits
    child.send("\x7f\x7f\x7f\x7f")  # Backspace (DEL) four times
    child.send("\x1b\r")  # Alt-Enter: a new line
    child.send("and Tomsky")
    screen.expect("and Tomsky")
    child.send("\r")  # Enter checks the answer
    rows = screen.frame("Suggested: Good — Enter to confirm, 1-4 to change")
    assert any("Answer · 3 of 3 key points" in row for row in rows)
    assert any("│ Bukharin, Rykov" in row for row in rows)
    assert any("✓ Tomsky" in row for row in rows)
    assert all(len(row) <= 60 for row in rows)
    child.send("\r")  # Enter takes the suggestion
    screen.expect("done 1")
    child.sendcontrol("c")
    screen.expect("Session: 1 answer on 1 card")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    with collection_sql.connect(db_path) as conn:
        assert conn.execute("SELECT rating FROM review_log").fetchall() == [(3,)]


def rows(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    with collection_sql.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


def test_every_rating_two_undos_suspend_and_bury(db_path: Path) -> None:
    cards = [card.key for card in read_deck_file(bundled_deck_path()).sections[0].cards]
    child = spawn(db_path, "--section", "lenins-legacy")
    screen = Screen(child)
    screen.expect("Space show answer")
    for done, rating in enumerate("1234", start=1):
        child.send(" ")
        screen.expect("Easy")
        child.send(rating)
        screen.expect(f"done {done}")
    child.send("u")
    screen.expect("Undid Easy")
    child.send("u")
    screen.expect("Undid Good")
    child.send("s")  # the third card, back on screen after the undo
    screen.expect("Suspended; u brings it back")
    child.send(" ")
    screen.expect("Easy")
    child.send("b")  # the fourth, from its answer screen
    screen.expect("Buried until tomorrow")
    child.send("q")
    screen.expect("Session: 2 answers on 2 cards")
    child.expect(pexpect.EOF)
    assert rows(
        db_path, "SELECT card.key, rating FROM review_log JOIN card ON card.id = card_id"
    ) == [(cards[0], 1), (cards[1], 2)]
    assert rows(db_path, "SELECT key FROM card WHERE suspended") == [(cards[2],)]
    assert rows(db_path, "SELECT key FROM card WHERE buried_until IS NOT NULL") == [(cards[3],)]


def test_cram_practises_and_changes_no_card(db_path: Path) -> None:
    child = spawn(db_path, "--section", "trotsky", "--limit", "2")
    Screen(child).expect("Space show answer")
    child.send("q")
    child.expect(pexpect.EOF)  # the collection exists, untouched
    before = rows(
        db_path, "SELECT id, state, step, stability, difficulty, due FROM card ORDER BY id"
    )
    child = spawn(db_path, "--section", "trotsky", "--limit", "2", command="cram")
    screen = Screen(child)
    screen.expect("cram · done 0 · left 2")
    for key in (" ", "1", " ", "3", " ", "3"):  # Again brings the first back at the end
        child.send(key)
        screen.expect("Easy" if key == " " else "done")
    screen.expect("Nothing more to review now")
    child.send("q")
    screen.expect("Cram practice: 3 answers on 2 cards")
    child.expect(pexpect.EOF)
    assert (
        rows(db_path, "SELECT id, state, step, stability, difficulty, due FROM card ORDER BY id")
        == before
    )
    assert rows(db_path, "SELECT kind, rating FROM review_log") == [(1, 1), (1, 3), (1, 3)]


def test_a_card_deleted_by_another_window_is_a_notice(db_path: Path, tmp_path: Path) -> None:
    child = spawn(db_path, "--section", "trotsky")
    screen = Screen(child)
    screen.expect("Space show answer")
    child.send(" ")
    screen.expect("Easy")
    # Meanwhile, another window imports a copy of the deck without that card, with --prune.
    deck = tmp_path / "deck.toml"
    deck.write_text(
        '[deck]\nid = "stalin-1924"\ntitle = "T"\n[[sections]]\nid = "trotsky"\n'
        'title = "Leon Trotsky"\n[[sections.cards]]\nid = "other"\nquestion = "Q?"\n'
        'answer = "A"\n'
    )
    env = {**os.environ, "RECALL_DB": str(db_path), "RECALL_NOW": "2026-11-27T09:00:00+00:00"}
    subprocess.run(
        [sys.executable, "-m", "recall1924", "import", str(deck), "--prune"],
        env=env,
        check=True,
        capture_output=True,
    )
    child.send("3")
    shown = screen.expect("That card was deleted in another window meanwhile; moved on")
    assert "Q?" in shown  # the session goes on with what is there now
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(db_path, "SELECT COUNT(*) FROM review_log") == [(0,)]


@pytest.mark.sqlite_only  # another process holding SQLite's write lock
def test_an_answer_waits_for_a_locked_database_and_is_kept(db_path: Path) -> None:
    child = spawn(db_path, "--section", "trotsky")
    screen = Screen(child)
    screen.expect("Space show answer")
    child.send(" ")
    screen.expect("Easy")
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another recall writing for longer than the 5 s timeout
    child.send("3")
    screen.expect("waiting for the database")
    other.execute("ROLLBACK")
    other.close()
    screen.expect("done 1")
    child.send("q")
    child.expect(pexpect.EOF)
    assert rows(db_path, "SELECT rating FROM review_log") == [(3,)]


def test_undo_after_another_session_answered_the_card_is_a_notice(db_path: Path) -> None:
    first = spawn(db_path, "--section", "trotsky")
    mine = Screen(first)
    mine.expect("Space show answer")
    first.send(" ")
    mine.expect("Easy")
    first.send("3")  # Good: the card comes back in 10 minutes
    mine.expect("done 1")
    # Eleven minutes later another window answers that card again.
    second = spawn(db_path, "--section", "trotsky", now="2026-11-27T09:11:00+00:00")
    theirs = Screen(second)
    theirs.expect("Space show answer")
    second.send(" ")
    theirs.expect("Easy")
    second.send("3")
    theirs.expect("done 1")
    second.send("q")
    second.expect(pexpect.EOF)
    first.send("u")
    mine.expect("Cannot undo: that card was answered again in another session since")
    first.send(" ")  # the session goes on
    mine.expect("Easy")
    first.send("q")
    first.expect(pexpect.EOF)
    first.close()
    assert first.exitstatus == 0
    assert rows(db_path, "SELECT rating FROM review_log") == [(3,), (3,)]
