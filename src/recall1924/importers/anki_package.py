"""Opening an Anki package safely: the zip archive, the collection inside it (plain or zstd),
and its media list, checked before anything is inflated; and the read-only subset of protobuf
that schema 18's config columns need.

Holds :func:`collection_file`, which leaves a readable copy of the collection in a scratch
folder, :func:`whole_collection` (a whole collection, or a package of decks?), :func:`fail` (one
clear line), :func:`media_entries` and :func:`copy_media` (the package's media files, listed
and checked, then inflated one at a time within their declared size), :func:`media_source` (the
media an Anki file brings: a package's, or those of the ``collection.media`` folder beside a
bare collection, listed and copied the same way; :mod:`recall1924.media` stores them), and
:func:`proto` / :func:`proto_text`.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, NoReturn, Protocol

from recall1924.errors import DeckFileError

# Newest first: packages written by Anki 2.1.50+ also hold a dummy collection.anki2 ("please
# update Anki") for old clients, which must never be read when a newer collection is there.
COLLECTION_MEMBERS = ("collection.anki21b", "collection.anki21", "collection.anki2")
MAX_UNPACKED = 2 * 1024**3
# Deflate cannot do better than about 1032:1, and real collections stay far below 100:1
# (the test files: 1:1 to 30:1); a directory that claims more describes a bomb, not a deck.
MAX_RATIO = 1000
RATIO_CHECK_FROM = 16 * 1024**2  # small members may compress very well harmlessly
_CHUNK = 1024**2
_MEDIA_LIMIT = 64 * 1024**2  # a list of a million files' names, with room to spare
_SQLITE_MAGIC = b"SQLite format 3\x00"


class _Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


def fail(path: Path, message: str) -> NoReturn:
    raise DeckFileError(str(path), [f"{path}: {message}"])


def whole_collection(path: Path) -> bool:
    """Whether ``path`` is a whole Anki collection (a bare one, or a ``.colpkg``) rather than
    a package of decks (``.apkg``): importing a collection replaces Anki's own, settings and
    all, while a package's cards join a collection that keeps its settings."""
    if path.suffix.lower() == ".colpkg":
        return True
    try:
        with path.open("rb") as file:
            return file.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


# Opening
# ---------------------------------------------------------------------------------------------


def collection_file(path: Path, scratch: Path) -> Path:
    """A copy of the SQLite collection in ``scratch``: ``path`` itself, or unpacked from it."""
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        fail(path, f"cannot read: {exc.strerror}")
    if head == _SQLITE_MAGIC:
        # a copy, with its write-ahead log if Anki left one: the user's file stays untouched
        # (SQLite writes beside a database it opens, even read-only, when it is in WAL mode)
        target = scratch / "collection.sqlite"
        try:
            shutil.copyfile(path, target)
            wal = path.with_name(path.name + "-wal")
            if wal.is_file():
                shutil.copyfile(wal, scratch / "collection.sqlite-wal")
        except OSError as exc:
            fail(path, f"cannot read: {exc.strerror}")
        return target
    if not head.startswith(b"PK"):
        fail(path, "not an Anki package or collection (neither a zip archive nor SQLite)")
    try:
        with zipfile.ZipFile(path) as archive:
            return _unpack_collection(path, archive, scratch)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        fail(path, f"damaged or truncated zip archive ({exc})")
    except OSError as exc:
        fail(path, f"cannot read the zip archive ({exc.strerror or exc})")


def _unpack_collection(path: Path, archive: zipfile.ZipFile, scratch: Path) -> Path:
    members = {info.filename: info for info in archive.infolist()}
    if not members:
        fail(path, "an empty zip archive: no Anki collection inside")
    total = 0
    for info in members.values():
        if not _safe_name(info.filename):
            fail(path, f"refused: the archive holds {info.filename!r}, outside its folder")
        total += info.file_size
        if total > MAX_UNPACKED:
            fail(path, f"refused: the archive would unpack to {total:,} bytes or more, over 2 GB")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_FROM and ratio > MAX_RATIO:
            fail(path, f"refused: {info.filename} claims a {ratio:.0f}:1 compression (a bomb?)")
    name = next((name for name in COLLECTION_MEMBERS if name in members), None)
    if name is None:
        fail(path, "not an Anki package: no collection.anki21b/anki21/anki2 inside")
    zstd = name.endswith("b")
    # The media list is checked before the collection is inflated, even though the decks are
    # read without it: a package that names a file outside its folder is hostile as a whole.
    media_entries(path, archive)
    target = scratch / "collection.sqlite"
    with archive.open(members[name]) as source, target.open("wb") as sink:
        if zstd:
            _unzstd(path, source, sink, packed=members[name].file_size)
        else:
            for chunk in iter(lambda: source.read(_CHUNK), b""):
                sink.write(chunk)
    return target


