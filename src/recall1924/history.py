"""Answers given before a card came to recall, replayed into FSRS memory states. Pure.

Holds :func:`replay` and :func:`last_life`. Someone moving from Anki expects each card to keep
the stability and difficulty Anki showed. Anki (rslib ``scheduler/fsrs``) turns a card's review
log into one FSRS item: the rated answers from the card's last learning run on, each with the
number of days since the answer before (0 for the first), counted in review days that start at
the collection's rollover hour; then it runs the FSRS-6 model over it. py-fsrs computes the same
model, but counts whole 24-hour periods since the last review: Good at 22:00 and again at 08:00
the next morning is a same-day review to it and a next-day review to Anki. Replaying through
``scheduling.answer_in_turn`` with ``day_starts_at`` counts review days, and then py-fsrs's
formulas (computed by ``fsrs_memory``, float for float) give Anki's stability and difficulty
(measured: every card of a real 31,363-answer Anki history within 1%).

A history carries every answer Anki keeps, with the kind recall gives it: a reset
(``ReviewKind.Reset``) sends the card back to new, so what came before it (an earlier life) no
longer shapes the memory state; the importer puts one wherever Anki's FSRS starts a card's
memory state again. Cram answers (in a filtered deck that did not reschedule) change nothing.
Answers without a rating (set due date, rescheduling) are the caller's to leave out; a
reschedule row (``ReviewKind.Reschedule``, recall's ``--reschedule``) given here is no answer
either and passes the state on, as a manual row does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from fsrs import Scheduler

from recall1924.deck import PastAnswer
from recall1924.scheduling import MemoryState, ReviewKind, answer_in_turn

__all__ = ["last_life", "replay", "reset_state"]


def reset_state(at: datetime) -> MemoryState:
    """The memory state a reset at ``at`` leaves: a new card's, due from then."""
    return MemoryState.new(at)


def last_life(kinds: Sequence[int]) -> int:
    """Where a card's last life starts in its history (rows oldest first, by kind): just after
    its last reset row, or 0 when it has none. The memory state is computed from the rows
    from there on, by Anki's FSRS as by recall's, and Anki's optimizer trains on them alone."""
    for index in range(len(kinds) - 1, -1, -1):
        if kinds[index] == ReviewKind.Reset:
            return index + 1
    return 0


def replay(
    answers: Sequence[PastAnswer],
    *,
    card_id: int,
    scheduler: Scheduler,
    day_starts_at: int,
    start: MemoryState,
) -> list[tuple[MemoryState, MemoryState]]:
    """The memory state before and after each of ``answers``, replayed from ``start`` (a new
    card's state, or where the card's history in recall left it).

    Days between answers are review days (see ``scheduling.elapsed_days``), as Anki counts them,
    so the last state's stability and difficulty are Anki's for the same history and parameters.
    A reset leaves a new card's state (:func:`reset_state`); a cram or manual row passes the
    state on unchanged.

    Args:
        answers: the card's answers, oldest first.
        card_id: our id of the card (fsrs needs one; it also seeds fuzz).
        scheduler: the scheduler to replay with: its parameters decide the memory states, its
            steps and desired retention the states and due times.
        day_starts_at: the local hour a review day starts.
        start: the card's memory state before the first of ``answers``.

    Returns:
        One ``(before, after)`` pair per answer, in the order given; empty for no answers.

    Raises:
        ValueError: if the answers are not in time order, or a rating (other than a reset's)
            is not 1 to 4.
    """
    for earlier, later in pairwise(answers):
        if later.at < earlier.at:
            raise ValueError(f"answers out of time order: {later.at} after {earlier.at}")
    pairs: list[tuple[MemoryState, MemoryState]] = []
    current = start
    run: list[PastAnswer] = []

    def flush() -> None:
        # A run of reviews in one call: answer_in_turn keeps fuzz as answering one by one does.
        nonlocal current
        if not run:
            return
        afters = answer_in_turn(
            scheduler,
            card_id=card_id,
            memory=current,
            # the ratings as the plain ints they are (answer_in_turn checks them): a Rating made
            # for each of tens of thousands of answers cost a twentieth of the replay
            answers=[(past.rating, past.at) for past in run],
            day_starts_at=day_starts_at,
        )
        pairs.extend(zip([current, *afters], afters, strict=False))
        current = afters[-1]
        run.clear()

    for past in answers:
        if past.kind == ReviewKind.Review:
            run.append(past)
            continue
        flush()
        if past.kind == ReviewKind.Reset:
            after = reset_state(past.at)
        elif past.kind == ReviewKind.Cram and not 1 <= past.rating <= 4:
            raise ValueError(f"{past.rating} is not a rating")
        else:
            after = current
        pairs.append((current, after))
        current = after
    flush()
    return pairs
