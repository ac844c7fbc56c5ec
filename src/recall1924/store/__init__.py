"""The only package that queries the database.

Holds :class:`Store`, the collection in one SQLite file, built from one part per concept:
:mod:`~recall1924.store.decks` (decks, scopes, imports), :mod:`~recall1924.store.cards`
(finding, suspending and burying cards), :mod:`~recall1924.store.edits` (a card's wording, a
new card, a flag), :mod:`~recall1924.store.queue` (what
is due, a card as shown), :mod:`~recall1924.store.answers` (saving and undoing answers),
:mod:`~recall1924.store.settings`, :mod:`~recall1924.store.stats`,
:mod:`~recall1924.store.load` (daily load and total knowledge),
:mod:`~recall1924.store.search` (a query as a condition on cards),
:mod:`~recall1924.store.forecast` (what comes due),
:mod:`~recall1924.store.rescheduling` (due dates moved after a change of settings) and
:mod:`~recall1924.store.integrity` (what ``recall doctor`` checks and repairs). Every
write is its own transaction, committed before the method returns, so an answer is on disk
before the next card is shown. Results come back as frozen dataclasses, never as live ORM rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from recall1924.db import OpenedDatabase, open_database
from recall1924.location import DatabaseLocation
from recall1924.store.answers import AnswerStore
from recall1924.store.base import Scope
from recall1924.store.cards import CardStore
from recall1924.store.decks import DeckStore, DeckSummary, ExistingCard
from recall1924.store.edits import CardEditStore
from recall1924.store.forecast import ForecastStore
from recall1924.store.history import HistoryStore
from recall1924.store.integrity import IntegrityStore
from recall1924.store.load import LoadStore
from recall1924.store.media import MediaStore, StoredMedia
from recall1924.store.queue import CardView, DayCounts, QueueCounts, QueueStore, Waiting
from recall1924.store.rescheduling import RescheduleStore
from recall1924.store.search import SearchStore
from recall1924.store.settings import GLOBAL_SCOPE, SettingsStore
from recall1924.store.stats import SectionRow, StatsStore

__all__ = [
    "GLOBAL_SCOPE",
    "CardView",
    "DayCounts",
    "DeckSummary",
    "ExistingCard",
    "QueueCounts",
    "Scope",
    "SectionRow",
    "Store",
    "StoredMedia",
    "Waiting",
]


class Store(
    DeckStore,
    CardStore,
    CardEditStore,
    QueueStore,
    AnswerStore,
    SettingsStore,
    StatsStore,
    LoadStore,
    HistoryStore,
    IntegrityStore,
    MediaStore,
    SearchStore,
    ForecastStore,
    RescheduleStore,
):
    """The collection in one SQLite file."""

    @classmethod
    def open(
        cls,
        location: DatabaseLocation | Path,
        now: datetime,
        *,
        setup: Callable[[Store], None] | None = None,
    ) -> Store:
        """Open the collection at ``location`` (a :class:`Path` is a SQLite file), creating
        or upgrading it first.

        ``setup`` fills a collection this open created before any other recall can see it.
        """
        location = DatabaseLocation.of(location)

        def fill(engine: Engine) -> None:
            assert setup is not None
            setup(cls(OpenedDatabase(engine), location))

        return cls(open_database(location, now, setup=None if setup is None else fill), location)
