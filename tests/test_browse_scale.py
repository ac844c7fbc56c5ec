"""The card browser at any size: filters, search and orders in SQL give what the Python
filters did; rows stream a chunk at a time (memory flat in the collection's size); the
streamed JSON is the text ``json.dumps`` gave, byte for byte; retrievability's review days by
bisection are the review days of each review's local date, across daylight-saving changes."""

from __future__ import annotations

import json
import random
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fsrs import Scheduler
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import NOW, make_deck
from recall1924 import browse
from recall1924.browse import (
    LEECH_THRESHOLD,
    CardRow,
    Listing,
    SortKey,
    StateFilter,
    iter_cards,
    json_cards,
    lapses_of,
    list_cards,
)
from recall1924.cli import app
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.models import ReviewKind
from recall1924.scheduling import (
    CardStatus,
    Rating,
    State,
    answer,
    decay_of,
    elapsed_days,
    retrievability,
)
from recall1924.store import Store
from recall1924.store import cards as store_cards
from recall1924.store.base import time_text
from recall1924.store.cards import StoredCard, StoredCards

runner = CliRunner()
SCHEDULER = Scheduler(enable_fuzzing=False)
DECAY = decay_of(SCHEDULER)
ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def give(store: Store, key: str, rating: Rating, at: datetime, deck: str = "mix") -> None:
    card_id = store.card_ids([key], deck)[key]
    before = store.card(card_id).memory
    after = answer(SCHEDULER, card_id=card_id, memory=before, rating=rating, at=at)
    store.record_answer(card_id, before=before, after=after, rating=rating, at=at, duration_ms=None)


TEXTS = [
    ("Who was ÉMILE?", "Nobody"),
    ("Σίσυφος?", "ΣΊΣΥΦΟΣ pushed a stone"),  # Greek, with a final sigma
    ("100% sure?", "a_b and a\\b"),
    ("Straße?", "Answer"),
    ("中文?", "汉字 and Кремль"),
    ("Plain?", "Answer with the word stone"),
]


@pytest.fixture
def mixed(store: Store) -> Store:
    """Cards in two sections in every state, some suspended, some lapsed, with text that
    tests the search: accents, Greek, LIKE's wildcards, "ß", caseless scripts."""
    cards = [
        CardSpec(f"k{n:02}", f"{TEXTS[n % len(TEXTS)][0]} {n}", TEXTS[n % len(TEXTS)][1])
        for n in range(24)
    ]
    sections = (
        SectionSpec("one", "One", tuple(cards[:12])),
        SectionSpec("two", "Two", tuple(cards[12:])),
    )
    import_deck(store, DeckSpec("mix", "Mixed", sections, "test"), now=NOW)
    rng = random.Random(7)
    at = NOW
    for n in range(24):
        key = f"k{n:02}"
        if n % 5 == 0:
            continue  # new
        give(store, key, Rating.Good, at + timedelta(minutes=n))  # learning
        if n % 5 >= 2:
            give(store, key, Rating.Easy, at + timedelta(hours=1, minutes=n))  # review
        for lapse in range(n % 4 if n % 5 >= 3 else 0):
            day = at + timedelta(days=20 * (lapse + 1) + rng.randint(0, 9), minutes=n)
            give(store, key, Rating.Again, day)  # relearning
            if n % 2 or lapse < n % 4 - 1:
                give(store, key, Rating.Good, day + timedelta(minutes=10))
    store.set_suspended(store.card_ids(["k03", "k07", "k10"], "mix").values(), True)
    return store


