"""Where things live: the default database and the files shipped with recall.

The collection is the SQLite file in the platform's user data folder unless ``--db``,
``--database-url``, ``RECALL_DATABASE_URL`` or ``RECALL_DB`` names another store
(:func:`recall1924.location.locate` chooses). The bundled deck and the Alembic migrations ship
inside the package; in a source checkout (an editable install) they are found at the top of the
repository instead.
"""

from __future__ import annotations

from pathlib import Path

APP_NAME = "recall"
DB_FILENAME = "recall.db"

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_DIR = _PACKAGE_DIR.parent.parent


def default_db_path() -> Path:
    """The database in the platform's user data folder."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / DB_FILENAME


def _shipped(*parts: str) -> Path:
    inside = _PACKAGE_DIR.joinpath(*parts)
    if inside.exists():
        return inside
    return _REPO_DIR.joinpath(*parts)


def bundled_deck_path() -> Path:
    """The deck that ships with recall."""
    return _shipped("data", "deck.toml")


def migrations_path() -> Path:
    """The Alembic script folder."""
    return _shipped("migrations")
