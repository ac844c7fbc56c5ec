"""Shared fixtures: every test gets its own database, a plain 80-column terminal, UTC as local
time and a fixed clock; nothing reads the real clock or the user's data folder.

The suite runs on either store. By default each test's collection is a SQLite file
(``RECALL_DB``). With ``RECALL_TEST_STORE=postgresql`` it is an empty schema of its own in one
database on the session's PostgreSQL server (``RECALL_DATABASE_URL``, which wins over
``RECALL_DB``), so the same tests drive the same commands against a server; a schema costs a
millisecond where a database costs a tenth of a second, and one that a test never opened is
dropped as quickly. Tests about the SQLite file itself (its lock, backups, pragmas, the bytes on
disk) are marked ``sqlite_only`` and are not collected then; the tests marked ``postgres``
already compare both stores and run in the default pass.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postgres import PostgresServer, postgres_server, postgres_url  # noqa: F401 - fixtures
from recall1924.clock import FixedClock
from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.settings import Settings
from recall1924.store import Store

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SHARED_TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"
STORE = os.environ.get("RECALL_TEST_STORE", "sqlite")
"""Which store this run's collections live in: ``sqlite`` (the default) or ``postgresql``."""
ON_SERVER = STORE == "postgresql"
if STORE not in ("sqlite", "postgresql"):
    raise pytest.UsageError(f"RECALL_TEST_STORE must be sqlite or postgresql, not {STORE!r}")


def pytest_configure(config: pytest.Config) -> None:
    if ON_SERVER:
        # A test that leaves a Store open (as many tests written for SQLite do, where nothing
        # notices) leaves psycopg a connection to collect, which it warns about. Each test's
        # schema is dropped with its connections ended all the same (ServerSchemas.drop).
        config.addinivalue_line(
            "filterwarnings",
            "ignore:Exception ignored in.*BaseConnection.__del__"
            ":pytest.PytestUnraisableExceptionWarning",
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the server pass, leave out what that pass must not run: the SQLite file's own tests,
    and the postgres tests, which compare both stores in the default pass already."""
    if not ON_SERVER:
        return
    kept, left_out = [], []
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        (left_out if marks & {"sqlite_only", "postgres"} else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


class ServerSchemas:
    """One database on the session's server, and an empty schema in it for each test."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self.database = server.create_database()
        self._names = itertools.count(1)

    def fresh(self) -> tuple[str, str]:
        """A new empty schema: its name, and the URL whose connections work in it alone."""
        name = f"t{next(self._names)}"
        self.server.execute(self.database, f"CREATE SCHEMA {name}")
        # libpq's options: every connection of this URL resolves names in this schema first.
        return name, f"{self.server.url(self.database)}&options=-csearch_path%3D{name}"

    def drop(self, name: str) -> None:
        self.server.execute(self.database, f"DROP SCHEMA {name} CASCADE", terminate=True)


@pytest.fixture(scope="session")
def server_schemas(request: pytest.FixtureRequest) -> Iterator[ServerSchemas | None]:
    if not ON_SERVER:
        yield None
        return
    schemas = ServerSchemas(request.getfixturevalue("postgres_server"))
    yield schemas
    schemas.server.drop_database(schemas.database)


@pytest.fixture
def db_location(plain_environment: Path) -> str | Path:
    """The collection this test's commands open: the SQLite file, or the server's URL."""
    return os.environ.get("RECALL_DATABASE_URL") or plain_environment


@pytest.fixture(autouse=True)
def plain_environment(tmp_path: Path, server_schemas: ServerSchemas | None) -> Iterator[Path]:
    # A patch of its own, not the test's monkeypatch: a test that undoes its own patches
    # half-way must not take its collection away with them.
    monkeypatch = pytest.MonkeyPatch()
    db = tmp_path / "recall.db"
    monkeypatch.setenv("RECALL_DB", str(db))
    monkeypatch.delenv("RECALL_DATABASE_URL", raising=False)  # never the developer's server
    schema = None
    if server_schemas is not None:
        schema, url = server_schemas.fresh()
        monkeypatch.setenv("RECALL_DATABASE_URL", url)
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
    if schema is not None:
        assert server_schemas is not None
        server_schemas.drop(schema)


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
def store(db_location: str | Path) -> Iterator[Store]:
    opened = Store.open(db_location, NOW)
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
