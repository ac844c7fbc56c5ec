"""Sending cards back to new, their history kept: ``recall forget``, as Anki's Forget.

Holds :func:`forget` and :class:`Forgotten`. A card reset is new again (its next answer starts
learning, and takes from the day's new cards); its answers stay in its history, followed by a
reset row (``ReviewKind.Reset``), so that ``recall card`` shows them, retention stats count
them, and its memory state, like Anki's, is computed from the answers after the reset only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.store import Store

__all__ = ["Forgotten", "ForgottenMatching", "forget", "forget_matching"]


@dataclass(frozen=True)
class Forgotten:
    """What :func:`forget` did, by card key, in the order the keys were given."""

    reset: tuple[str, ...]
    already_new: tuple[str, ...] = ()
    """Cards never answered, or not since their last reset: nothing to reset."""

    def summary(self) -> str:
        """One line saying which cards were reset, and which were new already."""
        parts = []
        if self.reset:
            parts.append(
                f"Reset {plural(len(self.reset), 'card')} to new (history kept, the reset "
                f"logged): {', '.join(self.reset)}"
            )
        if self.already_new:
            verb = "was" if len(self.already_new) == 1 else "were"
            parts.append(f"{', '.join(self.already_new)} {verb} new already")
        return "; ".join(parts)


def forget(store: Store, keys: Iterable[str], *, deck_key: str | None, now: datetime) -> Forgotten:
    """Reset the cards named by ``keys`` to new, each with a reset row stamped ``now``, in one
    transaction.

    Args:
        store: the collection.
        keys: card keys, as ``recall card`` and ``recall suspend`` take them.
        deck_key: the deck the keys are in; None for any (a key two decks share then needs it).
        now: the time of the reset.

    Raises:
        NotFoundError: a key no card has, or one several decks share without ``deck_key``;
            nothing was changed.
    """
    ids = store.card_ids(keys, deck_key)
    logged = store.reset_cards(ids.values(), at=now)
    return Forgotten(
        reset=tuple(key for key, card_id in ids.items() if card_id in logged),
        already_new=tuple(key for key, card_id in ids.items() if card_id not in logged),
    )


@dataclass(frozen=True)
class ForgottenMatching:
    """What :func:`forget_matching` did to the cards a query matched."""

    query: str
    reset: int
    already_new: int
    backup: Path | None = None
    """The collection as it was before, for a SQLite file (a server keeps its own)."""

    def summary(self) -> str:
        """One line: how many cards were reset, how many were new already, and the backup."""
        if not self.reset and not self.already_new:
            return f"No card matches {self.query!r}: nothing was reset"
        line = (
            f"Reset {plural(self.reset, 'card')} matching {self.query!r} to new (history kept, "
            "the reset logged)"
        )
        if self.already_new:
            verb = "was" if self.already_new == 1 else "were"
            line += f"; {self.already_new} {verb} new already"
        if self.backup is not None:
            line += f"; the collection before is kept at {self.backup}"
        return line


def forget_matching(
    store: Store,
    card_ids: Sequence[int],
    query: str,
    *,
    now: datetime,
    backup: Callable[[], Path | None],
) -> ForgottenMatching:
    """Reset the cards ``card_ids`` (those ``query`` matched) to new, as :func:`forget` does,
    after ``backup`` has kept the collection as it was: a query can reach many cards, and a
    reset, unlike a suspension, has no command that takes it back.

    Raises:
        BackupError: the backup could not be taken; nothing was changed.
        StaleCardError, CardGoneError: a card changed in another window meanwhile; nothing
            was changed.
    """
    if not card_ids:
        return ForgottenMatching(query, 0, 0)
    kept = backup()
    logged = store.reset_cards(card_ids, at=now)
    return ForgottenMatching(query, len(logged), len(card_ids) - len(logged), kept)
