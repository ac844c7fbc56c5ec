"""A cloze card in the real ``recall review``, in a pseudo-terminal: ``[...]`` on the question,
the deletion revealed on the answer, and a typed answer checked against the deletion alone."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

import collection_sql
from conftest import NOW
from recall1924.deckfile import parse_deck
from recall1924.importing import import_deck
from recall1924.store import Store
from test_cloze import DECK
from test_pty import Screen, spawn

pytestmark = pytest.mark.pty


def soviet(db_path: Path) -> None:
    store = Store.open(collection_sql.location(db_path), NOW)
    try:
        import_deck(store, parse_deck(DECK, "soviet.toml"), now=NOW)
    finally:
        store.close()


def answered(db_path: Path) -> list[tuple[object, ...]]:
    with collection_sql.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT card.key, rating FROM review_log JOIN card ON card.id = review_log.card_id"
        ).fetchall()
    conn.close()
    return rows


def test_a_cloze_card_asks_its_deletion_and_reveals_it(db_path: Path) -> None:
    soviet(db_path)
    child = spawn(db_path, "--deck", "soviet")
    screen = Screen(child)
    question = screen.frame("Space show answer")
    assert any("Lenin died in [...]; Stalin spoke at his funeral." in row for row in question)
    assert not any("January 1924" in row for row in question)
    child.send(" ")
    shown = screen.frame("Easy")
    assert any("Lenin died in [January 1924]; Stalin spoke at his funeral." in row for row in shown)
    assert any("Note: Trotsky was away in the Caucasus." in row for row in shown)
    child.send("3")
    question = screen.frame("Space show answer")  # the second number, its own card
    assert any(
        "Lenin died in January 1924; [who?] spoke at his funeral." in row for row in question
    )
    child.send("q")
    screen.expect("Session: 1 answer on 1 card")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert answered(db_path) == [("lenin-death-c1", 3)]


def test_a_typed_answer_to_a_cloze_card_is_its_deletion(db_path: Path) -> None:
    soviet(db_path)
    child = spawn(db_path, "--deck", "soviet", "--type", dimensions=(24, 90))
    screen = Screen(child)
    screen.expect("Enter check")
    child.send("january 1924")
    screen.expect("january 1924")
    child.send("\r")
    rows = screen.frame("Suggested: Good")
    assert any("Answer · 1 of 1 key point" in row for row in rows)
    assert any("✓ January 1924" in row for row in rows)
    child.send("\r")
    screen.expect("done 1")
    child.sendcontrol("c")
    screen.expect("Session: 1 answer on 1 card")
    child.expect(pexpect.EOF)
    child.close()
    assert answered(db_path) == [("lenin-death-c1", 3)]
