"""A query (:mod:`recall1924.query`) as a condition on the card table, and the folded text it
is matched against.

Holds :class:`SearchContext` (what a query's relative terms are relative to), :class:`Place`,
:func:`compile_query` (a query to a SQLAlchemy WHERE clause), :func:`search_columns` (the
folded columns every write of a card's content stores beside it), and :class:`SearchStore`.

A compiled query is a condition on one ``card`` row, with bound parameters only: it goes into a
``SELECT``, a ``COUNT``, an ``UPDATE`` (``suspend --query``) or a queue's statements alike,
joining nothing. Words are matched with ``LIKE`` on ``card.search_text``, the folded question,
answer and note (``tag:`` on ``card.search_tags``): case and accents are folded in Python when
the card is written (:mod:`recall1924.folding`), since SQLite's ``lower()`` and ``LIKE`` fold
ASCII only and PostgreSQL's ``ILIKE`` is its own; a folded column is one portable scan, about
as fast as a full-text index on a collection of 100,000 cards and with exactly Anki's substring
meaning. ``deck:`` and ``section:`` are matched in Python against the deck and section names
(a few hundred rows, never a card) and become lists of ids. Relative days are review days
(:func:`recall1924.clock.day_start`), turned into moments in Python, so SQL compares stored
times with parameters and does no date arithmetic, except for retrievability: its review days
since the last answer and FSRS's curve are counted in SQL, in the database's own words
(:mod:`~recall1924.store.dialect`, by the name :func:`compile_query` is given), the one
dialect-specific piece.

Every term is two-valued (true or false, never null), so that ``-term`` is exactly the cards
``term`` does not match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Table,
    and_,
    false,
    func,
    literal_column,
    not_,
    or_,
    true,
)
from sqlalchemy import select as sql_select
from sqlmodel import col

from recall1924.clock import FIRST_YEAR, day_bounds, day_start, review_date
from recall1924.folding import FIELD_SEPARATOR, fold, folded_tags, folded_text, path_name
from recall1924.models import Card, Deck, ReviewKind, ReviewLog, Section
from recall1924.query import (
    All,
    Answered,
    AnyOf,
    CardIs,
    Changed,
    Everything,
    InDeck,
    InSection,
    Is,
    Not,
    Pattern,
    Prop,
    Property,
    Query,
    Rated,
    Tagged,
    Text,
    When,
    terms,
)
from recall1924.scheduling import Rating, State
from recall1924.store import dialect
from recall1924.store.base import LEARNING_STATES, CardFilter, Scope, StoreBase, available
from recall1924.store.zone import review_days

__all__ = [
    "Place",
    "SearchContext",
    "SearchStore",
    "compile_query",
    "found_text",
    "search_columns",
]


def search_columns(
    question: str, answer: str, note: str | None, tags: Iterable[str]
) -> dict[str, str]:
    """The folded columns to store with a card's content: every write of its question, answer,
    note or tags (an import, ``recall add``, ``recall edit``) stores these beside them, or
    words and tags no longer find it."""
    return {
        "search_text": folded_text(question, answer, note),
        "search_tags": folded_tags(tags),
    }


@dataclass(frozen=True)
class SearchContext:
    """What a query's relative terms are relative to.

    Attributes:
        now: the moment ``is:due``, ``is:buried`` and ``prop:r`` are for; today's review day
            (``day_starts_at``) is the one ``prop:due`` and the ``N`` days count from.
        decay: the forgetting curve's decay of ``prop:r``; a deck in ``deck_decays`` (by id)
            has its own.
        leech_threshold: lapses from which ``is:leech`` matches.
    """

    now: datetime
    day_starts_at: int
    decay: float
    deck_decays: Mapping[int, float] = field(default_factory=dict)
    leech_threshold: int = 8

    @property
    def today(self) -> date:
        return review_date(self.now, self.day_starts_at)

    def day_start(self, offset: int) -> datetime:
        """When the review day ``offset`` days from today starts (before: negative); days past
        those any stored time can have are taken as the first or last of them."""
        target = min(max(self.today.toordinal() + offset, _FIRST_DAY), _LAST_DAY)
        return day_start(date.fromordinal(target), self.day_starts_at)


_FIRST_DAY = date(FIRST_YEAR, 1, 2).toordinal()
_LAST_DAY = date(9998, 12, 31).toordinal()


@dataclass(frozen=True)
class Place:
    """A section and its deck, with the names ``deck:`` and ``section:`` are matched against."""

    deck_id: int
    section_id: int
    deck_key: str
    deck_title: str
    section_key: str
    section_title: str

    def deck_names(self) -> set[str]:
        """The folded names ``deck:`` finds this section's cards by: the deck's id and title,
        and the paths through the section (``deck::section``) and every level above it."""
        decks = {path_name(fold(self.deck_key)), path_name(fold(self.deck_title))}
        names: set[str] = set()
        for deck in decks:
            for section in self._section_names():
                names |= _levels(f"{deck}::{section}")
        return names

    def section_names(self) -> set[str]:
        """The folded names ``section:`` finds this section's cards by: its id, its title and
        every level of its title's path (``Verbs :: Irregular`` is also ``verbs``)."""
        names: set[str] = set()
        for section in self._section_names():
            names |= _levels(section)
        return names

    def _section_names(self) -> set[str]:
        return {path_name(fold(self.section_key)), path_name(fold(self.section_title))}


