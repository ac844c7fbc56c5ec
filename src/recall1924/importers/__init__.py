"""Importing decks: read a file into :mod:`recall1924.deck` specs, compare them with the
collection, then write them in one transaction.

Holds :func:`detect_format` and :func:`read_decks` (one reader module per format: recall's TOML,
CSV/TSV, Anki packages), :func:`plan_import` (pure: what an import would add, update, leave or
find missing) and :func:`import_decks` / :func:`import_deck`. Cards match on their deck's key and
their own key (for Anki notes, one made from the note's GUID), so rewording a card keeps its
memory state and history. Answers a card was given elsewhere are replayed into its memory state
by the ``replay`` function the caller passes (see :mod:`recall1924.history`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from recall1924.deck import DeckSpec, PastAnswer
from recall1924.errors import DeckFileError, UnsupportedFormatError
from recall1924.scheduling import MemoryState
from recall1924.store import ExistingCard, Store
from recall1924.store.decks import DeckChange, LoggedAnswer

FORMATS = ("toml", "csv", "apkg")
"""What ``--format`` accepts; without it the format is told from the file's content."""

_ZIP = b"PK\x03\x04"
_SQLITE = b"SQLite format 3\x00"
_ANKI_SUFFIXES = {".apkg", ".colpkg", ".anki2", ".anki21"}
_TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}

Progress = Callable[[int, int], None]
"""Told how many cards of how many an import has compared so far."""

Replay = Callable[[Sequence[PastAnswer], MemoryState], list[tuple[MemoryState, MemoryState]]]
"""Replays answers given elsewhere from a starting memory state: (before, after) of each."""


def detect_format(path: Path) -> str:
    """The format of the file at ``path``, told from its first bytes (and its suffix when the
    content is plain text).

    Raises:
        DeckFileError: if the file cannot be read, or its content contradicts its suffix.
        UnsupportedFormatError: for content recall does not read.
    """
    try:
        with path.open("rb") as file:
            head = file.read(512)
    except OSError as exc:
        raise DeckFileError(str(path), [f"{path}: cannot read: {exc.strerror}"]) from None
    suffix = path.suffix.lower()
    if head.startswith(_ZIP) or head.startswith(_SQLITE):
        return "apkg"
    if suffix in _ANKI_SUFFIXES:
        raise DeckFileError(
            str(path), [f"{path}: not an Anki package (neither a zip archive nor SQLite)"]
        )
    if b"\x00" in head:
        raise UnsupportedFormatError(
            f"{path}: not a deck recall can read (binary data; recall imports "
            "TOML, CSV/TSV and Anki .apkg/.colpkg/.anki2 files)"
        )
    if suffix == ".toml":
        return "toml"
    if suffix in _TEXT_SUFFIXES:
        return "csv"
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    if any(line.strip().startswith("[deck]") for line in text.splitlines()):
        return "toml"
    return "csv"


@dataclass(frozen=True)
class ReadResult:
    """What a file holds: its decks, and the rows a reader skipped (one line each, why)."""

    decks: tuple[DeckSpec, ...]
    skipped: tuple[str, ...] = ()


def read_decks(path: Path, *, fmt: str | None = None, deck_key: str | None = None) -> ReadResult:
    """Read the decks in the file at ``path``.

    Args:
        fmt: one of :data:`FORMATS`; None tells it from the content.
        deck_key: put everything into the deck with this key.

    Raises:
        UnsupportedFormatError: for a format recall does not read.
        DeckFileError: if the file is unreadable, not what it claims, or invalid.
    """
    fmt = fmt or detect_format(path)
    source = str(path.resolve())
    skipped: Sequence[str] = ()
    if fmt == "toml":
        from recall1924.deckfile import read_deck_file

        deck = read_deck_file(path)
        decks: Sequence[DeckSpec] = [replace(deck, key=deck_key) if deck_key else deck]
    elif fmt == "csv":
        from recall1924.importers.csv import read_csv

        decks, skipped = read_csv(path, deck_key=deck_key)
    elif fmt == "apkg":
        from recall1924.importers.apkg import read_apkg

        decks = read_apkg(path, deck_key=deck_key)
    else:
        raise UnsupportedFormatError(
            f"unknown format {fmt!r} (recall imports: {', '.join(FORMATS)})"
        )
    if not decks:
        raise DeckFileError(str(path), [f"{path}: no cards to import"])
    return ReadResult(tuple(replace(deck, source=source) for deck in decks), tuple(skipped))


BUNDLED_SOURCE = "bundled with recall"
"""The source recorded for the deck that ships with recall, whichever file it was read from."""


def read_bundled() -> DeckSpec:
    """The deck that ships with recall."""
    from recall1924.deckfile import read_deck_file
    from recall1924.paths import bundled_deck_path

    return replace(read_deck_file(bundled_deck_path()), source=BUNDLED_SOURCE)


