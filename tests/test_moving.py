"""``recall migrate-store --to``: a whole collection moved to another store, all or nothing.

A collection with a history (a deck imported, answers over two days, a setting, a suspended and
a flagged card, a card of the student's own) is moved file to file here, and through a
PostgreSQL server and back in the tests marked ``postgres``; afterwards every command that
reads it (``cards``, ``decks``, ``card``, ``config``) says the same on both sides, every row of
every table is equal through the models' types, and the target goes on working (new ids, the
answer counters' triggers). A target that holds a collection is refused with nothing written;
a copy that fails or comes out different leaves the target empty.

The source is the test's own collection (``db_location``): a SQLite file, or on the suite's
server pass a schema on the server, so that pass moves from PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlmodel import SQLModel
from typer.testing import CliRunner

import collection_sql
from conftest import NOW, SHARED_TESTDATA
from recall1924.cli import app
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.location import DatabaseLocation
from recall1924.media import media_folder
from recall1924.moving import move_collection, same_store
from recall1924.review import Action, run
from recall1924.review.service import start_review
from recall1924.scheduling import ReviewKind, State
from recall1924.store import Scope, Store
from recall1924.store import moving as store_moving
from recall1924.store.dialect import ANSWER_COUNTERS

runner = CliRunner()
LATER = NOW + timedelta(days=12)
FAR = LATER + timedelta(days=400)
DECK = """\
[deck]
id = "moves"
title = "A deck that moves"

[[sections]]
id = "one"
title = "First"

[[sections.cards]]
id = "a"
question = "Alpha?"
answer = "A"
tags = ["greek", "first"]

[[sections.cards]]
id = "b"
question = "Beta?"
answer = "B"
note = "the second letter"

[[sections.cards]]
id = "c"
question = "Gamma?"
answer = "C"

[[sections]]
id = "two"
title = "Second"

[[sections.cards]]
id = "d"
question = "Delta?"
answer = "D"

[[sections.cards]]
id = "e"
question = "Epsilon?"
answer = "E"
"""


def recall(*args: str, now: Any = NOW) -> tuple[int, str, str]:
    result = runner.invoke(
        app, list(args), env={"RECALL_NOW": now.isoformat()}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str, now: Any = NOW) -> str:
    code, out, err = recall(*args, now=now)
    assert code == 0, err
    return out


class _ScriptedUI:
    def __init__(self, actions: list[Action]) -> None:
        self.actions = list(actions)

    def show(self, session: object) -> None:
        pass

    def next_action(self, session: object) -> Action:
        return self.actions.pop(0) if self.actions else Action.QUIT


def answer(where: str | Path, when: Any, actions: list[Action]) -> int:
    """Answer the cards due at ``when`` in ``where``, as a review does; how many answers."""
    app_obj = App(DatabaseLocation.of(where), FixedClock(when), bundled=False)
    try:
        return run(start_review(app_obj, Scope()), _ScriptedUI(actions)).answers
    finally:
        app_obj.close()


def with_history(where: str | Path, folder: Path) -> None:
    """The collection at ``where`` given a deck, two days of answers (Review-state ones, a
    lapse among them, so the answer counters count), a setting, a suspended and a flagged card
    and a card of the student's own."""
    deck = folder / "moves.toml"
    deck.write_text(DECK, encoding="utf-8")
    db = str(where)
    ok("import", str(deck), "--db", db)
    deck.unlink()  # the added card is then the collection's own, not the file's
    easy = [Action.REVEAL, Action.EASY]
    assert answer(where, NOW, easy * 4) == 4
    assert answer(where, LATER, [Action.REVEAL, Action.AGAIN, *easy, Action.REVEAL, Action.GOOD])
    ok("config", "set", "new_per_day", "7", "--db", db)
    ok("config", "set", "--deck", "moves", "desired_retention", "0.85", "--db", db)
    ok("suspend", "e", "--db", db)
    ok("flag", "d", "--reason", "ask in class", "--db", db)
    ok("add", "--question", "Zeta?", "--answer", "Z", "--id", "z", "--db", db)