def _levels(path: str) -> set[str]:
    """``a::b::c`` and each level above it: ``a``, ``a::b``."""
    levels = {path}
    at = path.find("::")
    while at != -1:
        levels.add(path[:at])
        at = path.find("::", at + 1)
    return levels


def needs_places(query: Query) -> bool:
    """Whether the query names a deck or section (so compiling it needs the :class:`Place`\\ s)."""
    return any(isinstance(term, InDeck | InSection) for term in terms(query))


def compile_query(
    query: Query,
    context: SearchContext,
    places: Sequence[Place] = (),
    *,
    name: dialect.Name = dialect.SQLITE,
) -> ColumnElement[bool]:
    """The condition on a ``card`` row that ``query`` asks for.

    Args:
        query: the parsed query.
        context: now, today's review day, the decay and the leech threshold.
        places: every section with its deck (``SearchStore.places``), when the query names a
            deck or section (:func:`needs_places`).
        name: the database the condition is for (``StoreBase.dialect``): ``prop:r`` is
            written in its SQL.
    """
    return _Compiler(context, places, name).clause(query)


_REVIEW = int(ReviewKind.Review)
_CARD: Table = Card.__table__  # type: ignore[attr-defined]
_SEEN = col(Card.last_review).is_not(None)


class _Compiler:
    def __init__(self, context: SearchContext, places: Sequence[Place], name: dialect.Name) -> None:
        self.context = context
        self.places = places
        self.name = name

    def clause(self, query: Query) -> ColumnElement[bool]:
        match query:
            case Everything():
                return true()
            case Text(pattern):
                return found_text(pattern)
            case InDeck(pattern):
                return self._places(lambda place: any(map(pattern.names, place.deck_names())))
            case InSection(pattern):
                return self._places(lambda place: any(map(pattern.names, place.section_names())))
            case Tagged(pattern):
                return _tagged(pattern)
            case Is(what):
                return self._is(what)
            case Prop(name, op, value):
                if name is Property.Due:
                    return and_(_SEEN, self._due_days(op.value, int(value)))
                present, measured = self._property(name)
                compared: ColumnElement[bool] = op.apply(measured, value)
                return compared if present is None else and_(present, compared)
            case Rated(days, rating):
                answers = sql_select(col(ReviewLog.card_id)).where(
                    col(ReviewLog.kind) == _REVIEW,
                    col(ReviewLog.reviewed_at) >= self.context.day_start(1 - days),
                )
                if rating is not None:
                    answers = answers.where(col(ReviewLog.rating) == rating)
                return col(Card.id).in_(answers.correlate(None))
            case Answered(days):
                # First answered since then: answered since, and not before. Not the first
                # answer of every card grouped (a pass over the whole log): the cards answered
                # since, by the index on the time, each with one look for an older answer.
                since = self.context.day_start(1 - days)
                recent = sql_select(col(ReviewLog.card_id)).where(
                    col(ReviewLog.kind) == _REVIEW, col(ReviewLog.reviewed_at) >= since
                )
                older = sql_select(col(ReviewLog.id)).where(
                    col(ReviewLog.card_id) == col(Card.id),
                    col(ReviewLog.reviewed_at) < since,
                    col(ReviewLog.kind) == _REVIEW,
                )
                return and_(
                    col(Card.id).in_(recent.correlate(None)), ~older.correlate(_CARD).exists()
                )
            case Changed(what, days):
                since = self.context.day_start(1 - days)
                if what is When.Added:
                    return col(Card.created_at) >= since
                # Anki's edited:N, the text changed: a card's updated_at moves only when its
                # text, tags or place do (an edit, into the student's file or the collection,
                # or an import that changed it), never with an answer.
                return col(Card.updated_at) >= since
            case Not(term):
                return not_(self.clause(term))
            case All(terms):
                return and_(*(self.clause(term) for term in terms))
            case AnyOf(terms):
                return or_(*(self.clause(term) for term in terms))
        raise AssertionError(f"not a query: {query!r}")

    def _places(self, wanted: Any) -> ColumnElement[bool]:
        """Cards in the sections ``wanted`` says yes to: whole decks by deck id, the rest by
        section id (fewer parameters)."""
        by_deck: dict[int, list[tuple[int, bool]]] = {}
        for place in self.places:
            by_deck.setdefault(place.deck_id, []).append((place.section_id, bool(wanted(place))))
        decks = [deck for deck, sections in by_deck.items() if all(ok for _id, ok in sections)]
        sections = [
            section
            for deck, found in by_deck.items()
            if deck not in decks
            for section, ok in found
            if ok
        ]
        either = []
        if decks:
            either.append(col(Card.deck_id).in_(decks))
        if sections:
            either.append(col(Card.section_id).in_(sections))
        return or_(*either) if either else false()

    def _is(self, what: CardIs) -> ColumnElement[bool]:
        now = self.context.now
        match what:
            case CardIs.New:
                return col(Card.last_review).is_(None)
            case CardIs.Learn:
                return and_(_SEEN, col(Card.state).in_(LEARNING_STATES))
            case CardIs.Review:
                reviewing = (int(State.Review), int(State.Relearning))
                return and_(_SEEN, col(Card.state).in_(reviewing))
            case CardIs.Due:
                _start, end = day_bounds(now, self.context.day_starts_at)
                return and_(_SEEN, col(Card.due) < end, available(now))
            case CardIs.Suspended:
                return col(Card.suspended).is_(True)
            case CardIs.Buried:
                buried = col(Card.buried_until)
                return and_(buried.is_not(None), buried > now)
            case CardIs.Leech:
                leech: ColumnElement[bool] = _lapses() >= self.context.leech_threshold
                return leech
            case CardIs.Flagged:
                return col(Card.flag) != 0
        raise AssertionError(what)

    def _property(self, name: Property) -> tuple[ColumnElement[bool] | None, Any]:
        """Which cards have the value ``prop:name`` compares (None: all), and the value in
        SQL. A card without one (a new card's stability) has null there: the term is the
        comparison *and* the presence, so that it stays two-valued."""
        match name:
            case Property.R:
                return _SEEN, self._retrievability()
            case Property.S:
                return col(Card.stability).is_not(None), col(Card.stability)
            case Property.D:
                return col(Card.difficulty).is_not(None), col(Card.difficulty)
            case Property.Lapses:
                return None, _lapses()
            case Property.Reps:
                return None, _reps()
        raise AssertionError(name)

    def _retrievability(self) -> ColumnElement[float]:
        """FSRS's chance of recall today (``scheduling.retrievability`` of the review days
        from the one holding the card's last review to today, on its deck's curve), in this
        database's SQL. Its values written in, not bound: the term is a clause other
        statements are built from."""
        decay = repr(float(self.context.decay))
        if self.context.deck_decays:
            decays = " ".join(
                f"WHEN {int(deck_id)} THEN {float(value)!r}"
                for deck_id, value in self.context.deck_decays.items()
            )
            decay = f"(CASE card.deck_id {decays} ELSE {decay} END)"
        elapsed, _ = review_days(
            "card.last_review",
            self.context.today,
            self.context.day_starts_at,
            name=self.name,
            literal=True,
        )
        curve = dialect.retrievability(
            elapsed, native=False, decay=decay, whole=True, name=self.name
        )
        return literal_column(curve, Float)

    def _due_days(self, op: str, days: int) -> ColumnElement[bool]:
        """Cards whose due time is ``op days`` review days from today, as moments: the review
        day a card is due in is before day ``days`` exactly when it is due before that day
        starts."""
        due = col(Card.due)
        this, following = self.context.day_start(days), self.context.day_start(days + 1)
        match op:
            case "<":
                return due < this
            case "<=":
                return due < following
            case ">":
                return due >= following
            case ">=":
                return due >= this
            case "=":
                return and_(due >= this, due < following)
        return or_(due < this, due >= following)


