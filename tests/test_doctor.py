"""recall doctor through typer's CliRunner: a healthy collection is ok; orphans, a drifted
memory state, answers in the future, unreadable settings and answers an upgrade lost are each
found; --repair fixes what is safe after a backup, in one transaction, and writes nothing to
a busy or replaced file; without it nothing in the file changes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from recall1924.backups import list_backups
from recall1924.cli import app
from recall1924.db import to_millis

runner = CliRunner()
DAY1 = "2026-11-25T09:00:00+00:00"
DAY2 = "2026-11-26T09:00:00+00:00"
NOW = "2026-11-27T10:00:00+00:00"
LATER = "2027-01-30T09:00:00+00:00"
BACKUP_NAME = "recall.db.20261127T090000Z.bak"
DECK = """\
[deck]
id = "demo"
title = "Demo"

[[sections]]
id = "one"
title = "One"

[[sections.cards]]
id = "a"
question = "A?"
answer = "a"

[[sections.cards]]
id = "b"
question = "B?"
answer = "b"

[[sections.cards]]
id = "c"
question = "C?"
answer = "c"

[[sections]]
id = "two"
title = "Two"

[[sections.cards]]
id = "d"
question = "D?"
answer = "d"
"""


# Faults are seeded into the SQLite file (foreign keys off, rowids, backups); doctor on a
# server is checked in tests/test_postgres_history.py.
pytestmark = pytest.mark.sqlite_only


def recall(*args: str, now: str = NOW, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(
        app, list(args), input=input, env={"RECALL_NOW": now}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def doctor_json(*args: str, now: str = NOW) -> tuple[int, dict[str, Any]]:
    code, out, _err = recall("doctor", "--json", *args, now=now)
    return code, json.loads(out)


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [item for item in report["checks"] if item["check"] == name]
    return found  # type: ignore[no-any-return]


def failing(report: dict[str, Any]) -> list[str]:
    return [item["check"] for item in report["checks"] if not item["ok"]]


def sql(db: Path, *statements: str) -> None:
    """Change the file behind recall's back, foreign keys off as a careless tool has them."""
    connection = sqlite3.connect(db)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def rows(db: Path, table: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
    finally:
        connection.close()


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: rows(db, table)
        for table in ("alembic_version", "deck", "section", "card", "review_log", "setting")
    }


def review(answers: str, now: str) -> None:
    code, out, err = recall("review", now=now, input=answers + "q")
    assert code == 0, err
    assert "Session:" in out


@pytest.fixture
def collection(db_path: Path, tmp_path: Path) -> Path:
    """Four cards answered on two days (nine answers), as a student's collection is."""
    deck = tmp_path / "demo.toml"
    deck.write_text(DECK)
    assert recall("import", str(deck), now=DAY1)[0] == 0
    review(" 3 3 1 3", DAY1)
    review(" 3 3 3 3 3", DAY2)
    assert len(rows(db_path, "review_log")) == 9
    return db_path


def unchanged_by(db: Path, *args: str, now: str = NOW) -> tuple[int, str]:
    """Run doctor without --repair and check that nothing in the file (or its backups)
    changed; returns its exit code and output."""
    before, contents = db.read_bytes(), dump(db)
    backups = list_backups(db)
    code, out, _err = recall("doctor", *args, now=now)
    assert db.read_bytes() == before
    assert dump(db) == contents
    assert list_backups(db) == backups
    return code, out


def test_doctor_has_help() -> None:
    code, out, _ = recall("doctor", "--help")
    assert code == 0 and "--repair" in out and "--json" in out


def test_a_missing_collection_is_reported_and_not_created(db_path: Path) -> None:
    for args in ((), ("--repair",)):
        code, out, err = recall("doctor", *args)
        assert (code, out) == (1, "")
        assert (
            err == f"recall: there is no collection at {db_path}; nothing was checked or created\n"
        )
    assert list(db_path.parent.iterdir()) == []
    elsewhere = db_path.parent / "other" / "mine.db"
    code, _out, err = recall("doctor", "--db", str(elsewhere))
    assert code == 1 and str(elsewhere) in err and not elsewhere.parent.exists()


