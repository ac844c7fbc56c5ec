"""A reset (``ReviewKind.Reset``): a card sent back to new with its history kept. Written by
``recall forget`` and by an import where Anki's FSRS starts a card's memory state again, and
understood by everything that reads history: the replay, the optimizer's training answers,
doctor, stats, ``recall card``, undo, the Anki package export and a re-import."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import collection_sql
from conftest import NOW, make_deck
from recall1924.cli import app
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.db import to_millis
from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec
from recall1924.errors import StaleCardError
from recall1924.history import replay
from recall1924.importing import import_decks
from recall1924.models import ReviewKind
from recall1924.optimize import replay_card
from recall1924.scheduling import MemoryState, Rating, answer, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store

REVIEW, CRAM, RESET = ReviewKind.Review, ReviewKind.Cram, ReviewKind.Reset
START = NOW - timedelta(days=60)


def at(day: float) -> datetime:
    return START + timedelta(days=day)


def past(day: float, rating: int, kind: ReviewKind = REVIEW) -> PastAnswer:
    return PastAnswer(at(day), 0 if kind is RESET else rating, 2000, kind)


# a card's earlier life, a reset, and its life since (a cram answer in it)
EARLIER = [past(0, 3), past(0.01, 3), past(4, 1), past(4.01, 3)]
LATER = [past(10, 3), past(10.01, 3), past(14, 4), past(15, 3, CRAM), past(30, 2)]
RESET_HISTORY = (*EARLIER, past(9, 0, RESET), *LATER)
# another card's answers (an Anki package has no two answers in one millisecond)
PLAIN = tuple(replace(answer, at=answer.at + timedelta(hours=1)) for answer in EARLIER)


def recall(*args: str, now: datetime = NOW, db: Path | None = None) -> tuple[int, str, str]:
    # --db, not RECALL_DB: on the suite's server pass RECALL_DATABASE_URL would win over it.
    given = ["--db", str(collection_sql.location(db)), *args] if db else list(args)
    result = CliRunner().invoke(
        app, given, env={"RECALL_NOW": now.isoformat()}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def rows(db: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with collection_sql.connect(db) as connection:
        return list(connection.execute(query, params).fetchall())


TABLES = ("deck", "section", "card", "review_log")


def scheduler() -> Any:
    return build_scheduler(Settings.from_stored({}))


# The replay
# ---------------------------------------------------------------------------------------------


def test_a_reset_starts_the_memory_state_again_from_new() -> None:
    start = MemoryState.new(START)
    pairs = replay(RESET_HISTORY, card_id=1, scheduler=scheduler(), day_starts_at=4, start=start)
    alone = replay(LATER, card_id=1, scheduler=scheduler(), day_starts_at=4, start=start)

    reset_before, reset_after = pairs[len(EARLIER)]
    assert reset_before == pairs[len(EARLIER) - 1][1]  # what the earlier life left
    assert reset_after == MemoryState.new(at(9))
    assert pairs[-1][1] == alone[-1][1]  # nothing of the earlier life is left
    crammed_before, crammed_after = pairs[-2]
    assert crammed_before == crammed_after  # cram changes nothing
    without_cram = [answer for answer in LATER if answer.kind is not CRAM]
    assert (
        replay(without_cram, card_id=1, scheduler=scheduler(), day_starts_at=4, start=start)[-1][1]
        == pairs[-1][1]
    )


def test_a_cram_answer_with_no_such_button_is_refused() -> None:
    with pytest.raises(ValueError, match="not a rating"):
        replay(
            [past(0, 3), past(1, 7, CRAM)],
            card_id=1,
            scheduler=scheduler(),
            day_starts_at=4,
            start=MemoryState.new(START),
        )


# A history with a reset, imported
# ---------------------------------------------------------------------------------------------


def deck_with(history: tuple[PastAnswer, ...], key: str = "hist") -> DeckSpec:
    cards = (
        CardSpec("reset", "Reset?", "yes", history=history),
        CardSpec("plain", "Plain?", "yes", history=PLAIN),
        CardSpec("new", "New?", "yes"),
    )
    return DeckSpec(key, "History", (SectionSpec("main", "Main", cards),), source="test")


_OPENED: list[App] = []


@pytest.fixture(autouse=True)
def _close_apps() -> Iterator[None]:
    """Close what :func:`imported` opened: a server's connections must not outlive the test."""
    yield
    while _OPENED:
        _OPENED.pop().close()


