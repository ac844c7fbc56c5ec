"""The real ``recall review`` in a pseudo-terminal: single keypresses, then the rows written."""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from pathlib import Path

import pexpect
import pytest

from recall1924.deckfile import read_deck_file
from recall1924.paths import bundled_deck_path

pytestmark = pytest.mark.pty


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Screen:
    """The child's output with styling stripped, read until some text shows."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.seen = ""

    def expect(self, text: str) -> str:
        """Wait for ``text``; return what came before it and consume up to its end."""
        while True:
            plain = ANSI.sub("", self.seen)
            if text in plain:
                before, _, after = plain.partition(text)
                self.seen = after
                return before
            try:
                self.seen += self.child.read_nonblocking(4096, timeout=20)
            except (pexpect.EOF, pexpect.TIMEOUT) as exc:
                raise AssertionError(
                    f"{text!r} never shown ({type(exc).__name__}); last output: {plain[-800:]!r}"
                ) from None


def spawn(db_path: Path, *args: str) -> pexpect.spawn:
    env = {
        **os.environ,
        "RECALL_DB": str(db_path),
        "RECALL_NOW": "2026-11-27T09:00:00+00:00",
        "TERM": "xterm-256color",
    }
    env.pop("COLUMNS", None)
    return pexpect.spawn(
        sys.executable,
        ["-m", "recall1924", "review", *args],
        env=env,
        encoding="utf-8",
        dimensions=(40, 110),
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

    with sqlite3.connect(db_path) as conn:
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
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT rating FROM review_log").fetchall() == [(4,)]
