"""The media folder kept tidy: stored files nothing names any more are removed, and
``recall doctor`` says what is wrong with the folder.

Holds :func:`media_lock`, :func:`remove_unused` (after an import, a deck's removal, a repair),
:func:`check_media` (a :class:`MediaCheck`) and, for :mod:`recall1924.doctor`,
:func:`media_finding` and :func:`repair_media`.

A stored file is unused when no deck of the collection names it and no backup does either: a
backup put back with ``recall restore`` finds its pictures, and a file only backups name goes
once the backups that name it are thinned out. Files are removed only after the rows that named
them are gone (committed), so a crash leaves at worst a file nothing names, which the next
clean-up removes, never a name whose file is gone. An import puts its files in place and names
them holding :func:`media_lock`, which a clean-up holds too: a file an import is about to name
is never removed under it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from recall1924.media import media_folder
from recall1924.words import plural

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from recall1924.doctor import Action, Finding
    from recall1924.store import Store

LOCK = ".lock"
"""The lock file, in the media folder (names starting with a dot are never stored files)."""
SCRATCH = ".incoming-"
"""How the scratch folder of an import starts (:func:`recall1924.media.import_media`)."""
STALE_SECONDS = 3600
"""A scratch folder nothing has written to for this long belongs to an import that stopped."""
EXAMPLES = 3


@contextmanager
def media_lock(folder: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the media folder's lock: exclusively to add or remove files, ``shared`` to read
    the folder alone (which creates no lock file). A folder recall cannot write to is not
    locked: nothing can be added or removed there."""
    fd = None
    if fcntl is not None:
        flags = os.O_RDONLY if shared else os.O_RDWR | os.O_CREAT
        try:
            fd = os.open(folder / LOCK, flags | os.O_CLOEXEC, 0o644)
        except OSError:
            fd = None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        if fd is not None:
            os.close(fd)  # which releases the lock


@dataclass(frozen=True)
class MediaCheck:
    """What is in the media folder, against what the decks name.

    Attributes:
        files: stored files in the folder.
        names: names in decks' cards with a stored file (one file may be several names).
        unused: files nothing names, neither a deck nor a backup: (file, size), by name.
        for_backups: files only backups name, kept until those backups are thinned out.
        missing: names whose stored file is not in the folder, or not the size stored: (deck
            key, name), deck by deck.
        deckless: names kept for a deck that is no longer there.
        leftovers: scratch folders of imports that stopped part-way.
    """

    files: int = 0
    names: int = 0
    unused: tuple[tuple[str, int], ...] = ()
    for_backups: int = 0
    missing: tuple[tuple[str, str], ...] = ()
    deckless: int = 0
    leftovers: tuple[str, ...] = field(default=())

    @property
    def removable(self) -> bool:
        """Whether :func:`repair_media` has anything to remove."""
        return bool(self.unused or self.leftovers or self.deckless)


def check_media(store: Store) -> MediaCheck:
    """Compare the collection's media folder with the names its decks (and its backups) have,
    changing nothing."""
    folder = media_folder(store.path)
    with media_lock(folder, shared=True):
        return _scan(store, folder)


def remove_unused(store: Store) -> MediaCheck:
    """Remove the stored files nothing names (see the module's docstring) and the scratch
    folders of imports that stopped; call it after the rows that named them are committed.
    Returns what was found (and removed); a file that cannot be removed is left for the next
    time."""
    folder = media_folder(store.path)
    if not folder.is_dir():
        return MediaCheck()
    with media_lock(folder):
        found = _scan(store, folder)
        for name, _size in found.unused:
            try:
                (folder / name).unlink(missing_ok=True)
            except OSError:
                continue
        for name in found.leftovers:
            shutil.rmtree(folder / name, ignore_errors=True)
    return found


def _scan(store: Store, folder: Path) -> MediaCheck:
    present, leftovers = _folder(folder, now=time.time())
    links = store.deck_media()
    named = store.media_files()  # with the names of decks that are gone: removed first
    missing = tuple(
        (link.deck_key, link.name) for link in links if present.get(link.file) != link.size
    )
    unnamed = set(present) - named
    backed = _backed_up(store.path) if unnamed else set()
    return MediaCheck(
        files=len(present),
        names=len(links),
        unused=tuple((name, present[name]) for name in sorted(unnamed - backed)),
        for_backups=len(unnamed & backed),
        missing=missing,
        deckless=store.deckless_media(),
        leftovers=tuple(leftovers),
    )


