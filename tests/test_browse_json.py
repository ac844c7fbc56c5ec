"""``recall cards --json`` is written straight from the store's rows (no CardRow, datetime or
dict per card, issue 14's ``cards-json`` figure): every line must be the text the old way gave,
``json.dumps`` of the card as ``recall card`` reports it, on a collection that has every case
the writer treats apart: new, learning, review and relearning cards, suspended and buried
ones, a reset, cram practice, text JSON must escape, a review too old for the recent days'
bisection, and reviews on a day's very start and a microsecond before it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fsrs import Scheduler
from typer.testing import CliRunner

from conftest import NOW
from recall1924.browse import (
    Listing,
    SortKey,
    StateFilter,
    card_report,
    iter_cards,
    json_cards,
)
from recall1924.cli import app
from recall1924.clock import day_start, review_date
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.forgetting import forget
from recall1924.importing import import_deck
from recall1924.models import ReviewKind
from recall1924.scheduling import Rating, answer, decay_of
from recall1924.store import Store

SCHEDULER = Scheduler(enable_fuzzing=False)
DECAY = decay_of(SCHEDULER)
ENCODE = json.JSONEncoder(ensure_ascii=False).encode
ROW_KEYS = (
    "deck", "section", "key", "question", "state", "suspended", "stability", "difficulty",
    "retrievability", "due", "last_review", "reviews", "lapses",
)  # fmt: skip
AT = NOW + timedelta(days=900)
"""When the listings are made: long after the answers, so that some are older than the
recent days the listing bisects."""

TEXTS = [
    'He said "yes"',
    "back\\slash",
    "line\nbreak\tand tab",
    "control \x01 and DEL \x7f",
    "Émile, Σίσυφος, 中文, Кремль",
    "emoji 🦓 zebrafish",
    "",
]


def give(store: Store, key: str, rating: Rating, at: datetime, kind: ReviewKind) -> None:
    card_id = store.card_ids([key], "mix")[key]
    before = store.card(card_id).memory
    after = answer(SCHEDULER, card_id=card_id, memory=before, rating=rating, at=at)
    if kind is ReviewKind.Cram:
        after = before  # practice changes nothing
    store.record_answer(
        card_id, before=before, after=after, rating=rating, at=at, duration_ms=None, kind=kind
    )


@pytest.fixture
def varied(store: Store) -> Store:
    cards = [CardSpec(f"k{n:02}", f"{TEXTS[n % len(TEXTS)]} {n}", f"answer {n}") for n in range(21)]
    sections = (
        SectionSpec("one", "One", tuple(cards[:9])),
        SectionSpec('two "quoted" é', "Two", tuple(cards[9:])),
        SectionSpec("empty", "Empty", ()),
    )
    import_deck(store, DeckSpec("mix", "Mixed", sections, "test"), now=NOW)
    import_deck(
        store,
        DeckSpec("other", "Other", (SectionSpec("s", "S", (CardSpec("o1", "Other?", "A"),)),)),
        now=NOW,
    )
    start = day_start(review_date(NOW, 4) + timedelta(days=1), 4)
    for n in range(21):
        key = f"k{n:02}"
        if n % 7 == 0:
            continue  # new
        at = NOW + timedelta(hours=n)
        if n == 3:
            at = start  # on a day's very start
        if n == 4:
            at = start - timedelta(microseconds=1)  # its day's last moment
        give(store, key, Rating.Good, at, ReviewKind.Review)  # learning
        if n in (3, 4):
            continue
        if n % 7 >= 2:
            give(store, key, Rating.Easy, at + timedelta(hours=1), ReviewKind.Review)  # review
        if n % 7 >= 4:
            later = AT - timedelta(days=20 + n)  # recent: bisected
            give(store, key, Rating.Again, later, ReviewKind.Review)  # a lapse: relearning
            if n % 2:
                give(store, key, Rating.Good, later + timedelta(minutes=10), ReviewKind.Review)
        if n % 5 == 0:
            give(store, key, Rating.Hard, at + timedelta(hours=2), ReviewKind.Cram)
    forget(store, ["k06"], deck_key="mix", now=NOW + timedelta(days=2))
    give(store, "k06", Rating.Good, NOW + timedelta(days=3), ReviewKind.Review)
    store.set_suspended(store.card_ids(["k02", "k12"], "mix").values(), True)
    store.set_buried(store.card_ids(["k05"], "mix")["k05"], AT + timedelta(days=1))
    return store


def reported(store: Store, deck: str, key: str) -> str:
    """The card's line as ``recall card --json`` reports the card, through the ORM and its
    whole history: the listing's reference, by another way."""
    card_id = store.card_ids([key], deck)[key]
    report = card_report(
        store.card_detail(card_id),
        store.card_history(card_id),
        now=AT,
        day_starts_at=4,
        decay=DECAY,
    ).to_json()
    return ENCODE({name: report[name] for name in ROW_KEYS})


def expected(store: Store, **options: Any) -> str:
    """The listing's JSON as the old way wrote it: the rows' order from :func:`iter_cards`,
    each line the card's report."""
    rows = list(iter_cards(store, Listing(now=AT, day_starts_at=4, decay=DECAY, **options)))
    if not rows:
        return "[]"
    return "[\n" + ",\n".join(reported(store, row.deck, row.key) for row in rows) + "\n]"


def listed(store: Store, **options: Any) -> str:
    listing = Listing(now=AT, day_starts_at=4, decay=DECAY, **options)
    return "".join(json_cards(store, listing, chunk=4))


def test_the_collection_has_every_case(varied: Store) -> None:
    rows = list(iter_cards(varied, Listing(now=AT, day_starts_at=4, decay=DECAY)))
    states = {row.status.name for row in rows}
    assert states == {"New", "Learning", "Review", "Relearning"}, states
    assert any(row.suspended for row in rows) and any(row.lapses for row in rows)
    assert any(row.last_review and AT - row.last_review > timedelta(days=401) for row in rows)
    assert any(row.last_review and AT - row.last_review < timedelta(days=100) for row in rows)


def test_every_card_in_deck_order_is_the_old_text(varied: Store) -> None:
    text = listed(varied)
    assert text == expected(varied)
    times = {card["key"]: card["last_review"] for card in json.loads(text)}
    assert times["k03"].endswith("T04:00:00Z") and times["k04"].endswith("T03:59:59Z")


def test_filtered_sorted_limited_and_searched_listings_are_the_old_text(varied: Store) -> None:
    for limit in (None, 3):
        for sort in (None, *SortKey):
            for state in (None, StateFilter.Relearning, StateFilter.Suspended):
                options: dict[str, Any] = {"limit": limit, "sort": sort, "state": state}
                assert listed(varied, **options) == expected(varied, **options), options
    for search in ("zebrafish", "émile", "no such text"):
        assert listed(varied, search=search) == expected(varied, search=search), search
    for deck, section in [("mix", None), ("mix", 'two "quoted" é'), ("other", "s")]:
        scope = varied.scope(deck, section)
        assert listed(varied, scope=scope) == expected(varied, scope=scope), (deck, section)


def test_the_command_prints_the_old_text(varied: Store) -> None:
    result = CliRunner().invoke(
        app, ["cards", "--json", "--limit", "0"], env={"RECALL_NOW": AT.isoformat()}
    )
    assert result.exit_code == 0, result.output
    # the command escapes what a terminal would act on (ui.text.visible_json)
    assert result.stdout == expected(varied).replace("\x7f", "\\u007f") + "\n"
