"""Media: the images and sounds a deck's cards name, kept in a folder beside the database.

Holds :func:`media_folder`, :func:`references` (the names card text gives, as the importers
write them: ``[image: name]``, ``[sound: name]``), :func:`import_media` (an Anki package's
media, or a bare collection's ``collection.media``, into the folder after its decks were
imported), :func:`forget_unnamed` (the files a re-imported deck no longer names),
:class:`CardMedia` (the files the card on screen names, for the review screen), :func:`files_for`
(what an export carries) and, for the apkg exporter, :func:`apkg_media` and :func:`anki_field`.
Removing files nothing names, and what ``recall doctor`` checks, are
:mod:`recall1924.media_check`'s.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import unquote

from recall1924.errors import DeckFileError
from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.deck import DeckSpec
    from recall1924.importers.anki_package import MediaEntry, MediaSource
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

STATIC_PREFIXES = ("_", "latex-")
"""How the names of the files Anki keeps whatever the cards name start: a note type's fonts,
style sheets and scripts (named in its CSS and templates, ``url("_font.ttf")``), add-ons' files,
LaTeX's pictures. Anki's importer takes every one a package holds without tracking who uses it,
and its media check never calls one unused (rslib ``is_static``, ``media/check.rs``)."""


def is_static(name: str) -> bool:
    """Whether Anki keeps the file ``name`` whatever the cards name (see
    :data:`STATIC_PREFIXES`)."""
    return name.startswith(STATIC_PREFIXES)


@dataclass(frozen=True)
class MediaReport:
    """What :func:`import_media` did.

    Attributes:
        stored: files written to the media folder.
        reused: files the folder had already (the same content, from any deck).
        linked: names in decks' cards (and static files) now pointing at a stored file.
        missing: names the cards give that the package (or folder) does not hold.
        problem: why the package's media were not imported (its decks were), if they were not.
        static: the files taken though no card names them, as Anki keeps them (see
            :func:`is_static`).
        where: where the files were looked for, as the notice says it.
        absent: why nothing was there (no ``collection.media`` folder), when so.
    """

    stored: int = 0
    reused: int = 0
    linked: int = 0
    missing: tuple[str, ...] = ()
    problem: str | None = None
    static: tuple[str, ...] = ()
    where: str = "in the package"
    absent: str | None = None

    def notice(self) -> str | None:
        """One line for the user, or None when there was nothing to say."""
        if self.problem is not None:
            return f"Media not imported (the cards were, naming their files): {self.problem}"
        parts = []
        if self.linked:
            files = self.stored + self.reused
            there = f" ({self.reused} already in the collection)" if self.reused else ""
            what = [f"{plural(files - len(self.static), 'file')} for the cards"]
            if self.static:
                what = what if files > len(self.static) else []
                what.append(f"{plural(len(self.static), 'file')} for the note types")
                there = f" ({_shown(self.static)})" + there
            parts.append(f"Media: {' and '.join(what)}{there}")
        if self.missing:
            verb = "is" if len(self.missing) == 1 else "are"
            parts.append(
                f"{plural(len(self.missing), 'file')} the cards name {verb} not {self.where} "
                f"({_shown(self.missing)})" + (f": {self.absent}" if self.absent else "")
            )
        return "; ".join(parts) or None


def _shown(names: Sequence[str]) -> str:
    return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")


def import_media(store: Store, path: Path, decks: Sequence[DeckSpec]) -> MediaReport:
    """Store the media that ``decks`` (just imported from the file at ``path``) name, and the
    files Anki keeps whatever the cards name (:func:`is_static`), from the package itself or,
    for a bare collection, from the ``collection.media`` folder beside it.

    Call it after the decks were written, never in a dry run: an import that is refused or
    only planned writes no media. Every file is copied (inflated) into a scratch folder inside
    the media folder first, within its declared size; only when all are whole are they moved
    into place and the names linked, so a package whose media fail leaves nothing behind. A
    file that is neither an Anki package nor a collection (TOML, CSV) brings no media.

    Returns:
        What was stored; a problem with the media is reported in it, not raised, since the
        decks are already in.
    """
    from recall1924.importers.anki_package import media_source

    folder = media_folder(store.path)
    try:
        with media_source(path) as source:
            if source is None:  # first: a big CSV's cards are not walked for names
                return MediaReport()
            chosen = _choose(source.entries(), decks)
            if not chosen.entries:
                return MediaReport(missing=chosen.missing, where=source.where, absent=source.absent)
            stored, reused, links = _store(store, source, chosen, folder)
    except DeckFileError as exc:
        return MediaReport(problem=_without_path(str(exc), path))
    except OSError as exc:
        return MediaReport(problem=f"cannot write to {folder}: {exc.strerror or exc}")
    return MediaReport(
        stored, reused, links, chosen.missing, static=chosen.static, where=source.where
    )


@dataclass(frozen=True)
class _Chosen:
    """What :func:`import_media` takes: by deck, the names it links; the entries they are."""

    names: dict[str, set[str]]
    entries: dict[str, MediaEntry]
    """A name as the decks have it -> the entry holding it."""
    missing: tuple[str, ...]
    static: tuple[str, ...]
    """Files taken that no card names."""


def _choose(entries: Sequence[MediaEntry], decks: Sequence[DeckSpec]) -> _Chosen:
    import unicodedata

    # A name as the cards give it, URL-quoted or not, in either Unicode normal form (macOS
    # folders keep names decomposed).
    lookup = {entry.name: entry for entry in entries}
    for entry in entries:
        lookup.setdefault(unicodedata.normalize("NFC", entry.name), entry)
    named = {deck.key: _named(deck) for deck in decks}
    chosen: dict[str, MediaEntry] = {}
    missing: set[str] = set()
    for names in named.values():
        for name in names:
            found = next(
                (
                    lookup[form]
                    for candidate in (name, unquote(name))
                    for form in (candidate, unicodedata.normalize("NFC", candidate))
                    if form in lookup
                ),
                None,
            )
            if found is None:
                missing.add(name)
            else:
                chosen[name] = found
    static = {entry.name for entry in entries if is_static(entry.name)}
    for name in static:
        chosen.setdefault(name, lookup[name])
    in_cards = set().union(*named.values()) if named else set()
    return _Chosen(
        names={key: names | static for key, names in named.items()},
        entries=chosen,
        missing=tuple(sorted(missing)),
        static=tuple(sorted(static - in_cards)),
    )


def _store(
    store: Store, source: MediaSource, chosen: _Chosen, folder: Path
) -> tuple[int, int, int]:
    """Copy the chosen files into a scratch folder, then (holding the media lock) move them
    into place and link the names; how many were stored, reused, and linked."""
    from recall1924.importers.anki_package import MAX_UNPACKED
    from recall1924.media_check import SCRATCH, media_lock
    from recall1924.store import StoredMedia

    wanted = sorted({entry.name: entry for entry in chosen.entries.values()}.items())
    total = sum(entry.size for _name, entry in wanted)
    if total > MAX_UNPACKED:
        raise DeckFileError("", [f"refused: the media would take {total:,} bytes, over 2 GB"])
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH, dir=folder))
    try:
        # entry name -> (stored name, size, the copy in the scratch folder)
        copies: dict[str, tuple[str, int, Path]] = {}
        for index, (name, entry) in enumerate(wanted):
            part = scratch / str(index)
            with part.open("wb") as sink:
                hashing = _Hashing(sink)
                source.copy(entry, hashing)
            copies[name] = (hashing.stored_name(name), entry.size, part)
        with media_lock(folder):
            stored = reused = 0
            for file, size, part in copies.values():
                target = folder / file
                if target.is_file() and target.stat().st_size == size:
                    reused += 1
                else:
                    os.replace(part, target)
                    stored += 1
            links = [
                StoredMedia(deck_key, name, *copies[chosen.entries[name].name][:2])
                for deck_key, names in chosen.names.items()
                for name in sorted(names)
                if name in chosen.entries
            ]
            store.link_media(links)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return stored, reused, len(links)


def forget_unnamed(store: Store, deck_keys: Iterable[str]) -> int:
    """Forget the files of the decks ``deck_keys`` that their cards no longer name (a
    re-import reworded or deleted the cards naming them), then remove the stored files nothing
    names any more (:func:`recall1924.media_check.remove_unused`). A static file
    (:func:`is_static`) stays with its deck. Call it after the decks' changes are committed.

    Returns:
        How many names were forgotten.
    """
    from recall1924.media_check import remove_unused

    forgotten = 0
    for key in deck_keys:
        links = store.deck_media([key])
        if not links:
            continue
        named = {name for text in store.texts_naming_media(key) for _kind, name in references(text)}
        gone = [link.name for link in links if link.name not in named and not is_static(link.name)]
        forgotten += store.unlink_media(key, gone)
    remove_unused(store)
    return forgotten


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
