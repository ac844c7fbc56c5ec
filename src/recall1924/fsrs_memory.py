"""FSRS-6's memory-state update on its own: one answer's stability and difficulty. Pure.

Holds :func:`memory_model` and :class:`MemoryModel`. ``scheduling`` needs the stability each
passing rating would give (Hard, Good and Easy are kept at least a day apart, so up to three
per answer), the difficulty of the rating given, and nothing else of py-fsrs's
``Scheduler.review_card``: its Card and ReviewLog copies, its interval and its steps went
unused, yet cost three quarters of an answer replayed on import (31,363 answers in a real Anki
history). So this computes only the update, with py-fsrs's formulas (fsrs 6.3) in py-fsrs's
operation order, so every float is the one ``review_card`` gives for a card in the learning
state; py-fsrs stays the reference (``tests/test_fsrs_memory.py`` holds the two equal, ``==``,
over random states and answers and every Anki package in the test data).

Two ways it saves work without changing a float. Terms that depend on the parameters (and
rating) alone are worked out once per parameter set, each the same expression py-fsrs
evaluates. And the three passing ratings share all of a review's growth term but one factor:
py-fsrs multiplies it by Hard's penalty and Easy's bonus, which are 1 for the others, and
``x * 1`` is ``x`` exactly, so the shared product is computed once (:meth:`MemoryModel.recalled`).
"""

from __future__ import annotations

import math
from functools import lru_cache

from fsrs.scheduler import MAX_DIFFICULTY, MIN_DIFFICULTY, STABILITY_MIN

__all__ = ["MemoryModel", "memory_model"]


class MemoryModel:
    """The memory update for one set of FSRS-6 parameters (21 of them).

    ``days`` is always the whole days since the last review as py-fsrs counts them (it may be
    negative; under 1 is a same-day review), ``None`` for a card never reviewed.
    """

    __slots__ = (
        "_decay",
        "_difficulty_delta",
        "_factor",
        "_forget_divisor",
        "_p",
        "_recall_scale",
        "_reversion_easy",
        "_reversion_keep",
        "_short_term_increase",
        "initial",
    )

    def __init__(self, parameters: tuple[float, ...]) -> None:
        p = parameters
        self._p = p
        self._decay = -p[20]
        self._factor: float = 0.9 ** (1 / self._decay) - 1
        self.initial: tuple[tuple[float, float], ...] = tuple(
            (
                max(p[rating - 1], STABILITY_MIN),
                min(
                    max(p[4] - (math.e ** (p[5] * (rating - 1))) + 1, MIN_DIFFICULTY),
                    MAX_DIFFICULTY,
                ),
            )
            for rating in range(1, 5)
        )
        """A new card's stability and difficulty after each rating (index rating - 1)."""
        # per rating (index rating - 1): the same-day stability factor before its floor, and
        # the difficulty change before damping
        self._short_term_increase: tuple[float, ...] = tuple(
            math.e ** (p[17] * (rating - 3 + p[18])) for rating in range(1, 5)
        )
        self._difficulty_delta = tuple(-(p[6] * (rating - 3)) for rating in range(1, 5))
        # mean reversion towards Easy's unclamped initial difficulty
        self._reversion_easy: float = p[7] * (p[4] - (math.e ** (p[5] * (4 - 1))) + 1)
        self._reversion_keep = 1 - p[7]
        self._forget_divisor: float = math.e ** (p[17] * p[18])
        self._recall_scale: float = math.e ** (p[8])

    def _recall(self, stability: float, days: int | None) -> float:
        # py-fsrs's retrievability is 0 for a card without a last review
        if days is None:
            return 0
        recall: float = (1 + self._factor * (days if days > 0 else 0) / stability) ** self._decay
        return recall

    def forgotten(self, stability: float, difficulty: float, days: int | None) -> float:
        """The stability after Again."""
        p = self._p
        if days is not None and days < 1:
            increase: float = self._short_term_increase[0] * (stability ** -p[19])
            return max(stability * increase, STABILITY_MIN)
        long_term: float = (
            p[11]
            * (difficulty ** -p[12])
            * (((stability + 1) ** (p[13])) - 1)
            * (math.e ** ((1 - self._recall(stability, days)) * p[14]))
        )
        return max(min(long_term, stability / self._forget_divisor), STABILITY_MIN)

    def recalled(
        self, stability: float, difficulty: float, days: int | None
    ) -> tuple[float, float, float]:
        """The stabilities after Hard, Good and Easy."""
        p = self._p
        if days is not None and days < 1:
            shrink = stability ** -p[19]
            _again, hard, good, easy = self._short_term_increase
            return (
                max(stability * max(hard * shrink, 1.0), STABILITY_MIN),
                max(stability * max(good * shrink, 1.0), STABILITY_MIN),
                max(stability * max(easy * shrink, 1.0), STABILITY_MIN),
            )
        recall = self._recall(stability, days)
        # py-fsrs's product up to its Hard penalty and Easy bonus factors
        growth = (
            self._recall_scale
            * (11 - difficulty)
            * (stability ** -p[9])
            * ((math.e ** ((1 - recall) * p[10])) - 1)
        )
        hard = stability * (1 + growth * p[15])
        good = stability * (1 + growth)
        easy = stability * (1 + growth * p[16])
        # max(x, STABILITY_MIN) as the comparison max() makes (NaN kept): run for most answers
        return (
            STABILITY_MIN if hard < STABILITY_MIN else hard,
            STABILITY_MIN if good < STABILITY_MIN else good,
            STABILITY_MIN if easy < STABILITY_MIN else easy,
        )

    def difficulty(self, difficulty: float, rating: int) -> float:
        """The difficulty after ``rating`` (1 to 4) of a card that has one."""
        damped = difficulty + (10.0 - difficulty) * self._difficulty_delta[rating - 1] / 9.0
        reverted = self._reversion_easy + self._reversion_keep * damped
        # min(max(reverted, MIN_DIFFICULTY), MAX_DIFFICULTY) as the comparisons they make
        if reverted < MIN_DIFFICULTY:
            reverted = MIN_DIFFICULTY
        return MAX_DIFFICULTY if MAX_DIFFICULTY < reverted else reverted

    def after(
        self, stability: float | None, difficulty: float | None, days: int | None, rating: int
    ) -> tuple[float, float]:
        """Stability and difficulty after ``rating`` (1 to 4).

        Args:
            stability: before the answer, ``None`` for a card with no memory state yet.
            difficulty: before the answer, likewise.
            days: whole days since the last review (see the class).
            rating: the answer.

        Raises:
            ValueError: ``rating`` is not 1 to 4.
        """
        if not 1 <= rating <= 4:
            raise ValueError(f"Unknown rating: {rating}")
        if stability is None or difficulty is None:
            return self.initial[rating - 1]
        if rating == 1:
            new_stability = self.forgotten(stability, difficulty, days)
        else:
            new_stability = self.recalled(stability, difficulty, days)[rating - 2]
        return new_stability, self.difficulty(difficulty, rating)


@lru_cache(maxsize=32)
def memory_model(parameters: tuple[float, ...]) -> MemoryModel:
    """The memory model for ``parameters``, built once per parameter set."""
    return MemoryModel(parameters)
