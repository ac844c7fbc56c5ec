"""Decks: listing them, naming a scope, and writing an import."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, delete, func, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec
from recall1924.errors import NotFoundError
from recall1924.folding import folded_tags, folded_text
from recall1924.models import Card, Deck, ReviewKind, ReviewLog, Section
from recall1924.scheduling import MemoryState
from recall1924.spool import SpooledCards
from recall1924.store import dialect
from recall1924.store.base import (
    CONTENT_COLUMNS,
    MEMORY_FIELDS,
    CardFilter,
    Scope,
    StoreBase,
    dialect_of,
    driver_marks,
    driver_rows,
    lock_for_writing,
    logged_memory_to_raw,
    memory_columns,
    memory_from_raw,
    memory_of,
    memory_to_raw,
    stored,
    stored_millis,
    stored_moment,
)
from recall1924.store.edits import Upstream
from recall1924.store.search import search_columns

_EXPORTED_KINDS = (int(ReviewKind.Review), int(ReviewKind.Cram), int(ReviewKind.Reset))

_CHUNK = 5000
"""Rows written per executemany: a big import never holds all its rows as parameters."""

_WRITE_CACHE_KIB = 64 * 1024
"""The page cache an import writes through (see :func:`dialect.set_page_cache`): a million new
cards' inserts take a fifth less time than through SQLite's own 2 MiB, for 64 MiB more memory
at most, only while it writes."""

_SORT_CACHE_KIB = 8 * 1024
"""The page cache the card table's indexes are made through after a first import's cards
(:func:`_indexes_made_after`)."""


class ExistingCard(NamedTuple):
    """What an import compares a deck file's card with: its content and place as stored, and
    its memory state, decoded only when asked for (most cards of a re-import never are).

    A named tuple, immutable as a frozen dataclass but made in a fifth of the time: a frozen
    dataclass's ``__init__`` sets each of its fields through ``object.__setattr__``, 0.19 s
    over a 100,000-card deck's re-import."""

    id: int
    key: str
    section_key: str
    position: int
    question: str
    answer: str
    note: str | None
    tags: tuple[str, ...]
    source_id: str | None
    stored_memory: Sequence[Any]
    """The memory columns as stored: state, step, stability, difficulty, due, last_review."""
    edited: bool = False
    """The wording is the student's own (``edited_at`` is set): an import keeps it."""
    stored_upstream: str | None = None
    """The deck's own wording beside the student's, as stored (see :attr:`upstream`)."""
    cloze: str | None = None
    """A cloze card's whole cloze text, and the number it asks."""
    cloze_ord: int | None = None

    @property
    def upstream(self) -> Upstream | None:
        return Upstream.from_stored(self.stored_upstream)

    @property
    def content(self) -> CardSpec:
        return CardSpec(
            self.key,
            self.question,
            self.answer,
            self.note,
            self.tags,
            cloze=self.cloze,
            cloze_ord=self.cloze_ord,
        )

    def same_content(self, card: CardSpec) -> bool:
        """Whether ``card`` (of the same key) has this card's text and tags, and its cloze
        (or none, with the same text: see :func:`_kept_cloze`)."""
        if card.cloze is None:
            # The cloze the card keeps is then its own whenever the text is the same (see
            # _kept_cloze): only the text and tags are compared, as for most cards.
            return (
                self.question == card.question
                and self.answer == card.answer
                and self.note == card.note
                and self.tags == card.tags
            )
        stored = (self.cloze, self.cloze_ord)
        return (
            self.question == card.question
            and self.answer == card.answer
            and self.note == card.note
            and self.tags == card.tags
            and _kept_cloze(
                stored,
                (self.question, self.answer),
                (card.cloze, card.cloze_ord),
                (card.question, card.answer),
            )
            == stored
        )

    @property
    def memory(self) -> MemoryState:
        return memory_from_raw(self.stored_memory)


@dataclass(frozen=True)
class ExistingDeck:
    """A deck as the collection holds it, for an import to compare a file's deck with."""

    title: str
    description: str | None
    source: str | None
    version: int | None
    sections: Mapping[str, tuple[str, int]]
    """Each section's title and position, by key."""
    cards: dict[str, ExistingCard]
    """Every card, by key."""


