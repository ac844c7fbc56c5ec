"""Sending cards back to new, their history kept: ``recall forget``, as Anki's Forget.

Holds :func:`forget` and :class:`Forgotten`. A card reset is new again (its next answer starts
learning, and takes from the day's new cards); its answers stay in its history, followed by a
reset row (``ReviewKind.Reset``), so that ``recall card`` shows them, retention stats count
them, and its memory state, like Anki's, is computed from the answers after the reset only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.store import Store

__all__ = ["Forgotten", "forget"]


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
