"""Media: the images and sounds a deck's cards name, kept in a folder beside the database.

Holds :func:`media_folder`, :func:`references` (the names card text gives, as the importers
write them: ``[image: name]``, ``[sound: name]``), :func:`import_media` (an Anki package's
media into the folder after its decks were imported), :class:`CardMedia` (the files the card on
screen names, for the review screen), :func:`files_for` (what an export carries) and, for the
apkg exporter, :func:`apkg_media` and :func:`anki_field`.

Each file is stored once, however many decks use it, named by the SHA-256 of its content and
its original extension (``<db folder>/media/3a7b….png``); the ``media`` table says which stored
file a name in a deck's cards is, so that two decks can each have their own ``1.png``. The names
never become paths: nothing a package says can put a file outside the folder.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import unquote

from recall1924.errors import DeckFileError
from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.deck import DeckSpec
    from recall1924.store import Store

FOLDER = "media"
"""The media folder's name, beside the database file."""

REFERENCE = re.compile(r"\[(image|sound): ([^\]\n]+)\]")
"""A file named in card text, as :mod:`recall1924.importers.html` writes it."""

_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def media_folder(db_path: Path) -> Path:
    """Where the collection at ``db_path`` keeps its media files."""
    return db_path.parent / FOLDER


def references(text: str) -> list[tuple[str, str]]:
    """The files ``text`` names, in order, each once: (``"image"`` or ``"sound"``, name)."""
    found = [(kind, name.strip()) for kind, name in REFERENCE.findall(text)]
    return list(dict.fromkeys(item for item in found if item[1]))


def stored_name(digest: str, name: str) -> str:
    """The stored file's name: the content's SHA-256, and the original extension when it is a
    plain one (viewers choose by it); anything else in the name is dropped."""
    suffix = PurePosixPath(name).suffix.lower()
    return digest + (suffix if _EXTENSION.fullmatch(suffix) else "")


# Importing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaReport:
    """What :func:`import_media` did.

    Attributes:
        stored: files written to the media folder.
        reused: files the folder had already (the same content, from any deck).
        linked: names in decks' cards now pointing at a stored file.
        missing: names the cards give that the package does not hold.
        problem: why the package's media were not imported (its decks were), if they were not.
    """

    stored: int = 0
    reused: int = 0
    linked: int = 0
    missing: tuple[str, ...] = ()
    problem: str | None = None

    def notice(self) -> str | None:
        """One line for the user, or None when there was nothing to say."""
        if self.problem is not None:
            return f"Media not imported (the cards were, naming their files): {self.problem}"
        parts = []
        if self.linked:
            files = self.stored + self.reused
            there = f" ({self.reused} already in the collection)" if self.reused else ""
            parts.append(f"Media: {plural(files, 'file')} for the cards{there}")
        if self.missing:
            shown = ", ".join(self.missing[:3]) + (", …" if len(self.missing) > 3 else "")
            verb = "is" if len(self.missing) == 1 else "are"
            parts.append(
                f"{plural(len(self.missing), 'file')} the cards name {verb} not in the "
                f"package ({shown})"
            )
        return "; ".join(parts) or None


def import_media(store: Store, path: Path, decks: Sequence[DeckSpec]) -> MediaReport:
    """Store the media of the package at ``path`` that ``decks`` (just imported from it) name.

    Call it after the decks were written, never in a dry run: an import that is refused or
    only planned writes no media. Every file is inflated into a scratch folder inside the
    media folder first, within its declared size; only when all are whole are they moved into
    place and the names linked, so a package whose media fail leaves nothing behind. A file
    that is not a zip archive (TOML, CSV, a bare Anki collection) brings no media.

    Returns:
        What was stored; a problem with the media is reported in it, not raised, since the
        decks are already in.
    """
    from recall1924.importers.anki_package import copy_media, media_entries
    from recall1924.store import StoredMedia

    if not zipfile.is_zipfile(path):  # first: a big CSV's cards are not walked for names
        return MediaReport()
    wanted = {deck.key: _named(deck) for deck in decks}
    if not any(wanted.values()):
        return MediaReport()
    folder = media_folder(store.path)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = {entry.name: entry for entry in media_entries(path, archive)}
            chosen: dict[str, str] = {}  # name in the cards -> name in the package
            missing: set[str] = set()
            for names in wanted.values():
                for name in names:
                    found = name if name in entries else unquote(name)
                    if found in entries:
                        chosen[name] = found
                    else:
                        missing.add(name)
            if not chosen:
                return MediaReport(missing=tuple(sorted(missing)))
            folder.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix=".incoming-", dir=folder))
            try:
                # package name -> (stored name, size, the inflated copy in the scratch folder)
                copies: dict[str, tuple[str, int, Path]] = {}
                for index, package_name in enumerate(sorted(set(chosen.values()))):
                    entry = entries[package_name]
                    part = scratch / str(index)
                    with part.open("wb") as sink:
                        hashing = _Hashing(sink)
                        copy_media(path, archive, entry, hashing)
                    copies[package_name] = (hashing.stored_name(entry.name), entry.size, part)
                stored = reused = 0
                for name, size, part in copies.values():
                    target = folder / name
                    if target.is_file() and target.stat().st_size == size:
                        reused += 1
                    else:
                        os.replace(part, target)
                        stored += 1
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    except DeckFileError as exc:
        return MediaReport(problem=_without_path(str(exc), path))
    except OSError as exc:
        return MediaReport(problem=f"cannot write to {folder}: {exc.strerror or exc}")
    links = [
        StoredMedia(deck_key, name, *copies[chosen[name]][:2])
        for deck_key, names in wanted.items()
        for name in sorted(names)
        if name in chosen
    ]
    store.link_media(links)
    return MediaReport(stored, reused, len(links), tuple(sorted(missing)))


