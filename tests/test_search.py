"""The query language against the database: for random queries (from the grammar, and from
junk) over small random collections, the cards the compiled SQL selects are exactly the cards
a slow, separately written Python filter keeps; in UTC and in a zone whose review days are not
UTC's. And the folded text is written with every card and kept by the migration."""

from __future__ import annotations

import os
import random
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fsrs import Scheduler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import collection_sql
from conftest import NOW, SHARED_TESTDATA
from recall1924.clock import review_date
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.errors import QueryError
from recall1924.folding import fold, folded_tags, folded_text, path_name
from recall1924.importing import import_deck
from recall1924.models import Card, ReviewKind
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
    Prop,
    Property,
    Query,
    Rated,
    Tagged,
    Text,
    When,
    parse,
)
from recall1924.scheduling import Rating, State, answer, decay_of, retrievability
from recall1924.store import Scope, Store
from recall1924.store.cards import CardQuery
from recall1924.store.search import SearchContext

SCHEDULER = Scheduler(enable_fuzzing=False)
DECAY = decay_of(SCHEDULER)
OWN_DECAY = -0.8
"""The first deck's forgetting curve, its own: prop:r must use it for that deck's cards."""
DAY_STARTS_AT = 4
LEECHES = 2

WORDS = ["cat", "Cat", "CAT", "émile", "Emile", "straße", "strasse", "a_b", "100%", "x*y",
         "back\\slash", "Σίσυφος", "dog", "doggy", "中文", "tab\there", "line\nbreak", "Ω",
         "e\u0301", "ﬁne", "soft\u00adhyphen", "or", "(x)", '"q"', "12:30", "b:c"]  # fmt: skip
TAGS = ["verb", "Verb::irregular", "noun", "a::b::c", "hard", "café", "x_y"]
DECKS = [("es", "Spanish"), ("fr", "Français"), ("de", "Deutsch :: Verben")]
SECTIONS = [("s1", "Verbs"), ("s2", "Verbs :: Irregular"), ("s3", "Café"), ("s4", "A::B")]


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))


def _deck(rng: random.Random, index: int) -> DeckSpec:
    key, title = DECKS[index]
    sections = []
    for section_key, section_title in rng.sample(SECTIONS, rng.randint(2, 3)):
        cards = tuple(
            CardSpec(
                f"{key}-{section_key}-{n}",
                _text(rng),
                _text(rng),
                _text(rng) if rng.random() < 0.5 else None,
                tuple(rng.sample(TAGS, rng.randint(0, 2))),
            )
            for n in range(rng.randint(1, 7))
        )
        sections.append(SectionSpec(section_key, section_title, cards))
    return DeckSpec(key, title, tuple(sections), source="test")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def build(path: Path, seed: int) -> Store:
    """A small collection of every kind of card, from ``seed``: imported through the store
    (so the folded text is the import's), answered, then suspended, buried, flagged, edited
    and dated by hand."""
    rng = random.Random(seed)
    store = Store.open(path, NOW)
    for index in range(2 + seed % 2):
        import_deck(store, _deck(rng, index), now=NOW - timedelta(days=60))
    with sqlite3.connect(path) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM card ORDER BY id")]
    for card_id in ids:
        if rng.random() < 0.25:
            continue  # new
        at = NOW - timedelta(days=rng.uniform(1, 120))
        # Some cards forgotten twice after reaching review: leeches at LEECHES.
        script = [Rating.Easy, Rating.Again, Rating.Good, Rating.Easy, Rating.Again, Rating.Good]
        for step in range(rng.randint(1, 8)):
            before = store.card(card_id).memory
            rating = rng.choice([Rating.Again, Rating.Again, Rating.Hard, Rating.Good, Rating.Good,
                                 Rating.Easy])  # fmt: skip
            if card_id % 4 == 0 and step < len(script):
                rating = script[step]
            if card_id % 4 == 3:  # forgotten once after reaching review, then left: relearning
                rating = [Rating.Easy, Rating.Easy, Rating.Again][min(step, 2)]
            if rng.random() < 0.15:  # practice: logged, the schedule as it was
                store.record_answer(
                    card_id, before=before, after=before, rating=rating, at=at,
                    duration_ms=None, kind=ReviewKind.Cram,
                )  # fmt: skip
            else:
                after = answer(SCHEDULER, card_id=card_id, memory=before, rating=rating, at=at)
                store.record_answer(
                    card_id, before=before, after=after, rating=rating, at=at, duration_ms=None
                )
            at += timedelta(days=rng.choice([0.01, 0.5, 1, 3, 10, 40]) * rng.uniform(0.5, 1.5))
            if at >= NOW:
                break
            if card_id % 5 == 1 and step == 0:
                at = NOW - timedelta(hours=rng.uniform(0.5, 4))  # answered today
    with sqlite3.connect(path) as connection:
        for card_id in ids:
            connection.execute(
                "UPDATE card SET suspended = ?, buried_until = ?, flag = ?, edited_at = ?, "
                "updated_at = ?, created_at = ? WHERE id = ?",
                (
                    rng.random() < 0.2,
                    _stamp(NOW + timedelta(hours=rng.uniform(-30, 30)))
                    if rng.random() < 0.25
                    else None,
                    rng.choice([0, 0, 0, 1, 3]),
                    _stamp(NOW - timedelta(days=rng.uniform(0, 20)))
                    if rng.random() < 0.3
                    else None,
                    _stamp(NOW - timedelta(days=rng.uniform(0, 20))),  # its text last changed
                    _stamp(NOW - timedelta(days=rng.uniform(0, 30))),
                    card_id,
                ),
            )
    return store


