"""The queries of ``recall doctor``: what the rest of the store takes for granted, checked.

Holds :class:`IntegrityStore` (SQLite's own checks, rows that point nowhere, answers stamped
later than some moment, every answer's identity, cards whose answer counters disagree with
their answers, and :meth:`~IntegrityStore.repairing`, one
repair's writes in one transaction through :class:`RepairWork`), and two functions that read
a file without opening it as a collection: :func:`schema_revision` and
:func:`read_backup_answers` (a backup, at whatever schema it was taken).

Every query but SQLite's own checks (``PRAGMA``: the file's integrity, its foreign keys, the
columns of its answers) and those of backups runs on PostgreSQL too.

What counts as a problem and what is safe to repair is :mod:`recall1924.doctor`'s to decide;
these only read and write the rows.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlmodel import col, select

from recall1924.db import to_millis
from recall1924.errors import DatabaseError
from recall1924.models import Card, Deck, ReviewLog, Setting
from recall1924.store import dialect
from recall1924.store.base import StoreBase, dialect_of, driver_marks, lock_for_writing
from recall1924.store.history import CardHistory, HistoryStore

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from recall1924.scheduling import MemoryState

CardName = tuple[str | None, str]
"""A card as people name it: its deck's key (None when the deck is gone) and its own key."""

ANSWER_IDENTITY = ("card_id", "reviewed_at", "rating", "kind")
"""What makes two rows the same answer: card, moment, rating and kind. Not the id (answers
given after a loss were numbered from 1 again), nor the memory states (``recall optimize``
rewrites them)."""

AnswerKey = tuple[Any, ...]
"""An answer's :data:`ANSWER_IDENTITY`, its moment as the integer milliseconds the collection
stores (:func:`answer_time`), so that a backup's text for one moment (written before migration
0009) compares equal."""

ANSWER_TIMES = ("reviewed_at", "due_before", "last_review_before", "due_after", "last_review_after")
"""review_log's times: integer milliseconds (UTCMillis) since migration 0009, text before."""

_NO_DECK = "NOT EXISTS (SELECT 1 FROM deck WHERE deck.id = {}.deck_id)"
_NO_CARD = "NOT EXISTS (SELECT 1 FROM card WHERE card.id = review_log.card_id)"

REPAIRED = ("card", "review_log", "section")
"""The tables a repair writes, locked for writing while it runs (media rows are forgotten
apart, after it)."""


class AnswerColumn(NamedTuple):
    """A column of review_log, and whether an insert must give it a value."""

    name: str
    required: bool


@dataclass(frozen=True)
class StoredAnswer:
    """A review log row as a file holds it: its id, what identifies it, and every value."""

    id: int
    key: AnswerKey
    values: tuple[Any, ...]
    """In the columns of the :class:`BackupAnswers` that holds it."""

    @property
    def card_id(self) -> int:
        return int(self.key[0])


@dataclass(frozen=True)
class BackupAnswers:
    """What one backup holds of the answers, in the columns it shares with the collection."""

    columns: tuple[str, ...]
    answers: tuple[StoredAnswer, ...]
    cards: dict[int, tuple[str, str]]
    """The backup's cards (with a deck): deck key and card key, by id."""
    blocked: tuple[str, ...]
    """Columns the collection needs that the backup's answers lack: none can go back."""


class Orphans(NamedTuple):
    """Rows that point at rows that are not there."""

    answers: tuple[tuple[int, int], ...]
    """Answers whose card is missing: review log id and card id."""
    deckless: tuple[tuple[int, int], ...]
    """Cards whose deck is missing: card id and how many answers it has."""
    sectionless: tuple[int, ...]
    """Cards of a deck that exists whose section is missing."""
    sections: tuple[tuple[str, bool], ...]
    """Sections whose deck is missing: key, and whether it holds cards of a deck that exists."""


@dataclass(frozen=True)
class DeletedOrphans:
    """What :meth:`RepairWork.delete_orphans` deleted."""

    answers: int
    cards: int
    sections: int
    with_cards: int
    """Answers that went with the cards (foreign keys cascade)."""


class CounterDrift(NamedTuple):
    """A card whose :data:`~recall1924.store.dialect.ANSWER_COUNTERS` are not what its answers
    count: the values stored and those counted, in that order of counters."""

    card_id: int
    stored: tuple[int, ...]
    counted: tuple[int, ...]