def imported(db_path: Path, history: tuple[PastAnswer, ...] = RESET_HISTORY) -> App:
    app_obj = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    _OPENED.append(app_obj)
    import_decks(app_obj.store, [deck_with(history)], now=NOW, replay=app_obj.replay)
    return app_obj


def logged(db: Path, key: str = "reset") -> list[tuple[Any, ...]]:
    return rows(
        db,
        "SELECT kind, rating, reviewed_at FROM review_log JOIN card ON card.id = card_id "
        "WHERE card.key = ? ORDER BY reviewed_at, review_log.id",
        key,
    )


def test_an_imported_reset_is_a_row_and_the_card_is_what_its_last_life_made_it(
    db_path: Path,
) -> None:
    app_obj = imported(db_path)
    kinds = [row[0] for row in logged(db_path)]
    assert kinds == [REVIEW] * 4 + [RESET] + [REVIEW] * 3 + [CRAM, REVIEW]
    card_id = app_obj.store.card_ids(["reset"], "hist")["reset"]
    memory = app_obj.store.card(card_id).memory
    alone = app_obj.replay(LATER, MemoryState.new(START))[-1][1]
    assert (memory.stability, memory.difficulty, memory.due) == (
        alone.stability,
        alone.difficulty,
        alone.due,
    )


def test_the_optimizer_replays_a_reset_as_the_import_did(db_path: Path) -> None:
    assert recall("config", "set", "enable_fuzzing", "false")[0] == 0  # fuzz: seeded by card id
    app_obj = imported(db_path)
    for card in app_obj.store.card_histories(["hist"]):
        memory, rewritten = replay_card(card, scheduler=app_obj.scheduler, day_starts_at=4)
        assert memory == card.memory
        assert [(row.id, row.before, row.after) for row in card.rows] == rewritten


def test_the_optimizer_trains_on_the_answers_since_the_last_reset(db_path: Path) -> None:
    app_obj = imported(db_path)
    ids = app_obj.store.card_ids(["reset", "plain"], "hist")
    found = dict(app_obj.store.answer_days(["hist"], day_starts_at=0))
    day = START.toordinal()
    assert found == {
        # not its earlier life, and no cram
        ids["reset"]: [(3, day + 10), (3, day + 10), (4, day + 14), (2, day + 30)],
        ids["plain"]: [(3, day), (3, day), (1, day + 4), (3, day + 4)],  # an hour later
    }
    app_obj.store.reset_cards([ids["plain"]], at=NOW)
    assert ids["plain"] not in dict(app_obj.store.answer_days(["hist"], day_starts_at=0))


def test_stats_count_every_answer_but_no_reset(db_path: Path) -> None:
    imported(db_path)
    code, out, _ = recall("stats", "--json", "--deck", "hist")
    assert code == 0
    report = json.loads(out)
    # the earlier life's answers are answers, and count in retention, as in Anki; the reset is
    # none (nor in the day's activity, where cram counts)
    [(answers,)] = rows(db_path, "SELECT count(*) FROM review_log WHERE kind IN (0, 1)")
    assert answers == 13 and sum(day["reviews"] for day in report["heatmap"]) == answers
    [(attempts, recalled)] = rows(
        db_path,
        "SELECT count(*), sum(CASE WHEN rating > 1 THEN 1 ELSE 0 END) FROM review_log "
        "WHERE kind = 0 AND state_before = 2",
    )
    earlier = rows(
        db_path,
        "SELECT count(*) FROM review_log JOIN card ON card.id = card_id WHERE card.key = 'reset' "
        "AND kind = 0 AND state_before = 2 AND reviewed_at < ?",
        to_millis(at(9)),
    )
    assert earlier[0][0] > 0
    assert report["totals"]["retention"] == pytest.approx(recalled / attempts)


