"""The shortcuts an import's writing takes over a million cards give the same result as the long
way: ASCII text folded without a substitution, and the page cache it writes through given back."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import NOW, make_deck
from recall1924.folding import _SPACES, fold
from recall1924.importing import import_decks
from recall1924.store import Store
from recall1924.store.decks import _WRITE_CACHE_KIB, _page_cache


@given(st.text(alphabet=string.printable + "\x00\x1f\x7f", max_size=40))
def test_ascii_folds_as_the_substitution_does(text: str) -> None:
    assert fold(text) == _SPACES.sub(" ", text.lower())


def cache_size(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())


@pytest.mark.sqlite_only  # SQLite's page cache
def test_an_import_writes_through_a_big_page_cache_and_gives_it_back(store: Store) -> None:
    before = cache_size(store)
    with store._session() as session, _page_cache(session, _WRITE_CACHE_KIB):
        during = session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one()
    assert during == -_WRITE_CACHE_KIB
    import_decks(store, [make_deck()], now=NOW)
    assert cache_size(store) == before
    assert [deck.key for deck in store.decks()] == ["demo"]


def test_only_sqlite_sizes_a_cache_per_connection() -> None:
    from recall1924.store import dialect

    assert dialect.page_cache_size("sqlite") == "PRAGMA cache_size"
    assert dialect.page_cache_size("postgresql") is None
    assert dialect.set_page_cache(-65536) == "PRAGMA cache_size = -65536"
