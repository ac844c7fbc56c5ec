"""Review history in bulk: every answer of a deck's cards for training and replay, and the
memory states a replay recomputes, written back in one transaction.

Holds :class:`LoggedRow`, :class:`CardHistory` and :class:`HistoryStore`. A history of a
million answers is read a card at a time (:meth:`HistoryStore.answer_days`,
:meth:`HistoryStore.each_card_history`) and rewritten a chunk of cards at a time
(:meth:`HistoryStore.recompute_memory`), never held whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, text

from recall1924.history import last_life
from recall1924.models import ReviewKind
from recall1924.scheduling import MemoryState, review_day
from recall1924.store.base import (
    MEMORY_FIELDS,
    StoreBase,
    driver_marks,
    driver_rows,
    lock_for_writing,
    logged_memory_to_raw,
    memory_from_raw,
    memory_to_raw,
    millis_moment,
    stored_moment,
)


@dataclass(frozen=True)
class LoggedRow:
    """One review log row: the answer, its kind, and the memory states it records."""

    id: int
    kind: int
    rating: int
    at: datetime
    before: MemoryState
    after: MemoryState


@dataclass(frozen=True)
class CardHistory:
    """A card and every review log row of it, oldest first."""

    card_id: int
    deck_key: str
    created_at: datetime
    memory: MemoryState
    rows: tuple[LoggedRow, ...]
    section_key: str | None = None
    """The card's section: its scheduler is the section's when that has a desired retention
    of its own (``App.scheduler_for``)."""


Recomputed = tuple[MemoryState, Sequence[tuple[int, MemoryState, MemoryState]]]
"""A card's new memory state, and ``(log id, before, after)`` for each of its rows."""

# Plain SQL with the column type's own text form: a long history is a million rows with a
# dozen datetimes each, and converting them through SQLAlchemy's types took most of the time
# of `recall optimize` (about 2 s of 3 for a 31,000-answer history). The placeholders are the
# driver's own (store.base.driver_marks): the rows go to its executemany as tuples.

_HOUR_MILLIS = 3_600_000
"""An hour in an answer's stored time (milliseconds): review days are cached by the hour."""

_LAST_OF_HOUR = timedelta(hours=1, milliseconds=-1)

_CHUNK = 500
"""Cards read (and rewritten) per statement: their ids are bound one by one, and SQLite
before 3.32 takes at most 999 variables."""


_REVIEW = int(ReviewKind.Review)
_RESET = int(ReviewKind.Reset)
_CARD = itemgetter(0)
_TIME = itemgetter(2)
_KIND = itemgetter(3)
_TIME_THEN_ID = itemgetter(2, 4)
"""The card, the time and the kind of an answer row, and its place in the history
(see :meth:`HistoryStore._answers_query`)."""


def _columns(suffix: str = "") -> str:
    return ", ".join(f"{name}{suffix}" for name in MEMORY_FIELDS)


class _Times:
    """Stored times read back, each distinct text parsed once: in a history one answer's
    "before" times are the answer before's "after" times."""

    def __init__(self) -> None:
        self._parsed: dict[str | datetime | int, datetime] = {}
        """By the driver's value: sqlite3's text, psycopg's naive datetime, or an answer's
        integer milliseconds."""

    def time(self, stored: str | datetime | int) -> datetime:
        found = self._parsed.get(stored)
        if found is None:
            found = self._parsed[stored] = (
                millis_moment(stored) if isinstance(stored, int) else stored_moment(stored)
            )
        return found

    def memory(self, values: Sequence[Any]) -> MemoryState:
        return memory_from_raw(values, self.time)


class _ReviewDays:
    """``scheduling.review_day`` of answers' stored times, worked out once per UTC hour.

    Parsing a million times and turning each into local time cost more than a second; a
    two-year history has only some 17,500 distinct hours. An hour is cached only when it lies
    wholly in one review day at one UTC offset (checked at its first and last millisecond),
    so the answer is the same as the function's for every time in it; in an hour where the
    clocks change or where a half-hour zone's day starts, each time is worked out alone.
    """

    def __init__(self, day_starts_at: int) -> None:
        self._starts_at = day_starts_at
        self.by_hour: dict[int, int] = {}
        """Review day by the stored time's hour since the epoch (:data:`_HOUR_MILLIS`), for
        hours wholly in one."""

    def of(self, stored: int) -> int:
        """The review day of the stored time ``stored`` (after a miss in :attr:`by_hour`)."""
        at = millis_moment(stored)
        hour = stored // _HOUR_MILLIS
        start = millis_moment(hour * _HOUR_MILLIS)
        end = start + _LAST_OF_HOUR
        day = review_day(start, self._starts_at)
        if (
            review_day(end, self._starts_at) == day
            and start.astimezone().utcoffset() == end.astimezone().utcoffset()
        ):
            self.by_hour[hour] = day
            return day
        return review_day(at, self._starts_at)


