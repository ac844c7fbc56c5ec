"""An update of the bundled deck never overwrites a card the student changed: it keeps their
wording, records the shipped one beside it and says how to see it (issue 16)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import collection_sql
from conftest import NOW
from recall1924.bundled import BUNDLED_KEY
from recall1924.cli import app
from recall1924.deck import CardSpec
from recall1924.deckfile import read_deck_file
from recall1924.editing import card_to_add, card_to_edit, save_edit, save_new
from recall1924.store import Store
from test_upgrade import (  # noqa: F401 - fixtures
    GONE,
    LATER,
    REWORDED,
    SAME,
    SHIPPED,
    V1,
    card_rows,
    log_rows,
    memory,
    open_app,
    v1_collection,
)


def reword(db: Path, key: str, answer: str) -> None:
    store = Store.open(collection_sql.location(db), NOW)
    try:
        target = card_to_edit(store, key, BUNDLED_KEY)
        assert target.file is None  # the bundled deck lives in no file of the student's
        card = CardSpec(key, target.shown.question, answer, target.shown.note, target.shown.tags)
        save_edit(store, target, target.section, card, now=NOW)
    finally:
        store.close()


def test_an_update_keeps_the_students_wording_and_says_a_newer_one_exists(
    v1_collection: Path,  # noqa: F811 - the fixture
) -> None:
    db = v1_collection
    reword(db, REWORDED, "My own answer")
    reword(db, SAME, "Mine too")  # a card the update leaves as it was
    reword(db, GONE, "Mine, and gone from the deck")
    store = Store.open(collection_sql.location(db), NOW)
    target = card_to_add(store, BUNDLED_KEY, "trotsky")
    mine = CardSpec("my-card", "Who wrote this card?", "I did")
    save_new(store, target, "trotsky", mine, now=NOW)
    store.close()
    before, logs = card_rows(db), log_rows(db)

    notices = open_app(db)

    assert notices == [
        "Updated the bundled deck to version 3: 68 cards updated, 63 added, "
        "11 retired (suspended, history kept); 2 cards keep your wording; a newer wording "
        f"exists: recall card {REWORDED} shows it"
    ]
    after = card_rows(db)
    shipped = {card.key: card for card in read_deck_file(SHIPPED).cards}
    assert after[REWORDED]["answer"] == "My own answer"
    assert after[REWORDED]["question"] == before[REWORDED]["question"]
    assert after[SAME]["answer"] == "Mine too"
    # The student's cards stay in the queue: never retired, though the deck no longer has them.
    assert not after[GONE]["suspended"] and not after["my-card"]["suspended"]
    for key in (REWORDED, SAME, GONE):
        assert memory(after[key]) == memory(before[key])
    assert log_rows(db) == logs
    store = Store.open(collection_sql.location(db), LATER)
    detail = store.card_detail(store.card_ids([REWORDED], BUNDLED_KEY)[REWORDED])
    store.close()
    assert detail.upstream is not None
    assert detail.upstream.answer == shipped[REWORDED].answer
    assert detail.upstream.updated_at is not None
    # recall card shows the newer wording beside the student's.
    result = CliRunner().invoke(
        app,
        ["--db", str(collection_sql.location(db)), "card", REWORDED],
        env={"RECALL_NOW": LATER.isoformat()},
    )
    assert result.exit_code == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "Wording your own" in out
    assert "Newer wording the deck has one since" in out
    assert f"Newer answer {' '.join(shipped[REWORDED].answer.split())}" in out
    assert f"recall edit {REWORDED} shows it beside yours" in out
    # ... and recall edit shows it above the student's text, as comments to copy from.
    store = Store.open(collection_sql.location(db), LATER)
    snippet = card_to_edit(store, REWORDED, BUNDLED_KEY).snippet()
    store.close()
    assert snippet.startswith("# The deck has a newer wording of this card (since ")
    assert 'answer = "My own answer"' in snippet
    assert V1.exists()
