"""Fitting the FSRS parameters to the student's own answers, and what that changes.

Holds :func:`optimize` (fit, compare with the current parameters, save the fitted ones if they
predict better, then recompute every card's memory state from its history),
:func:`evaluate_current` (the parameters in use scored, no fit), :func:`review_sequence` and
:func:`review_sequences`, :func:`training_items`, :class:`TrainingSet` (a history prepared once
for fitting and scoring), :func:`fit`, :func:`evaluate` (log loss and RMSE(bins)) and
:func:`replay_card`, with the reports they return. Each report carries the history's health
(:mod:`recall1924.fitness`: too few answers, no Again at all, Hard pressed for a fail, and with
``health_check`` Anki's own check). What desired retention to choose is
:mod:`recall1924.advice`'s.

The engine is fsrs-rs-python (the Rust fsrs-rs that Anki itself trains with, as a wheel with no
further dependency). Measured on the 31,361 answers of a real Anki history (20,407 training
items, two cores): it fits the 21 FSRS-6 parameters in about 0.1 s. The ``fsrs`` package's own
``Optimizer`` needs torch, a download of hundreds of megabytes for one command, and trains in
Python loops over the same data. Only fitting and evaluation use fsrs-rs, and only this
module imports it, lazily, so no other command loads it; scheduling stays with the ``fsrs``
Scheduler, which computes the same FSRS-6 model from the fitted parameters (see
:mod:`recall1924.history`).

Days are review days everywhere: a training item's ``delta_t`` is
``scheduling.review_day(later) - review_day(earlier)`` with the collection's day-start hour,
the same count the replay and the review session use.

Metrics follow open-spaced-repetition/srs-benchmark, on every Review-kind answer given on a
later review day than the card's answer before it (``delta_t > 0``): the outcome is recalled
when the rating is Hard, Good or Easy; the prediction is the FSRS retrievability after
``delta_t`` days from the memory state the card's earlier answers left. Log loss is the mean
binary cross-entropy. RMSE(bins) groups those answers by three binned features -- the days
since the answer before, the card's count of such later-day answers so far (this one included,
plus one), and its earlier lapses (Again on a later day) -- each binned on a log scale
(``round(a * b ** floor(log(x) / log(b)))`` with ``(a, b)`` = (2.48, 3.62) rounded to two
decimals, (1.99, 1.89) and (1.65, 1.73) rounded to whole numbers; no lapses is its own bin),
then takes the root of the count-weighted mean squared difference between each bin's mean
outcome and mean prediction.
"""

from __future__ import annotations

import math
import sys
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from itertools import accumulate, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, overload

from recall1924 import aside
from recall1924.collector import collector_paused
from recall1924.models import ReviewKind
from recall1924.rescheduling import with_schedule_of
from recall1924.scheduling import MemoryState, build_scheduler, review_day
from recall1924.settings import DEFINITIONS, GLOBAL_SCOPE, Settings

if TYPE_CHECKING:
    from fsrs import Scheduler
    from fsrs_rs_python import FSRSItem, FSRSReview

    from recall1924.fitness import Health
    from recall1924.store import Store
    from recall1924.store.history import CardHistory, LoggedRow, Recomputed

__all__ = [
    "MIN_TRAINING_ITEMS",
    "Metrics",
    "OptimizeReport",
    "TrainingSet",
    "evaluate",
    "evaluate_current",
    "fit",
    "optimize",
    "replay_card",
    "review_sequence",
    "review_sequences",
    "training_items",
]

MIN_TRAINING_ITEMS = 400
"""Training items (answers on a later review day than the card's answer before) needed to fit.

fsrs-rs itself returns the default parameters below 8 items and fits only the four initial
stabilities below 64 (``compute_parameters`` in fsrs-rs ``training.rs``); a few hundred is our
own margin above that, so that a fit is not chasing the noise of a few dozen answers."""

Review = tuple[int, int]
"""One answer as FSRS trains on it: ``(rating, delta_t)``, ``delta_t`` in review days."""


@dataclass(frozen=True)
class Metrics:
    """How well parameters predict a history (lower is better for both)."""

    log_loss: float
    rmse_bins: float
    reviews: int
    """The answers scored: those on a later review day than the card's answer before."""


