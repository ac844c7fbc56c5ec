"""A review history on PostgreSQL as on SQLite: an Anki history imported, ``recall optimize``
fitting and rewriting it, the ``recall cards`` table, ``recall doctor`` finding and repairing a
fault, and a dry-run import that creates nothing; and the dialect seam telling a refusal by the
driver's code, not its words.

Each test puts the same data in a fresh database on the session's throwaway server
(tests/postgres.py) and in a SQLite file, and compares what the commands say about them.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, inspect, text, update
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import recall1924.store.base as store_base
from conftest import NOW, SHARED_TESTDATA, make_deck
from recall1924 import db
from recall1924.cli import app
from recall1924.errors import DatabaseBusyError
from recall1924.importing import import_deck
from recall1924.location import DatabaseLocation
from recall1924.models import Card, ReviewKind, ReviewLog
from recall1924.scheduling import Rating, answer, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store, dialect
from recall1924.store.base import insert_many, memory_columns

POSTGRES = pytest.mark.postgres
SKINATRO = SHARED_TESTDATA / "apkg" / "skinatro_collection.anki21"
"""An Anki collection with 15 answers over a four-level deck tree (../shared/testdata)."""
START = NOW - timedelta(days=400)

DECK = """\
[deck]
id = "mini"
title = "A small deck"

[[sections]]
id = "s"
title = "The only section"

[[sections.cards]]
id = "a"
question = "First?"
answer = "One"
"""


def _recall(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, list(args), env={"RECALL_NOW": NOW.isoformat()}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def _on(where: str | Path, *args: str) -> tuple[int, str, str]:
    """``recall ARGS`` on the server's URL or the SQLite file."""
    option = "--db" if isinstance(where, Path) else "--database-url"
    return _recall(*args, option, str(where))


def _both(url: str, sqlite: Path, *args: str) -> tuple[str, str]:
    """What ``recall ARGS`` prints on the server and on the file; both must succeed."""
    found = []
    for where in (url, sqlite):
        code, out, err = _on(where, *args)
        assert code == 0, (args, where, err)
        found.append(out)
    return found[0], found[1]


def _without(report: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key not in names}


def _engine(url: str) -> Engine:
    return create_engine(DatabaseLocation.parse(url).url)


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _answered(store: Store, cards: int = 120, seed: int = 3) -> None:
    """A deck ``gen`` of ``cards`` cards, each answered 3 to 9 times (until now) by a student
    who comes back when it is due and remembers most of the time, written in bulk (the same rows on
    every store: the triggers count them)."""
    keys = [f"c{index}" for index in range(cards)]
    import_deck(store, make_deck("gen", {"all": keys}), now=START - timedelta(days=1))
    scheduler = build_scheduler(Settings.from_stored({}))
    rng = random.Random(seed)
    logs: list[dict[str, Any]] = []
    states = {}
    existing = store.existing_cards("gen") or {}
    for key in keys:
        card = existing[key]
        memory = card.memory
        moment = START + timedelta(hours=rng.uniform(0, 48))
        for _ in range(rng.randint(3, 9)):
            if moment > NOW:
                break
            recalled = memory.stability is None or rng.random() < 0.85
            rating = rng.choice((2, 3, 3, 3, 4)) if recalled else 1
            after = answer(
                scheduler,
                card_id=card.id,
                memory=memory,
                rating=Rating(rating),
                at=moment,
                day_starts_at=4,
            )
            logs.append(
                {
                    "card_id": card.id,
                    "kind": int(ReviewKind.Review),
                    "rating": rating,
                    "reviewed_at": moment,
                    "duration_ms": 4000,
                    **memory_columns(memory, "_before"),
                    **memory_columns(after, "_after"),
                }
            )
            memory = after
            moment = memory.due + timedelta(hours=rng.uniform(0, 30))
        states[card.id] = memory
    with Session(store.engine) as session:
        insert_many(session, "review_log", logs)
        for card_id, memory in states.items():
            session.execute(
                update(Card).where(col(Card.id) == card_id).values(**memory_columns(memory))
            )
        session.commit()


