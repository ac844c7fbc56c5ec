"""Where the collection is: a SQLite file, or a database on a PostgreSQL server.

Holds :class:`DatabaseLocation`, the one value that names the store from the command line down
to the engine, and :func:`locate`, which picks it: ``--db``/``--database-url`` (after the
command, else before it), else ``RECALL_DATABASE_URL``, else ``RECALL_DB``, else the file in
the platform's user data folder. A plain path or a ``sqlite:///`` URL is a SQLite file, with
all of recall's file handling (its lock, backups, read-only folders); a ``postgresql://`` URL is
a server, reached through psycopg 3.

Pure: the URL is taken apart with :mod:`urllib.parse`, so choosing the store imports no
database stack (``recall --help`` stays fast).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from recall1924.errors import DatabaseURLError, NotSqliteError

__all__ = ["DatabaseLocation", "locate"]

POSTGRES_DRIVER = "postgresql+psycopg"
"""The SQLAlchemy dialect and driver recall talks to PostgreSQL with (psycopg 3)."""

# A URL starts with a scheme and "://"; anything else (C:\decks\recall.db too) is a path.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_POSTGRES_SCHEMES = frozenset({"postgresql", "postgres", POSTGRES_DRIVER})
# Where libpq may take a password from besides the user part of the URL.
_SECRET_PARAMETERS = frozenset({"password", "passfile", "sslpassword"})


@dataclass(frozen=True)
class DatabaseLocation:
    """The collection's store: a SQLite file (:attr:`path`) or a PostgreSQL database.

    Build it with :meth:`parse` (what the user typed) or :meth:`file`; :attr:`url` is what
    SQLAlchemy connects to, ``str()`` what messages show (never a password).
    """

    url: str
    """The SQLAlchemy URL: ``sqlite:///<absolute path>`` or ``postgresql+psycopg://...``."""
    path: Path | None = None
    """The SQLite file; None for a database on a server."""

    @classmethod
    def file(cls, path: Path) -> DatabaseLocation:
        """The SQLite file at ``path`` (``~`` expanded)."""
        path = path.expanduser()
        return cls(f"sqlite:///{path.absolute()}", path)

    @classmethod
    def of(cls, given: DatabaseLocation | Path | str) -> DatabaseLocation:
        """``given`` as a location: a location as it is, a :class:`Path` as a SQLite file, a
        string as :meth:`parse` reads it."""
        if isinstance(given, DatabaseLocation):
            return given
        if isinstance(given, Path):
            return cls.file(given)
        return cls.parse(given)

    @classmethod
    def parse(cls, text: str) -> DatabaseLocation:
        """What ``--db``, ``--database-url`` or an environment variable names.

        Raises:
            DatabaseURLError: a URL recall cannot use (another database, another PostgreSQL
                driver, an in-memory SQLite database), or a folder given as the file.
        """
        found = _SCHEME.match(text)
        if found is None:
            path = Path(text).expanduser()
            if path.is_dir():
                raise DatabaseURLError(f"{path} is a folder: give the database file in it")
            return cls.file(path)
        scheme = found.group(1).lower()
        if scheme == "sqlite":
            return cls._sqlite(text)
        if scheme in _POSTGRES_SCHEMES:
            return cls._postgres(text)
        if scheme.startswith(("postgresql+", "postgres+")):
            raise DatabaseURLError(
                f"recall talks to PostgreSQL through psycopg 3: write {POSTGRES_DRIVER}:// "
                f"(or postgresql://), not {scheme}://"
            )
        raise DatabaseURLError(
            f"recall keeps a collection in a SQLite file or in PostgreSQL, not in {scheme}:// "
            "(give a file, sqlite:///FILE or postgresql://USER@HOST/DATABASE)"
        )

    @classmethod
    def _sqlite(cls, text: str) -> DatabaseLocation:
        parts = urlsplit(text)
        # SQLAlchemy's form: sqlite:///relative/file, sqlite:////absolute/file.
        name = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
        if parts.netloc or parts.query or not name or name == ":memory:":
            raise DatabaseURLError(
                f"{text} is not a SQLite file recall can keep a collection in: write "
                "sqlite:///FILE (a relative path) or sqlite:////FILE (an absolute one)"
            )
        return cls.parse(name)

    @classmethod
    def _postgres(cls, text: str) -> DatabaseLocation:
        parts = urlsplit(text)
        database = unquote(parts.path.lstrip("/"))
        if not database or "/" in database:
            raise DatabaseURLError(
                f"{_without_secrets(text)} names no database: write "
                "postgresql://USER@HOST/DATABASE (see docs/postgres.md)"
            )
        return cls(urlunsplit((POSTGRES_DRIVER, *parts[1:])))

    @property
    def is_sqlite(self) -> bool:
        """Whether the collection is a SQLite file (:attr:`path`), not on a server."""
        return self.path is not None

    @property
    def display(self) -> str:
        """The location for messages: the file, or the URL without its password and driver
        (``postgresql://user@host/db``)."""
        if self.path is not None:
            return str(self.path)
        return _without_secrets(self.url)

    def __str__(self) -> str:
        return self.display

    def sqlite_file(self, what: str) -> Path:
        """The SQLite file, for ``what`` (a command that works on the file itself).

        Raises:
            NotSqliteError: the collection is on a PostgreSQL server.
        """
        if self.path is None:
            raise NotSqliteError(
                f"{what} works on a SQLite collection; {self.display} is on a PostgreSQL "
                "server, which has its own tools for that (pg_dump, pg_restore)"
            )
        return self.path

    @property
    def local_path(self) -> Path:
        """The file this collection's files on this machine (its media folder) are kept
        beside: the SQLite file itself; for a database on a server, a name of its own in
        the user data folder, one per server and database, that never holds a database."""
        if self.path is not None:
            return self.path
        parts = urlsplit(self.url)
        host = parts.hostname or dict(parse_qsl(parts.query)).get("host", "localhost")
        port = parts.port or 5432
        name = f"{host}-{port}-{unquote(parts.path.lstrip('/'))}"
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")
        return _user_data_folder() / "postgresql" / slug / "collection"


def _without_secrets(url: str) -> str:
    """``url`` with no password (in its user part or its query) and no driver name."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].split(":", 1)[0]
    host = netloc[2]
    shown_netloc = f"{user}@{host}" if user else host
    query = [(key, value) for key, value in parse_qsl(parts.query) if key not in _SECRET_PARAMETERS]
    shown_query = urlencode(query, safe="/", quote_via=quote)
    return urlunsplit((scheme, shown_netloc, parts.path, shown_query, ""))


def _user_data_folder() -> Path:
    from recall1924.paths import default_db_path

    return default_db_path().parent


def locate(option: str | None, environ: Mapping[str, str]) -> DatabaseLocation:
    """The collection a command works on: ``option`` (``--db`` or ``--database-url``), else
    ``RECALL_DATABASE_URL``, else ``RECALL_DB``, else the file in the user data folder. An
    empty value counts as not given.

    Raises:
        DatabaseURLError: the one chosen is no store recall can use.
    """
    for given in (option, environ.get("RECALL_DATABASE_URL"), environ.get("RECALL_DB")):
        if given:
            return DatabaseLocation.parse(given)
    from recall1924.paths import default_db_path

    return DatabaseLocation.file(default_db_path())
