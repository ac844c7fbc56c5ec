"""Writing a file whole or not at all.

Holds :func:`write_atomically`: the bytes go to a temporary file of a name no one else uses,
in the folder of the file they are for (a rename is only atomic within one file system), and
are flushed to disk before that file is renamed into place. Whatever stops the write part way
(a full disk, Ctrl-C) leaves no half file behind, and leaves the file that was there before as
it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


class FileExistsNotReplacedError(FileExistsError):
    """The file is there already, and replacing it was not asked for."""


def write_atomically(path: Path, data: bytes, *, replace: bool) -> None:
    """Make ``path`` hold ``data``.

    Args:
        replace: replace a file already at ``path``; without it such a file is kept and
            :class:`FileExistsNotReplacedError` raised, even when it appears while writing.

    Raises:
        FileExistsNotReplacedError: ``path`` exists and ``replace`` is false.
        OSError: if the file cannot be written; nothing is left behind.
    """
    folder = path.parent
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".partial")
    placed = False
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file private (0600); an export is an ordinary file.
        os.chmod(temporary, _mode_for(path))
        if replace:
            os.replace(temporary, path)
        else:
            _place_new(temporary, path)
        placed = True
    finally:
        if not placed:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    _sync_folder(folder)


def _place_new(temporary: str, path: Path) -> None:
    """Move ``temporary`` to ``path`` unless a file is there: a hard link fails when the name
    is taken, so a file that appeared since the caller looked is not overwritten."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise FileExistsNotReplacedError(errno.EEXIST, "File exists", str(path)) from None
    except OSError as exc:
        # Some file systems (FAT, some network shares) have no hard links: look, then rename.
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise
        if path.exists():
            raise FileExistsNotReplacedError(errno.EEXIST, "File exists", str(path)) from None
        os.replace(temporary, path)
        return
    os.unlink(temporary)


def _mode_for(path: Path) -> int:
    """The permissions of the file being replaced, else those a new file gets (0666 less the
    umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the new name, where the platform allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename has happened all the same
    finally:
        os.close(descriptor)
