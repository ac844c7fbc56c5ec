"""Answers: saving one with the card's new memory state, undoing one, resetting cards to new
(a reset row each, the history kept), reading them back. Each write of a card's memory state
names the row version it read and raises it, so that of two machines answering one card at
once exactly one answer is saved, whatever their clocks say."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from recall1924.errors import CardGoneError, DatabaseError, StaleCardError
from recall1924.models import Card, ReviewKind, ReviewLog
from recall1924.scheduling import MemoryState, Rating, State
from recall1924.store.base import StoreBase, memory_columns, memory_of


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
        version: int | None = None,
    ) -> int:
        """Save one answer and the card's new memory state, committed. Returns the log id.

        Whether the card was answered elsewhere meanwhile is decided by its row version, in
        the same statement that writes it (``… WHERE version = :read``): two machines' clocks
        disagree, and a check read before the write lets two sessions both pass it. The card's
        version goes up by one; the answer's row is written only with it.

        Args:
            version: the card's row version when ``before`` was read (:attr:`CardView.version`,
                read when the card was drawn). None writes over whatever version the card has:
                for a history written in order (an import, a test), never for a screen.

        Raises:
            StaleCardError: if the card's version moved since it was read (another session
                answered it, undid an answer or reset it): nothing saved.
            CardGoneError: if the card was deleted meanwhile.
            DatabaseBusyError: if another recall held the database too long; nothing saved.
        """
        with self._writing() as session:
            if not _write_memory(session, card_id, after, version):
                raise _not_written(session, card_id, "answered elsewhere meanwhile; not saved")
            log = ReviewLog(
                card_id=card_id,
                kind=kind,
                rating=int(rating),
                reviewed_at=at,
                duration_ms=duration_ms,
                **memory_columns(before, "_before"),
                **memory_columns(after, "_after"),
            )
            session.add(log)
            session.commit()
            assert log.id is not None
            return log.id

    def undo_answer(self, log_id: int, *, version: int | None = None) -> int:
        """Delete one answer and put its card back as it was before it. Returns the card id.

        Args:
            version: the card's row version the answer left (the read one plus one). None:
                the card's version now, read in this transaction, with no later answer.

        Raises:
            CardGoneError: if the answer (or its card) was deleted meanwhile.
            StaleCardError: if the card was answered again since, in another session (or
                reset, or its history rewritten): its version moved.
            DatabaseBusyError: if another recall held the database too long; nothing changed.
        """
        with self._writing() as session:
            log = session.get(ReviewLog, log_id)
            if log is None:
                raise CardGoneError("that answer is no longer in the database")
            card_id = log.card_id
            if version is None:
                version = session.exec(select(Card.version).where(Card.id == card_id)).one()
                later = _later(session, log_id, card_id)
                if later is not None:
                    raise _changed_since(later)
            if not _write_memory(session, card_id, memory_of(log, "_before"), version):
                session.rollback()
                raise _changed_since(_later(session, log_id, card_id))
            session.delete(log)
            session.commit()
            return card_id

    def reset_cards(self, card_ids: Iterable[int], *, at: datetime) -> dict[int, int]:
        """Send cards back to new, each with a reset row (rating 0, its state before, a new
        card's after) that keeps its history: all in one transaction. A card already new is
        left alone (a reset would change nothing). Each reset names the version it read, so a
        card answered on another machine meanwhile is not reset from a stale state.

        Returns:
            The reset row's log id, by card id, for the cards reset.

        Raises:
            CardGoneError: if a card was deleted meanwhile; nothing changed.
            StaleCardError: if a card was answered elsewhere meanwhile; nothing changed.
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
                if not _write_memory(session, card_id, after, card.version):
                    session.rollback()
                    raise StaleCardError(
                        "a card was answered elsewhere meanwhile; nothing was reset"
                    )
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


def _write_memory(session: Session, card_id: int, memory: MemoryState, version: int | None) -> bool:
    """Write a card's memory state and raise its row version, if the version is still
    ``version`` (None: any). Whether it was written: the row is locked by the statement
    itself (SQLite's write lock, PostgreSQL's row lock, which a waiting update re-reads), so
    of two sessions that read one version, exactly one writes."""
    statement = (
        update(Card)
        .where(col(Card.id) == card_id)
        .values(**memory_columns(memory), version=col(Card.version) + 1)
        .execution_options(synchronize_session=False)
    )
    if version is not None:
        statement = statement.where(col(Card.version) == version)
    done = session.execute(statement)
    return bool(done.rowcount)  # type: ignore[attr-defined]


def _not_written(session: Session, card_id: int, stale: str) -> DatabaseError:
    """Why a card's memory was not written: the card is gone, or its version moved."""
    session.rollback()
    if session.get(Card, card_id) is None:
        return CardGoneError("that card was deleted in another window meanwhile")
    return StaleCardError(f"this card was {stale}")


def _later(session: Session, log_id: int, card_id: int) -> ReviewKind | None:
    """The kind of the card's first row after ``log_id``, if any."""
    kind = session.exec(
        select(ReviewLog.kind)
        .where(ReviewLog.card_id == card_id, col(ReviewLog.id) > log_id)
        .order_by(col(ReviewLog.id))
    ).first()
    return None if kind is None else ReviewKind(kind)


def _changed_since(later: ReviewKind | None) -> StaleCardError:
    if later == ReviewKind.Reset:
        # its state before the reset is the answer's after: undoing the answer now would put
        # back a state the reset had taken away
        return StaleCardError("that card was reset to new (recall forget) since")
    if later == ReviewKind.Reschedule:
        return StaleCardError("that card was rescheduled (--reschedule) since")
    if later is not None:
        return StaleCardError("that card was answered again in another session since")
    return StaleCardError("that card's memory was changed in another session since")