def _safe_name(name: str) -> bool:
    """True for a plain file name that stays in its folder (no parent, root or drive)."""
    if not name or "\x00" in name:
        return False
    for flavour in (PurePosixPath(name), PureWindowsPath(name)):
        if flavour.is_absolute() or flavour.drive or flavour.root or ".." in flavour.parts:
            return False
    return True


def _read_small(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > _MEDIA_LIMIT:
        fail(path, f"refused: its {info.filename} member is {info.file_size:,} bytes")
    with archive.open(info) as member:
        return member.read(info.file_size + 1)


def _unzstd(
    path: Path, source: IO[bytes], sink: _Sink, *, packed: int, limit: int = MAX_UNPACKED
) -> None:
    """Inflate a zstd stream, stopping before it passes ``limit`` bytes or an absurd ratio
    (frames need not declare their size: Anki's do not)."""
    import zstandard

    written = 0
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True)
        for chunk in iter(lambda: reader.read(_CHUNK), b""):
            written += len(chunk)
            if written > limit:
                fail(path, f"refused: a zstd member inflates to more than {limit:,} bytes")
            if written > RATIO_CHECK_FROM and written > MAX_RATIO * max(packed, 1):
                fail(path, f"refused: a zstd member inflates over {MAX_RATIO}:1 (a bomb?)")
            sink.write(chunk)
    except zstandard.ZstdError as exc:
        fail(path, f"damaged zstd data ({exc})")


@dataclass(frozen=True)
class MediaEntry:
    """One file of a package's media, as its list declares it.

    Attributes:
        name: the file's name in the cards (``<img src>``, ``[sound:]``): a plain name, checked.
        member: the zip member that holds its bytes.
        size: how many bytes it inflates to: the zip directory's size for a legacy package;
            the list's own for a current one, whose members are zstd frames that need not say.
        zstd: whether the member is a zstd frame (current packages).
        sha1: the SHA-1 a current package's list gives (None in a legacy one).
    """

    name: str
    member: str
    size: int
    zstd: bool
    sha1: bytes | None = None


def media_entries(path: Path, archive: zipfile.ZipFile) -> list[MediaEntry]:
    """The media files a package lists and holds, each name and size checked.

    Entries whose member is missing from the archive are left out (Anki exports list only
    what they hold, but hand-made packages do not); a name listed twice keeps its first entry.

    Raises:
        DeckFileError: for a damaged list, a name that would leave the media folder (a
            parent, a root, a drive, a separator, a control character), a declared size past
            :data:`MAX_UNPACKED` (alone or all together) or an absurd compression ratio.
    """
    members = {info.filename: info for info in archive.infolist()}
    if "media" not in members:
        return []
    # As for the collection: current packages (collection.anki21b) compress their media too.
    zstd = COLLECTION_MEMBERS[0] in members
    listed = _media_list(path, _read_small(path, archive, members["media"]), zstd=zstd)
    for name, _member, _size, _sha1 in listed:
        if not safe_media_name(name):
            fail(path, f"refused: media name {name!r} leaves the media folder")
    entries: list[MediaEntry] = []
    seen: set[str] = set()
    total = 0
    for name, member, declared, sha1 in listed:
        info = members.get(member)
        if info is None or name in seen or member in COLLECTION_MEMBERS or member == "media":
            continue
        seen.add(name)
        size = info.file_size if declared is None else declared
        total += size
        if size > MAX_UNPACKED or total > MAX_UNPACKED:
            fail(path, f"refused: its media would unpack to {total:,} bytes or more, over 2 GB")
        ratio = size / max(info.compress_size, 1)
        if size > RATIO_CHECK_FROM and ratio > MAX_RATIO:
            fail(path, f"refused: media file {name!r} claims a {ratio:.0f}:1 compression (a bomb?)")
        entries.append(MediaEntry(name, member, size, zstd, sha1))
    return entries


