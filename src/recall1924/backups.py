"""Backups of the collection: taking one, keeping a bounded set, listing them, restoring one.

A backup is a consistent copy made with SQLite's online backup API (answers still in the
write-ahead log are in it), written to a temporary name and renamed, so a failed copy never
leaves a half file. Backups live in a ``backups`` folder beside the database, named
``<database name>.<UTC time to the microsecond>Z.bak``; a name is never reused, so two backups
in the same second are two files. Older recalls wrote ``<database name>.<UTC time>Z.bak``
beside the database itself: those are listed and restorable too.

The set is kept bounded as Anki keeps its own: the newest :data:`KEEP_RECENT`, then the newest
of each day for :data:`KEEP_DAILY` days, of each week for :data:`KEEP_WEEKLY` weeks and of each
month for :data:`KEEP_MONTHLY` months.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recall1924.errors import BackupError, DatabaseError

BACKUP_FOLDER = "backups"
KEEP_RECENT = 5
KEEP_DAILY = 12
KEEP_WEEKLY = 10
KEEP_MONTHLY = 9
REVIEW_BACKUP_EVERY = timedelta(minutes=30)
"""A review session backs the collection up at its end when the newest backup is older."""

_STAMP = re.compile(r"\.(\d{8}T\d{6})(?:\.(\d{6}))?Z(?:-(\d+))?\.bak")


@dataclass(frozen=True)
class Backup:
    """One backup file and when it was taken."""

    path: Path
    taken_at: datetime
    size: int


@dataclass(frozen=True)
class BackupContents:
    """What a backup holds, read from it."""

    revision: str | None
    cards: int
    answers: int


def backup_folder(db: Path) -> Path:
    """Where the backups of the database at ``db`` go."""
    return db.parent / BACKUP_FOLDER


def _taken_at(db: Path, candidate: Path) -> tuple[datetime, int] | None:
    """When the backup ``candidate`` of ``db`` was taken, and its place among those taken at
    the same time (0, 1, ...); None for a file that is not one."""
    name = candidate.name
    if not name.startswith(f"{db.name}."):
        return None
    match = _STAMP.fullmatch(name[len(db.name) :])
    if match is None:
        return None
    stamp = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return stamp.replace(microsecond=int(match.group(2) or 0)), int(match.group(3) or 0)


def list_backups(db: Path) -> list[Backup]:
    """Every backup of the database at ``db``, newest first (in its folder, and beside it)."""
    found: list[tuple[datetime, int, Backup]] = []
    for folder in (backup_folder(db), db.parent):
        try:
            entries = list(folder.glob(f"{glob_escape(db.name)}.*.bak"))
        except OSError:
            continue
        for entry in entries:
            taken = _taken_at(db, entry)
            if taken is None:
                continue
            try:
                size = entry.stat().st_size
            except OSError:
                continue
            found.append((*taken, Backup(entry, taken[0], size)))
    found.sort(key=lambda item: item[:2], reverse=True)
    return [backup for _at, _order, backup in found]


def sqlite_uri(path: Path, mode: str, *, immutable: bool = False) -> str:
    """An SQLite URI for ``path`` (``mode`` ro, rw or rwc): a file name holding ``?`` or ``#``
    stays one name, and ``ro``/``rw`` never create a missing file."""
    from urllib.parse import quote

    extra = "&immutable=1" if immutable else ""
    return f"file:{quote(str(path.absolute()))}?mode={mode}{extra}"


def glob_escape(name: str) -> str:
    """``name`` with the characters glob treats as patterns made literal."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC or exc.errno == errno.EFBIG:
            return "the disk is full"
        if exc.errno == errno.EROFS:
            return "it is on a read-only file system"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "permission denied"
        return exc.strerror or str(exc)
    from recall1924.db import refusal

    if refusal(exc) in ("full", "io"):
        return "the disk is full or failing"
    return str(exc)


def _short_of_space(folder: Path, db: Path) -> bool:
    """Whether the disk holding ``folder`` has less room than a copy of ``db`` needs."""
    try:
        return shutil.disk_usage(folder if folder.exists() else db.parent).free < db.stat().st_size
    except OSError:
        return False