@dataclass(frozen=True)
class OptimizeReport:
    """What ``recall optimize`` found, and what it did."""

    deck: str | None
    """The deck key, or None for the decks that use the collection's parameters."""
    answers: int
    """Review-kind answers in scope since each card's last reset (cram and manual rows are not
    memory evidence, nor an earlier life: Anki's optimizer leaves those out too)."""
    items: int
    """Training items: answers on a later review day than the card's answer before."""
    current: tuple[float, ...]
    fitted: tuple[float, ...] | None = None
    before: Metrics | None = None
    after: Metrics | None = None
    fit_seconds: float = 0.0
    saved: bool = False
    dry_run: bool = False
    cards_updated: int = 0
    answers_updated: int = 0
    backup: Path | None = None
    health: Health | None = None
    evaluate_only: bool = False
    """``recall optimize --evaluate``: the current parameters scored, no fit."""

    @property
    def needed(self) -> int:
        """How many more training items a fit needs (0 when there are enough)."""
        return max(0, MIN_TRAINING_ITEMS - self.items)

    @property
    def improved(self) -> bool:
        """Whether the fitted parameters predict the same answers better (lower log loss, the
        objective the fit minimises)."""
        return (
            self.before is not None
            and self.after is not None
            and self.after.log_loss < self.before.log_loss
        )

    def to_json(self) -> dict[str, object]:
        def metrics(found: Metrics | None) -> dict[str, float | int] | None:
            if found is None:
                return None
            return {
                "log_loss": found.log_loss,
                "rmse_bins": found.rmse_bins,
                "reviews": found.reviews,
            }

        return {
            "deck": self.deck,
            # The report's name for it before "deck" (a deck may be called "global" too): kept
            # for one release, as `recall decks --json` keeps "key".
            "scope": "global" if self.deck is None else self.deck,
            "answers": self.answers,
            "training_items": self.items,
            "needed": self.needed,
            "current_parameters": list(self.current),
            "fitted_parameters": None if self.fitted is None else list(self.fitted),
            "before": metrics(self.before),
            "after": metrics(self.after),
            "improved": self.improved,
            "saved": self.saved,
            "dry_run": self.dry_run,
            "fit_seconds": self.fit_seconds,
            "cards_updated": self.cards_updated,
            "answers_updated": self.answers_updated,
            "backup": None if self.backup is None else str(self.backup),
            "evaluate_only": self.evaluate_only,
            "health": None if self.health is None else self.health.to_json(),
        }


# Training data
# ---------------------------------------------------------------------------------------------


def _deltas(days: Iterable[tuple[int, int]]) -> Iterator[Review]:
    last: int | None = None
    for rating, day in days:
        yield rating, 0 if last is None else max(0, day - last)
        last = day


def review_sequence(days: Iterable[tuple[int, int]]) -> list[Review]:
    """A card's answers as ``(rating, delta_t)`` from its ``(rating, review day)`` answers,
    oldest first: ``delta_t`` is the review days since the answer before (0 for the first and
    for answers on the same review day)."""
    return list(_deltas(days))


def review_sequences(
    histories: Iterable[Sequence[tuple[int, datetime]]], *, day_starts_at: int
) -> list[list[Review]]:
    """Each card's answers as ``(rating, delta_t)`` (see :func:`review_sequence`), for the
    cards with answers.

    Args:
        histories: per card, its ``(rating, at)`` answers, oldest first.
        day_starts_at: the local hour a review day starts.
    """
    sequences = (
        review_sequence((rating, review_day(at, day_starts_at)) for rating, at in answers)
        for answers in histories
    )
    return [sequence for sequence in sequences if sequence]


def training_items(sequences: Iterable[Sequence[Review]]) -> list[list[Review]]:
    """The FSRS training items: for every answer on a later review day than the card's answer
    before, the card's answers up to and including it (what to predict, and from what).

    Quadratic in a card's answers, for looking at a small history: :class:`TrainingSet`
    hands fsrs-rs the same items one at a time."""
    return [
        list(sequence[: index + 1])
        for sequence in sequences
        for index, (_rating, delta_t) in enumerate(sequence)
        if index > 0 and delta_t > 0
    ]


def _bin(value: float, scale: float, base: float, digits: int) -> float:
    return round(scale * base ** math.floor(math.log(value) / math.log(base)), digits)


def _bin_key(delta_t: int, long_term: int, lapses: int) -> tuple[float, float, float]:
    return (
        _bin(delta_t, 2.48, 3.62, 2),
        _bin(long_term + 1, 1.99, 1.89, 0),
        0.0 if lapses == 0 else _bin(lapses, 1.65, 1.73, 0),
    )