class LoggedAnswer(NamedTuple):
    """An answer given elsewhere (or a reset), with the memory state it found and the one it
    left. A named tuple, as :class:`ExistingCard`: an Anki history is tens of thousands."""

    at: datetime
    rating: int
    duration_ms: int | None
    before: MemoryState
    after: MemoryState
    kind: ReviewKind = ReviewKind.Review


@dataclass(frozen=True)
class DeckChange:
    """What an import writes for one deck: the deck as the file has it, which existing cards
    changed, which to delete, and the answers to add to each card (by key, oldest first)."""

    spec: DeckSpec
    changed: frozenset[str] = frozenset()
    prune: frozenset[str] = frozenset()
    answers: Mapping[str, Sequence[LoggedAnswer]] = field(default_factory=dict)
    upstream: Mapping[str, Upstream] = field(default_factory=dict)
    """The deck's wording to keep beside cards whose wording stays the student's, by key."""
    settled: frozenset[str] = frozenset()
    """Cards whose wording was the student's and is now the file's too: no longer marked."""
    nothing_to_write: bool = False
    """The collection already holds this deck exactly so: no row would change, and
    :meth:`DeckStore.save_decks` leaves it alone (not even its ``updated_at``)."""


@dataclass(frozen=True)
class DeckSummary:
    """A deck in the collection."""

    key: str
    title: str
    source: str | None
    sections: int
    cards: int