@pytest.fixture
def histories(postgres_url: str, tmp_path: Path) -> tuple[str, Path]:
    """The server's database and a SQLite file, each holding :func:`_answered`'s deck."""
    sqlite = tmp_path / "same.db"
    for where in (postgres_url, sqlite):
        store = Store.open(DatabaseLocation.of(where), NOW)
        try:
            _answered(store)
        finally:
            store.close()
    return postgres_url, sqlite


# An Anki history, imported
# ---------------------------------------------------------------------------------------------


def _answer_counts(engine: Engine) -> list[tuple[Any, ...]]:
    """Every card's answers, by card key, kind and rating."""
    query = (
        select(Card.key, ReviewLog.kind, ReviewLog.rating, func.count())
        .join(Card, col(Card.id) == col(ReviewLog.card_id))
        .group_by(col(Card.key), col(ReviewLog.kind), col(ReviewLog.rating))
        .order_by(col(Card.key), col(ReviewLog.kind), col(ReviewLog.rating))
    )
    with Session(engine) as session:
        return [tuple(row) for row in session.exec(query)]


@POSTGRES
@pytest.mark.corpus
@pytest.mark.skipif(not SKINATRO.exists(), reason="shared test data absent")
def test_an_anki_history_imports_the_same_on_both_stores(postgres_url: str, tmp_path: Path) -> None:
    sqlite = tmp_path / "same.db"
    for attempt in ("first", "again"):  # again: only answers later than each card's last
        on_server, in_file = _both(postgres_url, sqlite, "import", str(SKINATRO))
        kept = in_file.find("The collection before this import is kept at")
        assert on_server == (in_file if kept < 0 else in_file[:kept]), attempt
    for listing in (["decks", "--json"], ["cards", "--json"], ["cards"]):
        on_server, in_file = _both(postgres_url, sqlite, *listing)
        assert on_server == in_file, listing
    engines = (_engine(postgres_url), create_engine(f"sqlite:///{sqlite}"))
    try:
        counts = [_answer_counts(engine) for engine in engines]
    finally:
        for engine in engines:
            engine.dispose()
    assert counts[0] == counts[1]
    assert sum(row[-1] for row in counts[0]) == 15  # the package's answers, each once


# recall optimize and recall cards
# ---------------------------------------------------------------------------------------------


@POSTGRES
def test_optimize_fits_and_rewrites_the_same_on_both_stores(
    histories: tuple[str, Path],
) -> None:
    url, sqlite = histories
    on_server, in_file = (
        json.loads(out) for out in _both(url, sqlite, "optimize", "--dry-run", "--json")
    )
    assert on_server["fitted_parameters"] is not None and on_server["training_items"] >= 400
    assert _without(on_server, "fit_seconds") == _without(in_file, "fit_seconds")
    # Saving rewrites every card's memory state and every answer's, in one transaction.
    on_server, in_file = (json.loads(out) for out in _both(url, sqlite, "optimize", "--json"))
    assert on_server["saved"] and on_server["cards_updated"] == 120
    assert on_server["backup"] is None and in_file["backup"] is not None
    assert _without(on_server, "fit_seconds", "backup") == _without(
        in_file, "fit_seconds", "backup"
    )
    on_server, in_file = _both(url, sqlite, "cards", "--json")
    assert on_server == in_file
    assert len(json.loads(on_server)) == 120


@POSTGRES
def test_the_cards_listing_is_the_same_on_both_stores(histories: tuple[str, Path]) -> None:
    for args in (
        [],  # the table: answers counted for the rows shown
        ["--sort", "lapses"],
        ["--sort", "due", "--limit", "7"],
        ["--state", "review"],
        ["is:review", "prop:r<0.9"],
        ["--sort", "lapses", "--json"],
        ["--json", "--limit", "0"],  # every card, their answers counted in one pass
    ):
        on_server, in_file = _both(*histories, "cards", *args)
        assert on_server == in_file, args
        assert "c1" in on_server, args


# recall doctor
# ---------------------------------------------------------------------------------------------