def _folder(folder: Path, *, now: float) -> tuple[dict[str, int], list[str]]:
    """The stored files in ``folder`` (name -> size) and the stale scratch folders in it."""
    present: dict[str, int] = {}
    leftovers: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.name.startswith(SCRATCH) and entry.is_dir(follow_symlinks=False):
                        if now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
                            leftovers.append(entry.name)
                    elif not entry.name.startswith(".") and entry.is_file(follow_symlinks=False):
                        present[entry.name] = entry.stat(follow_symlinks=False).st_size
                except OSError:  # gone since it was listed
                    continue
    except (FileNotFoundError, NotADirectoryError):
        return {}, []
    return present, sorted(leftovers)


def _backed_up(db_path: Path) -> set[str]:
    """The stored files the collection's backups name; a backup that cannot be read names
    none (it cannot be restored either)."""
    from recall1924.backups import list_backups
    from recall1924.store.media import backup_media_files

    files: set[str] = set()
    for backup in list_backups(db_path):
        try:
            files |= backup_media_files(backup.path)
        except sqlite3.Error:
            continue
    return files


# For recall doctor
# ---------------------------------------------------------------------------------------------


def _size(count: int) -> str:
    return f"{count / 1024**2:.1f} MB" if count >= 1024**2 else f"{count:,} bytes"


def _eg(examples: list[str], total: int) -> str:
    more = ", ..." if total > len(examples) else ""
    return f" ({', '.join(examples)}{more})" if examples else ""


def media_finding(found: MediaCheck) -> Finding:
    """Doctor's ``media`` check: unused files and leftovers are problems it removes; names
    whose file is missing, problems it cannot mend."""
    from recall1924.doctor import Finding

    unused_bytes = sum(size for _name, size in found.unused)
    details: dict[str, object] = {
        "files": found.files,
        "names": found.names,
        "unused": len(found.unused),
        "unused_bytes": unused_bytes,
        "for_backups": found.for_backups,
        "missing": [{"deck": deck, "name": name} for deck, name in found.missing],
        "deckless": found.deckless,
        "leftovers": len(found.leftovers),
    }
    kept = f"; {found.for_backups} more kept for backups" if found.for_backups else ""
    problems = len(found.unused) + len(found.missing) + found.deckless + len(found.leftovers)
    if not problems:
        named = found.files - found.for_backups
        counted = f"{plural(named, 'file')} for {plural(found.names, 'name')}"
        summary = f"ok ({counted}{kept})" if found.files or found.names else "ok (no media)"
        return Finding("media", "media files", 0, summary, details=details)
    parts = []
    if found.unused:
        shown = [name for name, _size in found.unused[:EXAMPLES]]
        parts.append(
            f"{plural(len(found.unused), 'stored file')} nothing names, "
            f"{_size(unused_bytes)}{_eg(shown, len(found.unused))}"
        )
    if found.deckless:
        parts.append(f"{plural(found.deckless, 'name')} kept for decks that are gone")
    if found.leftovers:
        parts.append(f"{plural(len(found.leftovers), 'scratch folder')} of imports that stopped")
    missing = [f"{deck}/{name}" for deck, name in found.missing]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        parts.append(
            f"{plural(len(missing), 'file')} the cards name {verb} missing from the folder or "
            f"damaged{_eg(missing[:EXAMPLES], len(missing))}"
        )
    remedy = ""
    if missing:
        remedy = (
            "doctor cannot bring missing files back: import the deck's Anki package again "
            "(its files are put back), or recall restore a backup taken with them"
        )
    return Finding(
        "media",
        "media files",
        problems,
        "; ".join(parts) + kept,
        examples=tuple(missing[:EXAMPLES]),
        repairable=found.removable,
        remedy=remedy,
        details=details,
    )


def repair_media(store: Store) -> Action | None:
    """Doctor's repair of the media folder: names kept for decks that are gone are forgotten,
    then unused files and leftovers removed (checked again, holding the lock). None when there
    was nothing to remove."""
    from recall1924.doctor import Action

    deckless = store.forget_deckless_media()
    removed = remove_unused(store)
    count = len(removed.unused) + len(removed.leftovers)
    if not count and not deckless:
        return None
    parts = []
    if removed.unused:
        size = _size(sum(size for _name, size in removed.unused))
        parts.append(f"removed {plural(len(removed.unused), 'unused file')} ({size})")
    if removed.leftovers:
        parts.append(
            f"removed {plural(len(removed.leftovers), 'scratch folder')} of stopped imports"
        )
    if deckless:
        parts.append(f"forgot {plural(deckless, 'name')} kept for decks that are gone")
    summary = "Media folder: " + ", ".join(parts)
    return Action("media", count + deckless, summary)