def _scope_filter(connection: Connection, deck_keys: Sequence[str]) -> str:
    return (
        "card_id IN (SELECT card.id FROM card JOIN deck ON deck.id = card.deck_id "
        f"WHERE deck.key IN ({driver_marks(connection, len(deck_keys))}))"
    )


def _scope(
    connection: Connection, deck_keys: Sequence[str] | None
) -> tuple[str, tuple[object, ...]]:
    """``AND`` and the condition that keeps review log rows to the cards of ``deck_keys``, with
    its parameters; nothing when they are every deck (a million rows checked against every
    card's id for nothing cost a sixth of reading them)."""
    if deck_keys is None:
        return "", ()
    (others,) = connection.exec_driver_sql(
        f"SELECT count(*) FROM deck WHERE key NOT IN ({driver_marks(connection, len(deck_keys))})",
        tuple(deck_keys),
    ).one()
    if not others:
        return "", ()
    return f"AND {_scope_filter(connection, deck_keys)}", tuple(deck_keys)


WRITTEN = ("card", "review_log", "setting")
"""The tables a rewrite of memory states writes (the setting that made them too)."""

_LAST_LOGGED = text(
    # The latest answer of each card in a subquery: its alias is not a column WHERE may name.
    "SELECT key, latest FROM (SELECT card.key AS key, (SELECT max(reviewed_at) FROM review_log "
    "WHERE review_log.card_id = card.id) AS latest FROM card "
    "JOIN deck ON deck.id = card.deck_id WHERE deck.key = :deck_key) AS logged "
    "WHERE latest IS NOT NULL"
)