_SCORED_CHUNK = 4096
"""Cards whose memory states fsrs-rs computes at a time while scoring: a few tens of
thousands of states alive at once, not one per answer of the whole history."""


class TrainingSet:
    """Every card's answers prepared, in one pass, for fitting (:func:`fit`) and for scoring
    any parameters (:meth:`evaluate`).

    Per card it keeps its answers as fsrs-rs reviews (40 bytes an answer), and per scored
    answer -- one on a later review day than the card's answer before, which is also where a
    training item ends -- what does not depend on the parameters: which state predicts it,
    the days since, the outcome and the bin. Comparing the current and the fitted parameters
    then needs only each answer's predicted retrievability; the training items (a card of n
    answers is in up to n - 1 of up to n answers) are made only while fsrs-rs copies them.
    """

    def __init__(self, *, days: bool = False) -> None:
        """Args:
        days: also keep each scored answer's review day (:meth:`add_days` only), which
            puts the training items in time order for Anki's health check
            (:func:`recall1924.fitness.split_check`).
        """
        import fsrs_rs_python  # only the commands that fit load it

        self._review: Callable[[int, int], Any] = fsrs_rs_python.FSRSReview
        self._reviews: list[list[FSRSReview]] = []
        self._scored: list[int] = []
        """Per card, how many of its answers are scored."""
        # Per scored answer, card by card: the index of the card's state it is predicted from
        # (the answer before's), the days since it, whether it was recalled, its bin.
        self._state: list[int] = []
        self._delta_t: list[int] = []
        self._recalled: list[bool] = []
        self._cell: list[int] = []
        self._bins: dict[tuple[float, float, float], int] = {}
        """Bin by key, numbered in the order first met (the order its sums are added in)."""
        self._cell_of: dict[tuple[int, int, int], int] = {}
        """Bin by unbinned ``(delta_t, long-term answers, lapses)``: computed once each."""
        self.answers = 0
        self._pairs = bytearray()
        """Per scored answer, ``5 * the rating of the card's answer before + its rating``:
        one byte, counted by the health check (:attr:`rated`, :attr:`follows`)."""
        self._days: array[int] | None = array("l") if days else None
        self._tallies: tuple[int, list[int], list[int]] | None = None
        """:meth:`_bin_tallies`, with the number of scored answers it counted."""

    @classmethod
    def of(cls, sequences: Iterable[Iterable[Review]]) -> TrainingSet:
        """A training set of ``sequences``, each card's ``(rating, delta_t)`` answers."""
        training = cls()
        for sequence in sequences:
            training.add(sequence)
        return training

    @property
    def items(self) -> int:
        """Training items, which are also the answers scored."""
        return len(self._state)

    def add(self, sequence: Iterable[Review]) -> None:
        """Add a card's ``(rating, delta_t)`` answers, oldest first (none: nothing added): its
        review days counted from the first answer's, through :meth:`add_days` (a first answer
        has no days before it: its ``delta_t`` is 0, as in every review sequence)."""
        days: list[tuple[int, int]] = []
        day = 0
        for rating, delta_t in sequence:
            day += delta_t
            days.append((rating, day))
        self.add_days(days)

    def add_days(self, days: Sequence[tuple[int, int]]) -> None:
        """Add a card's ``(rating, review day)`` answers, oldest first (see :meth:`add_cards`)."""
        self.add_cards((days,))

    def add_cards(self, cards: Iterable[Sequence[tuple[int, int]]]) -> None:
        """Add each card's ``(rating, review day)`` answers, oldest first, in one loop.

        The loop a million answers run through when ``recall optimize`` reads a collection:
        the days between answers, the fsrs-rs review and what scoring keeps, worked out in
        turn (the days between, a list of them, the reviews and the scoring were four passes),
        its names bound once for every card (once per card was a tenth of its time).
        """
        review = self._review
        add_card, scored_of = self._reviews.append, self._scored.append
        state, delta, recalled, cell_at = (
            self._state.append,
            self._delta_t.append,
            self._recalled.append,
            self._cell.append,
        )
        cell_of, bins, pair = self._cell_of, self._bins, self._pairs.append
        keep_day = None if self._days is None else self._days.append
        answers = 0
        for days in cards:
            if not days:
                continue
            reviews: list[FSRSReview] = []
            keep = reviews.append
            long_term = 0
            lapses = 0
            last = days[0][1]
            previous = 0
            index = -1  # of the review before the one kept
            for rating, day in days:
                delta_t = day - last
                last = day
                index += 1
                if delta_t <= 0:  # the first answer, one the same review day (or clocks back)
                    keep(review(rating, 0))
                    previous = rating
                    continue
                keep(review(rating, delta_t))
                long_term += 1
                unbinned = (delta_t, long_term, lapses)
                cell = cell_of.get(unbinned)
                if cell is None:
                    key = _bin_key(delta_t, long_term, lapses)
                    cell = cell_of[unbinned] = bins.setdefault(key, len(bins))
                state(index - 1)
                delta(delta_t)
                recalled(rating > 1)
                cell_at(cell)
                pair(5 * previous + rating)
                if keep_day is not None:
                    keep_day(day)
                if rating == 1:
                    lapses += 1
                previous = rating
            add_card(reviews)
            answers += len(reviews)
            scored_of(long_term)
        self.answers += answers

    def _copy_part(self) -> _Part:
        """What :meth:`merge` needs of this set, as arrays and bytes, which pickle at once (a
        list of pairs per card took a tenth of a second for half a million answers), for a set
        made in a forked copy with :func:`_pairs` for its reviews (fsrs-rs's do not pickle)."""
        answered = cast(list[list[tuple[int, int]]], self._reviews)  # made by _pairs
        return _Part(
            lengths=array("l", map(len, answered)),
            ratings=bytes(rating for card in answered for rating, _ in card),
            deltas=array("l", (delta_t for card in answered for _, delta_t in card)),
            scored=array("l", self._scored),
            state=array("l", self._state),
            delta_t=array("l", self._delta_t),
            recalled=bytes(self._recalled),
            cell=array("l", self._cell),
            bins=list(self._bins),
            pairs=bytes(self._pairs),
            days=self._days,
            answers=self.answers,
        )

    def merge(self, part: _Part) -> None:
        """Add the cards of ``part`` after this set's own, as if :meth:`add_cards` had added
        them: the same reviews, items and scoring (a bin first met in ``part`` is numbered
        after this set's)."""
        review = self._review
        bins = self._bins
        numbered = [bins.setdefault(key, len(bins)) for key in part.bins]
        ratings, deltas = part.ratings, part.deltas
        add_card = self._reviews.append
        start = 0
        for length in part.lengths:
            end = start + length
            add_card(list(map(review, ratings[start:end], deltas[start:end])))
            start = end
        self._scored.extend(part.scored)
        self._state.extend(part.state)
        self._delta_t.extend(part.delta_t)
        self._recalled.extend(map(bool, part.recalled))
        self._cell.extend([numbered[cell] for cell in part.cell])
        self._pairs.extend(part.pairs)
        if self._days is not None and part.days is not None:
            self._days.extend(part.days)
        self.answers += part.answers

    def fsrs_items(self) -> Sequence[FSRSItem]:
        """The :func:`training_items` as fsrs-rs items, made as they are read."""
        return _TrainingItems(self.items, self._training_items)

    def _training_items(self) -> Iterator[FSRSItem]:
        from fsrs_rs_python import FSRSItem

        ends = iter(self._state)
        for reviews, scored in zip(self._reviews, self._scored, strict=True):
            for _ in range(scored):
                yield FSRSItem(reviews[: next(ends) + 2])

    def time_ordered_items(self) -> Sequence[FSRSItem]:
        """The training items in the order their last answers were given (by review day, then
        card by card), as Anki hands them to fsrs-rs's time-series evaluation; in card order
        when the days were not kept (see the constructor)."""
        if self._days is None:
            return self.fsrs_items()
        ends: list[tuple[int, int]] = []  # per scored answer: (card, its training item's end)
        states = iter(self._state)
        for card, scored in enumerate(self._scored):
            ends.extend((card, next(states) + 2) for _ in range(scored))
        order = sorted(range(len(ends)), key=self._days.__getitem__)

        def items() -> Iterator[FSRSItem]:
            from fsrs_rs_python import FSRSItem

            for index in order:
                card, end = ends[index]
                yield FSRSItem(self._reviews[card][:end])

        return _TrainingItems(len(order), items)

    @property
    def rated(self) -> tuple[int, int, int, int]:
        """Scored answers rated Again, Hard, Good and Easy."""
        counts = self._pair_counts
        again, hard, good, easy = (
            sum(counts[5 * before + rating] for before in range(5)) for rating in range(1, 5)
        )
        return again, hard, good, easy

    @property
    def follows(self) -> tuple[tuple[int, int], ...]:
        """Per rating of the card's answer before (Again to Easy): how many scored answers
        followed one, and how many of those were recalled (not Again)."""
        counts = self._pair_counts
        return tuple(
            (
                sum(counts[5 * before + rating] for rating in range(1, 5)),
                sum(counts[5 * before + rating] for rating in range(2, 5)),
            )
            for before in range(1, 5)
        )

    @property
    def _pair_counts(self) -> list[int]:
        pairs = bytes(self._pairs)
        return [pairs.count(code) for code in range(25)]

    @property
    def recalled_share(self) -> float:
        """The share of scored answers that were recalled (NaN with none)."""
        return sum(self._recalled) / self.items if self.items else math.nan

    def evaluate(self, parameters: Sequence[float], *, halves: bool = False) -> Metrics:
        """Log loss and RMSE(bins) of ``parameters`` (srs-benchmark's definitions; see the
        module docstring). NaN for both when no answer can be scored.

        Sums are taken in the order they always were -- card by card, answer by answer, bins
        in the order first met -- so the figures are the very same floats as summing bin by
        bin from scratch.

        Args:
            parameters: the FSRS parameters to score.
            halves: score the cards of the second half of the scored answers in a forked copy
                (:mod:`recall1924.aside`) while this process scores the first, and add the
                halves' sums: half the wall time on two cores, the figures within rounding of
                the whole sums' (and the same floats whether or not the copy could be made).
        """
        if self.items == 0:
            return self._metrics(0.0, [])
        cards = len(self._reviews)
        if not halves:
            loss, predicted_sums = self._sums(parameters, 0, cards)
            return self._metrics(loss, predicted_sums)
        middle = self._middle_card()
        later = aside.started(lambda: self._sums(parameters, middle, cards))
        loss, predicted_sums = self._sums(parameters, 0, middle)
        later_loss, later_sums = later()
        return self._metrics(
            loss + later_loss,
            [first + second for first, second in zip(predicted_sums, later_sums, strict=True)],
        )

    def _middle_card(self) -> int:
        """The first card of the second half of the scored answers."""
        return bisect_left(list(accumulate(self._scored)), self.items / 2) + 1

    def _sums(self, parameters: Sequence[float], first: int, end: int) -> tuple[float, list[float]]:
        """The summed cross-entropy and each bin's summed predictions of ``parameters`` over
        the scored answers of cards ``first`` to ``end`` (not included)."""
        import fsrs_rs_python as engine

        model = engine.FSRS(list(parameters))
        decay = -parameters[20]
        # scheduling.retrievability with its constant out of the loop: the same operations in
        # the same order, so the same floats
        factor = 0.9 ** (1 / decay) - 1
        eps = sys.float_info.epsilon
        high = 1 - eps
        log = math.log
        loss = 0.0
        predicted_sums = [0.0] * len(self._bins)
        skipped = sum(self._scored[:first])
        scored = islice(
            zip(self._state, self._delta_t, self._recalled, self._cell, strict=True),
            skipped,
            None,
        )
        for start in range(first, end, _SCORED_CHUNK):
            cards = self._reviews[start : min(start + _SCORED_CHUNK, end)]
            states_of = model.historical_memory_state_batch(
                [engine.FSRSItem(reviews) for reviews in cards]
            )
            many_of = self._scored[start : start + len(cards)]
            for states, many in zip(states_of, many_of, strict=True):
                for state, delta_t, recalled, cell in islice(scored, many):
                    stability = states[state].stability
                    predicted = (
                        (1 + factor * delta_t / stability) ** decay if stability > 0 else 0.0
                    )
                    # min(1 - eps, max(eps, predicted)) without two calls, NaN included
                    clipped = predicted if predicted > eps else eps
                    clipped = high if clipped > high else clipped
                    # the cross-entropy's other term is exactly zero
                    loss -= log(clipped) if recalled else log(1 - clipped)
                    predicted_sums[cell] += predicted
        return loss, predicted_sums

    def _bin_tallies(self) -> tuple[list[int], list[int]]:
        """Per bin, the scored answers recalled and all of them: the same for any parameters,
        so counted once for the two sets a fit compares (kept until answers are added)."""
        if self._tallies is None or self._tallies[0] != self.items:
            recalled_sums = [0] * len(self._bins)
            counts = [0] * len(self._bins)
            for cell, recalled in zip(self._cell, self._recalled, strict=True):
                recalled_sums[cell] += recalled
                counts[cell] += 1
            self._tallies = (self.items, recalled_sums, counts)
        _items, recalled_sums, counts = self._tallies
        return recalled_sums, counts

    def _metrics(self, loss: float, predicted_sums: Sequence[float]) -> Metrics:
        """The metrics from the summed cross-entropy and each bin's summed predictions."""
        count = self.items
        if count == 0:
            return Metrics(math.nan, math.nan, 0)
        recalled_sums, counts = self._bin_tallies()
        squared = sum(
            n * (recalled / n - predicted / n) ** 2
            for recalled, predicted, n in zip(recalled_sums, predicted_sums, counts, strict=True)
        )
        return Metrics(loss / count, math.sqrt(squared / count), count)