def test_a_re_import_of_the_same_history_adds_nothing(db_path: Path) -> None:
    # The card's history ends with a reset (on the plain card), or a cram answer after its
    # last review: neither moves the last review, and neither comes back twice.
    ending = (*EARLIER, past(5, 0, RESET))
    crammed = (*LATER, past(31, 4, CRAM))
    app_obj = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    deck = DeckSpec(
        "again",
        "Again",
        (
            SectionSpec(
                "main",
                "Main",
                (
                    CardSpec("ending", "E?", "e", history=ending),
                    CardSpec("crammed", "C?", "c", history=crammed),
                ),
            ),
        ),
        source="test",
    )
    first = import_decks(app_obj.store, [deck], now=NOW, replay=app_obj.replay).decks[0]
    before = rows(db_path, "SELECT * FROM review_log ORDER BY id")
    again = import_decks(app_obj.store, [deck], now=NOW, replay=app_obj.replay).decks[0]
    assert (first.answers_added, first.resets_added) == (10, 1)
    assert (again.answers_added, again.resets_added, again.answers_known) == (0, 0, 10)
    assert rows(db_path, "SELECT * FROM review_log ORDER BY id") == before
    ending_id = app_obj.store.card_ids(["ending"], "again")["ending"]
    assert app_obj.store.card(ending_id).memory.last_review is None  # new since its reset


# The Anki package export
# ---------------------------------------------------------------------------------------------


def revlog_of(package: Path, folder: Path) -> list[tuple[int, int, int, int]]:
    with zipfile.ZipFile(package) as archive:
        archive.extract("collection.anki2", folder)
    return [
        tuple(row)
        for row in rows(
            folder / "collection.anki2", "SELECT id, ease, factor, type FROM revlog ORDER BY id"
        )
    ]


def test_a_reset_leaves_as_ankis_forget_row_and_comes_back(db_path: Path, tmp_path: Path) -> None:
    imported(db_path)
    package = tmp_path / "hist.apkg"
    assert recall("export", "--deck", "hist", "-o", str(package))[0] == 0
    reset_ms = int(at(9).timestamp() * 1000)
    revlog = revlog_of(package, tmp_path / "unpacked")
    assert (reset_ms, 0, 0, 4) in revlog  # Manual, ease 0, factor 0: Anki's Forget
    assert (int(at(15).timestamp() * 1000), 3, 0, 3) in revlog  # cram: filtered, factor 0
    # the first answer after the reset is a learning step, as Anki writes a new card's
    assert (int(at(10).timestamp() * 1000), 3, 2500, 0) in revlog

    # into the same collection: nothing new
    code, out, _ = recall("import", str(package))
    assert code == 0 and " ".join(out.split()).count("answers added 0 ") == 1
    # into a new one: the same history and memory states
    fresh = tmp_path / "fresh.db"
    assert recall("import", str(package), db=fresh)[0] == 0
    assert logged(fresh) == logged(db_path)
    assert logged(fresh, "plain") == logged(db_path, "plain")
    shown = {
        db: {row["key"]: row for row in json.loads(recall("cards", "--json", db=db)[1])}
        for db in (db_path, fresh)
    }
    for key in ("reset", "plain", "new"):
        mine, theirs = shown[db_path][key], shown[fresh][key]
        assert (mine["state"], mine["stability"], mine["difficulty"], mine["due"]) == (
            theirs["state"],
            theirs["stability"],
            theirs["difficulty"],
            theirs["due"],
        )


def test_anki_computes_the_memory_state_recall_does_from_an_exported_reset(
    db_path: Path, tmp_path: Path
) -> None:
    pytest.importorskip("anki")
    from anki_memory import package_memory_states

    imported(db_path)
    package = tmp_path / "hist.apkg"
    assert recall("export", "--deck", "hist", "-o", str(package))[0] == 0
    anki = package_memory_states(package, folder=tmp_path / "anki", rollover=4)
    shown = {row["key"]: row for row in json.loads(recall("cards", "--json")[1])}
    by_question = {"reset": "Reset?", "plain": "Plain?"}
    assert len([state for state in anki.states.values() if state is not None]) == 2
    for key in by_question:
        expected = [
            state
            for card_id, state in anki.states.items()
            if state is not None and anki.notes[card_id][0] == _guid(package, by_question[key])
        ]
        assert len(expected) == 1, key
        stability, difficulty = expected[0]
        assert shown[key]["stability"] == pytest.approx(stability, rel=0.01), key
        assert shown[key]["difficulty"] == pytest.approx(difficulty, rel=0.01), key