def copy_media(path: Path, archive: zipfile.ZipFile, entry: MediaEntry, sink: _Sink) -> None:
    """Inflate one media file into ``sink``, never past its declared size.

    Raises:
        DeckFileError: if the member inflates to more or fewer bytes than declared, or its
            SHA-1 is not the one listed (a damaged or lying package).
    """
    import hashlib

    digest = hashlib.sha1()
    written = 0

    def write(data: bytes) -> None:
        nonlocal written
        written += len(data)
        if written > entry.size:
            fail(path, f"refused: media file {entry.name!r} inflates past its declared size")
        digest.update(data)
        sink.write(data)

    counted = _Writer(write)
    try:
        with archive.open(entry.member) as source:
            if entry.zstd:
                # past the size, write() refuses first, naming the file
                _unzstd(path, source, counted, packed=entry.size, limit=entry.size + _CHUNK)
            else:
                for chunk in iter(lambda: source.read(_CHUNK), b""):
                    write(chunk)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        fail(path, f"damaged media file {entry.name!r} ({exc})")
    if written != entry.size:
        fail(path, f"damaged media file {entry.name!r}: {written:,} of {entry.size:,} bytes")
    if entry.sha1 and digest.digest() != entry.sha1:
        fail(path, f"damaged media file {entry.name!r}: its checksum does not match the list")


@dataclass(frozen=True)
class _Writer:
    write: Callable[[bytes], object]


class MediaSource(Protocol):
    """Where an Anki file's media come from: its own zip archive, or a folder beside it."""

    @property
    def where(self) -> str:
        """Where a file the cards name was looked for, as the import's summary says it
        (``in the package``)."""
        ...

    @property
    def absent(self) -> str | None:
        """Why nothing is there, when that is so for a reason the user should hear."""
        ...

    def entries(self) -> list[MediaEntry]:
        """The files there, each name and size checked (see :func:`media_entries`)."""
        ...

    def copy(self, entry: MediaEntry, sink: _Sink) -> None:
        """Write ``entry``'s bytes to ``sink``, never more than its size."""
        ...


@contextmanager
def media_source(path: Path) -> Iterator[MediaSource | None]:
    """The media the Anki file at ``path`` brings: a package's (``.apkg``, ``.colpkg``), or
    for a bare collection (``collection.anki2``) the files of the folder Anki keeps beside it
    (``collection.media``); None for a file that is neither (TOML, CSV), told from its first
    bytes alone.

    Raises:
        DeckFileError: the archive cannot be read.
    """
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_MAGIC))
    except OSError:
        head = b""
    if head == _SQLITE_MAGIC:
        yield _FolderMedia(path, path.with_suffix(".media"))
        return
    if not head.startswith(b"PK") or not zipfile.is_zipfile(path):
        yield None
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        fail(path, f"damaged or truncated zip archive ({exc})")
    with archive:
        yield _PackageMedia(path, archive)


@dataclass(frozen=True)
class _PackageMedia:
    path: Path
    archive: zipfile.ZipFile
    where: str = "in the package"
    absent: str | None = None

    def entries(self) -> list[MediaEntry]:
        return media_entries(self.path, self.archive)

    def copy(self, entry: MediaEntry, sink: _Sink) -> None:
        copy_media(self.path, self.archive, entry, sink)


