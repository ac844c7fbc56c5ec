"""Reading decks: each format's reader turns a file into :mod:`recall1924.deck` specs.

Holds the registry :data:`READERS` (one :class:`Reader` per format: recall's TOML, CSV/TSV, Anki
packages, each saying whether it recognises a file), :data:`FORMATS`, :func:`detect_format`,
:func:`read_decks`, :class:`ReadResult` and :func:`read_bundled`. What a file holds besides its
decks travels beside them, as the reader found it: the rows it skipped and the answers it left out
(each with why), the cards Anki had buried, and a whole Anki collection's own day rollover hour.
Comparing the decks with the collection and writing them is :mod:`recall1924.importing`'s part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from recall1924.collector import collector_paused
from recall1924.deck import DeckSpec
from recall1924.errors import DeckFileError, UnsupportedFormatError

_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"  # an archive of no files is its end record alone
_SQLITE = b"SQLite format 3\x00"
_ANKI_SUFFIXES = {".apkg", ".colpkg", ".anki2", ".anki21"}
_TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}


@dataclass(frozen=True)
class ReadResult:
    """What a file holds: its decks, the rows a reader skipped (one line each, why), and what
    :func:`~recall1924.importing.import_decks` is to know besides.

    Attributes:
        left_out: answers in the file not brought, one line per reason with their count.
        buried: ``(deck key, card key)`` of cards buried in the file's own application, to
            keep out of the queue until the next review day.
        day_starts_at: the hour the file's review days start, when the file is a whole
            collection that has one of its own (an Anki ``.colpkg`` or bare collection).
    """

    decks: tuple[DeckSpec, ...]
    skipped: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    buried: frozenset[tuple[str, str]] = frozenset()
    day_starts_at: int | None = None


class ReadFile(Protocol):
    """Reads the file at ``path`` (``deck_key``: put everything into the deck with this key)."""

    def __call__(self, path: Path, *, deck_key: str | None) -> ReadResult: ...


@dataclass(frozen=True)
class Reader:
    """One format recall imports.

    Attributes:
        name: what ``--format`` calls it.
        recognises: whether the file at ``path``, whose first bytes are ``head``, is in this
            format; it may raise :class:`DeckFileError` for a file whose content contradicts
            a suffix of this format.
        read: the file's decks (``deck_key``: put everything into the deck with this key);
            :func:`read_decks` records the file as their source.
    """

    name: str
    recognises: Callable[[Path, bytes], bool]
    read: ReadFile


def _text(path: Path, head: bytes) -> bool:
    """Whether the file is one the text formats may claim: not an Anki file, not binary."""
    return (
        not head.startswith((_ZIP, _EMPTY_ZIP, _SQLITE))
        and path.suffix.lower() not in _ANKI_SUFFIXES
        and b"\x00" not in head
    )


def _recognises_toml(path: Path, head: bytes) -> bool:
    if not _text(path, head):
        return False
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return True
    if suffix in _TEXT_SUFFIXES:
        return False
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    return any(line.strip().startswith("[deck]") for line in text.splitlines())


def _read_toml(path: Path, *, deck_key: str | None) -> ReadResult:
    from recall1924.deckfile import read_deck_file

    deck = read_deck_file(path)
    return ReadResult((replace(deck, key=deck_key) if deck_key else deck,))


def _recognises_csv(path: Path, head: bytes) -> bool:
    # the fallback for text: whatever shows no sign of recall's TOML is read as CSV
    return _text(path, head) and not _recognises_toml(path, head)


def _read_csv(path: Path, *, deck_key: str | None) -> ReadResult:
    from recall1924.importers.csv import read_csv

    decks, skipped = read_csv(path, deck_key=deck_key)
    return ReadResult(tuple(decks), tuple(skipped))


def _recognises_apkg(path: Path, head: bytes) -> bool:
    if head.startswith((_ZIP, _EMPTY_ZIP, _SQLITE)):
        return True
    if path.suffix.lower() in _ANKI_SUFFIXES:
        raise DeckFileError(
            str(path), [f"{path}: not an Anki package (neither a zip archive nor SQLite)"]
        )
    return False


def _read_apkg(path: Path, *, deck_key: str | None) -> ReadResult:
    from recall1924.importers.apkg import read_apkg

    anki = read_apkg(path, deck_key=deck_key)
    return ReadResult(
        tuple(anki.decks), anki.skipped, anki.left_out, anki.buried, anki.day_starts_at
    )


READERS = (
    Reader("toml", _recognises_toml, _read_toml),
    Reader("csv", _recognises_csv, _read_csv),
    Reader("apkg", _recognises_apkg, _read_apkg),
)
"""Every format recall imports, in the order a file's format is looked for (no two recognise
the same file)."""

FORMATS = tuple(reader.name for reader in READERS)
"""What ``--format`` accepts; without it the format is told from the file's content."""


def _detect(path: Path) -> Reader:
    try:
        with path.open("rb") as file:
            head = file.read(512)
    except OSError as exc:
        raise DeckFileError(str(path), [f"{path}: cannot read: {exc.strerror}"]) from None
    for reader in READERS:
        if reader.recognises(path, head):
            return reader
    raise UnsupportedFormatError(
        f"{path}: not a deck recall can read (binary data; recall imports "
        "TOML, CSV/TSV and Anki .apkg/.colpkg/.anki2 files)"
    )


def detect_format(path: Path) -> str:
    """The format of the file at ``path``, told from its first bytes (and its suffix when the
    content is plain text).

    Raises:
        DeckFileError: if the file cannot be read, or its content contradicts its suffix.
        UnsupportedFormatError: for content recall does not read.
    """
    return _detect(path).name


def read_decks(path: Path, *, fmt: str | None = None, deck_key: str | None = None) -> ReadResult:
    """Read the decks in the file at ``path``.

    Args:
        fmt: one of :data:`FORMATS`; None tells it from the content.
        deck_key: put everything into the deck with this key.

    Raises:
        UnsupportedFormatError: for a format recall does not read.
        DeckFileError: if the file is unreadable, not what it claims, or invalid.
    """
    with collector_paused():
        reader = _detect(path) if not fmt else _reader(fmt)
        return _read(reader, path, deck_key=deck_key)


def _reader(fmt: str) -> Reader:
    for reader in READERS:
        if reader.name == fmt:
            return reader
    raise UnsupportedFormatError(f"unknown format {fmt!r} (recall imports: {', '.join(FORMATS)})")


def _read(reader: Reader, path: Path, *, deck_key: str | None) -> ReadResult:
    source = str(path.resolve())
    result = reader.read(path, deck_key=deck_key)
    if not result.decks:
        raise DeckFileError(str(path), [f"{path}: no cards to import"])
    return replace(result, decks=tuple(replace(deck, source=source) for deck in result.decks))


BUNDLED_SOURCE = "bundled with recall"
"""The source recorded for the deck that ships with recall, whichever file it was read from."""


def read_bundled() -> DeckSpec:
    """The deck that ships with recall."""
    from recall1924.deckfile import read_deck_file
    from recall1924.paths import bundled_deck_path

    return replace(read_deck_file(bundled_deck_path()), source=BUNDLED_SOURCE)