# -- The reference: every card read whole, every term in plain Python ------------------------


@dataclass
class Row:
    id: int
    deck_id: int
    deck: tuple[str, str]
    section: tuple[str, str]
    question: str
    answer: str
    note: str | None
    tags: list[str]
    state: int
    last_review: datetime | None
    due: datetime
    stability: float | None
    difficulty: float | None
    suspended: bool
    buried_until: datetime | None
    flag: int
    edited_at: datetime | None
    changed_at: datetime
    """When its text last changed (``updated_at``): an edit, or an import that changed it."""
    created_at: datetime
    answers: list[tuple[int, int, datetime, int]] = field(default_factory=list)
    """(kind, rating, reviewed_at, state_before)."""


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text + "+00:00")


def read_all(path: Path) -> list[Row]:
    import json

    with collection_sql.connect(path) as connection:
        rows = {
            row[0]: Row(
                row[0],
                row[1],
                (row[2], row[3]),
                (row[4], row[5]),
                row[6],
                row[7],
                row[8],
                json.loads(row[9]),
                row[10],
                _moment(row[11]),
                _moment(row[12]),  # type: ignore[arg-type]
                row[13],
                row[14],
                bool(row[15]),
                _moment(row[16]),
                row[17],
                _moment(row[18]),
                _moment(row[19]),  # type: ignore[arg-type]
                _moment(row[20]),  # type: ignore[arg-type]
            )  # fmt: skip
            for row in connection.execute(
                "SELECT card.id, card.deck_id, deck.key, deck.title, section.key, section.title,"
                " question, answer, note, tags, state, last_review, due, stability, difficulty,"
                " suspended, buried_until, flag, edited_at, card.updated_at, card.created_at"
                " FROM card JOIN deck ON deck.id = card.deck_id"
                " JOIN section ON section.id = section_id"
            )
        }
        for card_id, kind, rating, at, before in connection.execute(
            "SELECT card_id, kind, rating, reviewed_at, state_before FROM review_log"
        ):
            rows[card_id].answers.append((kind, rating, collection_sql.moment(at), before))
    return list(rows.values())


def _matches(pieces: tuple[str, ...], text: str, *, whole: bool) -> bool:
    regex = ".*".join(re.escape(piece) for piece in pieces)
    found = re.fullmatch(regex, text, re.S) if whole else re.search(regex, text, re.S)
    return found is not None


def _name(text: str) -> str:
    return path_name(fold(text))