def take_backup(db: Path, now: datetime) -> Path:
    """Copy the database at ``db`` into its backup folder, then thin the old copies.

    Args:
        db: the database file.
        now: the time the backup's name records.

    Returns:
        The new backup.

    Raises:
        BackupError: the copy could not be made (a full disk, a read-only folder); nothing
            is left behind and the database is unchanged.
    """
    try:
        target = _into_backup_folder(db, now, _write_copy)
    except (OSError, sqlite3.Error) as exc:
        folder = backup_folder(db)
        reason = "the disk is full" if _short_of_space(folder, db) else _describe(exc)
        raise BackupError(
            f"could not back up {db} into {folder}: {reason}; nothing was changed"
        ) from None
    prune_backups(db, keep=target)
    return target


def _into_backup_folder(
    db: Path, now: datetime, write: Callable[[Path, Path], object], *, suffix: str = ".bak"
) -> Path:
    """A copy of ``db`` that ``write(db, temporary)`` makes, given the first free name for
    ``now`` in the backup folder (``db.<time>[-n]<suffix>``) only once it is whole.

    Raises:
        OSError, sqlite3.Error: what ``write`` or the file system raised; nothing is left
            behind.
    """
    folder = backup_folder(db)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    temporary = folder / f".{db.name}.{stamp}.{os.getpid()}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write(db, temporary)
        return _claim_name(folder, f"{db.name}.{stamp}", temporary, suffix=suffix)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_copy(db: Path, temporary: Path) -> None:
    """A consistent copy of ``db`` (with what its write-ahead log holds) at ``temporary``,
    on disk before this returns."""
    with contextlib.closing(sqlite3.connect(sqlite_uri(db, "rw"), uri=True)) as source:
        with contextlib.closing(sqlite3.connect(temporary)) as copy:
            source.backup(copy)
            # A backup is one file: no journal beside it to lose.
            copy.execute("PRAGMA journal_mode=DELETE")
    with open(temporary, "rb+") as written:
        os.fsync(written.fileno())


def _claim_name(folder: Path, stem: str, temporary: Path, *, suffix: str = ".bak") -> Path:
    """Give ``temporary`` the first free name ``stem[-n]`` and ``suffix`` without ever
    replacing a file."""
    for attempt in range(1000):
        target = folder / (f"{stem}{suffix}" if attempt == 0 else f"{stem}-{attempt}{suffix}")
        try:
            os.link(temporary, target)
        except FileExistsError:
            continue
        temporary.unlink()
        return target
    raise OSError(errno.EEXIST, "no free backup name")


def _keep(backups: list[Backup]) -> set[Path]:
    """Which backups the policy keeps: the newest few, then one a day for some days, then one
    a week for some weeks before those, then one a month (newest first, as Anki thins)."""
    kept = {backup.path for backup in backups[:KEEP_RECENT]}
    stages: list[tuple[int, Callable[[datetime], object]]] = [
        (KEEP_DAILY, lambda at: at.date()),
        (KEEP_WEEKLY, lambda at: at.isocalendar()[:2]),
        (KEEP_MONTHLY, lambda at: (at.year, at.month)),
    ]
    stage, count, seen = 0, 0, set[object]()
    for backup in backups[KEEP_RECENT:]:
        limit, bucket = stages[stage]
        key = bucket(backup.taken_at)
        if key in seen:
            continue
        kept.add(backup.path)
        seen.add(key)
        count += 1
        if count == limit:
            stage += 1
            if stage == len(stages):
                break
            # The next stage starts after this backup's week (or month), not inside it.
            count, seen = 0, {stages[stage][1](backup.taken_at)}
    return kept