def _counter_drift(connection: Connection) -> list[CounterDrift]:
    """Every card whose counters differ from a recount of its answers, in one grouped
    statement (per card it would be 100,000 queries), by card id.

    A card with no counted answer counts zero of each. The recount is the one the triggers and
    :func:`~recall1924.store.dialect.recount_answers` keep: the same
    :func:`~recall1924.store.dialect.answer_counts` of the same
    :func:`~recall1924.store.dialect.counted` answers.
    """
    name = dialect_of(connection)
    counters = dialect.ANSWER_COUNTERS
    parts = dialect.answer_counts("review_log.", name=name)
    sums = ", ".join(
        f"SUM({part}) AS {counter}" for counter, part in zip(counters, parts, strict=True)
    )
    counted = [f"COALESCE(counts.{counter}, 0)" for counter in counters]
    differ = " OR ".join(
        f"card.{counter} <> {recount}" for counter, recount in zip(counters, counted, strict=True)
    )
    # No ORDER BY: sorted here, the card side is read from its narrow covering index instead of
    # the wide rows in id order.
    rows = connection.exec_driver_sql(
        f"SELECT card.id, {', '.join(f'card.{counter}' for counter in counters)}, "
        f"{', '.join(counted)} FROM card LEFT JOIN (SELECT review_log.card_id AS card_id, {sums} "
        f"FROM review_log WHERE {dialect.counted('review_log.')} GROUP BY review_log.card_id) "
        f"AS counts ON counts.card_id = card.id WHERE {differ}"
    )
    width = len(counters)
    found = [
        CounterDrift(
            int(card_id),
            tuple(int(value) for value in values[:width]),
            tuple(int(value) for value in values[width:]),
        )
        for card_id, *values in rows
    ]
    return sorted(found)


def answer_time(value: Any) -> Any:
    """An answer's stored time as the collection stores it now, integer milliseconds: the
    integer as it is, a backup's text from before migration 0009 (naive UTC) converted;
    anything else (null, a value a hand wrote that reads as no time) as it is."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return to_millis(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return value


def _key(card_id: Any, reviewed_at: Any, rating: Any, kind: Any) -> AnswerKey:
    return (card_id, answer_time(reviewed_at), rating, kind)


def _answer_columns(rows: Iterable[Sequence[Any]]) -> list[AnswerColumn]:
    # PRAGMA table_info: cid, name, type, notnull, dflt_value, pk
    return [
        AnswerColumn(str(row[1]), bool(row[3]) and row[4] is None and not row[5]) for row in rows
    ]


class IntegrityStore(StoreBase):
    def integrity_problems(self) -> list[str]:
        """What SQLite's integrity check finds wrong with the file, one problem a line; empty
        when it is sound. SQLite only."""
        from sqlalchemy.exc import DatabaseError as Damaged

        try:
            with self.engine.connect() as connection:
                found = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
        except Damaged as exc:  # damage bad enough that the check itself stops
            found = [str(exc.orig)]
        if found == ["ok"]:
            return []
        # Without SQLite's "*** in database main ***" headings.
        return [
            line for text in found for line in str(text).splitlines() if not line.startswith("***")
        ] or [str(text) for text in found]

    def foreign_key_violations(self) -> dict[str, int]:
        """How many rows of each table point at a row that is not there, by table name.
        SQLite only (PostgreSQL keeps its foreign keys itself)."""
        with self.engine.connect() as connection:
            found = Counter(
                row[0] for row in connection.exec_driver_sql("PRAGMA foreign_key_check")
            )
        return dict(sorted(found.items()))

    def card_names(self) -> dict[int, CardName]:
        """Every card's deck key (None when its deck is gone) and key, by id."""
        query = select(Card.id, Deck.key, Card.key).outerjoin(Deck, col(Deck.id) == Card.deck_id)
        with self._session() as session:
            rows = session.exec(query)
            return {card_id: (deck, key) for card_id, deck, key in rows if card_id is not None}

    def orphans(self) -> Orphans:
        """The rows that point at rows that are not there, each kind oldest first."""
        with self.engine.connect() as connection:

            def rows(sql: str) -> tuple[tuple[Any, ...], ...]:
                return tuple(tuple(row) for row in connection.exec_driver_sql(sql))

            answers = rows(f"SELECT id, card_id FROM review_log WHERE {_NO_CARD} ORDER BY id")
            deckless = rows(
                "SELECT id, (SELECT count(*) FROM review_log WHERE review_log.card_id = card.id) "
                f"FROM card WHERE {_NO_DECK.format('card')} ORDER BY id"
            )
            sectionless = rows(
                f"SELECT id FROM card WHERE NOT ({_NO_DECK.format('card')}) "
                "AND NOT EXISTS (SELECT 1 FROM section WHERE section.id = card.section_id) "
                "ORDER BY id"
            )
            sections = rows(
                "SELECT key, EXISTS (SELECT 1 FROM card WHERE card.section_id = section.id "
                f"AND NOT ({_NO_DECK.format('card')})) FROM section "
                f"WHERE {_NO_DECK.format('section')} ORDER BY id"
            )
        return Orphans(
            answers=tuple((log_id, card_id) for log_id, card_id in answers),
            deckless=tuple((card_id, logged) for card_id, logged in deckless),
            sectionless=tuple(row[0] for row in sectionless),
            sections=tuple((key, bool(holds)) for key, holds in sections),
        )

    def answers_after(self, moment: datetime) -> list[tuple[int, datetime]]:
        """The answers stamped later than ``moment``, latest first: card id and time."""
        query = (
            select(ReviewLog.card_id, ReviewLog.reviewed_at)
            .where(col(ReviewLog.reviewed_at) > moment)
            .order_by(col(ReviewLog.reviewed_at).desc(), col(ReviewLog.id))
        )
        with self._session() as session:
            return [(card_id, at) for card_id, at in session.exec(query)]

    def deck_setting_scopes(self) -> list[str]:
        """The decks with settings of their own, by key."""
        query = (
            select(Setting.scope)
            .where(col(Setting.scope).in_(select(Deck.key)))
            .distinct()
            .order_by(col(Setting.scope))
        )
        with self._session() as session:
            return list(session.exec(query))

    def answer_columns(self) -> list[AnswerColumn]:
        """The columns of review_log as this collection has them. SQLite only: they are
        compared with a backup's."""
        with self.engine.connect() as connection:
            return _answer_columns(connection.exec_driver_sql("PRAGMA table_info(review_log)"))

    def answer_keys(self) -> list[tuple[int, AnswerKey]]:
        """Every answer's id and identity (:data:`ANSWER_IDENTITY`)."""
        with self.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                f"SELECT id, {', '.join(ANSWER_IDENTITY)} FROM review_log"
            )
            return [(log_id, _key(*identity)) for log_id, *identity in rows]

    def answer_counter_drift(self) -> list[CounterDrift]:
        """The cards whose answer counters disagree with their answers, by id."""
        with self.engine.connect() as connection:
            return _counter_drift(connection)

    @contextmanager
    def repairing(self) -> Iterator[RepairWork]:
        """One repair's writes, in one transaction: committed when the block ends, rolled back
        (nothing changed) when it raises.

        Raises:
            DatabaseBusyError: another recall held the database past the busy timeout.
            DatabaseReplacedError: the file at the path is no longer the one opened.
        """
        with self._writing() as session:
            connection = session.connection()
            # A repair writes what it has just read (the ids taken, the histories it replays);
            # no other recall may answer in between.
            lock_for_writing(connection, *REPAIRED)
            yield RepairWork(connection)
            session.commit()


