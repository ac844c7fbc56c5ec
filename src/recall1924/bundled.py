"""Keeping the deck that ships with recall up to date in collections made by older releases.

Holds :func:`check_bundled`, run each time a command opens the collection, and
:func:`import_bundled`, which both it and ``recall import --bundled`` use to apply the shipped
deck. The deck file carries a ``version``; the collection records the version it imported.
When a newer recall meets an older copy it imports the shipped deck as ``recall import`` would
(text updated, new cards added, every card whose id stays keeps its memory state and history)
and *retires* the cards no longer in the file: suspended, never deleted, so their history
stays. A retired card that a later version brings back is unsuspended. A card the student
reworded (or wrote) in the collection keeps their wording, and is never retired: the shipped
wording is kept beside it, and the notice says how to see it. Only a copy recall
imported itself (source :data:`~recall1924.importers.BUNDLED_SOURCE`) is updated: a deck with
the bundled id that the student imported from their own file is left alone, and a notice
says once per shipped version how to update it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.deck import DeckSpec
    from recall1924.importing import ImportPlan
    from recall1924.store import Store

BUNDLED_KEY = "stalin-1924"
"""The id of the shipped deck (``data/deck.toml``); a test holds it to the file."""

SHIPPED_VERSION = 3
"""The ``version`` in ``data/deck.toml``; a test holds it to the file. Kept here so that
opening a collection whose deck is up to date reads no TOML at all."""

STATE_SCOPE = "recall:bundled"
"""The settings-table scope of what recall remembers about the bundled deck. No deck id can
contain ':', so these rows never mix with the global settings or with a deck's own settings
(which ``recall config`` lists)."""

NOTICE_SETTING = "notice_version"
"""The shipped version last announced to a student whose deck with the bundled id is their own
copy, so the notice is given once per version, not on every run."""

RETIRED_SETTING = "retired_cards"
"""The ids of the cards recall retired (a JSON list), so a later version that brings one back
unsuspends it without touching cards the student suspended by hand."""

FIRST_VERSION = 1
"""What a deck imported without a version counts as: recall's first release shipped none."""


@dataclass(frozen=True)
class BundledUpdate:
    """What applying the shipped deck did (or, in a dry run, would do).

    Attributes:
        version: the shipped deck's version.
        plan: the import's comparison of the file with the collection.
        retired: cards no longer in the file, suspended with their history kept (empty with
            ``prune``, which deletes them instead).
        restored: cards recall had retired that are back in the file, unsuspended.
        backup: the copy of the database taken before anything was written, if one was.
        dry_run: nothing was written; this is what an update would do.
    """

    version: int
    plan: ImportPlan
    retired: tuple[str, ...]
    restored: tuple[str, ...]
    backup: Path | None = None
    dry_run: bool = False

    def notice(self) -> str:
        """One line saying what changed."""
        parts = [
            plural(len(self.plan.updated), "card") + " updated",
            f"{len(self.plan.added)} added",
            f"{len(self.retired)} retired (suspended, history kept)",
        ]
        if self.plan.pruned and self.plan.missing:
            parts.append(f"{len(self.plan.missing)} deleted with their history")
        if self.restored:
            parts.append(f"{len(self.restored)} back from retirement")
        done = "Would update" if self.dry_run else "Updated"
        line = f"{done} the bundled deck to version {self.version}: {', '.join(parts)}"
        kept = self.plan.kept_notice()
        return line if kept is None else f"{line}; {kept}"


