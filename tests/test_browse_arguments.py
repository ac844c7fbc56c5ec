""":class:`~recall1924.browse.Listing`, the one argument of the table's rows and the JSON: the
store's query it makes is the one the separate keywords made (every state, order and search,
the defaults too), so that moving them into one object changed no listing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recall1924.browse import LEECH_THRESHOLD, Listing, SortKey, StateFilter
from recall1924.scheduling import CardStatus
from recall1924.store.base import Scope
from recall1924.store.cards import CardOrder, CardQuery

AT = datetime(2026, 11, 27, 9, tzinfo=UTC)

STATUSES = {
    None: frozenset(),
    StateFilter.New: frozenset({CardStatus.New}),
    StateFilter.Learning: frozenset({CardStatus.Learning, CardStatus.Relearning}),
    StateFilter.Relearning: frozenset({CardStatus.Relearning}),
    StateFilter.Review: frozenset({CardStatus.Review}),
    StateFilter.Suspended: frozenset(),
    StateFilter.Leech: frozenset(),
}
# Retrievability is ranked in Python, from the store's deck order.
ORDERS = {
    None: CardOrder.Deck,
    SortKey.Due: CardOrder.Due,
    SortKey.Retrievability: CardOrder.Deck,
    SortKey.Lapses: CardOrder.Lapses,
}


def test_the_defaults_ask_for_every_card_in_deck_order() -> None:
    listing = Listing(now=AT, day_starts_at=4, decay=-0.5)
    assert (listing.limit, listing.leech_threshold) == (None, LEECH_THRESHOLD)
    assert listing.card_query() == CardQuery()


@pytest.mark.parametrize("state", list(STATUSES))
@pytest.mark.parametrize("sort", list(ORDERS))
@pytest.mark.parametrize("search", [None, "", "stone"])
def test_the_store_is_asked_what_the_keywords_asked(
    state: StateFilter | None, sort: SortKey | None, search: str | None
) -> None:
    scope = Scope(deck_id=3, section_id=7)
    listing = Listing(
        now=AT,
        day_starts_at=4,
        decay=-0.5,
        scope=scope,
        search=search,
        state=state,
        sort=sort,
        limit=5,
        leech_threshold=3,
    )
    assert listing.card_query() == CardQuery(
        scope=scope,
        search=search or None,  # an empty search is none
        statuses=STATUSES[state],
        suspended=True if state is StateFilter.Suspended else None,
        min_lapses=3 if state is StateFilter.Leech else None,
        order=ORDERS[sort],
    )