class RepairWork:
    """The writes of one repair, on the connection of its transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._history = _HistoryOn(connection)
        self._taken: set[int] | None = None

    def restore_answers(self, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        """Insert answers (values in ``columns``, which include ``id``) under their own ids;
        one whose id an answer has taken since gets a new one. Returns how many did."""
        run = self._connection.exec_driver_sql
        if self._taken is None:
            self._taken = {row[0] for row in run("SELECT id FROM review_log")}
        taken = self._taken
        at = list(columns).index("id")
        own = [tuple(row) for row in rows if row[at] not in taken]
        renumbered = [row for row in rows if row[at] in taken]
        if own:
            marks = driver_marks(self._connection, len(columns))
            run(f"INSERT INTO review_log ({', '.join(columns)}) VALUES ({marks})", own)
            taken.update(row[at] for row in own)
        others = [name for name in columns if name != "id"]
        for row in renumbered:
            # lastrowid: the answers come from a SQLite backup into its SQLite file (doctor
            # compares no backups on a server).
            result = run(
                f"INSERT INTO review_log ({', '.join(others)}) "
                f"VALUES ({driver_marks(self._connection, len(others))})",
                tuple(value for name, value in zip(columns, row, strict=True) if name != "id"),
            )
            taken.add(int(result.lastrowid))
        return len(renumbered)

    def delete_orphans(self) -> DeletedOrphans:
        """Delete the answers whose card is missing, the cards whose deck is missing (their
        answers go with them) and the sections whose deck is missing that hold no cards."""

        def run(sql: str) -> int:
            return int(self._connection.exec_driver_sql(sql).rowcount)

        answers = run(f"DELETE FROM review_log WHERE {_NO_CARD}")
        with_cards = self._connection.exec_driver_sql(
            "SELECT count(*) FROM review_log WHERE card_id IN "
            f"(SELECT id FROM card WHERE {_NO_DECK.format('card')})"
        ).scalar_one()
        cards = run(f"DELETE FROM card WHERE {_NO_DECK.format('card')}")
        sections = run(
            f"DELETE FROM section WHERE {_NO_DECK.format('section')} "
            "AND NOT EXISTS (SELECT 1 FROM card WHERE card.section_id = section.id)"
        )
        return DeletedOrphans(answers, cards, sections, int(with_cards))

    def recount_answers(self) -> list[CounterDrift]:
        """Set every card's answer counters from its answers; returns the cards that disagreed
        (read in this transaction, so after this repair's other writes)."""
        drift = _counter_drift(self._connection)
        if not drift:
            return []
        name = dialect_of(self._connection)
        counters = dialect.ANSWER_COUNTERS
        # The dialect's recount leaves alone a card with no counted answer: zeroed here.
        nonzero = " OR ".join(f"{counter} <> 0" for counter in counters)
        self._connection.exec_driver_sql(
            f"UPDATE card SET {', '.join(f'{counter} = 0' for counter in counters)} "
            f"WHERE ({nonzero}) AND NOT EXISTS (SELECT 1 FROM review_log "
            f"WHERE review_log.card_id = card.id AND {dialect.counted('review_log.')})"
        )
        self._connection.exec_driver_sql(dialect.recount_answers(name=name))
        return drift

    def card_histories(self) -> list[CardHistory]:
        """:meth:`HistoryStore.card_histories`, with this repair's writes so far."""
        return self._history.card_histories()

    def rewrite_memory(
        self,
        cards: Mapping[int, MemoryState],
        logs: Mapping[int, tuple[MemoryState, MemoryState]],
    ) -> None:
        """:meth:`HistoryStore.rewrite_memory`, in this repair's transaction."""
        self._history.rewrite_memory(cards, logs)


class _Joined:
    """Stands in for the engine under :class:`_HistoryOn`: each connection or transaction the
    history queries open is the repair's own, left open and uncommitted."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.dialect = connection.dialect

    def connect(self) -> AbstractContextManager[Connection]:
        return nullcontext(self._connection)

    def begin(self) -> AbstractContextManager[Connection]:
        return nullcontext(self._connection)


class _HistoryOn(HistoryStore):
    """:class:`HistoryStore`'s own queries (one text for them, one codec), run inside a
    repair's transaction, so that a replay there sees the answers just restored."""

    def __init__(self, connection: Connection) -> None:
        # Not StoreBase's __init__: this has no file of its own, only the one connection.
        self.engine = cast("Engine", _Joined(connection))


# Files read without opening them as a collection
# ---------------------------------------------------------------------------------------------


def schema_revision(path: Path) -> str | None:
    """The schema revision of the recall database at ``path``, read without creating,
    upgrading or changing anything; None for an SQLite file that is not recall's.

    Raises:
        DatabaseError: it is not a usable SQLite database.
    """
    from recall1924.backups import sqlite_uri

    try:
        with contextlib.closing(sqlite3.connect(sqlite_uri(path, "ro"), uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path} is not a usable SQLite database ({exc})") from None
    return None if row is None else str(row[0])


def read_backup_answers(path: Path, live: Sequence[AnswerColumn]) -> BackupAnswers:
    """The answers in the backup at ``path``, in the columns of ``live`` (the collection's)
    that it has too, oldest first, with its cards.

    Raises:
        DatabaseError: it cannot be read, is not a recall database, or its answers lack the
            columns that identify them.
    """
    from recall1924.backups import sqlite_uri

    # immutable: nothing writes a backup, and a read-only open must leave no files beside it
    uri = sqlite_uri(path, "ro", immutable=True)
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as backup:
            tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master")}
            if not {"deck", "card", "review_log"} <= tables:
                raise DatabaseError("not a recall database")
            theirs = {
                column.name
                for column in _answer_columns(backup.execute("PRAGMA table_info(review_log)"))
            }
            columns = tuple(column.name for column in live if column.name in theirs)
            if not {"id", *ANSWER_IDENTITY} <= set(columns):
                raise DatabaseError("its answers lack the columns that identify them")
            cards = {
                card_id: (deck, key)
                for card_id, deck, key in backup.execute(
                    "SELECT card.id, deck.key, card.key FROM card "
                    "JOIN deck ON deck.id = card.deck_id"
                )
            }
            at = columns.index("id")
            index = [columns.index(name) for name in ANSWER_IDENTITY]
            times = {columns.index(name) for name in ANSWER_TIMES if name in columns}
            answers = tuple(
                StoredAnswer(row[at], _key(*(row[i] for i in index)), values)
                for row in backup.execute(
                    f"SELECT {', '.join(columns)} FROM review_log ORDER BY id"
                )
                for values in [
                    tuple(answer_time(v) if n in times else v for n, v in enumerate(row))
                ]
            )
    except sqlite3.Error as exc:
        raise DatabaseError(str(exc)) from None
    blocked = tuple(column.name for column in live if column.required and column.name not in theirs)
    return BackupAnswers(columns, answers, cards, blocked)
