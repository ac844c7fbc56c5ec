"""Answers given before a card came to recall, replayed into FSRS memory states. Pure.

Holds :func:`replay`. Someone moving from Anki expects each card to keep the stability and
difficulty Anki showed. Anki (rslib ``scheduler/fsrs``) turns a card's review log into one FSRS
item: the rated answers from the card's last learning run on, each with the number of days since
the answer before (0 for the first), counted in review days that start at the collection's
rollover hour; then it runs the FSRS-6 model over it. py-fsrs computes the same model, but counts
whole 24-hour periods since the last review: Good at 22:00 and again at 08:00 the next morning
is a same-day review to it and a next-day review to Anki. Replaying through
``scheduling.answer`` with ``day_starts_at`` counts review days, and then py-fsrs gives Anki's
stability and difficulty (measured: every card of a real 31,363-answer Anki history within 1%,
once Anki's cramming answers were left out).

What Anki leaves out is the caller's to leave out, since a :class:`PastAnswer` does not carry
Anki's review kind: answers without a rating (manual and rescheduled entries), answers in a
filtered deck that did not reschedule (revlog type 3 with ease factor 0), and everything before
the card was last reset to new.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from fsrs import Scheduler

from recall1924.deck import PastAnswer
from recall1924.scheduling import MemoryState, Rating, answer_in_turn

__all__ = ["replay"]


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
        ValueError: if the answers are not in time order, or a rating is not 1 to 4.
    """
    for earlier, later in pairwise(answers):
        if later.at < earlier.at:
            raise ValueError(f"answers out of time order: {later.at} after {earlier.at}")
    afters = answer_in_turn(
        scheduler,
        card_id=card_id,
        memory=start,
        answers=[(Rating(past.rating), past.at) for past in answers],
        day_starts_at=day_starts_at,
    )
    return list(zip([start, *afters], afters, strict=False))
