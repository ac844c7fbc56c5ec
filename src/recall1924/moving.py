"""Moving a whole collection to another store (``recall migrate-store --to``): from a SQLite
file to a PostgreSQL database and back, or file to file.

Holds :func:`move_collection` (the service the command calls) and :class:`MoveReport` (what
it did: the rows of each table on both sides, the media files copied).

The order is what makes it all or nothing and keeps the source as it was:

1. refuse a target that is the source itself, a source that holds no collection, and a target
   that holds one already (read without creating or upgrading it: nothing is written);
2. open both as every command does, but without the bundled deck, so the target is at head and
   empty;
3. copy every table in one transaction on the target, and commit only once both sides' counts
   and checksums agree (:func:`recall1924.store.moving.copy_collection`);
4. only then copy the media files the collection names into the target's media folder: a
   failure there is reported, since the rows are in, and copying them again is harmless.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from recall1924.errors import MoveError, NotFoundError
from recall1924.location import DatabaseLocation

if TYPE_CHECKING:
    from recall1924.store import Store

__all__ = ["MediaCopy", "MoveReport", "move_collection", "same_store"]


@dataclass(frozen=True)
class MediaCopy:
    """The media files a move copied: into :attr:`folder`, those not there already."""

    folder: Path
    copied: int = 0
    present: int = 0
    """Already in the target's folder (the same name is the same content: a SHA-256)."""
    missing: int = 0
    """Named by the collection but not in the source's folder (nor copied, then)."""
    problem: str | None = None
    """Why the files could not all be copied (the rows were moved all the same)."""


@dataclass(frozen=True)
class MoveReport:
    """What :func:`move_collection` did."""

    source: str
    target: str
    rows: tuple[tuple[str, int, int], ...]
    """Each table: its name, its rows in the source, its rows in the target."""
    media: MediaCopy
    seconds: float
    notices: tuple[str, ...] = ()
    """What opening either side did on the way (an upgrade and its backup)."""
    source_upgraded: bool = False
    """Opening the source upgraded it to this recall's schema first, as every command does
    (a SQLite file is backed up before): the one change a move makes to it."""

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (see docs/json.md)."""
        return {
            "source": self.source,
            "target": self.target,
            "tables": [
                {"table": name, "source": source, "target": target}
                for name, source, target in self.rows
            ],
            "media": {
                "folder": str(self.media.folder),
                "copied": self.media.copied,
                "present": self.media.present,
                "missing": self.media.missing,
                "problem": self.media.problem,
            },
            "seconds": round(self.seconds, 3),
        }


def same_store(one: DatabaseLocation, other: DatabaseLocation) -> bool:
    """Whether the two name the same collection: the same file (however the path is written),
    or the same database and schema on the same server (whoever logs in, whatever the
    password or the connection's other settings)."""
    if one.path is not None and other.path is not None:
        return os.path.realpath(one.path) == os.path.realpath(other.path)
    if one.path is not None or other.path is not None:
        return False
    return _server_key(one.url) == _server_key(other.url)


def _server_key(url: str) -> tuple[str, int, str, str]:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    host = parts.hostname or query.get("host", "localhost")
    # libpq's options may set the search_path: another schema is another collection.
    return host, parts.port or 5432, parts.path.lstrip("/"), query.get("options", "")


def move_collection(
    source: DatabaseLocation, target: DatabaseLocation, *, now: datetime
) -> MoveReport:
    """Copy the whole collection at ``source`` to the empty store at ``target``, ids, history,
    settings and media, all of it or nothing; ``source`` is only read.

    Args:
        now: names the backup taken if opening either side upgrades an older SQLite file.

    Raises:
        MoveError: ``target`` is ``source``, holds rows of a collection already, or the copy
            did not come out the same (then nothing was copied).
        NotFoundError: there is no collection at ``source``.
        DatabaseError: either side cannot be opened (unreachable, not recall's, newer).
    """
    from recall1924.db import HEAD_REVISION
    from recall1924.store import Store
    from recall1924.store.moving import copy_collection, refuse_held

    if same_store(source, target):
        raise MoveError(f"--to names the collection itself ({source}): give another file or URL")
    found = _peek(source)
    if found is None:
        raise NotFoundError(f"there is no collection at {source} to move")
    taken = _peek(target)
    if taken is not None:
        refuse_held(target, taken.rows)
    started = time.monotonic()
    notices: list[str] = []
    reading = Store.open(source, now)
    upgraded = found.revision != HEAD_REVISION
    try:
        writing = Store.open(target, now)
        try:
            for store, side in ((reading, "source"), (writing, "target")):
                if store.backup is not None:
                    notices.append(
                        f"Upgraded the {side}, {store.location}; the old one is kept at "
                        f"{store.backup}"
                    )
            before, after = copy_collection(reading.engine, writing.engine, where=target)
            media = _copy_media(reading, writing)
        finally:
            writing.close()
    finally:
        reading.close()
    rows = tuple((name, count, after.rows[name]) for name, count in before.rows.items())
    return MoveReport(
        str(source),
        str(target),
        rows,
        media,
        time.monotonic() - started,
        tuple(notices),
        source_upgraded=upgraded,
    )


@dataclass(frozen=True)
class _Found:
    """What a store holds, read before opening it: its schema's revision, its rows."""

    revision: str | None
    rows: dict[str, int]


def _peek(location: DatabaseLocation) -> _Found | None:
    """What the store at ``location`` holds, read without creating, upgrading or locking it
    (so that a target refused is left exactly as it was, and an empty source is not made a
    collection); None for a file or database that holds no table at all, or is not there."""
    from sqlalchemy import inspect, text

    from recall1924.db import make_engine, make_server_engine, server_schema
    from recall1924.store.moving import held_rows

    if location.path is not None:
        if not location.path.is_file() or location.path.stat().st_size == 0:
            return None
        engine = make_engine(location.path, read_only=True)
    else:
        has_tables, _revision = server_schema(location)  # one line if it cannot be reached
        if not has_tables:
            return None
        engine = make_server_engine(location)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            if not tables:
                return None
            revision = None
            if "alembic_version" in tables:
                query = text("SELECT version_num FROM alembic_version")
                revision = connection.execute(query).scalar()
            return _Found(revision, held_rows(connection))
    finally:
        engine.dispose()


def _copy_media(reading: Store, writing: Store) -> MediaCopy:
    """Copy the files the moved collection names from the source's media folder into the
    target's: each through a scratch name and a rename, so a file is whole or absent."""
    from recall1924.media import media_folder

    have, into = media_folder(reading.path), media_folder(writing.path)
    files = sorted(writing.media_files())
    if not files:
        return MediaCopy(into)
    copied = present = missing = 0
    try:
        if have.is_dir() and into.exists() and os.path.samefile(have, into):
            present = sum((have / name).is_file() for name in files)
            return MediaCopy(into, present=present, missing=len(files) - present)
        into.mkdir(parents=True, exist_ok=True)
        for name in files:
            found, placed = have / name, into / name
            if placed.is_file():
                present += 1
            elif not found.is_file():
                missing += 1
            else:
                scratch = into / f".{name}.moving"
                try:
                    shutil.copyfile(found, scratch)
                    os.replace(scratch, placed)
                finally:
                    scratch.unlink(missing_ok=True)
                copied += 1
    except OSError as exc:
        return MediaCopy(
            into, copied, present, missing, f"cannot copy into {into}: {exc.strerror or exc}"
        )
    return MediaCopy(into, copied, present, missing)