def check_bundled(
    store: Store, *, now: datetime, backup: Callable[[], Path | None] | None = None
) -> str | None:
    """Bring the collection's bundled deck up to date if recall now ships a newer version.

    Cheap when there is nothing to do: one query for the deck's source and version, and the
    deck file is read only when an update is due.

    Args:
        backup: called once before an update writes anything; returns the copy it made.

    Returns:
        One line for the student (what the update changed, or how to update their own copy),
        or None when there is nothing to say.
    """
    origin = store.deck_origin(BUNDLED_KEY)
    if origin is None:  # a new collection, or the student removed the deck: leave it
        return None
    source, stored = origin
    if (stored or FIRST_VERSION) >= SHIPPED_VERSION:
        return None
    from recall1924.importers import BUNDLED_SOURCE

    if source != BUNDLED_SOURCE:
        return _own_copy_notice(store, source)
    from recall1924.importers import read_bundled

    deck = read_bundled()
    if (deck.version or FIRST_VERSION) <= (stored or FIRST_VERSION):
        return None  # SHIPPED_VERSION is ahead of the file: nothing newer to apply
    return import_bundled(store, deck, now=now, backup=backup).notice()


def _own_copy_notice(store: Store, source: str | None) -> str | None:
    told = store.settings(STATE_SCOPE).get(NOTICE_SETTING)
    if told is not None and told.isdigit() and int(told) >= SHIPPED_VERSION:
        return None
    store.save_setting(NOTICE_SETTING, str(SHIPPED_VERSION), STATE_SCOPE)
    origin = f" from {source}" if source else ""
    return (
        f"recall now ships version {SHIPPED_VERSION} of the deck {BUNDLED_KEY!r}; yours was "
        f"imported{origin}, so it was left as it is. To update it: recall import --bundled "
        "(this replaces your changes to its cards)"
    )


def import_bundled(
    store: Store,
    deck: DeckSpec | None = None,
    *,
    now: datetime,
    prune: bool = False,
    dry_run: bool = False,
    backup: Callable[[], Path | None] | None = None,
) -> BundledUpdate:
    """Apply the shipped deck to the collection, as an upgrade does.

    Like ``recall import``, but cards no longer in the file are retired (suspended, with their
    history) rather than left in the review queue, and retired cards that are back in the file
    are unsuspended. Whatever the deck's source was (the student's own copy included), it is
    the bundled deck afterwards.

    Args:
        deck: the shipped deck, if already read (else it is read here).
        prune: delete the cards no longer in the file, with their history, instead.
        dry_run: compare only; write nothing.
        backup: called once before anything is written; returns the copy it made.

    Returns:
        What changed (or would change).
    """
    from recall1924.importers import read_bundled
    from recall1924.importing import import_decks, plan_import

    deck = deck or read_bundled()
    version = deck.version or FIRST_VERSION
    existing = store.existing_cards(deck.key)
    plan = plan_import(deck, existing, prune=prune)
    recorded = _retired(store) if existing is not None else set()
    in_file = {card.key for card in deck.cards}
    restored = tuple(sorted(key for key in recorded if key in in_file and key in (existing or {})))
    # A card retired by an earlier update is left as the student left it (they may have
    # unsuspended it); only cards newly gone from the file are suspended and counted.
    retired = () if prune else tuple(key for key in plan.missing if key not in recorded)
    if dry_run:
        return BundledUpdate(version, plan, retired, restored, dry_run=True)
    saved = backup() if backup is not None and existing is not None else None
    if existing is not None:
        # Suspensions first and the import (which records the new version) last: a run cut
        # short in between leaves the old version recorded, and the next run redoes it all.
        store.set_suspended([existing[key].id for key in retired], True)
        store.set_suspended([existing[key].id for key in restored], False)
        still_retired = () if prune else plan.missing
        store.save_setting(
            RETIRED_SETTING, json.dumps(list(still_retired)) if still_retired else None, STATE_SCOPE
        )
    report = import_decks(store, [deck], now=now, prune=prune)
    return BundledUpdate(version, report.decks[0], retired, restored, saved)


def _retired(store: Store) -> set[str]:
    stored = store.settings(STATE_SCOPE).get(RETIRED_SETTING)
    if stored is None:
        return set()
    try:
        keys = json.loads(stored)
    except ValueError:
        return set()  # a hand-edited row: forget it rather than fail the start
    return {key for key in keys if isinstance(key, str)} if isinstance(keys, list) else set()