def reference(
    rows: list[CardRow],
    answers: dict[str, str],
    *,
    search: str | None,
    state: StateFilter | None,
    sort: SortKey | None,
    leech_threshold: int,
) -> list[str]:
    """The keys the Python browser listed before filtering moved to SQL: casefold search,
    filters on the rows, stable sorts."""
    needle = search.casefold() if search else None

    def wanted(row: CardRow) -> bool:
        match state:
            case StateFilter.New:
                return row.status is CardStatus.New
            case StateFilter.Learning:
                return row.status in (CardStatus.Learning, CardStatus.Relearning)
            case StateFilter.Relearning:
                return row.status is CardStatus.Relearning
            case StateFilter.Review:
                return row.status is CardStatus.Review
            case StateFilter.Suspended:
                return row.suspended
            case StateFilter.Leech:
                return row.lapses >= leech_threshold
        return True

    found = [
        row
        for row in rows
        if wanted(row)
        and (
            needle is None
            or needle in row.question.casefold()
            or needle in answers[row.key].casefold()
        )
    ]
    if sort is SortKey.Due:
        found.sort(key=lambda row: (row.last_review is None, row.due))
    elif sort is SortKey.Retrievability:
        found.sort(key=lambda row: (row.retrievability is None, row.retrievability or 0.0))
    elif sort is SortKey.Lapses:
        found.sort(key=lambda row: -row.lapses)
    return [row.key for row in found]


SEARCHES = [None, "", "stone", "STONE", "émile", "ÉMILE", "σίσυφος", "ς", "100%", "%", "_", "a_b",
            "a\\b", "\\", "straße", "中文", "кремль", "Кремль", "nothing like it", "1"]  # fmt: skip


def test_sql_filters_search_and_orders_as_the_python_ones_did(mixed: Store) -> None:
    at = NOW + timedelta(days=120)
    everything = list(iter_cards(mixed, Listing(now=at, day_starts_at=4, decay=DECAY)))
    assert len(everything) == 24
    answers = {f"k{n:02}": TEXTS[n % len(TEXTS)][1] for n in range(24)}
    statuses = {row.status for row in everything}
    assert statuses == set(CardStatus) and any(row.lapses >= 2 for row in everything)
    for search in SEARCHES:
        for state in [None, *StateFilter]:
            for sort in [None, *SortKey]:
                options: dict[str, Any] = {"search": search, "state": state, "sort": sort}
                expected = reference(everything, answers, leech_threshold=2, **options)
                asked = Listing(now=at, day_starts_at=4, decay=DECAY, leech_threshold=2, **options)
                got = iter_cards(mixed, asked)
                assert [row.key for row in got] == expected, options
                listing = list_cards(mixed, replace(asked, limit=3))
                assert [row.key for row in listing.rows] == expected[:3], options
                assert listing.matched == len(expected), options


# In one pass over the log (every card), or per chunk of card ids (a limit), in a row or
# scattered (deck order, or due).
@pytest.mark.parametrize("limit", [None, 100])
@pytest.mark.parametrize("sort", [None, SortKey.Due])
def test_answer_counts_are_each_cards_history(
    mixed: Store, monkeypatch: pytest.MonkeyPatch, sort: SortKey | None, limit: int | None
) -> None:
    monkeypatch.setattr(store_cards, "_CHUNK", 5)
    at = NOW + timedelta(days=120)
    listing = Listing(now=at, day_starts_at=4, decay=DECAY, sort=sort, limit=limit)
    rows = list(iter_cards(mixed, listing))
    assert len(rows) == 24
    ids = mixed.card_ids([row.key for row in rows], "mix")
    for row in rows:
        history = mixed.card_history(ids[row.key])
        reviews = sum(entry.kind is ReviewKind.Review for entry in history)
        assert (row.reviews, row.lapses) == (reviews, lapses_of(history)), row.key
    assert sum(row.lapses for row in rows) > 10


def test_a_search_counts_what_it_shows(store: Store) -> None:
    # The search runs in SQL alone (on the folded text), so the count and the rows agree
    # whatever the script: Cyrillic in both cases, and accents or none.
    cards = [
        CardSpec(f"c{n:03}", f"Кремль {n}" if n % 3 else f"кремль {n}", "a") for n in range(300)
    ] + [CardSpec("e", "Émile", "a"), CardSpec("s", "Straße", "b", "ß")]
    import_deck(store, DeckSpec("r", "R", (SectionSpec("s", "S", tuple(cards)),), "t"), now=NOW)
    shown = Listing(now=NOW, day_starts_at=4, decay=DECAY, search="КРЕМЛЬ", limit=200)
    listing = list_cards(store, shown)
    assert (len(listing.rows), listing.matched) == (200, 300)
    result = runner.invoke(
        app, ["cards", "--search", "КРЕМЛЬ"], env={"RECALL_NOW": NOW.isoformat()}
    )
    assert result.stdout.splitlines()[-1] == "Showing 200 of 300 cards (--limit 0 for all)"
    for text, keys in [("emile", ["e"]), ("ÉMILE", ["e"]), ("strasse", ["s"]), ("SS", ["s"])]:
        rows = iter_cards(store, Listing(now=NOW, day_starts_at=4, decay=DECAY, search=text))
        assert [row.key for row in rows] == keys, text