def _named(deck: DeckSpec) -> set[str]:
    return {
        name
        for card in deck.cards
        for text in (card.question, card.answer, card.note or "")
        if "[" in text
        for _kind, name in references(text)
    }


def _without_path(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


class _Hashing:
    """A file that hashes what is written to it."""

    def __init__(self, sink: BinaryIO) -> None:
        self._sink = sink
        self._digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self._digest.update(data)
        self._sink.write(data)

    def stored_name(self, name: str) -> str:
        return stored_name(self._digest.hexdigest(), name)


# Reviewing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaFile:
    """A file the card on screen names.

    Attributes:
        kind: ``"image"`` or ``"sound"``.
        name: its name in the card.
        path: the stored copy, or None when the collection has none (a CSV deck, a package
            without it).
    """

    kind: str
    name: str
    path: Path | None


class CardMedia:
    """The files a card names, found in the collection (one small query per card, only for
    cards that name a file, remembered for the session)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._folder = media_folder(store.path)
        self._known: dict[tuple[str, str], list[MediaFile]] = {}

    def of(self, deck_key: str, *texts: str) -> list[MediaFile]:
        """The files ``texts`` (a card's question, answer…) name, in order, in deck
        ``deck_key``."""
        text = "\n".join(texts)
        if "[" not in text:
            return []
        known = self._known.get((deck_key, text))
        if known is None:
            named = references(text)
            stored = self._store.media_of(deck_key, [name for _kind, name in named])
            known = [
                MediaFile(kind, name, self._folder / stored[name] if name in stored else None)
                for kind, name in named
            ]
            self._known[(deck_key, text)] = known
        return known


# Exporting
# ---------------------------------------------------------------------------------------------


def files_for(store: Store, deck_keys: Sequence[str] | None = None) -> dict[str, Path]:
    """The stored files the decks ``deck_keys`` (None: every deck) name: name -> file, for
    an export to carry. Files missing from the folder are left out. An Anki package has one
    folder of names: when two decks give the same name to different files, the deck added
    first keeps it."""
    folder = media_folder(store.path)
    files: dict[str, Path] = {}
    for link in store.deck_media(deck_keys):
        file = folder / link.file
        if link.name not in files and file.is_file():
            files[link.name] = file
    return files


def apkg_media(files: Mapping[str, Path]) -> tuple[bytes, list[tuple[str, Path]]]:
    """The legacy package's ``media`` list (JSON: member -> name) and its members (member
    name, the file to store under it) for ``files`` (name -> file, from :func:`files_for`)."""
    import json

    members = [(str(index), files[name]) for index, name in enumerate(files)]
    listing = {str(index): name for index, name in enumerate(files)}
    return json.dumps(listing, ensure_ascii=False).encode("utf-8"), members


def anki_field(field_html: str, names: Mapping[str, object]) -> str:
    """An exported field (recall's text already HTML-escaped) with the files of ``names``
    written back as Anki has them: ``<img src="…">`` and ``[sound:…]``. Other bracketed text
    stays as it is."""

    def restore(match: re.Match[str]) -> str:
        kind, escaped = match.group(1), match.group(2)
        name = html.unescape(escaped).strip()
        if name not in names:
            return match.group(0)
        if kind == "sound":
            return f"[sound:{escaped.strip()}]"
        return f'<img src="{html.escape(name, quote=True)}">'

    return REFERENCE.sub(restore, field_html)
