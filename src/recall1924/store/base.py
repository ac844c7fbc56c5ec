"""What every part of the store shares: the engine and sessions, the scope of a command, and
how a memory state maps to columns. No queries of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, or_
from sqlmodel import Session, col

from recall1924.models import Card
from recall1924.scheduling import MemoryState, State

LEARNING_STATES = (int(State.Learning), int(State.Relearning))


@dataclass(frozen=True)
class Scope:
    """Which cards a command works on: all, one deck, or one section."""

    deck_id: int | None = None
    section_id: int | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.deck_id is not None:
            clauses.append(col(Card.deck_id) == self.deck_id)
        if self.section_id is not None:
            clauses.append(col(Card.section_id) == self.section_id)
        return clauses


def available(at: datetime) -> ColumnElement[bool]:
    """Cards that may be shown at ``at``: not suspended, and not buried past it."""
    buried_until = col(Card.buried_until)
    return and_(col(Card.suspended).is_(False), or_(buried_until.is_(None), buried_until <= at))


class StoreBase:
    """The engine, and sessions on it, that every part of the :class:`Store` uses."""

    def __init__(self, engine: Engine, path: Path, backup: Path | None = None) -> None:
        self.engine = engine
        self.path = path
        """The database file."""
        self.backup = backup
        """The copy taken before this open upgraded the database, if it did."""

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def sql_time(moment: datetime) -> str:
    # The text form UTCDateTime stores, for raw SQL comparisons and julianday().
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


CONTENT_COLUMNS = (
    col(Card.id),
    col(Card.key),
    col(Card.section_id),
    col(Card.position),
    col(Card.question),
    col(Card.answer),
    col(Card.note),
    col(Card.tags),
)

MEMORY_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review")


def memory_columns(memory: MemoryState, suffix: str = "") -> dict[str, Any]:
    """A memory state as the columns of a card (no suffix) or of a review log's side."""
    values = {f"{name}{suffix}": getattr(memory, name) for name in MEMORY_FIELDS}
    values[f"state{suffix}"] = int(memory.state)
    return values


def memory_of(row: Any, suffix: str = "") -> MemoryState:
    """The memory state kept in a card's columns (a row or a Card), or in one side of a review
    log."""
    values = {name: getattr(row, f"{name}{suffix}") for name in MEMORY_FIELDS}
    values["state"] = State(values["state"])
    return MemoryState(**values)


def set_memory(card: Card, memory: MemoryState) -> None:
    for column, value in memory_columns(memory).items():
        setattr(card, column, value)
