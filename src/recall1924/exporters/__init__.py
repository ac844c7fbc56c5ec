"""Exporting decks: recall's decks written as files other programs (and recall) read. Pure.

Holds one writer per format, each taking the neutral decks of :mod:`recall1924.deck`:
:func:`write_toml` (recall's own deck format, one deck), :func:`write_csv` (a spreadsheet) and
:func:`write_apkg` (an Anki package with the review history). The store builds the decks; the
writers never touch the database.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from recall1924.deck import DeckSpec
from recall1924.errors import ExportError
from recall1924.exporters.apkg import write_apkg
from recall1924.exporters.csv import write_csv
from recall1924.exporters.toml import write_toml

__all__ = ["FORMATS", "export_decks", "write_apkg", "write_csv", "write_toml"]

FORMATS = {".toml": "toml", ".csv": "csv", ".apkg": "apkg"}


def export_decks(decks: Sequence[DeckSpec], path: Path, *, fmt: str | None, now: datetime) -> str:
    """Write ``decks`` to ``path`` in ``fmt`` (None: from the suffix). Returns the format.

    The file appears whole or not at all: it is written beside its place, then moved there.

    Raises:
        ExportError: for an unknown format, or several decks in a one-deck format.
    """
    fmt = fmt or FORMATS.get(path.suffix.lower(), "")
    if fmt not in FORMATS.values():
        raise ExportError(
            f"cannot tell the format of {path.name!r}: name it .toml, .csv or .apkg, "
            "or give --format toml|csv|apkg"
        )
    if not decks:
        raise ExportError("no decks to export")
    if fmt == "apkg":
        try:
            write_apkg(decks, path, now=now)
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror}") from None
        return fmt
    if fmt == "toml":
        if len(decks) > 1:
            keys = ", ".join(deck.key for deck in decks)
            raise ExportError(f"a TOML file holds one deck: name one with --deck ({keys})")
        text, newline = write_toml(decks[0]), None
    else:
        text, newline = write_csv(decks), ""
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline=newline) as file:
            file.write(text)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {exc.strerror}") from None
    return fmt