@dataclass(frozen=True)
class Reference:
    now: datetime
    decays: dict[int, float]

    @property
    def today(self) -> date:
        return review_date(self.now, DAY_STARTS_AT)

    def within(self, moment: datetime | None, days: int) -> bool:
        return moment is not None and review_date(moment, DAY_STARTS_AT) > self.today - timedelta(
            days=days
        )

    def keeps(self, query: Query, row: Row) -> bool:  # noqa: C901 - one case per term
        match query:
            case Everything():
                return True
            case Text(pattern):
                text = "\x1f".join(
                    fold(part) for part in (row.question, row.answer, row.note or "")
                )
                return _matches(pattern.pieces, text, whole=False)
            case InDeck(pattern):
                names = {
                    level
                    for deck in row.deck
                    for section in row.section
                    for level in _tag_levels(f"{_name(deck)}::{_name(section)}")
                }
                return any(_matches(pattern.pieces, name, whole=True) for name in names)
            case InSection(pattern):
                names = {level for section in row.section for level in _tag_levels(_name(section))}
                return any(_matches(pattern.pieces, name, whole=True) for name in names)
            case Tagged(None):
                return not row.tags
            case Tagged(pattern):
                assert pattern is not None
                return any(
                    _matches(pattern.pieces, level, whole=True)
                    for tag in row.tags
                    for level in _tag_levels(fold(tag))
                )
            case Is(what):
                return self._is(what, row)
            case Prop(name, op, value):
                measured = self._property(name, row)
                return measured is not None and op.apply(measured, value)
            case Rated(days, rating):
                return any(
                    kind == ReviewKind.Review and self.within(at, days)
                    and (rating is None or given == rating)
                    for kind, given, at, _before in row.answers
                )  # fmt: skip
            case Answered(days):
                times = [at for kind, _r, at, _b in row.answers if kind == ReviewKind.Review]
                return bool(times) and self.within(min(times), days)
            case Changed(When.Edited, days):
                return self.within(row.changed_at, days)
            case Changed(When.Added, days):
                return self.within(row.created_at, days)
            case Not(term):
                return not self.keeps(term, row)
            case All(terms):
                return all(self.keeps(term, row) for term in terms)
            case AnyOf(terms):
                return any(self.keeps(term, row) for term in terms)
        raise AssertionError(query)

    def _is(self, what: CardIs, row: Row) -> bool:
        seen = row.last_review is not None
        buried = row.buried_until is not None and row.buried_until > self.now
        match what:
            case CardIs.New:
                return not seen
            case CardIs.Learn:
                return seen and row.state in (State.Learning, State.Relearning)
            case CardIs.Review:
                return seen and row.state in (State.Review, State.Relearning)
            case CardIs.Due:
                due_today = review_date(row.due, DAY_STARTS_AT) <= self.today
                return seen and due_today and not row.suspended and not buried
            case CardIs.Suspended:
                return row.suspended
            case CardIs.Buried:
                return buried
            case CardIs.Leech:
                return self._lapses(row) >= LEECHES
            case CardIs.Flagged:
                return row.flag != 0
        raise AssertionError(what)

    def _lapses(self, row: Row) -> int:
        return sum(
            1
            for kind, rating, _at, before in row.answers
            if kind == ReviewKind.Review and before == State.Review and rating == Rating.Again
        )

    def _property(self, name: Property, row: Row) -> float | None:
        match name:
            case Property.R:
                if row.last_review is None:
                    return None
                days = (self.today - review_date(row.last_review, DAY_STARTS_AT)).days
                return retrievability(days, row.stability, self.decays.get(row.deck_id, DECAY))
            case Property.S:
                return row.stability
            case Property.D:
                return row.difficulty
            case Property.Lapses:
                return self._lapses(row)
            case Property.Reps:
                return sum(1 for kind, *_ in row.answers if kind == ReviewKind.Review)
            case Property.Due:
                if row.last_review is None:
                    return None
                return (review_date(row.due, DAY_STARTS_AT) - self.today).days
        raise AssertionError(name)


def _tag_levels(tag: str) -> list[str]:
    # A name (a tag, a deck path) and each level above it, cut at every "::" (so "a:::b" is
    # also "a:").
    levels = [tag]
    at = tag.find("::")
    while at != -1:
        levels.append(tag[:at])
        at = tag.find("::", at + 1)
    return levels


# -- Collections and queries ---------------------------------------------------------------

