"""One query language everywhere, through the commands: ``recall cards QUERY``, ``review``,
``cram``, ``export``, ``suspend`` and ``unsuspend`` with ``--query``, and ``recall due``."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fsrs import Scheduler
from sqlalchemy import text
from typer.testing import CliRunner

import collection_sql
from conftest import NOW
from recall1924.cli import app
from recall1924.db import to_millis
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.query import parse
from recall1924.review.queues import ScheduledQueue, todays_queue
from recall1924.scheduling import Rating, answer
from recall1924.settings import Settings
from recall1924.store import Store
from recall1924.store.search import SearchContext

runner = CliRunner()
SCHEDULER = Scheduler(enable_fuzzing=False)


def recall(*args: str, input: str | None = None, at: datetime = NOW) -> tuple[int, str, str]:
    env = {"RECALL_NOW": at.isoformat()}
    result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def keys(*args: str) -> list[str]:
    code, out, err = recall("cards", "--json", *args)
    assert code == 0, err
    return [row["key"] for row in json.loads(out)]


def give(store: Store, key: str, rating: Rating, at: datetime) -> None:
    card_id = store.card_ids([key])[key]
    before = store.card(card_id).memory
    after = answer(SCHEDULER, card_id=card_id, memory=before, rating=rating, at=at)
    store.record_answer(card_id, before=before, after=after, rating=rating, at=at, duration_ms=None)


@pytest.fixture
def languages(store: Store) -> Store:
    """Two decks: Spanish (verbs, nouns) and French; a few cards answered."""
    spanish = DeckSpec(
        "es",
        "Spanish",
        (
            SectionSpec(
                "verbs",
                "Verbs",
                (
                    CardSpec("ser", "to be (essence)", "ser", "Irregular: soy, eres", ("verb",)),
                    CardSpec("estar", "to be (state)", "estar", None, ("verb", "irregular")),
                    CardSpec("comer", "to eat", "comer", None, ("verb",)),
                ),
            ),
            SectionSpec(
                "nouns",
                "Nouns",
                (
                    CardSpec("cafe", "coffee", "el café", None, ("noun",)),
                    CardSpec("nino", "child", "el niño", None, ("noun",)),
                ),
            ),
        ),
        source="test",
    )
    french = DeckSpec(
        "fr",
        "French",
        (SectionSpec("all", "All", (CardSpec("etre", "to be", "être", None, ("verb",)),)),),
        source="test",
    )
    import_deck(store, spanish, now=NOW - timedelta(days=30))
    import_deck(store, french, now=NOW - timedelta(days=30))
    for key in ("ser", "estar", "etre"):
        give(store, key, Rating.Good, NOW - timedelta(days=20))
        give(store, key, Rating.Good, NOW - timedelta(days=19, hours=23))
    # Due in three days (the day after for estar), whatever the intervals were.
    with store.engine.begin() as connection:
        for key, days in (("ser", 3), ("estar", 4), ("etre", 3)):
            connection.execute(
                text("UPDATE card SET due = :due WHERE key = :key"),
                {"due": stamp(NOW + timedelta(days=days)), "key": key},
            )
    return store


def stamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def test_cards_takes_a_query(languages: Store) -> None:
    assert keys("to", "be") == ["ser", "estar", "etre"]
    assert keys("to be") == ["ser", "estar", "etre"]  # the words of one argument, too
    assert keys('"to be" -deck:fr') == ["ser", "estar"]
    assert keys("deck:es", "tag:noun") == ["cafe", "nino"]
    assert keys("CAFE or nino") == ["cafe", "nino"]  # any case, any accents
    assert keys("soy") == ["ser"]  # in the note too
    assert keys("is:new", "deck:es") == ["comer", "cafe", "nino"]
    assert keys("--", "-is:new") == ["ser", "estar", "etre"]  # a query may start with -term
    assert keys("section:nouns", "--section", "nouns") == ["cafe", "nino"]
    assert keys("is:review", "--deck", "es") == ["ser", "estar"]
    assert keys("tag:verb", "--state", "new") == ["comer"]
    # --search is one literal text, as it always was (now with notes and accents)
    assert keys("--search", "EL CAFE") == ["cafe"]
    assert keys("--search", "deck:es") == []
    assert keys("deck:es", "--search", "to") == ["ser", "estar", "comer"]


def test_a_negated_word_is_part_of_the_query_wherever_it_stands(languages: Store) -> None:
    # As a student types it: `recall cards to be -deck:fr`, no quotes and no `--`. Words that
    # start with "-" are the query's, not options (and an option after them still counts).
    assert keys("to", "be", "-deck:fr") == ["ser", "estar"]
    assert keys("-deck:fr", "to", "be", "--deck", "es") == ["ser", "estar"]
    assert keys("-is:new", "-hola") == ["ser", "estar", "etre"]  # -h is not --help here
    code, out, _ = recall("due", "-deck:fr", "--json")
    assert code == 0, out
    code, out, _ = recall("cards", "-h")
    assert code == 0 and "Usage: recall cards" in out


def test_a_bad_query_is_one_line_and_opens_nothing(db_path: Path) -> None:
    assert not db_path.exists()
    for command in (
        ["cards", "deck:es", "prop:x<1"],
        ["review", "--query", "deck:es prop:x<1"],
        ["cram", "--query", "deck:es prop:x<1"],
        ["suspend", "--query", "deck:es prop:x<1"],
        ["export", "-o", str(db_path.parent / "out.toml"), "--query", "deck:es prop:x<1"],
        ["due", "deck:es", "prop:x<1"],
    ):
        code, out, err = recall(*command)
        assert (code, out) == (2, ""), command
        assert err == (
            'recall: bad query at "prop:x<1" (column 9): unknown property x; one of r, s, d, '
            "lapses, reps, due\n"
        ), command
    assert not db_path.exists()  # nothing was created, let alone written
    assert not (db_path.parent / "out.toml").exists()


def answered(db_path: Path) -> list[str]:
    with collection_sql.connect(db_path) as connection:
        return [
            row[0]
            for row in connection.execute(
                "SELECT card.key FROM review_log JOIN card ON card.id = review_log.card_id "
                "WHERE reviewed_at >= ? ORDER BY review_log.id",
                (to_millis(NOW - timedelta(hours=1)),),
            )
        ]


def test_review_and_cram_show_only_the_cards_the_query_matches(
    languages: Store, db_path: Path
) -> None:
    code, out, err = recall("review", "--query", "deck:es tag:noun", input=" 3 3 3 3 3 3 q")
    assert code == 0, err
    # new cards in deck order, then again from learning; nothing else
    assert answered(db_path) == ["cafe", "nino", "cafe", "nino"]
    assert "to eat" not in out and "coffee" in out
    code, out, err = recall("cram", "--query", "être or ser", input=" 3 3 3 3 q")
    assert code == 0, err
    assert sorted(answered(db_path)[4:]) == ["etre", "ser"]


def test_the_review_queue_keeps_the_query_in_each_deck(languages: Store) -> None:
    # The queue reads each deck's cards apart (for its daily limits): the query goes along.
    settings = Settings.from_stored({})
    context = SearchContext(NOW, settings.day_starts_at, -0.15)
    scope = languages.filtered(languages.scope(), parse("to -comer"), context)
    queue = ScheduledQueue(languages, settings, scope)
    assert queue.next_card(NOW, set()) is None  # ser, estar, etre not due; comer left out
    scope = languages.filtered(languages.scope(), parse("is:new -comer"), context)
    assert todays_queue(languages, settings, scope, NOW).new == 2
    queue = ScheduledQueue(languages, settings, scope)
    card = queue.next_card(NOW, set())
    assert card is not None and card.key == "cafe"


def test_suspend_and_unsuspend_by_query(languages: Store) -> None:
    assert recall("suspend", "--query", "tag:verb deck:es") == (
        0,
        "Suspended 3 cards matching 'tag:verb deck:es'\n",
        "",
    )
    assert keys("is:suspended") == ["ser", "estar", "comer"]
    assert recall("suspend", "--query", "tag:verb")[1] == "Suspended 1 card matching 'tag:verb'\n"
    assert recall("unsuspend", "--query", "is:suspended", "--deck", "fr")[1] == (
        "Unsuspended 1 card matching 'is:suspended'\n"
    )
    assert keys("is:suspended") == ["ser", "estar", "comer"]
    code, _out, err = recall("suspend", "ser", "--query", "tag:verb")
    assert code == 2 and "give card ids, or --query (not both)" in err
    code, _out, err = recall("suspend")
    assert code == 2 and "give card ids, or --query (not both)" in err
    # An empty query (an unset $QUERY) would suspend every card: refused, nothing changed.
    for command, blank in (("suspend", ""), ("unsuspend", "  ")):
        code, out, err = recall(command, "--query", blank)
        assert (code, out) == (2, "") and "an empty query matches every card" in err
    assert keys("is:suspended") == ["ser", "estar", "comer"]
    assert recall("unsuspend", "ser")[1] == "Unsuspended 1 card: ser\n"  # by id as before
    # A term that counts answers, in the UPDATE: each card's own.
    assert recall("unsuspend", "--query", "prop:reps>=2")[1] == (
        "Unsuspended 1 card matching 'prop:reps>=2'\n"  # estar; comer has no answers
    )
    assert keys("is:suspended") == ["comer"]


def test_export_writes_only_the_matching_cards(languages: Store, tmp_path: Path) -> None:
    out = tmp_path / "verbs.toml"
    code, stdout, err = recall("export", "-o", str(out), "--query", "tag:verb -is:new -deck:fr")
    assert code == 0, err
    assert stdout == f"Wrote 1 deck (2 cards) to {out} as toml\n"  # fr, with none, left out
    written = tomllib.loads(out.read_text())
    cards = [card["id"] for section in written["sections"] for card in section["cards"]]
    assert [section["id"] for section in written["sections"]] == ["verbs"]  # nouns: none
    assert cards == ["ser", "estar"]
    # The answers of those cards only.
    with_history = tmp_path / "verbs.csv"
    assert recall("export", "-o", str(with_history), "--query", "deck:fr")[0] == 0
    assert "etre" in with_history.read_text() and "ser" not in with_history.read_text()
    nothing = tmp_path / "none.toml"
    code, _out, err = recall("export", "-o", str(nothing), "--query", "zebra")
    assert code == 2 and err == "recall: no card matches 'zebra'; nothing was written\n"
    assert not nothing.exists()


def _due_json(*args: str, at: datetime = NOW) -> dict[str, Any]:
    code, out, err = recall("due", "--json", *args, at=at)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_due_counts_day_by_day_per_section(languages: Store) -> None:
    # ser, estar and etre come due on the same day, some time ahead; an overdue one counts today.
    give(languages, "comer", Rating.Good, NOW - timedelta(days=5))  # learning, overdue now
    languages.set_suspended(languages.card_ids(["estar"]).values(), True)  # never comes due
    first, ahead = (NOW + timedelta(days=3)).date(), 4
    found = _due_json("--days", str(ahead))
    assert [day["date"] for day in found["days"]][:2] == ["2026-11-27", "2026-11-28"]
    assert len(found["days"]) == ahead
    assert found["days"][0] == {
        "date": "2026-11-27",
        "due": 1,
        "sections": [
            {"deck": "es", "deck_title": "Spanish", "section": "verbs", "section_title": "Verbs",
             "due": 1},
        ],
    }  # fmt: skip
    assert found["overdue"] == 1 and found["total"] == 3
    last = found["days"][-1]
    assert last["date"] == first.isoformat() and last["due"] == 2
    assert [section["deck"] for section in last["sections"]] == ["es", "fr"]
    assert all(day["due"] == 0 for day in found["days"][1:-1])
    # A query, and the table
    assert _due_json("--days", str(ahead), "deck:fr")["total"] == 1
    code, out, _ = recall("due", "--days", "2")
    assert code == 0
    assert out.split("\n")[3].split() == ["today", "es", "Verbs", "1"]
    assert "1 card due in 2 days, 1 of them overdue (counted today)" in out
    # --list: the cards themselves, soonest first
    code, out, _ = recall("due", "--list", "--json", "--days", str(ahead))
    assert [row["key"] for row in json.loads(out)] == ["comer", "ser", "etre"]
    code, out, _ = recall("due", "--list", "--json", "--days", "1")
    assert [row["key"] for row in json.loads(out)] == ["comer"]


@pytest.mark.parametrize("command", ["cards", "due", "review", "cram", "export", "suspend"])
def test_the_query_is_in_the_help(command: str) -> None:
    code, out, _ = recall(command, "--help")
    assert code == 0 and "docs/search.md" in " ".join(out.split())