def test_rows_are_read_a_chunk_at_a_time(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_cards, "_CHUNK", 2)
    counted: list[int] = []
    count = store_cards._answer_counts

    def counting(driver: Any, card_ids: list[int]) -> dict[int, tuple[int, int]]:
        counted.append(len(card_ids))
        return count(driver, card_ids)

    monkeypatch.setattr(store_cards, "_answer_counts", counting)
    # A limited listing counts the answers of each chunk as it is read: in deck order a
    # section's at a time (sections a-c and d-e), filtered or sorted the listing's.
    records = demo_store.card_records(limit=4)
    assert counted == []  # nothing read before the first row is asked for
    assert next(records).key == "a" and counted == [2]
    assert [record.key for record in records] == ["b", "c", "d"]
    assert counted == [2, 1, 1]
    counted.clear()
    every = store_cards.CardQuery(statuses=frozenset(CardStatus))
    records = demo_store.card_records(every, limit=4)
    assert next(records).key == "a" and counted == [2]
    assert [record.key for record in records] == ["b", "c", "d"]
    assert counted == [2, 2]
    # A listing of every card counts them all in one pass over the log.
    assert [record.key for record in demo_store.card_records()] == list("abcde")
    assert counted == [2, 2]


def _memory_peak(store: Store) -> int:
    tracemalloc.start()
    try:
        listing = Listing(now=NOW, day_starts_at=4, decay=DECAY)
        for _piece in json_cards(store, listing, chunk=100):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_collection_grows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_cards, "_CHUNK", 100)
    peaks = []
    for size in (1_000, 6_000):
        import_deck(store, make_deck(f"d{size}", {"s": [f"k{n}" for n in range(size)]}), now=NOW)
        peaks.append(_memory_peak(store))
    # Seven times the cards, not seven times the memory (as a list of every row would be).
    assert peaks[1] < 2 * peaks[0], peaks


def test_json_is_streamed_and_byte_identical(mixed: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    at = NOW + timedelta(days=120)
    every = Listing(now=at, day_starts_at=4, decay=DECAY)
    rows = list(iter_cards(mixed, every))
    joined = ",\n".join(ENCODE(row.to_json()) for row in rows)
    for chunk in (1, 5, 23, 24, 25, 1000):
        pieces = list(json_cards(mixed, every, chunk=chunk))
        assert "".join(pieces) == "[\n" + joined + "\n]"
        assert len(pieces) > 2 or chunk > 12  # a piece a chunk (sections of 12 cards)
    nothing = json_cards(mixed, replace(every, search="no such text"))
    assert list(nothing) == ["[]"]

    read = mixed.stored_cards

    def failing(*args: Any, **kwargs: Any) -> Iterator[Any]:
        chunks = read(*args, **kwargs)
        yield next(chunks)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(mixed, "stored_cards", failing)
    pieces = json_cards(mixed, every, chunk=5)
    assert next(pieces).startswith("[\n{")  # written before the rest was read
    with pytest.raises(RuntimeError):
        next(pieces)


def test_the_command_escapes_invisible_characters_per_piece(store: Store) -> None:
    cards = [CardSpec(f"c{n}", f"q{n} \x7f\u202e\u00ad é", "a") for n in range(3)]
    cards += [CardSpec("plain", "plain", "a")]
    import_deck(store, DeckSpec("d", "D", (SectionSpec("s", "S", tuple(cards)),), "t"), now=NOW)
    result = runner.invoke(app, ["cards", "--json"], env={"RECALL_NOW": NOW.isoformat()})
    assert result.exit_code == 0
    assert "\\u007f\\u202e\\u00ad é" in result.stdout and "\x7f" not in result.stdout
    assert result.stdout.endswith("\n]\n")
    assert json.loads(result.stdout)[0]["question"] == "q0 \x7f\u202e\u00ad é"


MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
ZONES = st.sampled_from([timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=9))])


