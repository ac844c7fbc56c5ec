"""Cards one at a time, outside a review's answers: finding them by key, suspending, burying."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from recall1924.errors import NotFoundError
from recall1924.models import Card, Deck
from recall1924.store.base import StoreBase


class CardStore(StoreBase):
    def card_ids(self, keys: Iterable[str], deck_key: str | None = None) -> dict[str, int]:
        """The database ids of the cards with these keys (in one deck, or in any).

        Raises:
            NotFoundError: naming the keys no card has, or a key several decks share when no
                deck is given.
        """
        wanted = list(dict.fromkeys(keys))
        query = select(Card.key, Card.id, Deck.key).join(Deck, col(Card.deck_id) == col(Deck.id))
        query = query.where(col(Card.key).in_(wanted))
        if deck_key is not None:
            query = query.where(Deck.key == deck_key)
        found: dict[str, list[tuple[int, str]]] = {}
        with self._session() as session:
            for key, card_id, deck in session.exec(query):
                assert card_id is not None
                found.setdefault(key, []).append((card_id, deck))
        missing = [key for key in wanted if key not in found]
        if missing:
            where = f" in deck {deck_key!r}" if deck_key else ""
            raise NotFoundError(f"no card {', '.join(map(repr, missing))}{where}")
        shared = [key for key, cards in found.items() if len(cards) > 1]
        if shared:
            raise NotFoundError(
                f"card {shared[0]!r} is in several decks "
                f"({', '.join(deck for _id, deck in found[shared[0]])}); name one with --deck"
            )
        return {key: cards[0][0] for key, cards in found.items()}

    def set_suspended(self, card_ids: Iterable[int], suspended: bool) -> None:
        """Suspend cards (never due until unsuspended) or unsuspend them."""
        with self._session() as session:
            session.execute(
                update(Card).where(col(Card.id).in_(list(card_ids))).values(suspended=suspended)
            )
            session.commit()

    def set_buried(self, card_id: int, until: datetime | None) -> None:
        """Keep a card out of the queue until ``until`` (None: no longer buried)."""
        with self._session() as session:
            session.execute(update(Card).where(col(Card.id) == card_id).values(buried_until=until))
            session.commit()
