"""Review history in bulk: every answer of a deck's cards for training and replay, and the
memory states a replay recomputes, written back in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from recall1924.scheduling import MemoryState, State
from recall1924.store.base import MEMORY_FIELDS, StoreBase


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


# Plain SQL with the column type's own text form: a long history is tens of thousands of rows
# with a dozen datetimes each, and converting them through SQLAlchemy's types took most of the
# time of `recall optimize` (about 2 s of 3 for a 31,000-answer history).
_TEXT = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy's SQLite DateTime (under UTCDateTime) writes a naive UTC datetime."""


def _to_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime(_TEXT)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else _time(text)


def _memory(values: Sequence[Any]) -> MemoryState:
    state, step, stability, difficulty, due, last_review = values
    return MemoryState(
        State(state),
        step,
        stability,
        difficulty,
        _time(due),
        _maybe_time(last_review),
    )


def _columns(suffix: str = "") -> str:
    return ", ".join(f"{name}{suffix}" for name in MEMORY_FIELDS)


def _values(memory: MemoryState) -> tuple[Any, ...]:
    return (
        int(memory.state),
        memory.step,
        memory.stability,
        memory.difficulty,
        _to_text(memory.due),
        _to_text(memory.last_review),
    )


class HistoryStore(StoreBase):
    def card_histories(self, deck_keys: Sequence[str] | None = None) -> list[CardHistory]:
        """Every card that has review log rows, with all of them (every kind), oldest first.

        Args:
            deck_keys: only the cards of these decks; None for every deck.
        """
        where = ""
        params: tuple[str, ...] = ()
        if deck_keys is not None:
            if not deck_keys:
                return []
            where = f"WHERE deck.key IN ({', '.join('?' for _ in deck_keys)})"
            params = tuple(deck_keys)
        rows: dict[int, list[LoggedRow]] = {}
        with self.engine.connect() as connection:
            logs = connection.exec_driver_sql(
                f"SELECT review_log.card_id, review_log.id, kind, rating, reviewed_at, "
                f"{_columns('_before')}, {_columns('_after')} FROM review_log "
                "JOIN card ON card.id = review_log.card_id JOIN deck ON deck.id = card.deck_id "
                # the same order as every other reader of a card's history
                f"{where} ORDER BY review_log.card_id, reviewed_at, review_log.id",
                params,
            )
            for row in logs:
                rows.setdefault(row[0], []).append(
                    LoggedRow(
                        row[1],
                        row[2],
                        row[3],
                        _time(row[4]),
                        _memory(row[5:11]),
                        _memory(row[11:17]),
                    )
                )
            cards = connection.exec_driver_sql(
                f"SELECT card.id, deck.key, card.created_at, {_columns()} FROM card "
                f"JOIN deck ON deck.id = card.deck_id {where}",
                params,
            )
            found = {row[0]: row for row in cards if row[0] in rows}
        return [
            CardHistory(
                card_id,
                found[card_id][1],
                _time(found[card_id][2]),
                _memory(found[card_id][3:9]),
                tuple(logged),
            )
            for card_id, logged in rows.items()
            if card_id in found
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

        def assignments(suffix: str = "") -> str:
            return ", ".join(f"{name}{suffix} = ?" for name in MEMORY_FIELDS)

        with self.engine.begin() as connection:
            if cards:
                connection.exec_driver_sql(
                    f"UPDATE card SET {assignments()} WHERE id = ?",
                    [(*_values(memory), card_id) for card_id, memory in cards.items()],
                )
            if logs:
                connection.exec_driver_sql(
                    f"UPDATE review_log SET {assignments('_before')}, {assignments('_after')} "
                    "WHERE id = ?",
                    [
                        (*_values(before), *_values(after), log_id)
                        for log_id, (before, after) in logs.items()
                    ],
                )
            if setting is not None:
                connection.exec_driver_sql(
                    "INSERT INTO setting (scope, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
                    setting,
                )