_COLLECTIONS: dict[int, tuple[Store, list[Row]]] = {}


@pytest.fixture(scope="module")
def collections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("collections")

    def get(seed: int) -> tuple[Store, list[Row]]:
        if seed not in _COLLECTIONS:
            path = folder / f"c{seed}.db"
            store = build(path, seed)
            _COLLECTIONS[seed] = (store, read_all(path))
        return _COLLECTIONS[seed]

    yield get
    for store, _rows in _COLLECTIONS.values():
        store.close()
    _COLLECTIONS.clear()


@contextmanager
def zone(name: str) -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        os.environ["TZ"] = saved or "UTC"
        time.tzset()


def found_by_sql(store: Store, query: Query, now: datetime) -> set[int]:
    first_deck = min(place.deck_id for place in store.places())
    context = SearchContext(
        now, DAY_STARTS_AT, DECAY, deck_decays={first_deck: OWN_DECAY}, leech_threshold=LEECHES
    )
    match = store.card_filter(query, context)
    with store.engine.connect() as connection:
        found = {row[0] for row in connection.execute(select(Card.id).where(match.clause))}
    # The listing's statement (joins, its own conditions) counts the same cards.
    assert store.card_count(CardQuery(scope=Scope(match=match))) == len(found)
    return found


def kept_by_reference(store: Store, rows: list[Row], query: Query, now: datetime) -> set[int]:
    first_deck = min(place.deck_id for place in store.places())
    reference = Reference(now, {first_deck: OWN_DECAY})
    return {row.id for row in rows if reference.keeps(query, row)}


def _atom(options: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(options)


FREE = ["cat", "CAT", "Emile", "émile", "strasse", "STRAßE", "a_b", "100%", "%", "_", "x*y",
        "x\\*y", "d*g", "*", "e", "ω", "σισυφοσ", "中", "gg", "fine", "softhyphen", "\\\\",
        '"line break"', '"a_b 100%"', '"cat dog"', "tab", '"\\"q\\""', '"or"', "\\(x\\)",
        "12:30", "b\\:c"]  # fmt: skip
NAMED = [
    *(f"deck:{name}" for name in ["es", "ES", "spanish", "Span*", "*ch", "deutsch::verben",
                                  '"Deutsch :: Verben"', "deutsch", "*", "es::verbs",
                                  "es::verbs::irregular", "fr::*", "*::cafe", "nope", "s1"]),
    *(f"section:{name}" for name in ["s1", "verbs", "Verbs::irregular", '"verbs :: irregular"',
                                     "cafe", "café", "a", "a::b", "*b", "irregular", "s*"]),
    *(f"tag:{name}" for name in ["verb", "verb::irregular", "Verb*", "*irregular", "*::*", "a",
                                 "a::b", "none", "café", "cafe", "*", "*b*", "x_y", "x?y",
                                 "b::c", "*c"]),
    *(f"is:{what}" for what in CardIs),
    *(f"prop:r{op}{value}" for op in ["<", ">="] for value in [0.5, 0.7, 0.8, 0.85, 0.9, 0.95]),
    *(f"prop:r{op}{value}" for op in ["<", "=", ">"] for value in [0, 1]),
    *(f"prop:s{op}{value}" for op in ["<", ">", "!="] for value in [0, 1, 2.5, 10]),
    *(f"prop:d{op}{value}" for op in ["<=", ">"] for value in [1, 5, 7.5]),
    *(f"prop:{name}{op}{value}" for name in ["lapses", "reps"] for op in ["<", ">=", "=", "!="]
      for value in [0, 1, 2, 3]),
    *(f"prop:due{op}{value}" for op in ["<", "<=", ">", ">=", "=", "!="]
      for value in [-30, -1, 0, 1, 3, 100]),
    *(f"rated:{days}" for days in [1, 2, 7, 30, 365]),
    *(f"rated:{days}:{rating}" for days in [1, 7, 30] for rating in [1, 2, 3, 4]),
    *(f"{name}:{days}" for name in ["introduced", "edited", "added"] for days in [1, 7, 30, 100]),
]  # fmt: skip
TERMS = _atom(FREE) | _atom(NAMED)


def _group(parts: list[str], joiner: str) -> str:
    return "(" + joiner.join(parts) + ")"


QUERIES = st.recursive(
    TERMS | TERMS.map(lambda term: "-" + term),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(" ".join),
        st.lists(inner, min_size=2, max_size=3).map(" and ".join),
        st.lists(inner, min_size=2, max_size=3).map(" or ".join),
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: _group(parts, " or ")),
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: "-" + _group(parts, " ")),
    ),
    max_leaves=8,
)
SEEDS = st.integers(0, 3)
ZONES = st.sampled_from(["UTC", "America/St_Johns", "Asia/Kolkata"])
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(SEEDS, QUERIES, ZONES)
def test_sql_finds_what_the_reference_filter_keeps(
    collections: Any, seed: int, text: str, zone_name: str
) -> None:
    store, rows = collections(seed)
    query = parse(text)  # the grammar's queries all parse
    with zone(zone_name):
        assert found_by_sql(store, query, NOW) == kept_by_reference(store, rows, query, NOW), text


