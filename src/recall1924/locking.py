"""Who has the collection open: an advisory lock on a file beside the database, or on the
PostgreSQL server that holds it.

Every recall that opens a collection holds a shared lock on ``<database>.lock`` for as long as
it has it open; creating or upgrading a collection, and restoring a backup over it, take the
lock exclusively. So two recalls started together on a fresh machine create the collection
once, and a restore never pulls the file from under a running review.

A folder recall cannot write to gets no lock file: nothing can change the collection there, so
there is nothing to keep apart. On a system without ``fcntl`` locks are not taken.

On PostgreSQL (:class:`ServerLock`) the server keeps recalls on many machines apart by itself;
only creating or upgrading the schema takes a lock, one of the server's advisory locks, so that
two recalls never migrate the same database at once.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from recall1924.errors import CollectionInUseError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

WAIT_SECONDS = 10.0
"""How long opening waits for another recall that is creating or upgrading the collection."""


def lock_path(db: Path) -> Path:
    return db.with_name(f"{db.name}.lock")


class _Released:
    """A lock a ``with`` block releases, however the block ends."""

    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


class CollectionLock(_Released):
    """The lock on one collection; shared once :meth:`share` is called, until :meth:`release`."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self._fd: int | None = None
        self.exclusive = False

    def _open(self) -> int | None:
        if fcntl is None:
            return None
        if self._fd is None:
            path = lock_path(self.db)
            try:
                self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError:
                try:
                    self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    return None  # a read-only folder without a lock file: nothing to guard
        return self._fd

    def share(self) -> None:
        """Hold the lock shared (waiting while another recall creates or upgrades)."""
        self._take(fcntl.LOCK_SH if fcntl else 0, wait=WAIT_SECONDS, what="prepares")
        self.exclusive = False

    def own(self, *, wait: float = WAIT_SECONDS) -> None:
        """Hold the lock exclusively: no other recall has the collection open.

        Raises:
            CollectionInUseError: another recall still had it open after ``wait`` seconds.
        """
        self._take(fcntl.LOCK_EX if fcntl else 0, wait=wait, what="has")
        self.exclusive = True

    def _take(self, operation: int, *, wait: float, what: str) -> None:
        fd = self._open()
        if fd is None:
            return
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, operation | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CollectionInUseError(
                        f"another recall {what} {self.db} open (a review in another window?); "
                        "close it and try again"
                    ) from None
                time.sleep(0.05)

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


SERVER_LOCK_KEY = 0x7265_6361_6C6C
"""The key of the advisory lock recall takes on a PostgreSQL database ("recall" in ASCII):
advisory locks belong to one database, so each collection has its own."""


class ServerLock(_Released):
    """The collection's lock on a PostgreSQL server: a session advisory lock on
    ``connection`` (a SQLAlchemy connection), taken shared by :meth:`share` (to wait for a
    recall that is preparing the schema) or exclusively by :meth:`own` (to prepare it), and
    released by :meth:`release`.

    A session lock outlives transactions and would outlive the command on a pooled
    connection, so it is always released explicitly (the ``with`` block does it).
    """

    def __init__(self, connection: Any, where: str) -> None:
        self.connection = connection
        self.where = where
        self._held: str | None = None  # "" exclusive, "_shared" shared

    def share(self, *, wait: float | None = None) -> None:
        """Hold the lock shared, waiting up to ``wait`` seconds (:data:`WAIT_SECONDS`) for a
        recall that is creating or upgrading the schema (and importing the bundled deck into
        a new one).

        Raises:
            CollectionInUseError: that recall was still at it.
        """
        self._take("_shared", wait)

    def own(self, *, wait: float | None = None) -> None:
        """Hold the lock exclusively, waiting up to ``wait`` seconds (:data:`WAIT_SECONDS`)
        for other recalls.

        Raises:
            CollectionInUseError: another recall was still creating or upgrading the schema.
        """
        self._take("", wait)

    def _take(self, kind: str, wait: float | None) -> None:
        from sqlalchemy import text

        deadline = time.monotonic() + (WAIT_SECONDS if wait is None else wait)
        while True:
            taken = self.connection.execute(
                text(f"SELECT pg_try_advisory_lock{kind}(:key)"), {"key": SERVER_LOCK_KEY}
            ).scalar()
            self.connection.commit()
            if taken:
                self._held = kind
                return
            if time.monotonic() >= deadline:
                raise CollectionInUseError(
                    f"another recall is creating or upgrading {self.where}; "
                    "try again when it is done"
                )
            time.sleep(0.05)

    def release(self) -> None:
        if self._held is None:
            return
        from sqlalchemy import text

        if self.connection.in_transaction():
            self.connection.rollback()  # an aborted transaction would refuse the unlock
        self.connection.execute(
            text(f"SELECT pg_advisory_unlock{self._held}(:key)"), {"key": SERVER_LOCK_KEY}
        )
        self.connection.commit()
        self._held = None