def test_a_healthy_collection_is_ok(collection: Path) -> None:
    code, out = unchanged_by(collection)
    compared = len(list_backups(collection))
    assert code == 0
    assert out == (
        f"Checked {collection}\n"
        "✓ integrity: ok\n"
        "✓ foreign keys: ok\n"
        "✓ orphaned rows: ok\n"
        "✓ memory states: ok (4 cards replayed)\n"
        "✓ answer counters: ok\n"
        "✓ future answers: ok\n"
        "✓ settings: ok\n"
        f"✓ lost answers: ok ({compared} backups compared)\n"
        "✓ media files: ok (no media)\n"
        "Everything is in order.\n"
    )
    code, report = doctor_json()
    assert code == 0 and report["ok"] is True and report["repair"] is None
    assert [item["check"] for item in report["checks"]] == [
        "integrity",
        "foreign_keys",
        "orphans",
        "memory",
        "answer_counters",
        "future_answers",
        "settings",
        "lost_answers",
        "media",
    ]
    # Nothing to repair: no backup is taken, and it exits 0.
    code, report = doctor_json("--repair")
    assert code == 0 and report["repair"] == {"backup": None, "done": [], "refused": None}
    assert len(list_backups(collection)) == compared


ORPHAN_AT = to_millis(datetime(2026, 11, 25, 9, tzinfo=UTC))
"""When the orphaned answers were given, as review_log stores it (integer milliseconds)."""


def add_orphans(db: Path) -> None:
    sql(
        db,
        # an answer of a card that is gone, a card and a section of a deck that is gone
        "INSERT INTO review_log (card_id, kind, rating, reviewed_at, state_before, due_before,"
        f" state_after, due_after) VALUES (999, 0, 3, {ORPHAN_AT}, 1, {ORPHAN_AT}, 1,"
        f" {ORPHAN_AT + 600_000})",
        "INSERT INTO section (id, deck_id, key, title, position) VALUES (50, 77, 'lost', 'L', 0)",
        "INSERT INTO card (deck_id, section_id, key, position, question, answer, tags, state,"
        " due, created_at, updated_at) VALUES (77, 50, 'ghost', 0, 'Q', 'A', '[]', 1,"
        " '2026-11-25 09:00:00.000000', '2026-11-25 09:00:00.000000',"
        " '2026-11-25 09:00:00.000000')",
        "INSERT INTO review_log (card_id, kind, rating, reviewed_at, state_before, due_before,"
        f" state_after, due_after) SELECT id, 0, 3, {ORPHAN_AT}, 1, {ORPHAN_AT}, 1,"
        f" {ORPHAN_AT + 600_000} FROM card WHERE key = 'ghost'",
    )


def test_orphaned_rows_are_found_and_deleted(collection: Path) -> None:
    healthy = dump(collection)
    add_orphans(collection)
    code, out = unchanged_by(collection)
    assert code == 1
    assert (
        "✗ orphaned rows: 3 rows nothing can reach: 1 answer whose card is missing "
        "(review_log 10); 1 card whose deck is missing (?/ghost), with 1 answer; 1 section "
        "whose deck is missing (lost)\n"
    ) in out
    assert "✗ foreign keys: 3 rows point at rows that are not there (card 1, review_log 1, " in out
    assert (
        "recall doctor --repair backs the database up, then fixes: foreign keys, orphaned rows."
        in out
    )

    code, out, _ = recall("doctor", "--repair")
    assert code == 0, out
    assert (
        "Deleted 3 orphaned rows: 1 answer whose card was missing, 1 card whose deck was "
        "missing, 1 section whose deck was missing (with 1 answer of those cards)\n"
    ) in out
    assert dump(collection) == healthy
    assert doctor_json()[0] == 0


def test_a_card_whose_section_is_missing_is_kept_with_its_answers(collection: Path) -> None:
    sql(collection, "UPDATE card SET section_id = 555 WHERE key = 'd'")
    code, report = doctor_json("--repair")
    assert code == 1
    orphans = check(report, "orphans")
    assert orphans["examples"] == ["demo/d"] and not orphans["repairable"]
    assert "import the deck's file again" in orphans["remedy"]
    assert report["repair"]["backup"] is None  # nothing it may fix, so nothing written
    assert len(rows(collection, "review_log")) == 9