def prune_backups(db: Path, *, keep: Path | None = None) -> list[Path]:
    """Delete the backups in ``db``'s backup folder the policy no longer keeps.

    Old-style backups beside the database are left alone (they may be the only copy from
    before an upgrade). Returns the files deleted.
    """
    folder = backup_folder(db)
    _remove_stale(folder, f".{glob_escape(db.name)}.*.partial*")
    _remove_stale(db.parent, f".{glob_escape(db.name)}.restoring.*")
    mine = [backup for backup in list_backups(db) if backup.path.parent == folder]
    kept = _keep(mine)
    removed = []
    for backup in mine:
        if backup.path not in kept and backup.path != keep:
            with contextlib.suppress(OSError):
                backup.path.unlink()
                removed.append(backup.path)
    return removed


_WRITER = re.compile(r"\.(\d+)(?:\.partial)?(?:-journal|-wal|-shm)?$")


def _remove_stale(folder: Path, pattern: str) -> None:
    """Delete temporary files (and the journals SQLite kept beside them) left by a recall
    that was killed while writing them: each name carries its writer's process id."""
    for leftover in folder.glob(pattern):
        writer = _WRITER.search(leftover.name)
        if writer is not None and not _alive(int(writer.group(1))):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def backup_if_due(
    db: Path, now: datetime, *, every: timedelta = REVIEW_BACKUP_EVERY
) -> Path | None:
    """Back ``db`` up unless its newest backup is less than ``every`` old (one stamped after
    ``now``, from a clock set wrong, does not count). Returns the backup made, if one was.

    Raises:
        BackupError: as :func:`take_backup`.
    """
    backups = list_backups(db)
    latest = backups[0].taken_at if backups else None
    if latest is not None and latest <= now and now - latest < every:
        return None
    return take_backup(db, now)


def read_contents(path: Path, *, check: bool = True) -> BackupContents:
    """Say what the recall database at ``path`` holds; with ``check``, make sure it is sound
    first (SQLite's integrity check).

    Raises:
        DatabaseError: it is not SQLite, fails its integrity check, or is not recall's.
    """
    try:
        with contextlib.closing(
            sqlite3.connect(sqlite_uri(path, "ro", immutable=True), uri=True)
        ) as connection:
            if check:
                found = connection.execute("PRAGMA integrity_check(1)").fetchone()
                if found is None or found[0] != "ok":
                    problem = " ".join(found[0].split()) if found else "no answer"
                    raise DatabaseError(f"{path} is damaged ({problem}); not restored")
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if not {"card", "review_log", "alembic_version"} <= tables:
                raise DatabaseError(f"{path} is not a recall database")
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            cards = connection.execute("SELECT count(*) FROM card").fetchone()[0]
            answers = connection.execute("SELECT count(*) FROM review_log").fetchone()[0]
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path} is not a usable SQLite database ({exc})") from None
    return BackupContents(row[0] if row else None, cards, answers)


def resolve_backup(db: Path, which: str) -> Path:
    """The backup ``which`` names: ``latest``, or a file (a path, or a name in the backup
    folder).

    Raises:
        NotFoundError: there is no such file, or no backup at all.
    """
    from recall1924.errors import NotFoundError

    if which == "latest":
        backups = list_backups(db)
        if not backups:
            raise NotFoundError(f"no backups of {db} yet (recall backup makes one)")
        return backups[0].path
    given = Path(which).expanduser()
    for candidate in (given, backup_folder(db) / which):
        if candidate.is_file():
            return candidate
    raise NotFoundError(f"no backup {which} (recall backups lists them)")


@dataclass(frozen=True)
class Restored:
    """What :func:`restore_backup` did."""

    contents: BackupContents
    """What the restored file holds."""
    saved: Path | None
    """Where the collection it replaced is kept (None: there was none)."""
    damaged: bool = False
    """The collection it replaced was damaged: ``saved`` is its file as it was, byte for
    byte (SQLite could not copy it), named ``….damaged`` so that it is never offered as a
    backup to restore, nor thinned with them."""


