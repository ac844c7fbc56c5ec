"""A review session as a state machine, driven through a :class:`ReviewUI`.

Holds :class:`Action` (what the user can ask for), :class:`Phase`, :class:`ReviewSession` and
:func:`run` (in :mod:`.session`), and its two seams: what comes next is its :class:`Queue`
(today's schedule, or cram practice; :mod:`.queues`), what an answer does its
:class:`AnswerPolicy` (schedule the card, or only log the practice; :mod:`.policies`). The
session knows nothing of keys or screens: a terminal UI, a test's scripted UI or a future front
end all drive it the same way. Every answer is committed by the store before the next card is
chosen.

The card on screen can also be reworded (:meth:`ReviewSession.edit_text` and
:meth:`ReviewSession.save_edit`, where its deck lives: :mod:`recall1924.editing`) or flagged
(:class:`Flag`); each is a :class:`Changed` in the session's history, which undo takes back like
an answer.

A session may be *typed*: each card then starts in :attr:`Phase.TYPING`, the student's answer
comes in as :class:`Submit` (text), and the answer is shown with a
:class:`~recall1924.typed.Comparison` and a suggested rating that :attr:`Action.CONFIRM`
accepts.
"""

from __future__ import annotations

from recall1924.review.allowance import Allowance
from recall1924.review.policies import AnswerPolicy, PracticeOnly, Schedule, before_exam
from recall1924.review.queues import (
    LEARN_AHEAD,
    CramQueue,
    Queue,
    ScheduledQueue,
    todays_queue,
)
from recall1924.review.session import (
    Action,
    Answered,
    Changed,
    Flag,
    Phase,
    ReviewSession,
    ReviewUI,
    SetAside,
    Submit,
    Summary,
    cram_session,
    run,
    scheduled_session,
)

__all__ = [
    "LEARN_AHEAD",
    "Action",
    "Allowance",
    "AnswerPolicy",
    "Answered",
    "Changed",
    "CramQueue",
    "Flag",
    "Phase",
    "PracticeOnly",
    "Queue",
    "ReviewSession",
    "ReviewUI",
    "Schedule",
    "ScheduledQueue",
    "SetAside",
    "Submit",
    "Summary",
    "before_exam",
    "cram_session",
    "run",
    "scheduled_session",
    "todays_queue",
]