def _seed_faults(engine: Engine) -> None:
    """Two cards wrong as another tool could leave them: one's answer counter off by two, and
    another's stability changed behind its history's back."""
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE card SET review_answers = review_answers + 2 WHERE key = 'c1'")
        )
        connection.execute(text("UPDATE card SET stability = stability * 3 WHERE key = 'c2'"))


def _doctor(where: str | Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = _on(where, "doctor", "--json", *args)
    assert err == ""
    return code, json.loads(out)


def _checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["check"]: check for check in report["checks"]}


@POSTGRES
def test_doctor_on_a_server_finds_and_repairs_what_it_does_in_a_file(
    histories: tuple[str, Path],
) -> None:
    url, sqlite = histories
    for where in (_engine(url), create_engine(f"sqlite:///{sqlite}")):
        _seed_faults(where)
        where.dispose()
    (code, on_server), (file_code, in_file) = _doctor(url), _doctor(sqlite)
    assert code == file_code == 1
    assert on_server["database"] == str(DatabaseLocation.parse(url))
    server_checks, file_checks = _checks(on_server), _checks(in_file)
    assert list(server_checks) == list(file_checks)
    file_only = {"integrity", "foreign_keys", "lost_answers"}
    for name in file_only:
        found = server_checks[name]
        assert found["ok"] and found["details"] == {"applicable": False}, found
        assert found["summary"].startswith("not applicable on a server ("), found
    for name in set(server_checks) - file_only:
        assert server_checks[name] == file_checks[name], name
    assert not server_checks["answer_counters"]["ok"]
    assert server_checks["answer_counters"]["examples"] == ["gen/c1"]
    assert server_checks["memory"]["examples"] == ["gen/c2"]
    # In words, the repair offered takes no backup of a server (it keeps its own).
    said = [_on(where, "doctor")[1].splitlines()[-1] for where in (url, sqlite)]
    assert said == [
        "recall doctor --repair fixes: memory states, answer counters.",
        "recall doctor --repair backs the database up, then fixes: memory states, answer counters.",
    ]
    # The repair: the same fixes, without a backup on the server; nothing is left.
    (code, on_server), (file_code, in_file) = _doctor(url, "--repair"), _doctor(sqlite, "--repair")
    assert (code, file_code) == (0, 0), [c["summary"] for c in in_file["checks"] if not c["ok"]]
    assert on_server["repair"]["backup"] is None and in_file["repair"]["backup"] is not None
    assert on_server["repair"]["done"] == in_file["repair"]["done"]
    assert [action["check"] for action in on_server["repair"]["done"]] == [
        "memory",
        "answer_counters",
    ]
    assert on_server["ok"] and _doctor(url) == (0, on_server | {"repair": None})
    on_server_cards, in_file_cards = _both(url, sqlite, "cards", "--json")
    assert on_server_cards == in_file_cards


@POSTGRES
def test_doctor_creates_no_collection_in_an_empty_server_database(postgres_url: str) -> None:
    for args in (["doctor"], ["doctor", "--repair"]):
        code, out, err = _recall(*args, "--database-url", postgres_url)
        assert (code, out) == (1, "")
        assert err == (
            f"recall: there is no collection at {DatabaseLocation.parse(postgres_url)}; "
            "nothing was checked or created\n"
        )
    assert _tables(postgres_url) == set()


def test_doctor_on_a_server_that_does_not_answer_is_one_line() -> None:
    nowhere = "postgresql://student@/recall?host=/nonexistent/socket/folder"
    code, out, err = _recall("doctor", "--database-url", nowhere)
    assert (code, out) == (1, "")
    assert err.startswith(
        "recall: cannot reach the database at "
        "postgresql://student@/recall?host=/nonexistent/socket/folder: "
    )
    assert err.count("\n") == 1


# recall import --dry-run
# ---------------------------------------------------------------------------------------------