class DeckStore(StoreBase):
    def deck_count(self) -> int:
        with self._session() as session:
            return session.exec(select(func.count()).select_from(Deck)).one()

    def decks(self) -> list[DeckSummary]:
        """Every deck, oldest first, with its section and card counts."""
        sections = (
            select(func.count())
            .where(col(Section.deck_id) == col(Deck.id))
            .correlate(Deck)
            .scalar_subquery()
        )
        cards = (
            select(func.count())
            .where(col(Card.deck_id) == col(Deck.id))
            .correlate(Deck)
            .scalar_subquery()
        )
        query = sa_select(
            col(Deck.key), col(Deck.title), col(Deck.source), sections, cards
        ).order_by(col(Deck.id))
        with self.engine.connect() as connection:
            return [DeckSummary(*row) for row in connection.execute(query)]

    def scope(self, deck_key: str | None = None, section_key: str | None = None) -> Scope:
        """The scope named by a deck key and/or section key.

        Raises:
            NotFoundError: if no deck or section has that key, or a section key is ambiguous.
        """
        with self._session() as session:
            deck_id = None
            if deck_key is not None:
                deck_id = session.exec(select(Deck.id).where(Deck.key == deck_key)).first()
                if deck_id is None:
                    known = ", ".join(session.exec(select(Deck.key)).all()) or "none"
                    raise NotFoundError(f"no deck {deck_key!r} (decks: {known})")
            if section_key is None:
                return Scope(deck_id=deck_id)
            query = select(Section.id, Section.deck_id).where(Section.key == section_key)
            if deck_id is not None:
                query = query.where(Section.deck_id == deck_id)
            found = session.exec(query).all()
            # Every deck imported from Anki has a section "main": across decks, each section is
            # named with its deck, or the list would say "main" twice.
            named = select(Deck.key, Section.key).join(Deck, col(Deck.id) == col(Section.deck_id))
            if not found:
                known_query = named.order_by(col(Section.deck_id), col(Section.position))
                if deck_id is not None:
                    known_query = known_query.where(Section.deck_id == deck_id)
                rows = session.exec(known_query).all()
                several = len({deck for deck, _section in rows}) > 1
                known = ", ".join(
                    f"{deck}/{section}" if several else section for deck, section in rows
                )
                raise NotFoundError(f"no section {section_key!r} (sections: {known or 'none'})")
            if len(found) > 1:
                decks = named.where(Section.key == section_key).order_by(col(Section.deck_id))
                owners = ", ".join(deck for deck, _section in session.exec(decks).all())
                raise NotFoundError(
                    f"section {section_key!r} is in several decks ({owners}); name one with --deck"
                )
            section_id, owner = found[0]
            return Scope(deck_id=owner, section_id=section_id)

    def existing_cards(self, deck_key: str) -> dict[str, ExistingCard] | None:
        """The cards of deck ``deck_key`` by key, or None if there is no such deck."""
        deck = self.existing_deck(deck_key)
        return None if deck is None else deck.cards

    def existing_deck(self, deck_key: str) -> ExistingDeck | None:
        """Deck ``deck_key`` as stored, with its sections and cards; None if there is none."""
        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT id, title, description, source, version FROM deck WHERE key = :key"),
                {"key": deck_key},
            ).first()
            if found is None:
                return None
            deck_id, title, description, source, version = found
            sections = {
                key: (section_title, position)
                for key, section_title, position in connection.execute(
                    text("SELECT key, title, position FROM section WHERE deck_id = :deck"),
                    {"deck": deck_id},
                )
            }
            # Plain SQL on the driver's own cursor, not SQLAlchemy's result types: they parse
            # two times and a JSON list per card, and make a Row of each, seconds over a
            # 100,000-card deck whose memory is mostly never looked at. The JSON columns are
            # read as their text on both stores (psycopg would decode them), so one codec
            # decodes them; a section's key is looked up by its id.
            section_keys: dict[int, str] = dict(
                connection.execute(
                    text("SELECT id, key FROM section WHERE deck_id = :deck"), {"deck": deck_id}
                ).all()
            )
            rows = driver_rows(
                connection,
                "SELECT id, key, section_id, position, question, answer, note, "
                "CAST(tags AS TEXT), source_id, edited_at IS NOT NULL, CAST(upstream AS TEXT), "
                f"cloze, cloze_ord, {', '.join(MEMORY_FIELDS)} "
                f"FROM card WHERE deck_id = {driver_marks(connection, 1)}",
                (deck_id,),
            )
            decode = _TagsCodec().decode
            cards = {
                key: ExistingCard(
                    card_id,
                    key,
                    section_keys[section_id],
                    position,
                    question,
                    answer,
                    note,
                    decode(tags_text),
                    source_id,
                    memory,
                    bool(edited),
                    upstream,
                    cloze_text,
                    cloze_ord,
                )
                for (
                    card_id,
                    key,
                    section_id,
                    position,
                    question,
                    answer,
                    note,
                    tags_text,
                    source_id,
                    edited,
                    upstream,
                    cloze_text,
                    cloze_ord,
                    *memory,  # the memory columns come last (MEMORY_FIELDS)
                ) in rows
            }
        return ExistingDeck(title, description, source, version, sections, cards)

    def save_decks(self, changes: Sequence[DeckChange], *, now: datetime) -> None:
        """Write every deck of an import in one transaction: all of them, or nothing. A deck
        with :attr:`~DeckChange.nothing_to_write` is not touched.

        Cards match on deck, section and card keys, so a card's memory state and review
        history survive any change to its text.
        """
        with (
            self._session() as session,
            _page_cache(session, _WRITE_CACHE_KIB),
            _filling_journal(session),
        ):
            with _indexes_made_after(session):
                for change in changes:
                    if not change.nothing_to_write:
                        self._write_deck(session, change, now)
            session.commit()

    def _write_deck(self, session: Session, change: DeckChange, now: datetime) -> None:
        spec = change.spec
        deck = session.exec(select(Deck).where(Deck.key == spec.key)).first()
        new_deck = deck is None
        if deck is None:
            deck = Deck(key=spec.key, title=spec.title, created_at=now, updated_at=now)
        deck.title = spec.title
        deck.description = spec.description
        deck.source = spec.source
        deck.version = spec.version
        deck.updated_at = now
        session.add(deck)
        session.flush()
        assert deck.id is not None
        deck_id = deck.id

        sections = {
            section.key: section
            for section in session.exec(select(Section).where(Section.deck_id == deck_id))
        }
        connection = session.connection()
        tags = _TagsCodec()
        # Plain rows, not ORM objects: loading or building a SQLModel object costs about a
        # millisecond, and a big deck has tens of thousands of cards, most unchanged.
        # A new deck has no card yet; nor, on its first import, has the card table an index by
        # deck to find that out with (_indexes_made_after).
        cards = (
            {}
            if new_deck
            else {
                row[1]: row
                for row in connection.execute(
                    text(
                        "SELECT id, key, section_id, position, question, answer, note, "
                        "CAST(tags AS TEXT), source_id, updated_at, cloze, cloze_ord FROM card "
                        "WHERE deck_id = :deck"
                    ),
                    {"deck": deck_id},
                )
            }
        )
        # Every card of a new deck is inserted here, after the one with this id.
        before = (
            connection.execute(text("SELECT COALESCE(MAX(id), 0) FROM card")).scalar_one()
            if new_deck and change.answers
            else 0
        )
        if change.prune:
            doomed = [cards.pop(key)[0] for key in change.prune]
            session.execute(delete(Card).where(col(Card.id).in_(doomed)))
        new_memory = memory_to_raw(MemoryState.new(now))
        created = stored(now)
        added: list[tuple[Any, ...]] = []
        edited: list[dict[str, Any]] = []
        # A new card's tags as stored and folded, by its set of tags: most cards share a few.
        stored_tags: dict[tuple[str, ...], tuple[str, str]] = {}
        for position, section_spec in enumerate(spec.sections):
            section = sections.get(section_spec.key) or Section(
                deck_id=deck_id, key=section_spec.key, title="", position=0
            )
            section.title = section_spec.title
            section.position = position
            session.add(section)
            session.flush()
            into = section.id  # read once: an ORM attribute costs a look-up per card
            for card_position, (
                key,
                question,
                answer,
                note,
                card_tags,
                source_id,
                suspended,
                cloze_text,
                cloze_ord,
            ) in enumerate(_card_fields(section_spec.cards)):
                row = cards.get(key) if cards else None
                answers = change.answers.get(key) if change.answers else None
                if row is None:
                    tag_columns = stored_tags.get(card_tags)
                    if tag_columns is None:
                        tag_columns = stored_tags[card_tags] = (
                            tags.encode(card_tags),
                            folded_tags(card_tags),
                        )
                    memory = memory_to_raw(answers[-1].after) if answers else new_memory
                    added.append(
                        (
                            deck_id,
                            key,
                            into,
                            card_position,
                            question,
                            answer,
                            note,
                            tag_columns[0],
                            source_id,
                            bool(suspended),  # PostgreSQL's boolean takes no int
                            *memory,
                            created,
                            created,
                            # search_columns' two, the tags' folded once for each set of tags
                            folded_text(question, answer, note),
                            tag_columns[1],
                            cloze_text,
                            cloze_ord,
                        )
                    )
                    if len(added) == _CHUNK:
                        _insert_cards(session, added)
                        added = []
                    continue
                card_id, _key, section_id, stored_position, *stored_text = row[:7]
                cloze_text, cloze_ord = _kept_cloze(
                    (row[10], row[11]),
                    (row[4], row[5]),
                    (cloze_text, cloze_ord),
                    (question, answer),
                )
                if (
                    answers
                    or section_id != into
                    or stored_position != card_position
                    or stored_text != [question, answer, note]
                    or tags.decode(row[7]) != card_tags
                    or row[8] != source_id
                    or row[10] != cloze_text
                    or row[11] != cloze_ord
                ):
                    stamp = now if key in change.changed else stored_moment(row[9])
                    memory_now = memory_columns(answers[-1].after) if answers else {}
                    edited.append(
                        {
                            "section_id": into,
                            "position": card_position,
                            "question": question,
                            "answer": answer,
                            "note": note,
                            "tags": list(card_tags),
                            "source_id": source_id,
                            "cloze": cloze_text,
                            "cloze_ord": cloze_ord,
                            **search_columns(question, answer, note, card_tags),
                        }
                        | memory_now
                        | {"card_id": card_id, "updated_at": stamp}
                    )
        _insert_cards(session, added)
        # Several shapes of update (with or without a new memory state): one executemany each.
        table: Table = Card.__table__  # type: ignore[attr-defined]
        for shape in {tuple(sorted(values)) for values in edited}:
            rows = [values for values in edited if tuple(sorted(values)) == shape]
            columns: dict[str, Any] = {name: bindparam(name) for name in shape if name != "card_id"}
            if "state" in columns:  # a new memory state raises the row version (answers.py)
                columns["version"] = table.c.version + 1
            session.execute(
                update(table).where(table.c.id == bindparam("card_id")).values(columns), rows
            )
        if change.upstream or change.settled:
            _mark_wording(session, deck_id, change)
        if change.answers:
            # A new deck's cards by their ids, which the primary key finds whatever other
            # index the table has just then (_indexes_made_after).
            since = " AND id > :before" if new_deck else ""
            ids: dict[str, int] = dict(
                connection.execute(
                    text(f"SELECT key, id FROM card WHERE deck_id = :deck{since}"),
                    {"deck": deck_id, "before": before},
                ).all()
            )
            with _counted_at_once(session, [ids[key] for key in change.answers]):
                _insert_answers(
                    session,
                    (
                        (ids[key], int(logged.kind), logged)
                        for key, answers in change.answers.items()
                        for logged in answers
                    ),
                )
        if change.prune:
            session.flush()
            spec_sections = {section.key for section in spec.sections}
            for key, section in sections.items():
                if (
                    key not in spec_sections
                    and not session.exec(
                        select(Card.id).where(Card.section_id == section.id)
                    ).first()
                ):
                    session.delete(section)

    def remove_deck(self, key: str) -> int:
        """Delete deck ``key`` with its sections, cards and their history. Returns its cards.

        Raises:
            NotFoundError: if there is no such deck.
        """
        with self._session() as session:
            deck = session.exec(select(Deck).where(Deck.key == key)).first()
            if deck is None:
                known = ", ".join(session.exec(select(Deck.key)).all()) or "none"
                raise NotFoundError(f"no deck {key!r} (decks: {known})")
            cards = session.exec(
                select(func.count()).select_from(Card).where(Card.deck_id == deck.id)
            ).one()
            session.delete(deck)
            session.commit()
            return cards

    def deck_specs(
        self, deck_key: str | None = None, match: CardFilter | None = None
    ) -> list[DeckSpec]:
        """Every deck (or deck ``deck_key``) as the neutral specs an export writes: sections
        and cards in order, each card with its source id, suspension, review answers and
        memory state.

        ``match`` (``export --query``): only the cards it matches, and only the sections and
        decks that hold one; no other card is read.

        Raises:
            NotFoundError: if there is no such deck.
        """
        if deck_key is not None:
            self.scope(deck_key)  # names the decks there are when this one is not
        with self.engine.connect() as connection:
            deck_query = sa_select(
                col(Deck.id),
                col(Deck.key),
                col(Deck.title),
                col(Deck.description),
                col(Deck.version),
            ).order_by(col(Deck.id))
            if deck_key is not None:
                deck_query = deck_query.where(col(Deck.key) == deck_key)
            decks = connection.execute(deck_query).all()
            history: dict[int, list[PastAnswer]] = {}
            log_query = (
                sa_select(
                    col(ReviewLog.card_id),
                    col(ReviewLog.reviewed_at),
                    col(ReviewLog.rating),
                    col(ReviewLog.duration_ms),
                    col(ReviewLog.kind),
                )
                # what an export carries: answers, cram and resets (not hand edits)
                .where(col(ReviewLog.kind).in_(_EXPORTED_KINDS))
                .order_by(col(ReviewLog.card_id), col(ReviewLog.reviewed_at), col(ReviewLog.id))
            )
            only = () if match is None else (match.clause,)
            if match is not None:
                matched = sa_select(col(Card.id)).where(*only)
                log_query = log_query.where(col(ReviewLog.card_id).in_(matched))
            for card_id, at, rating, duration, kind in connection.execute(log_query):
                history.setdefault(card_id, []).append(
                    PastAnswer(at, rating, duration, ReviewKind(kind))
                )
            specs = []
            for deck_id, key, title, description, version in decks:
                sections = connection.execute(
                    sa_select(col(Section.id), col(Section.key), col(Section.title))
                    .where(col(Section.deck_id) == deck_id)
                    .order_by(col(Section.position))
                ).all()
                cards: dict[int | None, list[CardSpec]] = {row[0]: [] for row in sections}
                card_query = (
                    sa_select(
                        *CONTENT_COLUMNS,
                        col(Card.source_id),
                        col(Card.suspended),
                        col(Card.cloze),
                        col(Card.cloze_ord),
                        *(getattr(Card, name) for name in MEMORY_FIELDS),
                    )
                    .where(col(Card.deck_id) == deck_id, *only)
                    .order_by(col(Card.section_id), col(Card.position), col(Card.id))
                )
                for row in connection.execute(card_query):
                    cards[row.section_id].append(
                        CardSpec(
                            row.key,
                            row.question,
                            row.answer,
                            row.note,
                            tuple(row.tags),
                            source_id=row.source_id,
                            history=tuple(history.get(row.id, ())),
                            suspended=bool(row.suspended),
                            cloze=row.cloze,
                            cloze_ord=row.cloze_ord,
                            memory=memory_of(row),
                        )
                    )
                if match is not None:
                    sections = [row for row in sections if cards[row[0]]]
                    if not sections:
                        continue
                specs.append(
                    DeckSpec(
                        key=key,
                        title=title,
                        description=description,
                        version=version,
                        sections=tuple(
                            SectionSpec(section_key, section_title, tuple(cards[section_id]))
                            for section_id, section_key, section_title in sections
                        ),
                    )
                )
        return specs

    def deck_origin(self, key: str) -> tuple[str | None, int | None] | None:
        """Where deck ``key`` was imported from and its file's version, as (source, version);
        None if there is no such deck. One small query: it runs each time recall starts."""
        query = sa_select(col(Deck.source), col(Deck.version)).where(col(Deck.key) == key)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else (row.source, row.version)