def test_a_drifted_memory_state_is_found_and_re_derived(collection: Path) -> None:
    (stability,) = next(iter(rows_where(collection, "SELECT stability FROM card WHERE key = 'b'")))
    sql(collection, "UPDATE card SET stability = stability * 2 WHERE key = 'b'")
    code, out = unchanged_by(collection)
    assert code == 1
    assert (
        "✗ memory states: 1 card disagrees with both a replay of its history and its last "
        f"answer (demo/b: stability {stability * 2:.4g} stored, {stability:.4g} replayed); "
        "4 cards replayed\n"
    ) in out

    code, out, _ = recall("doctor", "--repair")
    assert code == 0, out
    assert "Re-derived memory states from history: 1 card (demo/b)\n" in out
    assert rows_where(collection, "SELECT stability FROM card WHERE key = 'b'") == [(stability,)]
    code, report = doctor_json()
    assert code == 0 and check(report, "memory")["summary"] == "ok (4 cards replayed)"


def test_cards_answered_under_settings_since_changed_are_not_drifted(collection: Path) -> None:
    # A replay with today's steps and retention differs, but each card is what its last
    # answer made it: nothing to repair.
    assert recall("config", "set", "learning_steps", "5m")[0] == 0
    assert recall("config", "set", "desired_retention", "0.8")[0] == 0
    before = rows(collection, "card")
    code, report = doctor_json("--repair")
    assert code == 0, failing(report)
    assert check(report, "memory")["summary"] == (
        "ok (4 cards replayed; 4 differ from their replay but are as their last answer left them)"
    )
    assert rows(collection, "card") == before


