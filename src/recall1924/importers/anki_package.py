"""Opening an Anki package safely: the zip archive, the collection inside it (plain or zstd),
and its media list, checked before anything is inflated; and the read-only subset of protobuf
that schema 18's config columns need.

Holds :func:`collection_file`, which leaves a readable copy of the collection in a scratch
folder, :func:`whole_collection` (a whole collection, or a package of decks?), :func:`fail` (one
clear line), and :func:`proto` / :func:`proto_text`.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, NoReturn

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
    if "media" in members:
        _check_media_names(path, _read_small(path, archive, members["media"]), zstd=zstd)
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
    path: Path, source: IO[bytes], sink: IO[bytes], *, packed: int, limit: int = MAX_UNPACKED
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


def _check_media_names(path: Path, raw: bytes, *, zstd: bool) -> None:
    """Refuse a media map naming a file outside the media folder (recall extracts no media,
    but a package that tries this is hostile, and whatever reads it next must not trust it)."""
    import zstandard

    try:
        if zstd:
            data = io.BytesIO()
            _unzstd(path, io.BytesIO(raw), data, packed=len(raw), limit=_MEDIA_LIMIT)
            entries = proto(data.getvalue()).get(1, [])
            names = [proto_text(proto(entry), 1) for entry in entries if isinstance(entry, bytes)]
        else:
            mapping = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            if not isinstance(mapping, dict):
                raise ValueError("not a JSON object")
            names = [str(name) for name in mapping.values()]
    except (ValueError, UnicodeDecodeError, zstandard.ZstdError) as exc:
        fail(path, f"damaged media list ({exc})")
    for name in names:
        if not _safe_name(name) or "/" in name or "\\" in name:
            fail(path, f"refused: media name {name!r} leaves the media folder")


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
