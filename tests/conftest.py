"""Shared fixtures: every test gets its own database, a plain 80-column terminal, UTC as local
time and a fixed clock; nothing reads the real clock or the user's data folder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postgres import postgres_server, postgres_url  # noqa: F401 - fixtures, for tests marked postgres
from recall1924.clock import FixedClock
from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.settings import Settings
from recall1924.store import Store

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SHARED_TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"


@pytest.fixture(autouse=True)
def plain_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "recall.db"
    monkeypatch.setenv("RECALL_DB", str(db))
    monkeypatch.delenv("RECALL_DATABASE_URL", raising=False)  # never the developer's server
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # nor their data folder
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("RECALL_NOW", raising=False)
    time.tzset()
    yield db
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def db_path(plain_environment: Path) -> Path:
    return plain_environment


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def settings() -> Settings:
    """Defaults, without fuzz, so intervals are exact."""
    return replace(Settings.from_stored({}), enable_fuzzing=False)


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = Store.open(db_path, NOW)
    yield opened
    opened.close()


def make_deck(key: str = "demo", sections: dict[str, list[str]] | None = None) -> DeckSpec:
    """A deck whose sections hold cards named by key; each card's text derives from its key."""
    layout = sections or {"one": ["a", "b", "c"], "two": ["d", "e"]}
    return DeckSpec(
        key=key,
        title=f"Deck {key}",
        sections=tuple(
            SectionSpec(
                section,
                f"Section {section}",
                tuple(CardSpec(card, f"Question {card}?", f"Answer {card}") for card in cards),
            )
            for section, cards in layout.items()
        ),
        source="test",
    )


@pytest.fixture
def demo_store(store: Store) -> Store:
    """A store holding :func:`make_deck`'s deck."""
    import_deck(store, make_deck(), now=NOW)
    return store
