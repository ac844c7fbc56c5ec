"""Importing decks: read a file into a :class:`~recall1924.deckfile.DeckSpec`, compare it with
the collection, then write it in one transaction.

Holds :func:`read_deck` (one reader per format; TOML so far), :func:`plan_import` (pure: what an
import would add, update, leave or find missing) and :func:`import_deck`. Cards match on their
deck's key and their own key, so rewording a card keeps its memory state and history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from recall1924.deckfile import DeckSpec, read_deck_file
from recall1924.errors import UnsupportedFormatError
from recall1924.store import ExistingCard, Store

READERS = {".toml": read_deck_file}


def read_deck(path: Path) -> DeckSpec:
    """Read the deck at ``path``, choosing the reader by its suffix.

    Raises:
        UnsupportedFormatError: for a format recall does not read.
        DeckFileError: if the file is unreadable or invalid.
    """
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(sorted(READERS))
        raise UnsupportedFormatError(
            f"{path}: cannot import {path.suffix or 'files without a suffix'!r} files "
            f"(recall imports: {known})"
        )
    return reader(path)


@dataclass(frozen=True)
class ImportPlan:
    """What importing a deck changes, by card key."""

    deck_key: str
    deck_title: str
    new_deck: bool
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    missing: tuple[str, ...]
    pruned: bool


def plan_import(
    deck: DeckSpec, existing: Mapping[str, ExistingCard] | None, *, prune: bool = False
) -> ImportPlan:
    """Compare ``deck`` with the cards the collection holds for it (None: a new deck)."""
    current = existing or {}
    added, updated, unchanged = [], [], []
    for section in deck.sections:
        for card in section.cards:
            before = current.get(card.key)
            if before is None:
                added.append(card.key)
            elif before.content != card or before.section_key != section.key:
                updated.append(card.key)
            else:
                unchanged.append(card.key)
    in_file = {card.key for card in deck.cards}
    missing = tuple(sorted(key for key in current if key not in in_file))
    return ImportPlan(
        deck_key=deck.key,
        deck_title=deck.title,
        new_deck=existing is None,
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        missing=missing,
        pruned=prune,
    )


def import_deck(
    store: Store, deck: DeckSpec, *, now: datetime, prune: bool = False, dry_run: bool = False
) -> ImportPlan:
    """Import ``deck`` into ``store`` (unless ``dry_run``) and say what changed.

    Cards no longer in the file are kept with their history unless ``prune`` is set.
    """
    plan = plan_import(deck, store.existing_cards(deck.key), prune=prune)
    if not dry_run:
        store.save_deck(deck, changed=plan.updated, prune=plan.missing if prune else (), now=now)
    return plan