def rows_where(db: Path, query: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def test_a_card_whose_last_answer_is_missing_is_not_re_derived(collection: Path) -> None:
    # The card is as its last answer left it, but that answer is gone and no backup holds it:
    # a replay of what is left would undo it.
    sql(
        collection,
        "DELETE FROM review_log WHERE id = (SELECT max(id) FROM review_log"
        " WHERE card_id = (SELECT id FROM card WHERE key = 'a'))",
    )
    for found in list_backups(collection):
        found.path.unlink()
    before = rows(collection, "card")
    code, report = doctor_json("--repair")
    assert code == 1
    memory = check(report, "memory")
    assert memory["examples"] == ["demo/a"] and not memory["repairable"]
    assert "missing answers" in memory["remedy"]
    assert rows(collection, "card") == before


def test_an_answer_a_backup_still_holds_is_restored_before_any_replay(collection: Path) -> None:
    answers = rows(collection, "review_log")
    sql(collection, f"DELETE FROM review_log WHERE id = {answers[-1][0]}")
    code, report = doctor_json("--repair")
    assert code == 0, failing(report)
    assert rows(collection, "review_log") == answers
    assert [action["check"] for action in report["repair"]["done"]] == ["lost_answers"]


COUNTERS = "SELECT key, review_answers, review_lapses, mature_answers, mature_lapses FROM card"


def counters(db: Path) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(COUNTERS + " ORDER BY key").fetchall()
    finally:
        connection.close()


def test_answer_counters_changed_behind_the_triggers_back_are_found_and_recounted(
    collection: Path,
) -> None:
    review(" 1 3", LATER)  # c and d, in the Review state by then: counted; a and b not
    healthy = counters(collection)
    assert any(answers for _key, answers, *_rest in healthy)  # some answers are counted
    assert any(not answers for _key, answers, *_rest in healthy)  # and some cards count none
    # Every card: those with counted answers and those with none (which a recount alone skips).
    sql(collection, "UPDATE card SET review_lapses = 7")
    code, out = unchanged_by(collection, now=LATER)
    assert code == 1
    assert (
        "✗ answer counters: 4 cards' answer counters disagree with their history (demo/a: "
        "review_lapses 7 stored, 0 counted, demo/b: review_lapses 7 stored, 0 counted, demo/c: "
        "review_lapses 7 stored, 1 counted, ...); recall stats sums them\n"
    ) in out
    assert "answer counters." in out  # among what --repair fixes
    code, report = doctor_json(now=LATER)
    found = check(report, "answer_counters")
    assert code == 1 and failing(report) == ["answer_counters"]
    assert (found["problems"], found["repairable"]) == (4, True)
    assert found["examples"] == ["demo/a", "demo/b", "demo/c"]
    assert found["details"]["drifted"][3] == {
        "deck": "demo",
        "key": "d",
        "differences": ["review_lapses 7 stored, 0 counted"],
    }

    code, report = doctor_json("--repair", now=LATER)
    assert code == 0 and report["ok"] is True
    assert report["repair"]["backup"] is not None
    (action,) = report["repair"]["done"]
    assert (action["check"], action["rows"]) == ("answer_counters", 4)
    assert action["summary"].startswith("Recounted the answer counters from history: 4 cards")
    assert counters(collection) == healthy


def test_one_card_whose_counters_disagree_is_named(collection: Path) -> None:
    sql(collection, "UPDATE card SET mature_answers = mature_answers + 2 WHERE key = 'c'")
    code, report = doctor_json()
    assert code == 1
    assert check(report, "answer_counters")["summary"].startswith(
        "1 card's answer counters disagree with its history (demo/c: mature_answers 2 stored, "
        "0 counted); "
    )


def test_answers_in_the_future_are_found_and_left(collection: Path) -> None:
    code, out = unchanged_by(collection, now=DAY1)
    assert code == 1
    assert (
        "✗ future answers: 5 answers stamped later than now (2026-11-25T09:00:00Z), the latest "
        "2026-11-26T09:00:00Z (demo/c, demo/a, demo/b, ...)\n"
    ) in out
    code, report = doctor_json("--repair", now=DAY1)
    assert code == 1 and failing(report) == ["future_answers"]
    assert report["repair"] == {"backup": None, "done": [], "refused": None}
    assert check(report, "future_answers")["remedy"].startswith("doctor leaves them")


def test_unreadable_settings_are_found_once(collection: Path) -> None:
    sql(
        collection,
        "INSERT INTO setting (scope, key, value) VALUES ('*', 'new_per_day', 'lots')",
        "INSERT INTO setting (scope, key, value) VALUES ('demo', 'learning_steps', 'soon')",
    )
    code, out, err = recall("doctor")
    assert code == 1
    assert (
        "✗ settings: 2 stored values cannot be read: setting new_per_day: stored value 'lots'"
        in out
    )
    assert "setting learning_steps of deck demo: stored value 'soon'" in out
    assert "lots" not in err  # the report says it; the notice would say it again
    code, report = doctor_json()
    assert failing(report) == ["settings"]
    assert len(check(report, "settings")["details"]["problems"]) == 2


def lose_answers(db: Path) -> tuple[Path, list[tuple[Any, ...]]]:
    """What an older recall's upgrade did: a backup beside the database, then every answer
    deleted. Returns the backup and the answers it holds."""
    answers = rows(db, "review_log")
    backup = db.with_name(BACKUP_NAME)
    shutil.copy(db, backup)
    sql(db, "DELETE FROM review_log")
    return backup, answers


def test_answers_an_upgrade_lost_are_found_and_restored(collection: Path) -> None:
    backup, answers = lose_answers(collection)
    code, out = unchanged_by(collection)
    assert code == 1
    assert (
        "✗ lost answers: 9 answers from before 2026-11-27 09:00 are missing; backup "
        f"{backup} holds them; run recall doctor --repair to restore them\n"
    ) in out
    code, report = doctor_json()
    lost = check(report, "lost_answers")
    assert lost["problems"] == 9 and lost["repairable"]
    assert lost["examples"] == ["demo/a", "demo/b", "demo/c"]
    assert lost["details"]["backups"][0] == {
        "path": str(backup),
        "taken_at": "2026-11-27T09:00:00Z",
        "answers": 9,
        "restorable": True,
    }

    code, out, _ = recall("doctor", "--repair")
    assert code == 0, out
    assert f"Restored 9 answers from {backup}\n" in out
    assert rows(collection, "review_log") == answers  # the same rows, with their own ids
    taken = [found for found in list_backups(collection) if found.path != backup]
    assert f"Backed up the database to {taken[0].path} first.\n" in out
    assert rows(taken[0].path, "review_log") == []  # taken before the repair

    code, out, _ = recall("doctor")
    assert code == 0, out
    assert "✓ lost answers: ok" in out


def test_answers_given_since_the_loss_are_kept_and_lost_ones_renumbered(
    collection: Path,
) -> None:
    backup, answers = lose_answers(collection)
    later = "2026-12-20T09:00:00+00:00"
    # With load balancing on (the default): a balanced day depends on the other cards' loads on
    # the day it was picked, which a replay cannot know; doctor takes any day of its range.
    review(" 3 3 3 3", later)  # every card due again: these take ids 1 to 4
    since = rows(collection, "review_log")
    assert [row[0] for row in since] == [1, 2, 3, 4]

    code, out, _ = recall("doctor", "--repair", now=later)
    assert code == 0, out
    assert (
        f"Restored 9 answers from {backup} (4 under new ids: answers given since had taken "
        "theirs)\n"
    ) in out
    restored = rows(collection, "review_log")
    assert restored[:4] == since
    assert sorted(row[1:] for row in restored[4:]) == sorted(row[1:] for row in answers)
    assert [row[0] for row in restored[4:]] == [5, 6, 7, 8, 9, 10, 11, 12, 13]
    # The history is whole again: every card replays to its state.
    code, report = doctor_json(now=later)
    assert code == 0, failing(report)
    assert check(report, "memory")["summary"] == "ok (4 cards replayed)"


def test_a_backup_at_an_older_schema_gives_back_the_columns_it_has(collection: Path) -> None:
    backup, answers = lose_answers(collection)
    # The first release's answers as an older layout without duration_ms would hold them.
    sql(
        backup,
        "UPDATE alembic_version SET version_num = '0001'",
        "DROP INDEX ix_review_log_time_kind",
        "ALTER TABLE review_log DROP COLUMN duration_ms",
    )
    code, out, _ = recall("doctor", "--repair")
    assert code == 0, out
    duration = [row[0] for row in rows_where(collection, "PRAGMA table_info(review_log)")].index(5)
    assert duration == 5  # the column order the comparison below assumes
    restored = rows(collection, "review_log")
    assert [row[:5] + row[6:] for row in restored] == [row[:5] + row[6:] for row in answers]
    assert {row[5] for row in restored} == {None}


def test_answers_of_a_card_that_is_no_longer_the_same_are_not_restored(collection: Path) -> None:
    _backup, answers = lose_answers(collection)
    # Card a's id now names a card with another key: its answers in the backup are not its.
    sql(collection, "UPDATE card SET key = 'other' WHERE key = 'a'")
    code, report = doctor_json("--repair")
    assert check(report, "lost_answers")["ok"]
    restored = rows(collection, "review_log")
    a_id = rows_where(collection, "SELECT id FROM card WHERE key = 'other'")[0][0]
    assert restored == [row for row in answers if row[1] != a_id]
    assert len(restored) == 7


def test_nothing_changes_without_repair_when_everything_is_wrong(collection: Path) -> None:
    lose_answers(collection)
    add_orphans(collection)
    sql(
        collection,
        "UPDATE card SET difficulty = 9.5 WHERE key = 'a'",
        "INSERT INTO setting (scope, key, value) VALUES ('*', 'new_per_day', 'lots')",
    )
    code, out = unchanged_by(collection)
    assert code == 1
    code, report = doctor_json()
    assert failing(report) == ["foreign_keys", "orphans", "settings", "lost_answers"]


def test_an_older_layout_is_not_upgraded_without_repair(collection: Path) -> None:
    sql(collection, "UPDATE alembic_version SET version_num = '0002'")
    before = collection.read_bytes()
    code, out, err = recall("doctor")
    assert (code, out) == (1, "")
    assert err.startswith(f"recall: {collection} is at schema 0002, older than this recall's")
    assert collection.read_bytes() == before


def damage(collection: Path, name: str) -> None:
    """Point the cell pointers of table or index ``name``'s first page nowhere: SQLite finds
    the file malformed as soon as a statement reads it."""
    connection = sqlite3.connect(collection)
    # every page in the file itself, none newer in the write-ahead log
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (page,) = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,))
    (size,) = connection.execute("PRAGMA page_size").fetchone()
    connection.close()
    with collection.open("r+b") as file:
        file.seek((page[0] - 1) * size + 8)
        file.write(b"\xff" * 16)