class _TagsCodec:
    """A card's tags as the JSON list the ``tags`` column holds (the column type's own
    ``json.dumps``), remembered by value: most cards of a deck share a few sets of tags, and
    decoding or encoding each card's costs a second over 100,000 cards."""

    def __init__(self) -> None:
        self._decoded: dict[str | None, tuple[str, ...]] = {}
        self._encoded: dict[tuple[str, ...], str] = {}

    def decode(self, text: str | None) -> tuple[str, ...]:
        tags = self._decoded.get(text)
        if tags is None:
            tags = self._decoded[text] = tuple(json.loads(text)) if text is not None else ()
        return tags

    def encode(self, tags: tuple[str, ...]) -> str:
        text = self._encoded.get(tags)
        if text is None:
            text = self._encoded[tags] = json.dumps(list(tags))
        return text


Cloze = tuple[str | None, int | None]
"""A card's cloze text and the number it asks; ``(None, None)`` for a card of no cloze."""


def _kept_cloze(
    stored: Cloze,
    stored_sides: tuple[str, str],
    given: Cloze,
    sides: tuple[str, str],
) -> Cloze:
    """The cloze a stored card keeps when an import gives it the cloze ``given`` and the
    question and answer ``sides``: ``given``, or, when that is none and the sides are the ones
    stored (``stored_sides``), the stored one. A text file writes a cloze it cannot hold as a
    card with its own text (an Anki note's in TOML, which has no place for the note; one with
    an empty deletion or a Back Extra in CSV, whose cloze row has neither): that text, read
    back, says nothing new of the card, so the card is unchanged and still leaves as its
    cloze. A reworded card's text is no longer what its cloze makes, and it loses the cloze."""
    return stored if given[0] is None and sides == stored_sides else given


