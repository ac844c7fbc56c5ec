"""A throwaway PostgreSQL server for the tests marked ``postgres``.

One server per test session, started from the installed binaries in a temporary folder: its
data and its unix socket there, no TCP port, no fsync (a crash loses nothing worth keeping).
PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` user;
otherwise as the current user. Each test gets a fresh, empty database of its own
(:func:`postgres_url`), dropped after it.

Why not pytest-postgresql: it starts ``pg_ctl`` as the current user, which under root (CI
here) PostgreSQL refuses, and it would bring a plugin with options of its own for what is
sixty lines here.

``.ci/run`` starts a server itself and names its socket folder in ``RECALL_TEST_POSTGRES_HOST``;
the tests then use that one. Where neither is possible the tests skip, saying so; with
``RECALL_REQUIRE_POSTGRES=1`` (``.ci/run`` sets it) they fail instead, so CI cannot pass without
having run them. ``RECALL_PG_BIN`` names the binaries' folder if it is not a usual one.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

REQUIRE = "RECALL_REQUIRE_POSTGRES"
BIN = "RECALL_PG_BIN"
HOST = "RECALL_TEST_POSTGRES_HOST"
"""A server someone else started (``.ci/run`` does): the folder of its socket. The tests then
use it, as the ``postgres`` user with trust authentication, instead of starting their own."""
SERVER_USER = "postgres"
"""The unprivileged user the server runs as when the tests run as root."""


class Unavailable(Exception):
    """No server can be started here; the message says why."""


def find_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: ``RECALL_PG_BIN``, else the one on
    ``PATH``, else the newest ``/usr/lib/postgresql/<version>/bin`` (Debian's layout)."""
    candidates: list[Path] = []
    if os.environ.get(BIN):
        candidates.append(Path(os.environ[BIN]))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name))

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


class PostgresServer:
    """A running server in ``folder``, reachable only through its socket there."""

    def __init__(self, binaries: Path, folder: Path, run_as: dict[str, Any]) -> None:
        self.binaries = binaries
        self.folder = folder
        self._run_as = run_as
        self._names = itertools.count(1)
        self._admin: Any = None
        self._kept: dict[str, Any] = {}
        self._external = False

    @classmethod
    def running(cls, host: str) -> PostgresServer:
        """The server already listening in the folder ``host`` (stopped by whoever started it).

        Raises:
            Unavailable: psycopg is missing, or nothing answers there.
        """
        server = cls(Path(), Path(host), {})
        server._external = True
        try:
            server._connection()
        except ImportError:
            raise Unavailable("psycopg is not installed: pip install '.[postgres]'") from None
        except Exception as exc:  # psycopg.OperationalError, without importing it here
            raise Unavailable(f"no server answers at {HOST}={host}: {exc}") from None
        return server

    @classmethod
    def start(cls) -> PostgresServer:
        """initdb and start a server in a new temporary folder.

        Raises:
            Unavailable: no binaries, no psycopg, no user to run as, or the server did not
                start (its log is in the message).
        """
        binaries = find_binaries()
        if binaries is None:
            raise Unavailable(
                "no PostgreSQL server binaries (initdb, pg_ctl) found: install PostgreSQL "
                f"or set {BIN} to their folder"
            )
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise Unavailable("psycopg is not installed: pip install '.[postgres]'") from None
        run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise Unavailable(
                    f"running as root, and there is no user {SERVER_USER!r} to run the "
                    "server as (PostgreSQL refuses root)"
                ) from None
            run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        # Short: a unix socket's path must fit in 107 bytes.
        folder = Path(tempfile.mkdtemp(prefix="recall-pg-"))
        if run_as:
            os.chown(folder, run_as["user"], run_as["group"])
        server = cls(binaries, folder, run_as)
        try:
            server._run(
                "initdb", "-D", "data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                "--locale=C", "--no-sync", "--no-instructions",
            )  # fmt: skip
            server._run(
                "pg_ctl", "-D", "data", "-l", "log", "-w", "-t", "30", "-o",
                f"-k {folder} -c listen_addresses= -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off",
                "start",
            )  # fmt: skip
        except Unavailable:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return server

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [str(self.binaries / program), *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            env={**os.environ, "LC_ALL": "C"},
            **self._run_as,
        )
        if done.returncode != 0:
            log = self.folder / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise Unavailable(f"{program} failed: {done.stderr.strip()} {tail}".strip())

    def url(self, database: str) -> str:
        """The URL recall opens ``database`` on this server with."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.folder}"

    def _connection(self) -> Any:
        if self._admin is None:
            import psycopg

            self._admin = psycopg.connect(
                host=str(self.folder), user="postgres", dbname="postgres", autocommit=True
            )
        return self._admin

    def create_database(self) -> str:
        """A new empty database; its name."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self._connection().execute(f"CREATE DATABASE {name}")
        return name

    def execute(self, database: str, statement: str, *, terminate: bool = False) -> None:
        """Run one statement in ``database``, as the server's superuser, on a connection kept
        for it (one per database: a connection costs more than the statement). With
        ``terminate``, a statement kept waiting by a connection a test left open in a
        transaction ends that connection and runs again, rather than hanging the suite."""
        import psycopg

        connection = self._kept.get(database)
        if connection is None or connection.closed:
            connection = self._kept[database] = psycopg.connect(
                host=str(self.folder), user="postgres", dbname=database, autocommit=True
            )
            connection.execute("SET lock_timeout = '2s'")
        if not terminate:
            connection.execute(statement)
            return
        try:
            connection.execute(statement)
        except psycopg.errors.LockNotAvailable:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            connection.execute(statement)

    def drop_database(self, name: str) -> None:
        kept = self._kept.pop(name, None)
        if kept is not None:
            kept.close()
        # FORCE: a test that failed may have left a connection open.
        self._connection().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        for kept in self._kept.values():
            with contextlib.suppress(Exception):
                kept.close()
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
        if self._external:
            return
        with contextlib.suppress(Unavailable):
            self._run("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1, but no PostgreSQL server could be started: {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's server: the one ``RECALL_TEST_POSTGRES_HOST`` names, else one started on
    first use (about a second)."""
    host = os.environ.get(HOST)
    try:
        server = PostgresServer.running(host) if host else PostgresServer.start()
    except Unavailable as exc:
        _unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A URL of a fresh, empty database on the session's server, for this test alone."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)