def restore_backup(db: Path, source: Path, now: datetime) -> Restored:
    """Put the backup ``source`` in place of the collection at ``db``.

    The backup is checked first (a sound recall database, not from a newer recall), the
    collection as it is now is backed up, and the file is replaced in one rename, while no
    other recall has the collection open. An older backup is upgraded when next opened. A
    damaged collection, the one a restore is most for, cannot be backed up through SQLite: its
    file is kept as it is instead (:attr:`Restored.damaged`).

    Raises:
        CollectionInUseError: another recall has the collection open.
        DatabaseError: the backup is damaged, not recall's, or from a newer recall.
        BackupError: the current collection could not be backed up or kept; nothing was
            changed.
    """
    from recall1924.db import known_revisions
    from recall1924.locking import CollectionLock

    contents = read_contents(source)
    if contents.revision is not None and contents.revision not in known_revisions():
        raise DatabaseError(
            f"{source} was written by a newer recall (schema {contents.revision}); "
            "upgrade recall to restore it. Nothing was changed."
        )
    with CollectionLock(db) as lock:
        lock.own(wait=0)
        saved, damaged = None, False
        if db.exists():
            try:
                saved = take_backup(db, now)
            except BackupError:
                if not _damaged(db):
                    raise
                saved, damaged = _keep_damaged(db, now), True
            else:
                _checkpoint(db)
        temporary = db.with_name(f".{db.name}.restoring.{os.getpid()}")
        try:
            with (
                contextlib.closing(
                    sqlite3.connect(sqlite_uri(source, "ro", immutable=True), uri=True)
                ) as reader,
                contextlib.closing(sqlite3.connect(temporary)) as writer,
            ):
                reader.backup(writer)
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            # The old file's journal belongs to it, not to the restored one.
            for suffix in ("-wal", "-shm"):
                db.with_name(f"{db.name}{suffix}").unlink(missing_ok=True)
            os.replace(temporary, db)
        except (OSError, sqlite3.Error) as exc:
            temporary.unlink(missing_ok=True)
            raise BackupError(
                f"could not restore {source} over {db}: {_describe(exc)}; nothing was changed"
            ) from None
    return Restored(contents, saved, damaged)


def _damaged(db: Path) -> bool:
    """Whether SQLite finds the file at ``db`` damaged (its quick check, or the refusal to
    read it at all)."""
    from recall1924.db import refusal

    try:
        with contextlib.closing(sqlite3.connect(sqlite_uri(db, "ro"), uri=True)) as reader:
            return bool(reader.execute("PRAGMA quick_check(1)").fetchone() != ("ok",))
    except sqlite3.Error as exc:
        return refusal(exc) == "damaged"


def _keep_damaged(db: Path, now: datetime) -> Path:
    """Copy the damaged file at ``db``, and its write-ahead log if it has one (``…-wal``
    beside the copy), byte for byte into its backup folder as ``db.<time>.damaged``.

    Raises:
        BackupError: the copy could not be made; nothing is left behind.
    """
    log = db.with_name(f"{db.name}-wal")
    try:
        target = _into_backup_folder(db, now, shutil.copyfile, suffix=".damaged")
        if log.exists():
            shutil.copyfile(log, target.with_name(f"{target.name}-wal"))
    except OSError as exc:
        raise BackupError(
            f"could not keep the damaged {db} in {backup_folder(db)}: {_describe(exc)}; "
            "nothing was changed"
        ) from None
    return target


def _checkpoint(db: Path) -> None:
    """Move everything in ``db``'s write-ahead log into the file itself."""
    with contextlib.closing(sqlite3.connect(sqlite_uri(db, "rw"), uri=True)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def copy_to(db: Path, target: Path, *, force: bool = False) -> Path:
    """A backup of ``db`` at a file of the user's choosing, written as :func:`take_backup`
    writes its own (a temporary name, then one rename).

    Raises:
        ExportError: ``target`` exists and ``force`` was not given.
        BackupError: the copy could not be made; nothing is left behind.
    """
    from recall1924.errors import ExportError

    if target.exists() and not force:
        raise ExportError(f"{target} exists; give --force to replace it")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        _write_copy(db, temporary)
        os.replace(temporary, target)
    except (OSError, sqlite3.Error) as exc:
        temporary.unlink(missing_ok=True)
        raise BackupError(f"could not back up {db} to {target}: {_describe(exc)}") from None
    return target
