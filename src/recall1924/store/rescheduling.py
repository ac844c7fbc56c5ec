"""Rescheduling review cards after a change of settings: the setting and the new due dates
written in one transaction, a review log row of kind ``ReviewKind.Reschedule`` per card moved.

Holds :class:`ReviewCard` (a card as a reschedule reads it) and :class:`RescheduleStore`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from recall1924.models import ReviewKind
from recall1924.scheduling import MemoryState, State
from recall1924.store.base import (
    MEMORY_FIELDS,
    Scope,
    StoreBase,
    driver_marks,
    driver_rows,
    insert_many,
    lock_for_writing,
    memory_from_raw,
    memory_to_raw,
)

WRITTEN = ("card", "review_log", "setting")
"""The tables a reschedule writes."""

SettingWrite = tuple[str, str, str | None]
"""``(scope, key, canonical text)`` to store; a text of None removes the row (the default,
or the wider scope's value, applies again)."""


@dataclass(frozen=True)
class ReviewCard:
    """A card a reschedule may move: answered, in the Review state, not suspended."""

    id: int
    deck_key: str
    section_key: str
    memory: MemoryState
    version: int
    """Its row version when read: the move is written only over that version."""


@dataclass(frozen=True)
class RescheduleResult:
    """What a reschedule wrote."""

    moved: int
    """Cards whose due date moved, each with its reschedule row."""
    unchanged: int
    """Cards read whose due date stayed as it was."""
    stale: int = 0
    """Cards answered elsewhere between being read and written: left as that answer left
    them."""


def _log_row(card_id: int, at: datetime, before: MemoryState, after: MemoryState) -> dict[str, Any]:
    """The review log row of one reschedule: kind Reschedule, rating 0, no duration, the
    memory states before and after."""
    row: dict[str, Any] = {
        "card_id": card_id,
        "kind": int(ReviewKind.Reschedule),
        "rating": 0,
        "reviewed_at": at,
        "duration_ms": None,
    }
    for suffix, memory in (("before", before), ("after", after)):
        row[f"state_{suffix}"] = int(memory.state)
        row[f"step_{suffix}"] = memory.step
        row[f"stability_{suffix}"] = memory.stability
        row[f"difficulty_{suffix}"] = memory.difficulty
        row[f"due_{suffix}"] = memory.due
        row[f"last_review_{suffix}"] = memory.last_review
    return row


def _write_settings(connection: Connection, settings: Sequence[SettingWrite]) -> None:
    for scope, key, value in settings:
        if value is None:
            connection.exec_driver_sql(
                f"DELETE FROM setting WHERE scope = {driver_marks(connection, 1)} "
                f"AND key = {driver_marks(connection, 1)}",
                (scope, key),
            )
            continue
        connection.exec_driver_sql(
            f"INSERT INTO setting (scope, key, value) VALUES ({driver_marks(connection, 3)}) "
            "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
            (scope, key, value),
        )


def _candidates(connection: Connection, scope: Scope) -> list[ReviewCard]:
    mark = driver_marks(connection, 1)
    where = ""
    params: list[object] = [int(State.Review), False]
    if scope.deck_id is not None:
        where += f" AND card.deck_id = {mark}"
        params.append(scope.deck_id)
    if scope.section_id is not None:
        where += f" AND card.section_id = {mark}"
        params.append(scope.section_id)
    rows = driver_rows(
        connection,
        "SELECT card.id, deck.key, section.key, card.version, "
        f"{', '.join(f'card.{name}' for name in MEMORY_FIELDS)} FROM card "
        "JOIN deck ON deck.id = card.deck_id JOIN section ON section.id = card.section_id "
        f"WHERE card.state = {mark} AND card.suspended = {mark} "
        f"AND card.last_review IS NOT NULL AND card.stability IS NOT NULL{where} "
        "ORDER BY card.id",
        params,
    )
    return [
        ReviewCard(card_id, deck_key, section_key, memory_from_raw(memory), version)
        # the memory columns come last (MEMORY_FIELDS)
        for card_id, deck_key, section_key, version, *memory in rows
    ]


class RescheduleStore(StoreBase):
    def reschedule(
        self,
        scope: Scope,
        plan: Callable[[ReviewCard], MemoryState | None],
        *,
        at: datetime,
        settings: Sequence[SettingWrite] = (),
    ) -> RescheduleResult:
        """Store ``settings`` and move the review cards of ``scope`` as ``plan`` says, in one
        transaction.

        The tables are locked for writing before the cards are read, so no answer comes in
        between; each move is still written only over the row version it read (and raises
        it), as an answer is, so a card answered meanwhile keeps that answer's state. Each card
        moved gets a review log row of kind ``ReviewKind.Reschedule`` at ``at`` (rating 0, no
        duration) with its state before and after.

        Args:
            scope: the cards to consider (its query filter, if any, is not used).
            plan: a card's state after the reschedule, or None to leave it.
            at: when the reschedule happens.
            settings: the setting changes that call for it, written with it.

        Raises:
            DatabaseBusyError: another recall held the database past the busy timeout.
        """
        moved = unchanged = stale = 0
        with self._writing() as session:
            connection = session.connection()
            lock_for_writing(connection, *WRITTEN)
            _write_settings(connection, settings)
            log_rows: list[dict[str, Any]] = []
            mark = driver_marks(connection, 1)
            assignments = ", ".join(f"{name} = {mark}" for name in MEMORY_FIELDS)
            update = (
                f"UPDATE card SET {assignments}, version = version + 1 "
                f"WHERE id = {mark} AND version = {mark}"
            )
            for card in _candidates(connection, scope):
                after = plan(card)
                if after is None or after == card.memory:
                    unchanged += 1
                    continue
                done = connection.exec_driver_sql(
                    update, (*memory_to_raw(after), card.id, card.version)
                )
                if not done.rowcount:
                    stale += 1
                    continue
                moved += 1
                log_rows.append(_log_row(card.id, at, card.memory, after))
            # Each value as its column's type stores it (the log's times are UTCMillis).
            insert_many(session, "review_log", log_rows)
            session.commit()
        return RescheduleResult(moved, unchanged, stale)