@SETTINGS
@given(SEEDS, st.text(max_size=30) | st.lists(TERMS | st.text(max_size=3)).map(" ".join))
def test_junk_raises_only_query_errors_and_what_parses_runs(
    collections: Any, seed: int, text: str
) -> None:
    store, rows = collections(seed)
    try:
        query = parse(text)
    except QueryError:
        return
    assert found_by_sql(store, query, NOW) == kept_by_reference(store, rows, query, NOW), text


def test_the_collections_hold_every_kind_of_card(collections: Any) -> None:
    # The comparison above proves something only if the terms match some cards and not others.
    rows = [row for seed in range(4) for row in collections(seed)[1]]
    reference = Reference(NOW, {})
    telling = [
        *(f"is:{what}" for what in CardIs),
        *("deck:es deck:Span* deck:deutsch::verben deck:es::verbs deck:*::cafe section:verbs "
          "section:cafe section:a tag:verb tag:Verb* tag:*irregular tag:a::b tag:none tag:cafe "
          "prop:r<0.8 prop:s>10 prop:d>5 prop:lapses>=2 prop:reps=1 prop:due<0 prop:due=0 "
          "rated:1 rated:7:1 introduced:7 edited:7 added:7 cat emile strasse a_b 100% fine "
          "softhyphen 12:30 b\\:c").split(),
        '"line break"',
    ]  # fmt: skip
    for term in telling:
        kept = [reference.keeps(parse(term), row) for row in rows]
        assert any(kept) and not all(kept), term


@pytest.mark.parametrize("zone_name", ["UTC", "America/St_Johns"])
def test_every_term_alone_and_left_out(collections: Any, zone_name: str) -> None:
    # Each term on every collection, as the random combinations above may miss one.
    with zone(zone_name):
        for seed in range(4):
            store, rows = collections(seed)
            for term in [*NAMED, *FREE, "prop:r<2", "-(deck:es or deck:fr)", "a_b -100%"]:
                for text in (term, f"-{term}"):
                    query = parse(text)
                    found = found_by_sql(store, query, NOW)
                    assert found == kept_by_reference(store, rows, query, NOW), (seed, text)


def test_a_query_runs_in_the_database_with_parameters_only(collections: Any) -> None:
    store, _rows = collections(0)
    context = SearchContext(NOW, DAY_STARTS_AT, DECAY)
    quoted = "'; DROP TABLE card; --"
    match = store.card_filter(parse(f'"{quoted}" is:new'), context)
    compiled = match.clause.compile(store.engine)
    assert "DROP" not in str(compiled) and "'" not in str(compiled).replace("'\\'", "")
    assert f"%{fold(quoted)}%" in compiled.params.values()


# -- The folded text is kept with the content ------------------------------------------------