class HistoryStore(StoreBase):
    def answer_days(
        self,
        deck_keys: Sequence[str] | None,
        *,
        day_starts_at: int,
        cards: tuple[int | None, int | None] = (None, None),
    ) -> Iterator[tuple[int, list[tuple[int, int]]]]:
        """Each card's Review-kind answers since its last reset (cram and manual rows are not
        memory evidence, and what came before a reset is an earlier life, which Anki's
        optimizer leaves out too) as ``(rating, review day)``, oldest first, one card at a
        time in card id order.

        Args:
            deck_keys: only the cards of these decks; None for every deck.
            day_starts_at: the local hour a review day starts (see ``scheduling.review_day``).
            cards: only the cards with an id from the first (included) to the second (not
                included); None for no bound (see :meth:`middle_answered_card`).

        Yields:
            ``(card id, answers)`` for every card with at least one such answer.
        """
        if deck_keys is not None and not deck_keys:
            return
        days = _ReviewDays(day_starts_at)
        by_hour = days.by_hour
        with self.engine.connect() as connection:
            sql, params = self._answers_query(connection, deck_keys, cards)
            rows_read = driver_rows(connection, sql, params, streamed=True)
            for card_id, group in groupby(rows_read, _CARD):
                rows = list(group)
                # Answers given in the same millisecond (Anki's own history has some) come in
                # the index's order: put them in the order they were written, as every other
                # reader does. Run for each of a million rows, so tested at C speed first.
                if len(set(map(_TIME, rows))) < len(rows):
                    rows.sort(key=_TIME_THEN_ID)
                # A reset is rare: looked for at C speed first too.
                if _RESET in map(_KIND, rows):
                    rows = rows[last_life(list(map(_KIND, rows))) :]
                    if not rows:
                        continue
                # `or`: review days are date ordinals, never 0
                yield (
                    card_id,
                    [
                        (rating, by_hour.get(at // _HOUR_MILLIS) or days.of(at))
                        for _card, rating, at, _kind, _id in rows
                    ],
                )

    def middle_answered_card(self, deck_keys: Sequence[str] | None = None) -> int | None:
        """The id of the card that holds the middle one of the logged rows of ``deck_keys``'
        cards (None: every deck's), card by card: with :meth:`answer_days`' ``cards``, two
        reads of about as many rows each. None when nothing is logged there."""
        if deck_keys is not None and not deck_keys:
            return None
        with self.engine.connect() as connection:
            where, params = _scope(connection, deck_keys)
            (rows,) = connection.exec_driver_sql(
                f"SELECT count(*) FROM review_log WHERE 1 = 1 {where}", params
            ).one()
            if not rows:
                return None
            middle = connection.exec_driver_sql(
                f"SELECT card_id FROM review_log WHERE 1 = 1 {where} ORDER BY card_id "
                f"LIMIT 1 OFFSET {driver_marks(connection, 1)}",
                (*params, rows // 2),
            ).scalar_one()
            return int(middle)

    def _answers_query(
        self,
        connection: Connection,
        deck_keys: Sequence[str] | None,
        cards: tuple[int | None, int | None] = (None, None),
    ) -> tuple[str, tuple[object, ...]]:
        # Everything read is in the (card_id, reviewed_at, state_before, kind, rating) index,
        # and SQLite keeps each row's id in every index: the rows come out of it in order, with
        # no table read and no sort. Ordering by id too would sort a million rows again (0.3 s
        # of CPU); answer_days puts the rare answers given in one millisecond in id order.
        where, scope = _scope(connection, deck_keys)
        params: tuple[object, ...] = (_REVIEW, _RESET, *scope)
        first, end = cards
        if first is not None:
            where += f" AND card_id >= {driver_marks(connection, 1)}"
            params += (first,)
        if end is not None:
            where += f" AND card_id < {driver_marks(connection, 1)}"
            params += (end,)
        # The stored integer on both: review days are cached by its hour (_ReviewDays).
        return (
            f"SELECT card_id, rating, reviewed_at, kind, id FROM review_log "
            f"WHERE kind IN ({driver_marks(connection, 2)}) {where} "
            "ORDER BY card_id, reviewed_at",
            params,
        )

    def last_logged(self, deck_key: str) -> dict[str, datetime]:
        """When each card of deck ``deck_key`` with review log rows got its latest (of any
        kind: an answer, cram, a reset), by card key: an import adds only what is later."""
        with self.engine.connect() as connection:
            rows = connection.execute(_LAST_LOGGED, {"deck_key": deck_key})
            return {key: millis_moment(latest) for key, latest in rows}

    def card_histories(self, deck_keys: Sequence[str] | None = None) -> list[CardHistory]:
        """Every card that has review log rows, with all of them (every kind), oldest first.

        Args:
            deck_keys: only the cards of these decks; None for every deck.
        """
        return list(self.each_card_history(deck_keys))

    def each_card_history(self, deck_keys: Sequence[str] | None = None) -> Iterator[CardHistory]:
        """:meth:`card_histories` one card at a time (a chunk of cards read at once).

        Args:
            deck_keys: only the cards of these decks; None for every deck.
        """
        if deck_keys is not None and not deck_keys:
            return
        with self.engine.connect() as connection:
            ids = self._history_card_ids(connection, deck_keys)
            for start in range(0, len(ids), _CHUNK):
                yield from self._histories(connection, ids[start : start + _CHUNK])

    def _history_card_ids(
        self, connection: Connection, deck_keys: Sequence[str] | None
    ) -> list[int]:
        where = ""
        params: tuple[str, ...] = ()
        if deck_keys is not None:
            marks = driver_marks(connection, len(deck_keys))
            where = f"deck_id IN (SELECT id FROM deck WHERE key IN ({marks})) AND"
            params = tuple(deck_keys)
        found = connection.exec_driver_sql(
            f"SELECT id FROM card WHERE {where} "
            "EXISTS (SELECT 1 FROM review_log WHERE card_id = card.id) ORDER BY id",
            params,
        )
        return [card_id for (card_id,) in found]

    def _histories(self, connection: Connection, card_ids: Sequence[int]) -> list[CardHistory]:
        # One chunk of cards: their rows, then the cards; times parsed once per chunk.
        marks = driver_marks(connection, len(card_ids))
        times = _Times()
        logs = driver_rows(
            connection,
            f"SELECT card_id, id, kind, rating, reviewed_at, {_columns('_before')}, "
            f"{_columns('_after')} FROM review_log WHERE card_id IN ({marks}) "
            # the same order as every other reader of a card's history
            "ORDER BY card_id, reviewed_at, id",
            card_ids,
        )
        rows = {
            card_id: tuple(
                LoggedRow(
                    row[1],
                    row[2],
                    row[3],
                    times.time(row[4]),
                    times.memory(row[5:11]),
                    times.memory(row[11:17]),
                )
                for row in logged
            )
            for card_id, logged in groupby(logs, itemgetter(0))
        }
        cards = connection.exec_driver_sql(
            f"SELECT card.id, deck.key, card.created_at, {_columns()}, section.key FROM card "
            "JOIN deck ON deck.id = card.deck_id JOIN section ON section.id = card.section_id "
            f"WHERE card.id IN ({marks}) ORDER BY card.id",
            tuple(card_ids),
        )
        return [
            CardHistory(
                card[0],
                card[1],
                stored_moment(card[2]),
                times.memory(card[3:9]),
                rows[card[0]],
                card[9],
            )
            for card in cards
            if card[0] in rows
        ]

    def rewrite_memory(
        self,
        cards: Mapping[int, MemoryState],
        logs: Mapping[int, tuple[MemoryState, MemoryState]],
        *,
        setting: tuple[str, str, str] | None = None,
    ) -> None:
        """Write recomputed memory states, and the setting that made them, in one transaction.

        Args:
            cards: each card's new memory state, by card id.
            logs: each review log row's new before and after states, by log id.
            setting: ``(scope, key, canonical text)`` to store with them, if any.
        """
        with self.engine.begin() as connection:
            _write_memory(
                connection,
                [(*memory_to_raw(memory), card_id) for card_id, memory in cards.items()],
                [
                    (*logged_memory_to_raw(before), *logged_memory_to_raw(after), log_id)
                    for log_id, (before, after) in logs.items()
                ],
            )
            if setting is not None:
                _write_setting(connection, setting)

    def recompute_memory(
        self,
        deck_keys: Sequence[str],
        recompute: Callable[[CardHistory], Recomputed | None],
        *,
        setting: tuple[str, str, str] | None = None,
    ) -> tuple[int, int]:
        """Recompute the memory state of every card of ``deck_keys`` with review log rows,
        and of each of its rows, and write them and ``setting`` in one transaction.

        Reads and writes a chunk of cards at a time, so that a history of any length takes
        the memory of one chunk. The cards and their answers are locked for writing first
        (:func:`~recall1924.store.base.lock_for_writing`): no other recall answers a card
        between its history being read and its new state written.

        Args:
            deck_keys: the decks whose cards to recompute.
            recompute: a card's new state and its rows' (see :data:`Recomputed`), or None to
                leave the card as it is.
            setting: ``(scope, key, canonical text)`` to store with them, if any.

        Returns:
            How many cards and review log rows were rewritten.

        Raises:
            DatabaseBusyError: another recall held the database past the busy timeout.
        """
        cards = answers = 0
        with self._writing() as session:
            connection = session.connection()
            lock_for_writing(connection, *WRITTEN)
            ids = self._history_card_ids(connection, deck_keys) if deck_keys else []
            for start in range(0, len(ids), _CHUNK):
                card_rows: list[tuple[Any, ...]] = []
                log_rows: list[tuple[Any, ...]] = []
                for history in self._histories(connection, ids[start : start + _CHUNK]):
                    found = recompute(history)
                    if found is None:
                        continue
                    memory, rows = found
                    card_rows.append((*memory_to_raw(memory), history.card_id))
                    log_rows.extend(
                        (*logged_memory_to_raw(before), *logged_memory_to_raw(after), log_id)
                        for log_id, before, after in rows
                    )
                _write_memory(connection, card_rows, log_rows)
                cards += len(card_rows)
                answers += len(log_rows)
            if setting is not None:
                _write_setting(connection, setting)
            session.commit()
        return cards, answers


def _assignments(connection: Connection, suffix: str = "") -> str:
    mark = driver_marks(connection, 1)
    return ", ".join(f"{name}{suffix} = {mark}" for name in MEMORY_FIELDS)


def _write_memory(
    connection: Connection, cards: list[tuple[Any, ...]], logs: list[tuple[Any, ...]]
) -> None:
    mark = driver_marks(connection, 1)
    if cards:
        # A rewritten state raises the row version: a screen showing the old one cannot save
        # an answer from it (store/answers.py).
        connection.exec_driver_sql(
            f"UPDATE card SET {_assignments(connection)}, version = version + 1 WHERE id = {mark}",
            cards,
        )
    if logs:
        before, after = _assignments(connection, "_before"), _assignments(connection, "_after")
        connection.exec_driver_sql(
            f"UPDATE review_log SET {before}, {after} WHERE id = {mark}", logs
        )


def _write_setting(connection: Connection, setting: tuple[str, str, str]) -> None:
    connection.exec_driver_sql(
        f"INSERT INTO setting (scope, key, value) VALUES ({driver_marks(connection, 3)}) "
        "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
        setting,
    )