@POSTGRES
def test_a_dry_run_import_leaves_an_empty_server_database_empty(
    postgres_url: str, tmp_path: Path
) -> None:
    deck = tmp_path / "mini.toml"
    deck.write_text(DECK)
    sqlite = tmp_path / "absent.db"
    on_server, in_file = _both(postgres_url, sqlite, "import", "--dry-run", str(deck))
    assert on_server == in_file and "Dry run: nothing was written." in on_server
    assert _tables(postgres_url) == set() and not sqlite.exists()
    # Once the collection is there, a dry run compares with it (each card's last answer read).
    for where in (postgres_url, sqlite):
        assert _on(where, "import", str(deck))[0] == 0
    on_server, in_file = _both(postgres_url, sqlite, "import", "--dry-run", str(deck))
    assert on_server == in_file and "mini" in on_server


# The seam: a refusal told by the driver's code, a write that waits for another
# ---------------------------------------------------------------------------------------------


def _told(error: BaseException) -> str | None:
    """What the seam makes of ``error``; :func:`recall1924.db.refusal`, which the command line
    and the backups ask, says the same."""
    told = dialect.refusal(error)
    assert db.refusal(error) == told
    return told


def test_sqlite_refusals_are_told_by_their_code_not_their_words(tmp_path: Path) -> None:
    path = tmp_path / "refusals.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE locked (x)")
    waiting = sqlite3.connect(path, timeout=0, isolation_level=None)
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        holder.execute("BEGIN IMMEDIATE")
        found: dict[str, str | None] = {}
        for what, connection, sql in (
            ("busy", waiting, "INSERT INTO locked VALUES (1)"),
            ("readonly", read_only, "INSERT INTO locked VALUES (1)"),
            # The words "locked" and "read-only", in a refusal that is neither.
            ("missing", waiting, "SELECT * FROM read_only_but_locked"),
        ):
            with pytest.raises(sqlite3.Error) as refused:
                connection.execute(sql)
            found[what] = _told(refused.value)
    finally:
        for connection in (holder, waiting, read_only):
            connection.close()
    assert found == {"busy": "busy", "readonly": "readonly", "missing": None}


@POSTGRES
def test_postgresql_refusals_are_told_by_their_sqlstate(postgres_url: str) -> None:
    from sqlalchemy.exc import DBAPIError

    engine = _engine(postgres_url)
    found: dict[str, str | None] = {}
    try:
        with engine.connect() as holder, engine.connect() as other:
            holder.execute(text("CREATE TABLE locked (x integer)"))
            holder.execute(text("CREATE TABLE free (x integer)"))
            holder.commit()
            holder.execute(text("LOCK TABLE locked IN EXCLUSIVE MODE"))
            for what, first, sql in (
                ("busy", "SET LOCAL lock_timeout = 50", "INSERT INTO locked VALUES (1)"),
                ("readonly", "SET TRANSACTION READ ONLY", "INSERT INTO free VALUES (1)"),
                ("missing", "SET LOCAL lock_timeout = 50", "SELECT * FROM read_only_but_locked"),
            ):
                other.exec_driver_sql(first)
                with pytest.raises(DBAPIError) as refused:
                    other.exec_driver_sql(sql)
                other.rollback()
                found[what] = _told(refused.value)
    finally:
        engine.dispose()
    assert found == {"busy": "busy", "readonly": "readonly", "missing": None}


@POSTGRES
def test_a_rewrite_waits_for_a_repair_on_the_server_then_says_busy(
    histories: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_base, "BUSY_TIMEOUT_MS", 100)
    url, _sqlite = histories
    repairing, other = (Store.open(DatabaseLocation.parse(url), NOW) for _ in range(2))
    try:
        with repairing.repairing():
            # Not a deadlock, not a lost update: the second writer waits, then gives up.
            with pytest.raises(DatabaseBusyError):
                other.recompute_memory(["gen"], lambda _card: None)
        assert other.recompute_memory(["gen"], lambda _card: None) == (0, 0)
    finally:
        repairing.close()
        other.close()


def test_the_write_lock_is_sqlites_begin_immediate_and_a_table_lock_on_postgresql() -> None:
    assert dialect.write_lock(("card",), wait_ms=5000) == ("BEGIN IMMEDIATE",)
    assert dialect.write_lock(("card", "review_log"), wait_ms=5000, name=dialect.POSTGRESQL) == (
        "SET LOCAL lock_timeout = 5000",
        "LOCK TABLE card, review_log IN SHARE ROW EXCLUSIVE MODE",
    )