def test_an_import_writes_the_folded_text_and_an_update_rewrites_it(store: Store) -> None:
    cards = (CardSpec("a", "Émile?", "Zola", "Note", ("Verb",)),)
    import_deck(store, DeckSpec("d", "D", (SectionSpec("s", "S", cards),), "t"), now=NOW)
    changed = (CardSpec("a", "Who?", "Straße", None, ()),)
    with store.engine.connect() as connection:
        first = connection.exec_driver_sql("SELECT search_text, search_tags FROM card").one()
    import_deck(store, DeckSpec("d", "D", (SectionSpec("s", "S", changed),), "t"), now=NOW)
    with store.engine.connect() as connection:
        second = connection.exec_driver_sql("SELECT search_text, search_tags FROM card").one()
    assert tuple(first) == (folded_text("Émile?", "Zola", "Note"), folded_tags(["Verb"]))
    assert tuple(second) == (folded_text("Who?", "Straße", None), "")


@pytest.mark.sqlite_only  # a SQLite file at migration 0005, seeded by hand
def test_the_migration_folds_the_cards_already_there(db_path: Path) -> None:
    from alembic import command

    from recall1924 import db
    from recall1924.db import _alembic_config

    engine = db.make_engine(db_path)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0005")
    engine.dispose()
    with collection_sql.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO deck (id, key, title, created_at, updated_at) VALUES (1, 'd', 'D', "
            "'2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')"
        )
        connection.execute("INSERT INTO section (id, deck_id, key, title, position) "
                           "VALUES (1, 1, 's', 'S', 0)")  # fmt: skip
        for n, (note, tags) in enumerate([("Ñote", '["Hard", "a::B"]'), (None, "not json")]):
            connection.execute(
                "INSERT INTO card (deck_id, section_id, key, position, question, answer, note, "
                "tags, state, due, created_at, updated_at) VALUES (1, 1, ?, ?, 'ÉMILE', 'x', ?, ?,"
                " 1, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000',"
                " '2026-01-01 00:00:00.000000')",
                (f"k{n}", n, note, tags),
            )
    engine = db.make_engine(db_path)
    db.upgrade(engine, "0006")
    engine.dispose()
    with collection_sql.connect(db_path) as connection:
        stored = connection.execute(
            "SELECT search_text, search_tags FROM card ORDER BY id"
        ).fetchall()
    assert stored == [
        (folded_text("ÉMILE", "x", "Ñote"), folded_tags(["Hard", "a::B"])),
        (folded_text("ÉMILE", "x", None), ""),  # tags it cannot read: none
    ]


# -- Real collections ----------------------------------------------------------------------

CORPUS = SHARED_TESTDATA / "apkg"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/testdata is absent")
def test_queries_on_real_anki_collections(db_path: Path) -> None:
    from typer.testing import CliRunner

    from recall1924.cli import app

    for name in ("skinatro_collection.anki21", "openrussian_test.apkg",
                 "pedscoffee_SpanishAnkiExportReal.apkg"):  # fmt: skip
        result = CliRunner().invoke(app, ["import", str(CORPUS / name)], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    store = Store.open(collection_sql.location(db_path), NOW)
    try:
        rows = read_all(db_path)
        # Anki's deck paths: a subdeck is a section titled "Jee :: Chemistry :: Redox".
        chemistry = {row.id for row in rows if row.section[1].startswith("Jee :: Chemistry")}
        assert len(chemistry) == 105
        for text in ('deck:"Mirage\'s Deck::Jee::Chemistry"', "deck:mirage*::jee::chem*",
                     "section:jee::chemistry"):  # fmt: skip
            assert found_by_sql(store, parse(text), NOW) == chemistry, text
        # Russian stress marks are combining accents: a word typed without them finds them.
        stressed = {row.id for row in rows if "идти́" in row.question}
        assert stressed and found_by_sql(store, parse("идти"), NOW) >= stressed
        # Three years of real answers: the SQL and the reference agree on every term of time.
        for text in ["is:due", "is:review", "is:learn", "is:new", "is:leech", "prop:r<0.7",
                     "prop:s>100", "prop:d>=8", "prop:lapses>=2", "prop:reps>20", "prop:due<0",
                     "rated:365", "rated:1000:1", "introduced:800", "tag:leech", "tag:none",
                     "deck:spanish -is:new -(prop:r>0.9 or tag:leech)"]:  # fmt: skip
            query = parse(text)
            found = found_by_sql(store, query, NOW)
            assert found == kept_by_reference(store, rows, query, NOW), text
            assert 0 < len(found) < len(rows), text
    finally:
        store.close()