def _lapses() -> Any:
    """A card's lapses: Again answers to it in the Review state (scheduled answers only), read
    from the covering index on (card_id, reviewed_at, state_before, kind, rating). Correlated
    to the card only, never to a ``review_log`` the statement around it reads (an export's
    answers)."""
    return (
        sql_select(func.count())
        .where(
            col(ReviewLog.state_before) == int(State.Review),
            col(ReviewLog.kind) == _REVIEW,
            col(ReviewLog.card_id) == col(Card.id),
            col(ReviewLog.rating) == int(Rating.Again),
        )
        .correlate(_CARD)
        .scalar_subquery()
    )


def _reps() -> Any:
    """A card's scheduled answers. Every state named, so that the count is read from that same
    covering index rather than from each answer's row."""
    return (
        sql_select(func.count())
        .where(
            col(ReviewLog.state_before).in_([int(state) for state in State]),
            col(ReviewLog.kind) == _REVIEW,
            col(ReviewLog.card_id) == col(Card.id),
        )
        .correlate(_CARD)
        .scalar_subquery()
    )


def found_text(pattern: Pattern) -> ColumnElement[bool]:
    """Cards whose question, answer or note holds the pattern (a free word or phrase)."""
    return col(Card.search_text).like(_like(pattern.pieces), escape="\\")