def _guid(package: Path, question: str) -> str:
    folder = package.parent / f"guid-{question.strip('?')}"
    with zipfile.ZipFile(package) as archive:
        archive.extract("collection.anki2", folder)
    [(guid,)] = rows(
        folder / "collection.anki2", "SELECT guid FROM notes WHERE flds LIKE ?", f"{question}%"
    )
    return str(guid)


# recall forget
# ---------------------------------------------------------------------------------------------


def answered(db_path: Path) -> Store:
    store = Store.open(collection_sql.location(db_path), NOW)
    from recall1924.importing import import_deck

    import_deck(store, make_deck(), now=START)
    ids = store.card_ids(["a", "b"], "demo")
    for key in ("a", "b"):
        memory = store.card(ids[key]).memory
        for day in (0, 1, 4):
            after = answer(
                scheduler(), card_id=ids[key], memory=memory, rating=Rating.Good, at=at(day)
            )
            store.record_answer(
                ids[key],
                before=memory,
                after=after,
                rating=Rating.Good,
                at=at(day),
                duration_ms=None,
            )
            memory = after
    return store


def test_forget_sends_cards_back_to_new_and_logs_a_reset(db_path: Path) -> None:
    answered(db_path).close()
    before = rows(db_path, "SELECT key, state, stability, due FROM card WHERE key IN ('a', 'b')")

    code, out, err = recall("forget", "a", "c", "--deck", "demo")

    assert (code, err) == (0, "")
    assert out == "Reset 1 card to new (history kept, the reset logged): a; c was new already\n"
    assert [row[:2] for row in logged(db_path, "a")] == [(REVIEW, 3)] * 3 + [(RESET, 0)]
    assert logged(db_path, "c") == []  # a new card has nothing to reset
    [(last_review, stability)] = rows(
        db_path, "SELECT last_review, stability FROM card WHERE key = 'a'"
    )
    assert (last_review, stability) == (None, None)
    assert rows(db_path, "SELECT key, state, stability, due FROM card WHERE key = 'b'") == [
        row for row in before if row[0] == "b"
    ]
    # the reset's before is the state it took away
    [(state_before, stability_before)] = rows(
        db_path, "SELECT state_before, stability_before FROM review_log WHERE kind = 3"
    )
    assert (state_before, stability_before) == [row[1:3] for row in before if row[0] == "a"][0]


def test_forget_refuses_an_unknown_card_and_changes_nothing(db_path: Path) -> None:
    answered(db_path).close()
    contents = [rows(db_path, f"SELECT * FROM {table} ORDER BY id") for table in TABLES]
    code, out, err = recall("forget", "a", "no-such-card")
    assert (code, out, err) == (2, "", "recall: no card 'no-such-card'\n")
    assert [rows(db_path, f"SELECT * FROM {table} ORDER BY id") for table in TABLES] == contents


def test_forget_has_help() -> None:
    code, out, _ = recall("forget", "--help")
    assert code == 0 and "--deck" in out and "Anki's Forget" in out


def test_a_forgotten_card_shows_its_reset_and_its_answers(db_path: Path) -> None:
    answered(db_path).close()
    recall("forget", "a")
    code, out, _ = recall("card", "a", "--json")
    report = json.loads(out)
    assert report["state"] == "new" and report["reviews"] == 3
    assert [(row["kind"], row["rating"]) for row in report["history"]] == [
        ("review", "good")
    ] * 3 + [("reset", None)]
    code, out, _ = recall("card", "a")
    assert "new: reset, not answered since" in out
    [line] = [line for line in out.splitlines() if "reset to new" in line]
    assert line.split()[2:] == ["reset", "review", "reset", "to", "new"]