@given(
    st.text(),
    st.one_of(st.none(), st.floats(), st.integers(-5, 5).map(float)),
    st.one_of(st.none(), st.floats()),
    MOMENTS,
    st.one_of(
        st.none(),
        MOMENTS,
        st.datetimes(datetime(1970, 1, 2), datetime(2200, 1, 1), timezones=ZONES),
    ),
    st.sampled_from(list(State)),
    st.booleans(),
    st.integers(0, 10**6),
)
def test_json_lines_are_json_dumps_of_the_rows(
    text: str,
    stability: float | None,
    difficulty: float | None,
    due: datetime,
    last_review: datetime | None,
    state: State,
    suspended: bool,
    count: int,
) -> None:
    """A line written from the stored fields is ``json.dumps`` of the row the same card makes
    (times cut to the second, numbers as json writes them, NaN and Infinity too)."""
    card = StoredCard(
        count, "k" + text, text * 2, int(state), suspended, stability, difficulty,
        time_text(due), None if last_review is None else time_text(last_review), count // 2,
    )  # fmt: skip
    stored = StoredCards(text, text[:3], [card], {count: count + 1})
    recall = browse._Recall(NOW, 4, DECAY)
    (record,) = store_cards._records(stored)
    row = browse._row(record, recall)
    assert browse._json_lines(stored, recall) == [ENCODE(row.to_json())]


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kolkata"]
)
@pytest.mark.parametrize("day_starts_at", [0, 2, 4])
def test_review_days_by_bisection_are_review_days(
    zone: str, day_starts_at: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    now = datetime(2026, 4, 5, 15, 30, tzinfo=UTC)  # a week after Europe's spring change
    recall = browse._Recall(now, day_starts_at, DECAY)
    rng = random.Random(zone)
    moments = [now - timedelta(seconds=rng.uniform(-86400, 500 * 86400)) for _ in range(3000)]
    # and either side of every day start bisected
    moments += [
        start + delta
        for start in recall._starts
        for delta in (timedelta(0), -timedelta(microseconds=1))
    ]
    for moment in moments:
        expected = elapsed_days(moment, now, day_starts_at=day_starts_at)
        assert recall.elapsed(moment) == expected, moment
        # and from the stored text, to the bit
        stability = rng.uniform(0.1, 400)
        assert recall.of_stored(time_text(moment), stability) == recall(moment, stability)
    assert recall(None, 3.0) is None
    before = now - timedelta(days=3)
    assert recall(before, 3.0) == retrievability(
        elapsed_days(before, now, day_starts_at=day_starts_at), 3.0, DECAY
    )


def test_leeches_by_default_threshold_in_sql(demo_store: Store) -> None:
    at = NOW
    give(demo_store, "a", Rating.Easy, at, deck="demo")
    for _ in range(LEECH_THRESHOLD):
        at += timedelta(days=30)
        give(demo_store, "a", Rating.Again, at, deck="demo")
        give(demo_store, "a", Rating.Good, at + timedelta(minutes=10), deck="demo")
    give(demo_store, "b", Rating.Again, at, deck="demo")  # a learning Again: no lapse
    rows = list(
        iter_cards(
            demo_store, Listing(now=at, day_starts_at=4, decay=DECAY, state=StateFilter.Leech)
        )
    )
    assert [(row.key, row.lapses) for row in rows] == [("a", LEECH_THRESHOLD)]
    kinds = {entry.kind for entry in demo_store.card_history(demo_store.card_ids(["a"])["a"])}
    assert kinds == {ReviewKind.Review}
