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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "Allowance": "allowance",
    "AnswerPolicy": "policies",
    "PracticeOnly": "policies",
    "Schedule": "policies",
    "before_exam": "policies",
    "LEARN_AHEAD": "queues",
    "CramQueue": "queues",
    "Queue": "queues",
    "ScheduledQueue": "queues",
    "todays_queue": "queues",
    "Action": "session",
    "Answered": "session",
    "Changed": "session",
    "Flag": "session",
    "Phase": "session",
    "ReviewSession": "session",
    "ReviewUI": "session",
    "SetAside": "session",
    "Submit": "session",
    "Summary": "session",
    "cram_session": "session",
    "run": "session",
    "scheduled_session": "session",
}
"""Where each name of the package lives. They are imported when first asked for: the glance
counts today's cards with :func:`todays_queue` and has no use for the session, its answer
policies and the exam plan they import."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
