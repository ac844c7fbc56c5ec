"""``recall draft``: a student's own notes drafted into a TOML deck, and kept in step with them.

The service is :func:`draft_notes`; the pieces, each pure but the last:

- :mod:`.notes` reads the notes' lines into sections and items, and leaves out the website's
  header and footer lines;
- :mod:`.finders` and :mod:`.candidates` find the cards in an item, one function per notation;
- :mod:`.draft` runs every item through them and gives each card its id;
- :mod:`.preview` counts the cards for the table shown before anything is written;
- :mod:`.writer` writes a first draft, or changes a file drafted before only where the notes
  changed, through :mod:`recall1924.deckedit`'s checked writes.

``docs/draft.md`` is the student's guide, with an example of every notation.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recall1924.deckedit import TomlFile, read_toml, write_checked
from recall1924.deckfile import parse_deck
from recall1924.drafting.draft import Draft, draft_deck
from recall1924.drafting.notes import read_notes
from recall1924.drafting.writer import (
    Update,
    apply_update,
    new_deck_data,
    new_deck_text,
    plan_update,
    recorded_codes,
)
from recall1924.errors import DeckFileError, RecallError

__all__ = ["Drafted", "NotesError", "default_output", "draft_notes"]


class NotesError(RecallError):
    """The notes cannot be read, or there is nothing in them to draft; nothing was written."""


@dataclass(frozen=True)
class Drafted:
    """What :func:`draft_notes` did.

    Attributes:
        draft: the deck drafted from the notes.
        path: the deck file.
        written: whether the file was written (not on a dry run, nor when nothing changed).
        update: for a file drafted before, what changed; None for a new file.
        diff: for a dry run on a file drafted before, the unified diff of what would change.
    """

    draft: Draft
    path: Path
    written: bool
    update: Update | None = None
    diff: str | None = None


def default_output(notes: Path) -> Path:
    """Where the deck goes without ``-o``: the notes' name with ``.toml``, in the current folder
    (not beside the notes, which may be in a folder that is not the student's)."""
    return Path(notes.stem + ".toml")


def _read_notes_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NotesError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotesError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the notes as UTF-8"
        ) from None
    if not text.strip():
        raise NotesError(f"{path}: nothing to draft: the notes are empty")
    return text


def _checker(expected: dict[str, Any], shown: str) -> Callable[[Path, str], None]:
    """A read-back check for :func:`~recall1924.deckedit.write_checked`: the file written
    must read back as exactly ``expected``, and as a deck recall imports."""

    def check(temporary: Path, name: str) -> None:
        text = temporary.read_bytes().decode("utf-8-sig")
        try:
            got = tomllib.loads(text.replace("\r\n", "\n"))
        except tomllib.TOMLDecodeError as exc:
            raise DeckFileError(shown, [f"{shown}: not written: not valid TOML: {exc}"]) from None
        if got != expected:
            raise DeckFileError(shown, [f"{shown}: not written: it would not read back as drafted"])
        try:
            parse_deck(text, shown)
        except DeckFileError as exc:
            raise DeckFileError(
                shown, [f"{shown}: not written: recall would not import it", *exc.problems]
            ) from None

    return check


def _deck_data(file: TomlFile, deck_key: str | None) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.text)
    except tomllib.TOMLDecodeError as exc:
        raise file.fail(f"not changed: not a TOML deck: {exc}") from None
    deck = data.get("deck")
    key = deck.get("id") if isinstance(deck, dict) else None
    if not isinstance(key, str) or not isinstance(data.get("sections"), list):
        raise file.fail("not changed: not a recall deck (no [deck] id, or no [[sections]])")
    if deck_key is not None and deck_key != key:
        raise file.fail(f"not changed: it holds deck {key!r}, not {deck_key!r}")
    return data


def draft_notes(
    notes: Path, out: Path, *, deck_key: str | None = None, dry_run: bool = False
) -> Drafted:
    """Draft a deck from notes into ``out``, or bring ``out`` up to date with them.

    A new ``out`` gets the whole draft. An ``out`` drafted before keeps every card and every
    edit in it; the notes' new cards are added (see :mod:`.writer`).

    Args:
        notes: the notes, Markdown or plain text, UTF-8.
        out: the deck file.
        deck_key: the deck's id; by default made from the notes' title. For a file that exists
            it must be the file's.
        dry_run: write nothing; for a file that exists, give the diff of what would change.

    Raises:
        NotesError: the notes cannot be read or are empty.
        DeckFileError: ``out`` exists but is not a deck recall can edit in place, or the result
            would not read back as drafted. Nothing is written then.
    """
    if out.exists() and out.resolve() == notes.resolve():
        raise NotesError(f"{out}: the deck would overwrite the notes; give another -o")
    text = _read_notes_text(notes)
    draft = draft_deck(read_notes(text, notes.stem), name=notes.stem, deck_key=deck_key)
    notes_name = notes.name
    if not out.exists():
        written = new_deck_text(draft, notes_name=notes_name, file_name=out.name)
        if not dry_run:
            check = _checker(new_deck_data(draft, notes_name=notes_name), str(out))
            write_checked(None, out, written, check)
        return Drafted(draft, out, written=not dry_run)
    file = read_toml(out)
    data = _deck_data(file, deck_key)
    recorded = recorded_codes(file.text)
    update = plan_update(draft, data, notes_name=notes_name, recorded=recorded)
    changed, expected = apply_update(file, data, draft, update, notes_name=notes_name)
    if changed == file.text:
        return Drafted(draft, out, written=False, update=update, diff="" if dry_run else None)
    if dry_run:
        diff = "".join(
            difflib.unified_diff(
                file.text.splitlines(keepends=True),
                changed.splitlines(keepends=True),
                fromfile=f"{out} (now)",
                tofile=f"{out} (drafted again)",
            )
        )
        return Drafted(draft, out, written=False, update=update, diff=diff)
    write_checked(file, file.target, changed, _checker(expected, file.shown))
    return Drafted(draft, out, written=True, update=update)