def _escaped(piece: str) -> str:
    """A literal piece of a ``LIKE`` pattern (``\\`` escaping)."""
    return piece.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(pieces: Sequence[str]) -> str:
    """The ``LIKE`` pattern that finds the pieces in order anywhere in a text."""
    return "%" + "%".join(_escaped(piece) for piece in pieces) + "%"


def _tagged(pattern: Pattern | None) -> ColumnElement[bool]:
    """``tag:``, over the stored tags ``␟tag␟tag␟`` (``␟`` the separator, which no folded tag
    holds). A tag matches, or a level of it (``a`` of ``a::b``) does; the parser allows ``*``
    only at a tag's ends, which ``LIKE`` keeps within one tag."""
    tags, sep = col(Card.search_tags), FIELD_SEPARATOR
    if pattern is None:
        return tags == ""

    def like(text: str) -> ColumnElement[bool]:
        return tags.like(text, escape="\\")

    pieces = pattern.pieces
    if len(pieces) == 1:  # the tag, or one below it
        exact = _escaped(pieces[0])
        return or_(like(f"%{sep}{exact}{sep}%"), like(f"%{sep}{exact}::%"))
    if len(pieces) == 3:  # *x*: within a tag
        return like(f"%{_escaped(pieces[1])}%")
    start, end = pieces
    if not start and not end:  # *: any tag
        return tags != ""
    if start:  # x*: a tag starting so
        return like(f"%{sep}{_escaped(start)}%")
    ending = _escaped(end)  # *x: a tag, or a level of one, ending so
    return or_(like(f"%{ending}{sep}%"), like(f"%{ending}::%"))


class SearchStore(StoreBase):
    def places(self) -> list[Place]:
        """Every section with its deck, in deck order: what ``deck:`` and ``section:`` are
        matched against."""
        query = sql_select(
            col(Deck.id),
            col(Section.id),
            col(Deck.key),
            col(Deck.title),
            col(Section.key),
            col(Section.title),
        ).join(Section, col(Section.deck_id) == col(Deck.id))
        query = query.order_by(col(Deck.id), col(Section.position), col(Section.id))
        with self.engine.connect() as connection:
            return [Place(*row) for row in connection.execute(query)]  # type: ignore[arg-type]

    def card_filter(self, query: Query, context: SearchContext) -> CardFilter:
        """``query`` compiled for this collection (its decks and sections named, if it names
        any)."""
        places = self.places() if needs_places(query) else ()
        return CardFilter(compile_query(query, context, places, name=self.dialect))

    def filtered(self, scope: Scope, query: Query, context: SearchContext) -> Scope:
        """``scope`` narrowed to the cards ``query`` matches (kept as it is for the empty
        query), for every command that works on a scope: the listing, a queue, an export."""
        if isinstance(query, Everything):
            return scope
        found = self.card_filter(query, context)
        if scope.match is not None:
            found = CardFilter(and_(scope.match.clause, found.clause))
        return replace(scope, match=found)
