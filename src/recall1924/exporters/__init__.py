"""Exporting decks: recall's decks written as files other programs (and recall) read. Pure.

Holds one writer per format, each taking the neutral decks of :mod:`recall1924.deck`:
:func:`write_toml` (recall's own deck format, one deck), :func:`write_csv` (a spreadsheet) and
:func:`write_apkg` (an Anki package with the review history); :func:`check_export`, which says
before any work is done whether an export may be written where it is asked to go, and
:func:`export_decks`, which writes it. The store builds the decks; the writers never touch the
database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from recall1924.deck import DeckSpec
from recall1924.errors import ExportError
from recall1924.exporters.apkg import apkg_bytes, write_apkg
from recall1924.exporters.atomic import FileExistsNotReplacedError, write_atomically
from recall1924.exporters.csv import write_csv
from recall1924.exporters.toml import write_toml
from recall1924.settings import Settings

__all__ = [
    "FORMATS",
    "check_export",
    "export_decks",
    "write_apkg",
    "write_csv",
    "write_toml",
]

FORMATS = {".toml": "toml", ".csv": "csv", ".apkg": "apkg"}
"""The formats recall exports, by the suffix that names each."""

_WRITES = {"toml": "TOML", "csv": "CSV", "apkg": "an Anki package"}

# Names that say what a file holds: writing another format under one of them misleads the next
# program to open it (Anki takes a .colpkg for a whole collection and replaces its own with it).
_NAMED_FOR = {
    ".toml": "TOML",
    ".csv": "CSV",
    ".apkg": "an Anki package",
    ".tsv": "tab-separated text",
    ".colpkg": "a whole Anki collection",
    ".anki2": "an Anki collection",
    ".anki21": "an Anki collection",
    ".anki21b": "an Anki collection",
}


def check_export(path: Path, *, fmt: str | None, force: bool = False) -> str:
    """The format to write ``path`` in (``fmt``, or None: from its suffix), if it may be
    written there. Cheap, and touches nothing, so a refusal costs no work.

    Args:
        force: replace a file already at ``path``, and write ``fmt`` even under a name that
            says another format.

    Raises:
        ExportError: for an unknown format, a suffix that names none when ``fmt`` is None, a
            suffix that names another format, or an existing file, unless ``force``.
    """
    suffix = path.suffix.lower()
    if fmt is None:
        fmt = FORMATS.get(suffix)
        if fmt is None:
            raise ExportError(
                f"cannot tell the format of {path.name!r}: name it .toml, .csv or .apkg, "
                "or give --format toml|csv|apkg"
            )
    elif fmt not in _WRITES:
        raise ExportError(f"unknown format {fmt!r} (recall exports {', '.join(_WRITES)})")
    named = _NAMED_FOR.get(suffix)
    if not force and named is not None and FORMATS.get(suffix) != fmt:
        right = next(found for found, name in FORMATS.items() if name == fmt)
        raise ExportError(
            f"{path.name} is named for {named}, but --format {fmt} writes {_WRITES[fmt]}; "
            f"name it {right}, or give --force to write it all the same"
        )
    if not force and (path.exists() or path.is_symlink()):
        raise ExportError(f"{path} exists; give --force to replace it")
    return fmt


def export_decks(
    decks: Sequence[DeckSpec],
    path: Path,
    *,
    fmt: str | None,
    now: datetime,
    force: bool = False,
    media: Mapping[str, Path] | None = None,
    settings: Mapping[str, Settings] | None = None,
) -> str:
    """Write ``decks`` to ``path`` in ``fmt`` (None: from the suffix). Returns the format.
    An Anki package carries ``media`` (name -> stored file), the files its cards name, and
    with each deck's ``settings`` (by deck key) its cards' places in recall's schedule.

    The file appears whole or not at all: it is written to a temporary file beside its place,
    then renamed there; a failure part way leaves the file that was there before as it was.

    Args:
        force: as for :func:`check_export`.

    Raises:
        ExportError: as :func:`check_export` does; for several decks in a one-deck format; or
            if the file cannot be written.
    """
    fmt = check_export(path, fmt=fmt, force=force)
    if not decks:
        raise ExportError("no decks to export")
    if fmt == "apkg":
        data = apkg_bytes(decks, now=now, media=media, settings=settings)
    elif fmt == "toml":
        if len(decks) > 1:
            keys = ", ".join(deck.key for deck in decks)
            raise ExportError(f"a TOML file holds one deck: name one with --deck ({keys})")
        data = write_toml(decks[0]).encode("utf-8")
    else:
        data = write_csv(decks).encode("utf-8")
    try:
        write_atomically(path, data, replace=force)
    except FileExistsNotReplacedError:
        raise ExportError(f"{path} exists; give --force to replace it") from None
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return fmt
