"""Answers: saving one with the card's new memory state, undoing one, resetting cards to new
(a reset row each, the history kept), reading them back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from recall1924.errors import CardGoneError, StaleCardError
from recall1924.models import Card, ReviewKind, ReviewLog
from recall1924.scheduling import MemoryState, Rating, State
from recall1924.store.base import StoreBase, memory_columns, memory_of, set_memory


class AnswerStore(StoreBase):
    def record_answer(
        self,
        card_id: int,
        *,
        before: MemoryState,
        after: MemoryState,
        rating: Rating,
        at: datetime,
        duration_ms: int | None,
        kind: ReviewKind = ReviewKind.Review,
    ) -> int:
        """Save one answer and the card's new memory state, committed. Returns the log id.

        Raises:
            StaleCardError: if the card changed since it was shown (another session answered it).
            CardGoneError: if the card was deleted meanwhile.
            DatabaseBusyError: if another recall held the database too long; nothing saved.
        """
        with self._writing() as session:
            card = session.get(Card, card_id)
            if card is None:
                raise CardGoneError("that card was deleted in another window meanwhile")
            if memory_of(card) != before:
                raise StaleCardError("this card was answered elsewhere meanwhile; not saved")
            set_memory(card, after)
            log = ReviewLog(
                card_id=card_id,
                kind=kind,
                rating=int(rating),
                reviewed_at=at,
                duration_ms=duration_ms,
                **memory_columns(before, "_before"),
                **memory_columns(after, "_after"),
            )
            session.add(card)
            session.add(log)
            session.commit()
            assert log.id is not None
            return log.id

    def undo_answer(self, log_id: int) -> int:
        """Delete one answer and put its card back as it was before it. Returns the card id.

        Raises:
            CardGoneError: if the answer (or its card) was deleted meanwhile.
            StaleCardError: if the card was answered again since, in another session.
            DatabaseBusyError: if another recall held the database too long; nothing changed.
        """
        with self._writing() as session:
            log = session.get(ReviewLog, log_id)
            if log is None:
                raise CardGoneError("that answer is no longer in the database")
            card = session.get(Card, log.card_id)
            assert card is not None
            later = session.exec(
                select(ReviewLog.kind).where(
                    ReviewLog.card_id == log.card_id, col(ReviewLog.id) > log_id
                )
            ).first()
            if later == ReviewKind.Reset:
                # its state before the reset is the answer's after: undoing the answer now
                # would put back a state the reset had taken away
                raise StaleCardError("that card was reset to new (recall forget) since")
            if later is not None:
                raise StaleCardError("that card was answered again in another session since")
            set_memory(card, memory_of(log, "_before"))
            session.add(card)
            session.delete(log)
            session.commit()
            return log.card_id

    def reset_cards(self, card_ids: Iterable[int], *, at: datetime) -> dict[int, int]:
        """Send cards back to new, each with a reset row (rating 0, its state before, a new
        card's after) that keeps its history: all in one transaction. A card already new is
        left alone (a reset would change nothing).

        Returns:
            The reset row's log id, by card id, for the cards reset.

        Raises:
            CardGoneError: if a card was deleted meanwhile; nothing changed.
            DatabaseBusyError: if another recall held the database too long; nothing changed.
        """
        from recall1924.history import reset_state

        wanted = list(dict.fromkeys(card_ids))
        with self._writing() as session:
            cards = {
                card.id: card for card in session.exec(select(Card).where(col(Card.id).in_(wanted)))
            }
            if len(cards) != len(wanted):
                raise CardGoneError("a card was deleted in another window meanwhile")
            logs: dict[int, ReviewLog] = {}
            for card_id in wanted:
                card = cards[card_id]
                before = memory_of(card)
                if before.last_review is None:
                    continue
                after = reset_state(at)
                set_memory(card, after)
                session.add(card)
                logs[card_id] = ReviewLog(
                    card_id=card_id,
                    kind=ReviewKind.Reset,
                    rating=0,
                    reviewed_at=at,
                    **memory_columns(before, "_before"),
                    **memory_columns(after, "_after"),
                )
                session.add(logs[card_id])
            session.commit()
            ids: dict[int, int] = {}
            for card_id, log in logs.items():
                assert log.id is not None
                ids[card_id] = log.id
            return ids

    def lapses(self, card_id: int) -> int:
        """How often the card was forgotten once learnt: Again on a card in review."""
        query = select(func.count()).where(
            ReviewLog.card_id == card_id,
            ReviewLog.kind == ReviewKind.Review,
            ReviewLog.state_before == int(State.Review),
            ReviewLog.rating == int(Rating.Again),
        )
        with self._session() as session:
            return session.exec(query).one()

    def answers(self, card_id: int | None = None) -> list[ReviewLog]:
        """Review logs, oldest first (all, or one card's)."""
        query = select(ReviewLog).order_by(col(ReviewLog.id))
        if card_id is not None:
            query = query.where(ReviewLog.card_id == card_id)
        with self._session() as session:
            return list(session.exec(query).all())
