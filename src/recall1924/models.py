"""The database tables, as SQLModel classes.

Holds :class:`Deck`, :class:`Section`, :class:`Card` (its content and FSRS memory state),
:class:`ReviewLog` (every answer, with the card's memory state before and after, so undo is exact
and history can be replayed), :class:`Setting` and :class:`Media` (which stored file a name in a
deck's cards is). Enums are stored as plain integers; every
datetime is UTC. Changing a table here needs a migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from recall1924.db import UTCDateTime, UTCMillis
from recall1924.scheduling import ReviewKind

__all__ = [
    "SERVER_INDEX_OPTIONS",
    "Card",
    "Deck",
    "Media",
    "ReviewKind",
    "ReviewLog",
    "Section",
    "Setting",
    "add_server_index_options",
]


class Deck(SQLModel, table=True):
    """A deck; ``key`` is the id its file gives it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    title: str
    description: str | None = None
    source: str | None = None
    version: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Section(SQLModel, table=True):
    """An ordered group of cards within a deck."""

    __table_args__ = (UniqueConstraint("deck_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    deck_id: int = Field(foreign_key="deck.id", ondelete="CASCADE", index=True)
    key: str
    title: str
    position: int


class Card(SQLModel, table=True):
    """A question and answer, and its FSRS memory state.

    ``key`` is the card's stable id within its deck (the deck file's id): an import matches on it,
    so rewording a card keeps its history. ``last_review`` is null until the first answer.
    ``source_id`` says what the card is in the file it came from (an Anki note's GUID and
    template). A suspended card is never due; a buried one not before ``buried_until``.
    ``edited_at`` is set once the wording is the student's own and lives only here (not in a deck
    file of theirs): an import or an update of the deck then keeps it. ``upstream`` is the deck's
    own wording of such a card (question, answer, note, tags, and ``updated_at``: when an import
    brought a newer one, null for the wording the card had when the student first changed it);
    null for a card the student wrote. ``flag`` is non-zero for a flagged card, with the
    student's ``flag_reason`` if they gave one.
    """

    __table_args__ = (
        # A card's key is unique in its deck by an index, not the table's constraint, so that
        # an import into an empty collection can make it after the cards (migration 0012).
        Index("ix_card_deck_key", "deck_id", "key", unique=True),
        # Narrow covering indexes (migration 0007): the queue ranges over due times, the glance
        # and stats group by deck and section, and neither reads the wide rows. On PostgreSQL
        # the first holds the row's id too (SERVER_INDEX_OPTIONS).
        Index(
            "ix_card_due",
            "due",
            "state",
            "last_review",
            "suspended",
            "buried_until",
            "deck_id",
            "section_id",
            "stability",
        ),
        Index(
            "ix_card_memory",
            "deck_id",
            "section_id",
            "last_review",
            "state",
            "due",
            "suspended",
            "buried_until",
            "stability",
            "difficulty",
            "review_answers",
            "review_lapses",
            "mature_answers",
            "mature_lapses",
            "position",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    deck_id: int = Field(foreign_key="deck.id", ondelete="CASCADE")
    section_id: int = Field(foreign_key="section.id", ondelete="CASCADE", index=True)
    key: str
    position: int
    question: str
    answer: str
    note: str | None = None
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    source_id: str | None = None
    suspended: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    buried_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: int
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime = Field(sa_type=UTCDateTime)
    last_review: datetime | None = Field(default=None, sa_type=UTCDateTime)
    flag: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    flag_reason: str | None = None
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    upstream: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # The question, answer and note, and the tags, folded for searching (migration 0006): every
    # write of the content writes them too (store.search.search_columns).
    search_text: str = Field(default="", sa_column_kwargs={"server_default": ""})
    search_tags: str = Field(default="", sa_column_kwargs={"server_default": ""})
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # Kept by the database's triggers from the card's answers (store.dialect), never written
    # here: its scheduled answers in the Review state, those rated Again, and both again at a
    # mature interval, which true retention sums.
    review_answers: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    review_lapses: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    mature_answers: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    mature_lapses: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Raised by every write of the memory state (migration 0008): a write names the version it
    # read, so two machines answering the same card cannot both save from the same state.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # A cloze card: the whole cloze text ({{c1::…::hint}}) and the number this card asks.
    cloze: str | None = None
    cloze_ord: int | None = None


# Options of an index on PostgreSQL alone, by index: ix_card_due holds each row's id, which a
# PostgreSQL index entry does not as SQLite's holds the rowid, so that the queue's learning
# cards, listed by id, are read from it alone (migration 0011). They are set on the tables by
# add_server_index_options when an engine for a server is made, not named in Index(): a
# dialect's option there imports that dialect's SQLAlchemy module with these models, 18 ms of
# every command on a SQLite collection.
SERVER_INDEX_OPTIONS: dict[str, dict[str, Any]] = {"ix_card_due": {"postgresql_include": ["id"]}}


def add_server_index_options() -> None:
    """Put :data:`SERVER_INDEX_OPTIONS` on the indexes they are of (again is the same)."""
    for table in SQLModel.metadata.tables.values():
        for index in table.indexes:
            for name, value in SERVER_INDEX_OPTIONS.get(str(index.name), {}).items():
                index.kwargs[name] = value


class ReviewLog(SQLModel, table=True):
    """One answer to one card, with the memory state it found and the one it left."""

    __tablename__ = "review_log"
    __table_args__ = (
        # A card's answers in order, and (covering) the per-card counts of answers and lapses
        # a listing of cards reads (store.cards): migration 0009 made it the one index by card,
        # in place of (card_id, reviewed_at) and (state_before, kind, card_id, rating, due_before,
        # last_review_before), whose times only retention read before each card kept its
        # counters (0007).
        Index(
            "ix_review_log_card_time", "card_id", "reviewed_at", "state_before", "kind", "rating"
        ),
        # The answers of a span of time (the heatmap, the streak, answers stamped on a later
        # day, a search by review date); it is also the index by reviewed_at alone.
        Index("ix_review_log_time_kind", "reviewed_at", "kind", "duration_ms"),
    )

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="card.id", ondelete="CASCADE")
    kind: int = ReviewKind.Review
    rating: int
    # The five times are integers, milliseconds since the epoch (migration 0009): a million
    # answers store five million of them.
    reviewed_at: datetime = Field(sa_type=UTCMillis)
    duration_ms: int | None = None
    state_before: int
    step_before: int | None = None
    stability_before: float | None = None
    difficulty_before: float | None = None
    due_before: datetime = Field(sa_type=UTCMillis)
    last_review_before: datetime | None = Field(default=None, sa_type=UTCMillis)
    state_after: int
    step_after: int | None = None
    stability_after: float | None = None
    difficulty_after: float | None = None
    due_after: datetime = Field(sa_type=UTCMillis)
    last_review_after: datetime | None = Field(default=None, sa_type=UTCMillis)


class Setting(SQLModel, table=True):
    """A changed setting. ``scope`` is the collection's (``*``), a deck's key or a section's
    (:mod:`recall1924.settings`); unset settings have defaults."""

    scope: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str


class Media(SQLModel, table=True):
    """A file a deck's cards name (an image, a sound), and the stored copy that it is.

    ``name`` is the file's name in the card text (``[image: name]``) and in the package it came
    from; ``file`` is the copy in the media folder beside the database, named by its SHA-256
    and the original extension, so that a file several decks use (or a deck imported twice)
    is stored once.
    """

    __table_args__ = (UniqueConstraint("deck_id", "name"), Index("ix_media_file", "file"))

    id: int | None = Field(default=None, primary_key=True)
    deck_id: int = Field(foreign_key="deck.id", ondelete="CASCADE")
    name: str
    file: str
    size: int