@dataclass(frozen=True)
class _FolderMedia:
    """The media folder of a bare collection, as Anki keeps it: each file under its own name.

    Only regular files with a safe name are listed: a link, even to a picture, could carry any
    file of the user's into the collection (and out again with an export).
    """

    path: Path
    folder: Path

    @property
    def where(self) -> str:
        return f"in {self.folder.name}"

    @property
    def absent(self) -> str | None:
        if self.folder.is_dir():
            return None
        return f"there is no {self.folder.name} folder beside {self.path.name}"

    def entries(self) -> list[MediaEntry]:
        found: list[MediaEntry] = []
        try:
            with os.scandir(self.folder) as listing:
                for item in listing:
                    if not safe_media_name(item.name) or not item.is_file(follow_symlinks=False):
                        continue
                    size = item.stat(follow_symlinks=False).st_size
                    found.append(MediaEntry(item.name, item.name, size, zstd=False))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            fail(self.path, f"cannot read {self.folder.name} ({exc.strerror or exc})")
        return sorted(found, key=lambda entry: entry.name)

    def copy(self, entry: MediaEntry, sink: _Sink) -> None:
        name = entry.name
        try:
            # O_NOFOLLOW: a file made a link since it was listed is refused, not followed
            fd = os.open(
                self.folder / entry.member,
                os.O_RDONLY
                | os.O_CLOEXEC
                | getattr(os, "O_NOFOLLOW", 0)
                | getattr(os, "O_NONBLOCK", 0),
            )
        except OSError as exc:
            fail(self.path, f"cannot read media file {name!r} ({exc.strerror or exc})")
        with os.fdopen(fd, "rb") as source:
            if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
                fail(self.path, f"media file {name!r} is no longer a plain file")
            written = 0
            while chunk := source.read(min(_CHUNK, entry.size - written + 1)):
                written += len(chunk)
                if written > entry.size:
                    fail(self.path, f"media file {name!r} grew while it was copied")
                sink.write(chunk)
        if written != entry.size:
            fail(self.path, f"media file {name!r} changed while it was copied")


def safe_media_name(name: str) -> bool:
    """True for a name that can only be a file inside the media folder: no parent, root, drive
    or separator, no control character, and not ``.`` or ``..``."""
    if name in (".", "..") or "/" in name or "\\" in name:
        return False
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        return False
    return _safe_name(name)


def _media_list(
    path: Path, raw: bytes, *, zstd: bool
) -> list[tuple[str, str, int | None, bytes | None]]:
    """The raw media list: (name, zip member, declared size, SHA-1), in the list's order.

    A current list is a zstd protobuf ``MediaEntries`` whose entry ``n`` is zip member ``n``
    unless its field 255 names another; a legacy one is JSON mapping member to name.
    """
    import zstandard

    try:
        if zstd:
            data = io.BytesIO()
            _unzstd(path, io.BytesIO(raw), data, packed=len(raw), limit=_MEDIA_LIMIT)
            listed: list[tuple[str, str, int | None, bytes | None]] = []
            for index, item in enumerate(proto(data.getvalue()).get(1, [])):
                if not isinstance(item, bytes):
                    raise ValueError("a media entry is not a message")
                entry = proto(item)
                sizes = [value for value in entry.get(2, []) if isinstance(value, int)]
                hashes = [value for value in entry.get(3, []) if isinstance(value, bytes)]
                numbers = [value for value in entry.get(255, []) if isinstance(value, int)]
                member = str(numbers[-1]) if numbers else str(index)
                size = sizes[-1] if sizes else 0
                listed.append((proto_text(entry, 1), member, size, hashes[-1] if hashes else None))
            return listed
        mapping = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        if not isinstance(mapping, dict):
            raise ValueError("not a JSON object")
        return [(str(name), str(member), None, None) for member, name in mapping.items()]
    except (ValueError, UnicodeDecodeError, zstandard.ZstdError) as exc:
        fail(path, f"damaged media list ({exc})")


# Protobuf, the read-only subset Anki's schema 18 config columns need
# ---------------------------------------------------------------------------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated protobuf varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def proto(data: bytes) -> dict[int, list[int | bytes]]:
    """Fields of one protobuf message by number: varints as ints, length-delimited as bytes.

    Fixed-width fields are skipped: nothing read here uses them.
    """
    fields: dict[int, list[int | bytes]] = {}
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > end:
                raise ValueError("truncated protobuf field")
            value, pos = data[pos : pos + length], pos + length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            continue
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def proto_text(message: dict[int, list[int | bytes]], number: int) -> str:
    """A string field (the last one wins, as in protobuf), empty when absent."""
    values = message.get(number, [])
    last = values[-1] if values else b""
    return last.decode("utf-8") if isinstance(last, bytes) else ""