CardFields = tuple[
    str, str, str, str | None, tuple[str, ...], str | None, bool, str | None, int | None
]
"""A card's key, question, answer, note, tags, source id, suspension, cloze and cloze number."""


def _card_fields(cards: Sequence[CardSpec]) -> Iterator[CardFields]:
    """The fields of ``cards``, in order: a spooled section's (a big text file's) as they were
    kept, without making a CardSpec of each (a second over a million cards)."""
    if isinstance(cards, SpooledCards):
        return cards.card_fields()
    return _spec_fields(cards)


def _spec_fields(cards: Sequence[CardSpec]) -> Iterator[CardFields]:
    for card in cards:
        yield (
            card.key,
            card.question,
            card.answer,
            card.note,
            card.tags,
            card.source_id,
            card.suspended,
            card.cloze,
            card.cloze_ord,
        )


def _stored_values(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(stored(value) for value in values)


_CARD_COLUMNS = (
    "deck_id, key, section_id, position, question, answer, note, tags, source_id, suspended, "
    "state, step, stability, difficulty, due, last_review, created_at, updated_at, "
    "search_text, search_tags, cloze, cloze_ord"
)
_LOG_COLUMNS = ", ".join(
    ["card_id", "kind", "rating", "reviewed_at", "duration_ms"]
    + [f"{name}{side}" for side in ("_before", "_after") for name in MEMORY_FIELDS]
)


def _mark_wording(session: Session, deck_id: int, change: DeckChange) -> None:
    """Record the deck's wording beside the cards that keep the student's, and unmark the
    cards whose wording the file now holds too."""
    connection = session.connection()
    if change.upstream:
        connection.execute(
            text("UPDATE card SET upstream = :upstream WHERE deck_id = :deck AND key = :key"),
            [
                {"upstream": wording.to_text(), "deck": deck_id, "key": key}
                for key, wording in change.upstream.items()
            ],
        )
    if change.settled:
        connection.execute(
            text(
                "UPDATE card SET edited_at = NULL, upstream = NULL "
                "WHERE deck_id = :deck AND key = :key"
            ),
            [{"deck": deck_id, "key": key} for key in change.settled],
        )


@contextmanager
def _page_cache(session: Session, kib: int) -> Iterator[None]:
    """The session's connection with a page cache of ``kib`` KiB for the block, then the one
    it had (where the database sizes one per connection: :func:`dialect.page_cache_size`)."""
    connection = session.connection()
    read = dialect.page_cache_size(connection.dialect.name)
    if read is None:
        yield
        return
    # On the driver's connection: the size is the connection's, not the transaction's, and is
    # given back even after a failed write has left the session to roll back.
    driver = connection.connection.driver_connection
    assert driver is not None
    (before,) = driver.execute(read).fetchone()
    driver.execute(dialect.set_page_cache(-kib))
    try:
        yield
    finally:
        if not connection.invalidated:  # see _filling_journal
            driver.execute(dialect.set_page_cache(before))


@contextmanager
def _filling_journal(session: Session) -> Iterator[None]:
    """The session's connection journals the block's writes as :func:`dialect.filling_journal`
    says, when the collection holds no card yet (its first import: a new collection, which
    nobody else has open), and as it did before after the block.

    The block must commit or roll back its transaction: the mode changes only outside one.
    Where the mode cannot change (another connection has the file open), it stays as it was,
    and the write is the same, only slower; the mode is set back even after a failed write.
    """
    connection = session.connection()
    read = dialect.journal_mode(connection.dialect.name)
    if read is None or _holds_cards(connection):
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    (before,) = driver.execute(read).fetchone()
    _set_journal(driver, dialect.filling_journal())
    try:
        yield
    finally:
        # SQLAlchemy closes a connection that a Ctrl-C (or any exit) interrupted in the middle
        # of a statement, and SQLite rolls its transaction back with it: nothing is left to give
        # back, and a statement on it would raise sqlite3's "Cannot operate on a closed
        # database" in place of the interrupt.
        if not connection.invalidated:
            if driver.in_transaction:
                driver.rollback()  # as the session would: the mode changes only outside one
            _set_journal(driver, before)


def _holds_cards(connection: Any) -> bool:
    """Whether the collection holds any card: a first import (none) writes the faster way of
    :func:`_filling_journal` and :func:`_indexes_made_after`."""
    return connection.exec_driver_sql("SELECT 1 FROM card LIMIT 1").first() is not None


@contextmanager
def _indexes_made_after(session: Session) -> Iterator[None]:
    """The block's writes into a card table that held no card are made before its indexes:
    the indexes are dropped at the start of the block and made again, each in one sorted pass,
    at its end, in the same transaction, which the caller commits after the block. Cards go
    one at a time into each index otherwise, a million cards' hashed keys in random order:
    their insert took 11.3-12.3 s so, and 5.2 s into the bare table, whose indexes then took
    3.3 s to make (the whole CSV import: 17.1 s before, 15.0 s after).

    The drop begins the transaction with the write lock
    (:func:`~recall1924.store.base.lock_for_writing`; on SQLite a statement that is not a row's
    write would otherwise run, and be kept, on its own). A card another recall writes after the
    check is in the indexes made again too. A failure in the block leaves the drop for the
    caller's rollback, which undoes it with the rest. A collection that holds cards keeps its
    indexes: making them again would read every card it holds.
    """
    connection = session.connection()
    if _holds_cards(connection):
        yield
        return
    lock_for_writing(connection, "card")
    made = connection.exec_driver_sql(
        dialect.table_indexes("card", name=dialect_of(connection))
    ).all()
    for index, _statement in made:
        connection.exec_driver_sql(f"DROP INDEX {index}")
    yield
    # SQLite sorts an index's entries in memory up to the size of the page cache, which an
    # import makes large (_WRITE_CACHE_KIB): as much memory again for no time (measured over
    # a million cards, the indexes took as long to make with a cache an eighth of its size).
    with _page_cache(session, _SORT_CACHE_KIB):
        for _index, statement in made:
            connection.exec_driver_sql(statement)


def _set_journal(driver: Any, mode: str) -> None:
    """Set the journal mode where it can be: a file someone has opened meanwhile keeps the one
    it has (SQLite says so, or, past the busy timeout, that the file is locked), and the
    write is the same either way; any connection opening the file sets the log again."""
    try:
        driver.execute(dialect.set_journal_mode(mode)).fetchone()
    except sqlite3.OperationalError:
        pass


def _insert_cards(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Insert new cards, given as values in the order of ``_CARD_COLUMNS``, stored form."""
    if rows:
        connection = session.connection()
        marks = driver_marks(connection, _CARD_COLUMNS.count(",") + 1)
        connection.exec_driver_sql(f"INSERT INTO card ({_CARD_COLUMNS}) VALUES ({marks})", rows)


@contextmanager
def _counted_at_once(session: Session, card_ids: Sequence[int]) -> Iterator[None]:
    """Answers inserted in the block are counted into their cards' answer counters in one
    statement at its end, not by a trigger per answer, where the database does it so
    (:func:`dialect.recounts_bulk_answers`): ``card_ids`` are the cards they are answers of.

    The recount is of all their answers, so a card the collection held before gets what its
    triggers would have given it: the counters its answers so far made, plus the new ones.
    A failure in the block leaves the triggers dropped in the transaction, which the caller
    then rolls back (as every writer of an import does), triggers included.
    """
    connection = session.connection()
    name = dialect_of(connection)
    if not card_ids or not dialect.recounts_bulk_answers(name=name):
        yield
        return
    for statement in dialect.drop_counter_triggers(name=name):
        connection.exec_driver_sql(statement)
    yield
    cards = dialect.json_rows(driver_marks(connection, 1), ["id"], types=["bigint"], name=name)
    connection.exec_driver_sql(
        dialect.recount_answers(name=name, cards=cards),
        (json.dumps([[card_id] for card_id in card_ids]),),
    )
    for statement in dialect.create_counter_triggers(name=name):
        connection.exec_driver_sql(statement)


def _insert_answers(session: Session, answers: Iterator[tuple[int, int, LoggedAnswer]]) -> None:
    """Insert ``(card id, kind, answer)`` into the review log, a chunk at a time."""
    marks = driver_marks(session.connection(), _LOG_COLUMNS.count(",") + 1)
    sql = f"INSERT INTO review_log ({_LOG_COLUMNS}) VALUES ({marks})"
    rows: list[tuple[Any, ...]] = []
    # An answer's "before" is, as a rule, the very state the answer before it left: stored once.
    left: MemoryState | None = None
    left_stored: tuple[Any, ...] = ()
    for card_id, kind, logged in answers:
        before = left_stored if logged.before is left else logged_memory_to_raw(logged.before)
        left = logged.after
        left_stored = logged_memory_to_raw(left)
        rows.append(
            (
                card_id,
                kind,
                logged.rating,
                stored_millis(logged.at),
                logged.duration_ms,
                *before,
                *left_stored,
            )
        )
        if len(rows) == _CHUNK:
            session.connection().exec_driver_sql(sql, rows)
            rows = []
    if rows:
        session.connection().exec_driver_sql(sql, rows)