@dataclass(frozen=True)
class _Part:
    """A training set made in a forked copy, for :meth:`TrainingSet.merge`."""

    lengths: array[int]
    """Answers per card, in card order: where each card's run of ``ratings`` ends."""
    ratings: bytes
    deltas: array[int]
    """Each answer's ``delta_t`` as its fsrs-rs review has it."""
    scored: array[int]
    state: array[int]
    delta_t: array[int]
    recalled: bytes
    cell: array[int]
    bins: list[tuple[float, float, float]]
    pairs: bytes
    days: array[int] | None
    answers: int


def _pairs(rating: int, delta_t: int) -> tuple[int, int]:
    """A review as a pair, in a set made to be merged (:meth:`TrainingSet.merge`)."""
    return rating, delta_t


class _TrainingItems(Sequence["FSRSItem"]):
    """A training set's items for fsrs-rs, made one at a time as its bindings iterate them
    (they take any Sequence): each is gone once copied, instead of 13 million answers' worth
    of items for a million answers alive beside fsrs-rs's own copy."""

    def __init__(self, count: int, items: Callable[[], Iterator[FSRSItem]]) -> None:
        self._count = count
        self._items = items

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[FSRSItem]:
        return self._items()

    @overload
    def __getitem__(self, index: int) -> FSRSItem: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[FSRSItem]: ...

    def __getitem__(self, index: int | slice) -> FSRSItem | Sequence[FSRSItem]:
        # For the Sequence protocol only: fsrs-rs iterates, and so should anyone else.
        return list(self)[index]