@dataclass(frozen=True)
class ImportPlan:
    """What importing one deck changes, by card key."""

    deck_key: str
    deck_title: str
    new_deck: bool
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    missing: tuple[str, ...]
    pruned: bool
    answers_added: int = 0
    answers_known: int = 0
    """Answers in the file that the collection already holds (or that are older than the
    card's history in recall), not added again."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, in a dry run, would do) to each deck of a file."""

    decks: tuple[ImportPlan, ...]
    skipped: tuple[str, ...] = ()
    backup: Path | None = None


def plan_import(
    deck: DeckSpec, existing: Mapping[str, ExistingCard] | None, *, prune: bool = False
) -> ImportPlan:
    """Compare ``deck`` with the cards the collection holds for it (None: a new deck)."""
    return _compare(deck, existing, prune=prune, replay=None)[0]


def _compare(
    deck: DeckSpec,
    existing: Mapping[str, ExistingCard] | None,
    *,
    prune: bool,
    replay: Replay | None,
    progress: Progress | None = None,
) -> tuple[ImportPlan, DeckChange]:
    current = existing or {}
    total = len(deck.cards)
    added, updated, unchanged = [], [], []
    answers: dict[str, list[LoggedAnswer]] = {}
    known = fresh_total = done = 0
    for section in deck.sections:
        for card in section.cards:
            done += 1
            if progress is not None and done % 100 == 0:
                progress(done, total)
            before = current.get(card.key)
            if before is None:
                added.append(card.key)
            elif before.content != card or before.section_key != section.key:
                updated.append(card.key)
            else:
                unchanged.append(card.key)
            if not card.history:
                continue
            # Only answers after the card's last one in recall are new: a re-import of the
            # same file, or a newer export of it, adds each answer once.
            start = before.memory if before else MemoryState.new(card.history[0].at)
            last = start.last_review
            fresh = [past for past in card.history if last is None or past.at > last]
            known += len(card.history) - len(fresh)
            fresh_total += len(fresh)
            if fresh and replay is not None:
                states = replay(fresh, start)
                answers[card.key] = [
                    LoggedAnswer(past.at, past.rating, past.duration_ms, before_, after)
                    for past, (before_, after) in zip(fresh, states, strict=True)
                ]
    in_file = {card.key for card in deck.cards}
    missing = tuple(sorted(key for key in current if key not in in_file))
    plan = ImportPlan(
        deck_key=deck.key,
        deck_title=deck.title,
        new_deck=existing is None,
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        missing=missing,
        pruned=prune,
        answers_added=fresh_total,
        answers_known=known,
    )
    change = DeckChange(
        spec=deck,
        changed=frozenset(updated),
        prune=frozenset(missing if prune else ()),
        answers=answers,
    )
    return plan, change


def import_decks(
    store: Store,
    decks: Sequence[DeckSpec],
    *,
    now: datetime,
    replay: Replay | None = None,
    prune: bool = False,
    dry_run: bool = False,
    skipped: Sequence[str] = (),
    backup: Callable[[], Path | None] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``decks`` into ``store`` in one transaction (unless ``dry_run``).

    Args:
        replay: turns answers given elsewhere into memory states; needed when a deck carries
            history (without it, a dry run still counts the answers).
        prune: delete cards no longer in the file, with their history (else they are kept).
        backup: called once before anything is written; returns the copy it made.
        progress: told how far the comparison (and the replay of history) has got.

    Raises:
        DeckFileError: if the file has the same deck twice.
    """
    keys = [deck.key for deck in decks]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise DeckFileError("", [f"deck {twice[0]!r} appears twice in the file"])
    plans, changes = [], []
    for deck in decks:
        if replay is None and not dry_run and any(card.history for card in deck.cards):
            raise ValueError("a deck with history needs a replay function")
        plan, change = _compare(
            deck, store.existing_cards(deck.key), prune=prune, replay=replay, progress=progress
        )
        plans.append(plan)
        changes.append(change)
    saved = None
    if not dry_run:
        saved = backup() if backup is not None else None
        store.save_decks(changes, now=now)
    return ImportReport(tuple(plans), tuple(skipped), saved)


def import_deck(
    store: Store,
    deck: DeckSpec,
    *,
    now: datetime,
    prune: bool = False,
    dry_run: bool = False,
    replay: Replay | None = None,
) -> ImportPlan:
    """Import one ``deck`` into ``store`` (unless ``dry_run``) and say what changed.

    Cards no longer in the file are kept with their history unless ``prune`` is set.
    """
    report = import_decks(store, [deck], now=now, prune=prune, dry_run=dry_run, replay=replay)
    return report.decks[0]