def views(where: str | Path) -> dict[str, Any]:
    """What the commands show of the collection at ``where``."""
    db = str(where)
    cards = json.loads(ok("cards", "--json", "--db", db, now=LATER))
    return {
        "cards": cards,
        "decks": json.loads(ok("decks", "--json", "--db", db, now=LATER)),
        "config": json.loads(ok("config", "--json", "--db", db, now=LATER)),
        "deck config": json.loads(ok("config", "--deck", "moves", "--json", "--db", db)),
        "history": [
            json.loads(ok("card", card["key"], "--json", "--db", db, now=LATER)) for card in cards
        ],
    }


def engine_for(where: str | Path) -> Any:
    return create_engine(DatabaseLocation.of(where).url)


def rows(where: str | Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read through the models' types (so a SQLite file and a
    PostgreSQL database holding the same collection give the same values)."""
    engine = engine_for(where)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in store_moving.TABLES
            }
    finally:
        engine.dispose()


def schema(where: str | Path) -> dict[str, Any]:
    """The tables' indexes and the triggers: what the copy drops and makes again."""
    engine = engine_for(where)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            return {
                "indexes": {
                    table: sorted(index["name"] or "" for index in inspector.get_indexes(table))
                    for table in sorted(inspector.get_table_names())
                },
                "triggers": _triggers(connection),
            }
    finally:
        engine.dispose()