def test_a_damaged_file_is_reported_and_not_repaired(collection: Path) -> None:
    damage(collection, "ix_card_due")
    before = collection.read_bytes()
    code, out, err = recall("doctor", "--repair")
    assert code == 1, err
    lines = out.splitlines()
    assert len(lines) > 2, err
    assert lines[1] == "Nothing repaired: SQLite finds the file damaged (see integrity)"
    # SQLite's own words for the damage, on one line, and nothing else checked
    assert lines[2].startswith("✗ integrity: SQLite finds the file damaged: ")
    assert lines[2].endswith("; the other checks were skipped")
    assert lines[-1] == "1 check still finds problems."
    assert collection.read_bytes() == before


def test_a_file_that_is_not_a_collection_is_refused(db_path: Path) -> None:
    db_path.write_bytes(b"not a database at all, just some text" * 100)
    code, _out, err = recall("doctor", "--repair")
    assert code == 1 and err.startswith(f"recall: {db_path} is not a usable SQLite database")


def test_a_repair_that_fails_part_way_changes_nothing(
    collection: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # All three repairs are due: answers to restore, orphans to delete, a drifted card.
    lose_answers(collection)
    add_orphans(collection)
    sql(collection, "UPDATE card SET stability = stability * 2 WHERE key = 'b'")
    before = dump(collection)

    def fail(*_args: object) -> None:
        raise RuntimeError("the disk went away")

    with monkeypatch.context() as patched:
        # The last of the three writes fails, after the other two have been made.
        patched.setattr("recall1924.store.history.HistoryStore.rewrite_memory", fail)
        with pytest.raises(RuntimeError, match="the disk went away"):
            recall("doctor", "--repair")
    assert dump(collection) == before
    code, report = doctor_json("--repair")
    assert code == 0, failing(report)
    assert [action["check"] for action in report["repair"]["done"]] == [
        "lost_answers",
        "orphans",
        "memory",
    ]


def test_a_repair_of_a_busy_collection_says_so_and_changes_nothing(
    collection: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_orphans(collection)
    before = dump(collection)
    monkeypatch.setattr("recall1924.db.BUSY_TIMEOUT_MS", 50)
    other = sqlite3.connect(collection)
    try:
        other.execute("BEGIN IMMEDIATE")  # another recall in the middle of a write
        code, out, err = recall("doctor", "--repair")
    finally:
        other.rollback()
        other.close()
    assert (code, out) == (1, "")
    assert err == "recall: the database is busy in another recall\n"
    assert dump(collection) == before


def test_a_collection_replaced_before_the_repair_writes_is_left_alone(
    collection: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recall1924.context import App

    add_orphans(collection)
    take_backup = App.backup

    def back_up_then_replace(self: App) -> Path:
        # A sync tool puts another copy in place just as the repair is about to write.
        taken = take_backup(self)
        copy = collection.with_name("copy.db")
        shutil.copy(taken, copy)
        copy.replace(collection)
        return taken

    monkeypatch.setattr(App, "backup", back_up_then_replace)
    code, _out, err = recall("doctor", "--repair")
    assert code == 1
    assert err == (
        f"recall: {collection} was replaced by another file while recall had it open; "
        "nothing more was saved\n"
    )
    assert len(rows(collection, "review_log")) == 9 + 2  # the orphaned answers are still there


@pytest.mark.parametrize("damaged", ["ix_card_due", "sqlite_master"])
def test_a_command_on_a_damaged_file_points_at_the_backups(collection: Path, damaged: str) -> None:
    # It said "database error: database disk image is malformed" (a page a statement reads),
    # or that the file is "not a usable SQLite database" (its schema's), and what to do nowhere.
    if damaged == "sqlite_master":
        with collection.open("r+b") as file:  # page 1's cell pointers, after its 100-byte header
            file.seek(108)
            file.write(b"\xff" * 16)
    else:
        damage(collection, damaged)
    before = collection.read_bytes()
    code, out, err = recall("review", input="q")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"recall: {collection} is damaged (database disk image is malformed): put a backup "
        "back with recall restore (recall backups lists them)"
    )
    assert err.count("\n") == 1
    assert collection.read_bytes() == before