def _tidy(raw: Sequence[float]) -> tuple[float, ...]:
    # fsrs-rs computes in f32: keep the digits f32 holds (so the stored text is short and reads
    # back exactly), within the bounds the fsrs Scheduler and `config set` accept.
    from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

    bounds = zip(raw, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
    return tuple(min(high, max(low, float(f"{value:.6g}"))) for value, low, high in bounds)


def fit(training: TrainingSet | Iterable[Iterable[Review]]) -> tuple[float, ...]:
    """The FSRS-6 parameters fitted by fsrs-rs (deterministic: a fixed seed).

    Args:
        training: the answers, or each card's ``(rating, delta_t)`` answers (see
            :func:`review_sequences`).
    """
    import fsrs_rs_python as engine

    if not isinstance(training, TrainingSet):
        training = TrainingSet.of(training)
    model = engine.FSRS(engine.DEFAULT_PARAMETERS)
    return _tidy(model.compute_parameters(training.fsrs_items()))


def evaluate(parameters: Sequence[float], sequences: Iterable[Iterable[Review]]) -> Metrics:
    """Log loss and RMSE(bins) of ``parameters`` on ``sequences``, each card's
    ``(rating, delta_t)`` answers (see :meth:`TrainingSet.evaluate`)."""
    return TrainingSet.of(sequences).evaluate(parameters)


# Replay
# ---------------------------------------------------------------------------------------------

_MEMORY_FIELDS = tuple(field.name for field in fields(MemoryState))


def _is_review(row: LoggedRow) -> bool:
    return row.kind == ReviewKind.Review


def _by_hand(row: LoggedRow, current: MemoryState) -> MemoryState:
    # A cram or manual row keeps what it changed itself (the fields that differ between the
    # states it logged, such as a due date set by hand) on top of the replayed state.
    edits = {
        name: getattr(row.after, name)
        for name in _MEMORY_FIELDS
        if getattr(row.before, name) != getattr(row.after, name)
    }
    return replace(current, **edits)


def replay_card(
    card: CardHistory, *, scheduler: Scheduler, day_starts_at: int
) -> tuple[MemoryState, list[tuple[int, MemoryState, MemoryState]]]:
    """A card's memory state recomputed from its review log with ``scheduler``.

    Review-kind answers are replayed with :func:`recall1924.history.replay` from the state the
    card's first row found (a new card's; else ``MemoryState.new(card.created_at)``). Cram and
    manual rows are not answers to FSRS: each passes the state on, with only its own hand edits.
    A reset leaves a new card's state (``history.reset_state``), whatever came before it.

    Returns:
        The card's final state, and ``(log id, before, after)`` for every row.
    """
    from recall1924.deck import PastAnswer
    from recall1924.history import replay, reset_state

    first = card.rows[0]
    # A reset's state before is what it found, and nothing after it depends on it.
    keep = first.before.last_review is None or first.kind == ReviewKind.Reset
    current = first.before if keep else MemoryState.new(card.created_at)
    rewritten: list[tuple[int, MemoryState, MemoryState]] = []
    run: list[LoggedRow] = []

    def flush() -> None:
        nonlocal current
        if not run:
            return
        pairs = replay(
            [PastAnswer(row.at, row.rating) for row in run],
            card_id=card.card_id,
            scheduler=scheduler,
            day_starts_at=day_starts_at,
            start=current,
        )
        rewritten.extend(
            (row.id, before, after) for row, (before, after) in zip(run, pairs, strict=True)
        )
        current = pairs[-1][1]
        run.clear()

    for row in card.rows:
        if _is_review(row):
            run.append(row)
            continue
        flush()
        after = reset_state(row.at) if row.kind == ReviewKind.Reset else _by_hand(row, current)
        rewritten.append((row.id, current, after))
        current = after
    flush()
    return current, rewritten


# The command
# ---------------------------------------------------------------------------------------------


def _decks_in_scope(store: Store, deck_key: str | None) -> list[str]:
    if deck_key is not None:
        store.scope(deck_key)  # names the decks there are when there is no such deck
        return [deck_key]
    # The collection's parameters are those of every deck without its own.
    return [deck.key for deck in store.decks() if "parameters" not in store.settings(deck.key)]


def _training(store: Store, decks: Sequence[str], *, day_starts_at: int, days: bool) -> TrainingSet:
    """The scope's answers as a training set, read in two halves at once: the cards from the
    one holding the middle logged row on in a forked copy (:mod:`recall1924.aside`), on
    connections of its own, while this process reads the cards before it; then put together
    in card order, as one read would have made them.

    Plain ``(rating, review day)`` tuples, a card at a time: the rows' memory states are not
    read for the fit (a million answers as dataclasses took over a gigabyte)."""
    training = TrainingSet(days=days)
    if not decks:
        return training
    middle = store.middle_answered_card(decks)
    if middle is None:  # no answer at all
        return training

    def read(into: TrainingSet, cards: tuple[int | None, int | None]) -> TrainingSet:
        found = store.answer_days(decks, day_starts_at=day_starts_at, cards=cards)
        into.add_cards(answered for _card_id, answered in found)
        return into

    def later_half() -> _Part:
        part = TrainingSet(days=days)
        part._review = _pairs
        return read(part, (middle, None))._copy_part()

    later = aside.started(later_half, in_copy=lambda: store.engine.dispose(close=False))
    read(training, (None, middle))
    training.merge(later())
    return training


def _fit_and_score(
    store: Store,
    decks: Sequence[str],
    *,
    deck: str | None,
    current: tuple[float, ...],
    day_starts_at: int,
    dry_run: bool,
    health_check: bool = False,
) -> OptimizeReport:
    """The scope's answers counted and, if there are enough, fitted, with the metrics of the
    current and the fitted parameters and the history's health."""
    from recall1924.fitness import check_health

    training = _training(store, decks, day_starts_at=day_starts_at, days=health_check)
    report = OptimizeReport(
        deck=deck,
        answers=training.answers,
        items=training.items,
        current=current,
        dry_run=dry_run,
        health=check_health(training, split=health_check and training.items >= MIN_TRAINING_ITEMS),
    )
    if report.needed:
        return report
    # The parameters in use are scored on the second core while the fit holds the first.
    before = aside.started(lambda: training.evaluate(report.current))
    started = time.perf_counter()
    fitted = fit(training)
    fit_seconds = time.perf_counter() - started
    return replace(
        report,
        fitted=fitted,
        fit_seconds=fit_seconds,
        before=before(),
        # both cores free again: the fitted parameters are scored in two halves at once
        after=training.evaluate(fitted, halves=True),
    )


def evaluate_current(
    store: Store,
    *,
    deck_key: str | None,
    global_settings: Settings,
    settings_for: Callable[[str], Settings],
    health_check: bool = False,
) -> OptimizeReport:
    """Log loss and RMSE(bins) of the parameters in use on the scope's answers, with no fit
    (``recall optimize --evaluate``, Anki's "Evaluate"), and the history's health.

    Args: as :func:`optimize`; ``health_check`` also runs Anki's own check.

    Raises:
        NotFoundError: if there is no deck ``deck_key``.
    """
    from recall1924.fitness import check_health

    decks = _decks_in_scope(store, deck_key)
    settings = global_settings if deck_key is None else settings_for(deck_key)
    current = settings.model_parameters
    with collector_paused():
        training = _training(
            store, decks, day_starts_at=global_settings.day_starts_at, days=health_check
        )
        return OptimizeReport(
            deck=deck_key,
            answers=training.answers,
            items=training.items,
            current=current,
            before=training.evaluate(current) if training.items else None,
            health=check_health(training, split=health_check),
            evaluate_only=True,
        )


def optimize(
    store: Store,
    *,
    deck_key: str | None,
    global_settings: Settings,
    settings_for: Callable[[str], Settings],
    dry_run: bool = False,
    backup: Callable[[], Path | None] | None = None,
    health_check: bool = False,
) -> OptimizeReport:
    """Fit the FSRS parameters to a deck's answers (or to every deck using the collection's
    parameters), and keep them if they predict those answers better.

    Saving stores the parameters for the deck (or globally) and, in the same transaction,
    every affected card's memory state and every review log row's before and after states,
    recomputed from the card's history with the deck's own scheduler: their stability and
    difficulty, on the state, step and due date each had (moving due dates is
    :func:`recall1924.rescheduling.reschedule_decks`, when the student asks).

    Args:
        store: the collection.
        deck_key: the deck to fit; None for the collection's parameters.
        global_settings: the collection's settings (its day start counts days).
        settings_for: a deck's effective settings.
        dry_run: report only; change nothing.
        backup: called to copy the database before anything is written.
        health_check: also run Anki's health check (:func:`recall1924.fitness.split_check`),
            which fits five times more; the cheap checks always run.

    Raises:
        NotFoundError: if there is no deck ``deck_key``.
    """
    decks = _decks_in_scope(store, deck_key)
    settings = global_settings if deck_key is None else settings_for(deck_key)
    day_starts_at = global_settings.day_starts_at
    with collector_paused():
        report = _fit_and_score(
            store,
            decks,
            deck=deck_key,
            current=settings.model_parameters,
            day_starts_at=day_starts_at,
            dry_run=dry_run,
            health_check=health_check,
        )
    fitted = report.fitted
    if fitted is None or dry_run or not report.improved:
        return report

    schedulers = {
        deck: build_scheduler(replace(settings_for(deck), parameters=fitted)) for deck in decks
    }

    def recompute(card: CardHistory) -> Recomputed | None:
        if not any(_is_review(row) for row in card.rows):
            return None
        memory, rows = replay_card(
            card, scheduler=schedulers[card.deck_key], day_starts_at=day_starts_at
        )
        # New parameters give new memory states, never new due dates: those move only when
        # the student asks (recall optimize --reschedule, recall1924.rescheduling).
        logged = {row.id: row for row in card.rows}
        return with_schedule_of(memory, card.memory), [
            (
                log_id,
                with_schedule_of(before, logged[log_id].before),
                with_schedule_of(after, logged[log_id].after),
            )
            for log_id, before, after in rows
        ]

    saved_at = backup() if backup is not None else None
    text = DEFINITIONS["parameters"].format(fitted)
    cards, answers = store.recompute_memory(
        decks, recompute, setting=(deck_key or GLOBAL_SCOPE, "parameters", text)
    )
    return replace(
        report,
        saved=True,
        cards_updated=cards,
        answers_updated=answers,
        backup=saved_at,
    )