def test_doctor_replays_a_forgotten_card_and_finds_its_drift(db_path: Path) -> None:
    store = answered(db_path)
    card_id = store.card_ids(["a"], "demo")["a"]
    store.reset_cards([card_id], at=at(10))
    memory = store.card(card_id).memory
    after = answer(scheduler(), card_id=card_id, memory=memory, rating=Rating.Easy, at=at(11))
    store.record_answer(
        card_id, before=memory, after=after, rating=Rating.Easy, at=at(11), duration_ms=None
    )
    store.close()
    code, out, _ = recall("doctor", "--json")
    memory_check = [check for check in json.loads(out)["checks"] if check["check"] == "memory"][0]
    assert code == 0 and memory_check["summary"] == "ok (2 cards replayed)"

    # its first answer lost: checked from its reset all the same, and a drift there is found
    with collection_sql.connect(db_path) as sql:
        sql.execute(
            "DELETE FROM review_log WHERE id = (SELECT min(id) FROM review_log WHERE card_id = ?)",
            (card_id,),
        )
        sql.execute("UPDATE card SET stability = stability * 3 WHERE id = ?", (card_id,))
    code, out, _ = recall("doctor", "--json")
    memory_check = [check for check in json.loads(out)["checks"] if check["check"] == "memory"][0]
    assert code == 1 and memory_check["examples"] == ["demo/a"]
    assert memory_check["details"]["from_reset"] == 1
    assert memory_check["repairable"]
    code, out, _ = recall("doctor", "--repair")
    assert code == 0, out
    assert rows(db_path, "SELECT stability FROM card WHERE id = ?", card_id) == [(after.stability,)]


def test_an_answer_before_a_reset_cannot_be_undone(db_path: Path) -> None:
    store = answered(db_path)
    card_id = store.card_ids(["a"], "demo")["a"]
    [last] = [log.id for log in store.answers(card_id)][-1:]
    store.reset_cards([card_id], at=at(10))
    assert last is not None
    with pytest.raises(StaleCardError, match="reset to new"):
        store.undo_answer(last)
    assert store.card(card_id).memory.last_review is None  # still as the reset left it
    store.close()


def test_forget_by_query_asks_then_resets_every_card_it_matches(db_path: Path) -> None:
    answered(db_path).close()
    contents = [rows(db_path, f"SELECT * FROM {table} ORDER BY id") for table in TABLES]
    asked = CliRunner().invoke(
        app, ["forget", "--query", "section:one"], input="n\n", env={"RECALL_NOW": NOW.isoformat()}
    )
    assert asked.exit_code == 1
    assert "Reset the 3 cards matching 'section:one' to new (their history" in asked.stdout
    one = CliRunner().invoke(
        app, ["forget", "--query", '"question d"'], input="n\n", env={"RECALL_NOW": NOW.isoformat()}
    )
    assert "Reset the 1 card matching '\"question d\"' to new (its history is kept)?" in one.stdout
    assert [rows(db_path, f"SELECT * FROM {table} ORDER BY id") for table in TABLES] == contents

    code, out, err = recall("forget", "--query", "section:one", "--yes")

    assert (code, err) == (0, "")
    assert out.startswith(
        "Reset 2 cards matching 'section:one' to new (history kept, the reset logged); "
        "1 was new already"
    )
    for key in ("a", "b"):
        assert [row[:2] for row in logged(db_path, key)] == [(REVIEW, 3)] * 3 + [(RESET, 0)]
    assert logged(db_path, "c") == []


def test_forget_by_query_refuses_an_empty_query_and_keys_beside_it(db_path: Path) -> None:
    answered(db_path).close()
    contents = [rows(db_path, f"SELECT * FROM {table} ORDER BY id") for table in TABLES]
    code, _, err = recall("forget", "--query", "", "--yes")
    assert code == 2 and "an empty query matches every card" in err
    code, _, err = recall("forget", "a", "--query", "section:one", "--yes")
    assert code == 2 and "not both" in err
    code, out, _ = recall("forget", "--query", "no-such-word", "--yes")
    assert (code, out) == (0, "No card matches 'no-such-word': nothing was reset\n")
    assert [rows(db_path, f"SELECT * FROM {table} ORDER BY id") for table in TABLES] == contents