def _triggers(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    else:
        query = (
            "SELECT DISTINCT trigger_name FROM information_schema.triggers "
            "WHERE trigger_schema = current_schema() ORDER BY trigger_name"
        )
    return list(connection.execute(text(query)).scalars())


def counters(where: str | Path) -> list[tuple[Any, ...]]:
    with collection_sql.connect(str(where)) as connection:
        return list(
            connection.execute(f"SELECT id, {', '.join(ANSWER_COUNTERS)} FROM card ORDER BY id")
        )


def logged_reviews(where: str | Path) -> int:
    """The answers the ``review_answers`` counters count: scheduled, in the Review state."""
    with collection_sql.connect(str(where)) as connection:
        query = "SELECT COUNT(*) FROM review_log WHERE kind = ? AND state_before = ?"
        return int(connection.execute(query, (ReviewKind.Review, State.Review)).fetchone()[0])


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def source(db_location: str | Path, tmp_path: Path) -> str | Path:
    """The test's collection, with a history."""
    with_history(db_location, tmp_path)
    return db_location


# The tables copied
# ---------------------------------------------------------------------------------------------


def test_every_table_of_the_models_is_copied_after_the_tables_it_refers_to() -> None:
    assert {table.name for table in store_moving.TABLES} == set(SQLModel.metadata.tables)
    seen: set[str] = set()
    for table in store_moving.TABLES:
        assert {key.column.table.name for key in table.foreign_keys} <= seen
        seen.add(table.name)


# File to file (or, on the server pass, server to file)
# ---------------------------------------------------------------------------------------------


def test_a_collection_with_history_moves_whole(source: str | Path, tmp_path: Path) -> None:
    before, raw = views(source), rows(source)
    assert sum(card["reviews"] for card in before["cards"]) >= 3  # the counters count
    assert any(card["lapses"] for card in before["cards"])
    target = tmp_path / "elsewhere" / "moved.db"
    out = ok("migrate-store", "--db", str(source), "--to", str(target))
    assert views(target) == before
    assert rows(target) == raw
    assert counters(target) == counters(source)
    assert rows(source) == raw  # the source is only read
    fresh = tmp_path / "fresh.db"
    Store.open(fresh, NOW).close()
    assert schema(target) == schema(fresh)  # every index and trigger, made again
    assert f"Moved {DatabaseLocation.of(source)} to {target} in " in out
    assert f"\n{DatabaseLocation.of(source)} is unchanged.\n" in out
    answers = len(raw["review_log"])
    assert re.search(rf"^ review_log +{answers} +{answers} $", out, re.MULTILINE), out


def test_the_summary_says_the_rows_of_each_table_on_both_sides(
    source: str | Path, tmp_path: Path
) -> None:
    raw = rows(source)
    target = tmp_path / "moved.db"
    report = json.loads(ok("migrate-store", "--db", str(source), "--to", str(target), "--json"))
    assert report["source"] == str(DatabaseLocation.of(source))
    assert report["target"] == str(target)
    assert report["tables"] == [
        {"table": name, "source": len(found), "target": len(found)} for name, found in raw.items()
    ]
    assert [entry["table"] for entry in report["tables"]] == [
        "deck",
        "section",
        "card",
        "review_log",
        "setting",
        "media",
    ]
    assert report["media"]["copied"] == 0 and report["media"]["problem"] is None
    assert isinstance(report["seconds"], float)


def test_the_moved_collection_goes_on_working(source: str | Path, tmp_path: Path) -> None:
    target = tmp_path / "moved.db"
    ok("migrate-store", "--db", str(source), "--to", str(target))
    highest = max(row[0] for row in rows(target)["card"])
    ok("add", "--question", "Eta?", "--answer", "H", "--id", "h", "--db", str(target))
    assert max(row[0] for row in rows(target)["card"]) == highest + 1
    due = [card["key"] for card in json.loads(ok("cards", "--json", "--db", str(target)))]
    assert "h" in due
    # The counters' triggers are back: review answers count.
    counted = logged_reviews(target)
    assert answer(target, FAR, [Action.REVEAL, Action.GOOD] * 10)
    assert logged_reviews(target) > counted
    assert sum(row[1] for row in counters(target)) == logged_reviews(target)


def test_into_an_empty_file_or_a_collection_with_nothing_in_it(
    source: str | Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    ok("migrate-store", "--db", str(source), "--to", str(empty))
    assert rows(empty) == rows(source)
    fresh = tmp_path / "fresh.db"
    Store.open(fresh, NOW).close()  # a new collection, without the bundled deck
    ok("migrate-store", "--db", str(source), "--to", f"sqlite:///{fresh}")
    assert rows(fresh) == rows(source)


# Refusals: nothing written
# ---------------------------------------------------------------------------------------------


def test_a_target_that_holds_a_collection_is_refused_untouched(
    source: str | Path, tmp_path: Path
) -> None:
    taken = tmp_path / "taken.db"
    with_history(taken, tmp_path)
    digest = file_digest(taken)
    code, out, err = recall("migrate-store", "--db", str(source), "--to", str(taken))
    assert code == 1 and out == ""
    assert err.startswith(f"recall: {taken} already holds 1 deck, 2 sections, 6 cards, ")
    assert "answers, 2 settings: recall moves a collection only into a new file" in err
    assert err.endswith("nothing was copied\n") and err.count("\n") == 1
    assert file_digest(taken) == digest


def test_a_target_with_only_settings_is_refused_too(source: str | Path, tmp_path: Path) -> None:
    settled = tmp_path / "settled.db"
    with _opened(settled) as store:
        store.save_setting("new_per_day", "3")
    code, _out, err = recall("migrate-store", "--db", str(source), "--to", str(settled))
    assert code == 1 and err == (
        f"recall: {settled} already holds 1 setting: recall moves a collection only into a "
        "new file, an empty database or a collection with nothing in it; nothing was copied\n"
    )


def test_the_collection_itself_is_refused(source: str | Path, tmp_path: Path) -> None:
    raw = rows(source)
    if isinstance(source, Path):
        spelled = source.parent / "folder" / ".." / source.name
        (source.parent / "folder").mkdir()
    else:
        spelled = source  # type: ignore[assignment]
    code, _out, err = recall("migrate-store", "--db", str(source), "--to", str(spelled))
    assert code == 1
    assert err == (
        f"recall: --to names the collection itself ({DatabaseLocation.of(source)}): give "
        "another file or URL\n"
    )
    assert rows(source) == raw


def test_a_source_with_no_collection_is_refused(tmp_path: Path) -> None:
    missing, target = tmp_path / "missing.db", tmp_path / "target.db"
    code, _out, err = recall("migrate-store", "--db", str(missing), "--to", str(target))
    assert (code, err) == (2, f"recall: there is no collection at {missing} to move\n")
    assert not missing.exists() and not target.exists()


def test_a_bad_target_url_is_one_line(source: str | Path) -> None:
    code, _out, err = recall("migrate-store", "--db", str(source), "--to", "mysql://x/y")
    assert code == 2 and err.startswith("recall: recall keeps a collection in a SQLite file")


def test_the_same_store_however_it_is_written(tmp_path: Path) -> None:
    def same(one: str, other: str) -> bool:
        return same_store(DatabaseLocation.parse(one), DatabaseLocation.parse(other))

    (tmp_path / "sub").mkdir()
    assert same(str(tmp_path / "c.db"), f"sqlite:///{tmp_path / 'sub' / '..' / 'c.db'}")
    assert not same(str(tmp_path / "c.db"), str(tmp_path / "d.db"))
    assert same("postgresql://amy:pw@db.example/recall", "postgres://bob@db.example:5432/recall")
    assert not same("postgresql://db.example/recall", "postgresql://db.example/other")
    assert not same("postgresql://db.example/recall", "postgresql://db.example:5433/recall")
    assert same("postgresql:///recall?host=/run/pg", "postgresql://@/recall?host=/run/pg")
    assert not same(
        "postgresql:///recall?host=/run/pg&options=-csearch_path%3Dt1",
        "postgresql:///recall?host=/run/pg&options=-csearch_path%3Dt2",
    )
    assert not same(str(tmp_path / "c.db"), "postgresql://db.example/recall")


# All or nothing
# ---------------------------------------------------------------------------------------------


def _failing_after_first_table(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    copied: list[str] = []
    real = store_moving.copy_table

    def copy_then_fail(reading: Any, writing: Any, table: Any, *, batch: int) -> int:
        if copied:
            raise RuntimeError("the disk went away")
        copied.append(table.name)
        return real(reading, writing, table, batch=batch)

    monkeypatch.setattr(store_moving, "copy_table", copy_then_fail)
    return copied


def test_a_copy_that_fails_half_way_leaves_the_target_empty(
    source: str | Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "half.db"
    fresh = tmp_path / "fresh.db"
    Store.open(fresh, NOW).close()
    copied = _failing_after_first_table(monkeypatch)
    with pytest.raises(RuntimeError, match="the disk went away"):
        move_collection(
            DatabaseLocation.of(source),
            DatabaseLocation.of(target),
            now=NOW,
        )
    assert copied == ["deck"]
    assert all(not found for found in rows(target).values())
    assert schema(target) == schema(fresh)  # the indexes and triggers are back
    monkeypatch.undo()
    ok("migrate-store", "--db", str(source), "--to", str(target))
    assert rows(target) == rows(source)


def test_a_copy_that_comes_out_different_is_rolled_back(
    source: str | Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store_moving.copy_table

    def lose_an_answer(reading: Any, writing: Any, table: Any, *, batch: int) -> int:
        copied = real(reading, writing, table, batch=batch)
        if table.name == "review_log":
            writing.exec_driver_sql("DELETE FROM review_log WHERE id = 1")
        return copied

    monkeypatch.setattr(store_moving, "copy_table", lose_an_answer)
    target = tmp_path / "different.db"
    answers = len(rows(source)["review_log"])
    code, out, err = recall("migrate-store", "--db", str(source), "--to", str(target))
    assert code == 1 and out == ""
    assert err == (
        f"recall: the copy in {target} does not match the collection (review_log has "
        f"{answers} rows here and {answers - 1} there); nothing was copied\n"
    )
    assert all(not found for found in rows(target).values())


def test_the_counters_are_copied_not_counted_again(source: str | Path, tmp_path: Path) -> None:
    # Counters the source holds that its answers would not give (as after a repair that
    # rewrote the log): the copy keeps them as they are, and the tallies agree.
    with collection_sql.connect(str(source)) as connection:
        connection.execute("UPDATE card SET mature_answers = mature_answers + 5 WHERE id = 1")
    target = tmp_path / "moved.db"
    ok("migrate-store", "--db", str(source), "--to", str(target))
    assert counters(target) == counters(source)


def test_a_big_table_is_copied_in_batches(source: str | Path, tmp_path: Path) -> None:
    target = Store.open(tmp_path / "batched.db", NOW)
    reading = Store.open(source, NOW)
    try:
        before, after = store_moving.copy_collection(
            reading.engine, target.engine, where="batched.db", batch=2
        )
    finally:
        reading.close()
        target.close()
    assert before == after and before.rows["review_log"] == len(rows(source)["review_log"]) > 2
    assert rows(tmp_path / "batched.db") == rows(source)


# Media
# ---------------------------------------------------------------------------------------------


def test_the_media_files_the_collection_names_are_copied_after(
    db_path: Path, tmp_path: Path
) -> None:
    with_history(db_path, tmp_path)
    kept = media_folder(db_path)
    kept.mkdir()
    (kept / "abc.png").write_bytes(b"picture")
    (kept / "unrelated.png").write_bytes(b"not this collection's")
    with collection_sql.connect(str(db_path)) as connection:
        connection.executemany(
            "INSERT INTO media (deck_id, name, file, size) VALUES (1, ?, ?, ?)",
            [("a.png", "abc.png", 7), ("gone.ogg", "gone.ogg", 3)],
        )
    target = tmp_path / "far" / "moved.db"
    report = json.loads(ok("migrate-store", "--db", str(db_path), "--to", str(target), "--json"))
    into = media_folder(target)
    assert report["media"] == {
        "folder": str(into),
        "copied": 1,
        "present": 0,
        "missing": 1,
        "problem": None,
    }
    assert sorted(path.name for path in into.iterdir()) == ["abc.png"]
    assert (into / "abc.png").read_bytes() == b"picture"
    # Beside the source, its media folder is the target's too: nothing to copy.
    near = db_path.parent / "near.db"
    out = ok("migrate-store", "--db", str(db_path), "--to", str(near))
    assert f"Copied 0 media files to {kept}; 1 there already; 1 missing from the source's" in out


# Through PostgreSQL and back
# ---------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_sqlite_to_postgresql_and_back(tmp_path: Path, postgres_url: str) -> None:
    start = tmp_path / "start.db"
    with_history(start, tmp_path)
    before, raw = views(start), rows(start)
    ok("migrate-store", "--db", str(start), "--to", postgres_url)
    assert views(postgres_url) == before
    assert rows(postgres_url) == raw
    assert counters(postgres_url) == counters(start)
    back = tmp_path / "back.db"
    ok("migrate-store", "--db", postgres_url, "--to", str(back))
    assert views(back) == before
    assert rows(back) == raw
    with collection_sql.connect(str(start)) as one, collection_sql.connect(str(back)) as other:
        for table in store_moving.TABLES:  # as stored, to the byte
            query = f"SELECT * FROM {table.name} ORDER BY 1, 2"
            assert list(one.execute(query)) == list(other.execute(query)), table.name


@pytest.mark.postgres
def test_on_postgresql_new_ids_come_after_the_copied_ones(
    tmp_path: Path, postgres_url: str
) -> None:
    start = tmp_path / "start.db"
    with_history(start, tmp_path)
    ok("migrate-store", "--db", str(start), "--to", postgres_url)
    found = rows(postgres_url)
    ok("add", "--question", "Eta?", "--answer", "H", "--id", "h", "--db", postgres_url)
    counted = logged_reviews(postgres_url)
    assert answer(postgres_url, FAR, [Action.REVEAL, Action.GOOD] * 10)
    after = rows(postgres_url)
    assert max(row[0] for row in after["card"]) == max(row[0] for row in found["card"]) + 1
    assert max(row[0] for row in after["review_log"]) > max(row[0] for row in found["review_log"])
    # and the triggers count on the server too
    assert logged_reviews(postgres_url) > counted
    assert sum(row[1] for row in counters(postgres_url)) == logged_reviews(postgres_url)


@pytest.mark.postgres
def test_a_postgresql_target_with_answers_is_refused(tmp_path: Path, postgres_url: str) -> None:
    with_history(postgres_url, tmp_path)
    raw = rows(postgres_url)
    other = tmp_path / "other.db"
    with_history(other, tmp_path)
    code, _out, err = recall("migrate-store", "--db", str(other), "--to", postgres_url)
    assert code == 1 and " already holds 1 deck, " in err and "nothing was copied" in err
    assert rows(postgres_url) == raw


@pytest.mark.postgres
def test_a_failure_half_way_leaves_the_postgresql_target_empty(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = tmp_path / "start.db"
    with_history(start, tmp_path)
    Store.open(postgres_url, NOW).close()  # at head, empty
    empty = schema(postgres_url)
    _failing_after_first_table(monkeypatch)
    with pytest.raises(RuntimeError):
        move_collection(DatabaseLocation.of(start), DatabaseLocation.parse(postgres_url), now=NOW)
    assert all(not found for found in rows(postgres_url).values())
    assert schema(postgres_url) == empty
    monkeypatch.undo()
    ok("migrate-store", "--db", str(start), "--to", postgres_url)
    assert rows(postgres_url) == rows(start)


@pytest.mark.postgres
def test_postgresql_to_postgresql(tmp_path: Path, postgres_url: str) -> None:
    start = tmp_path / "start.db"
    with_history(start, tmp_path)
    first = postgres_url
    ok("migrate-store", "--db", str(start), "--to", first)
    second = f"{first}&options=-csearch_path%3Dmoved"
    with collection_sql.connect(first) as connection:
        connection.execute("CREATE SCHEMA moved")
    code, _out, err = recall("migrate-store", "--db", first, "--to", first)
    assert code == 1 and "names the collection itself" in err
    ok("migrate-store", "--db", first, "--to", second)
    assert rows(second) == rows(start)
    assert views(second) == views(start)


# The real Spanish history
# ---------------------------------------------------------------------------------------------

SPANISH = SHARED_TESTDATA / "apkg" / "pedscoffee_SpanishAnkiExportReal.apkg"


@pytest.fixture(scope="module")
def spanish(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Spanish package imported once, for the tests below to move (they only read
    it)."""
    if not SPANISH.exists():
        pytest.skip("../shared/testdata is not there")
    folder = tmp_path_factory.mktemp("spanish")
    imported = folder / "spanish.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(folder / "data"))
        patch.delenv("RECALL_DATABASE_URL", raising=False)
        ok("import", str(SPANISH), "--db", str(imported))
    return imported


def _counts(report: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {entry["table"]: (entry["source"], entry["target"]) for entry in report["tables"]}


@pytest.mark.corpus
def test_the_real_spanish_history_moves_whole(spanish: Path, tmp_path: Path) -> None:
    raw = rows(spanish)
    assert len(raw["review_log"]) > 30_000 and len(raw["card"]) > 2_800
    target = tmp_path / "moved.db"
    report = json.loads(ok("migrate-store", "--db", str(spanish), "--to", str(target), "--json"))
    assert _counts(report) == {name: (len(found), len(found)) for name, found in raw.items()}
    assert rows(target) == raw
    assert counters(target) == counters(spanish)
    cards = ["cards", "--json", "--sort", "lapses", "--limit", "50"]
    assert ok(*cards, "--db", str(target)) == ok(*cards, "--db", str(spanish))


@pytest.mark.corpus
@pytest.mark.postgres
def test_the_real_spanish_history_through_postgresql(
    spanish: Path, tmp_path: Path, postgres_url: str
) -> None:
    raw = rows(spanish)
    there = json.loads(ok("migrate-store", "--db", str(spanish), "--to", postgres_url, "--json"))
    back = tmp_path / "back.db"
    again = json.loads(ok("migrate-store", "--db", postgres_url, "--to", str(back), "--json"))
    expected = {name: (len(found), len(found)) for name, found in raw.items()}
    assert _counts(there) == _counts(again) == expected
    assert counters(postgres_url) == counters(spanish)
    assert rows(back) == raw


def _opened(path: Path) -> Any:
    from contextlib import closing

    return closing(Store.open(path, NOW))


def test_help_names_the_command() -> None:
    code, out, _err = recall("migrate-store", "--help")
    assert code == 0 and "--to" in out and "all or nothing" in " ".join(out.split())


def test_an_older_source_is_upgraded_first_as_any_command_does(tmp_path: Path) -> None:
    old = tmp_path / "release1.db"
    shutil.copyfile(Path(__file__).parent / "data" / "release1.db", old)
    target = tmp_path / "moved.db"
    code, out, err = recall("migrate-store", "--db", str(old), "--to", str(target))
    assert code == 0, err
    # Wrapped at 80 columns, at a space or inside the path: compared without whitespace.
    notice = "".join(err.split())
    assert notice.startswith(
        "".join(f"Upgraded the source, {old}; the old one is kept at ".split())
    )
    assert f"{old} was only upgraded to this recall's schema first, as any command does." in out
    assert rows(target) == rows(old) and rows(target)["card"]
