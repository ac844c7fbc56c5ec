"""How fit a history of answers is for FSRS: what ``recall optimize`` warns about.

Holds :class:`Health` and :func:`check_health` (the cheap checks, always made: too few answers,
no Again at all, Hard pressed for a forgotten card), :class:`Finding`, and Anki's own check,
:class:`SplitCheck` and :func:`split_check` ("Check health when optimizing" in Anki's deck
options, off by default there too, since it fits five times more).

The counts come from :class:`~recall1924.optimize.TrainingSet`, which keeps them as it reads
the history: the scored answers (on a later review day than the card's answer before) by
rating, and by the rating of the answer before them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from recall1924.optimize import MIN_TRAINING_ITEMS

if TYPE_CHECKING:
    from recall1924.optimize import TrainingSet

__all__ = [
    "HARD_FAIL_MIN_ANSWERS",
    "HARD_FAIL_RATIO",
    "SPLIT_CHECK_MIN_ITEMS",
    "Finding",
    "Health",
    "SplitCheck",
    "check_health",
    "split_check",
]

SPLIT_CHECK_MIN_ITEMS = 300
"""Anki checks the fit's health only on more training items than this (``compute_params`` in
rslib's ``scheduler/fsrs/params.rs``): fewer leave too few for its later folds."""

HARD_FAIL_MIN_ANSWERS = 50
"""Answers after a Hard (and after a Good) needed before their recall is compared: below it
the difference is noise."""

HARD_FAIL_RATIO = 2.0
"""How many times more often the answer after a Hard is an Again than the answer after a Good,
at least, for Hard to look used as a fail. A Hard that means "recalled, with effort" gets a
shorter interval to keep the card at the desired retention, so the next answer fails little
more often than after a Good (1.5 times as often on the 20,000 later-day answers of a real
Spanish deck, where Hard is a pass; under 1.2 in simulated honest histories); a Hard pressed
for a forgotten card is scheduled as a success, and the next answer often fails (2 to 7 times
as often in simulated histories that press Hard for a half to all of their fails)."""


@dataclass(frozen=True)
class SplitCheck:
    """Anki's health check: fsrs-rs's time-series evaluation (fit on the older answers, predict
    the newer, in five folds), its log loss and RMSE(bins) divided by what is typical at the
    student's retention and number of answers (the adjustments in rslib's ``params.rs``). It
    passes when either is at most the threshold Anki uses."""

    log_loss: float
    rmse_bins: float
    adjusted_log_loss: float
    adjusted_rmse: float

    @property
    def passed(self) -> bool:
        return self.adjusted_log_loss <= 1.11 or self.adjusted_rmse <= 1.53


@dataclass(frozen=True)
class Finding:
    """One thing the health check found: a stable ``code`` for JSON, and a sentence."""

    code: str
    text: str


@dataclass(frozen=True)
class Health:
    """What the scored answers say about how fit for FSRS the history is.

    ``rated`` counts the scored answers (on a later review day than the card's answer before)
    by rating, Again to Easy; ``after`` holds, for each rating of the answer before, how many
    scored answers followed it and how many of those were recalled.
    """

    items: int
    rated: tuple[int, int, int, int]
    after: tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]
    split: SplitCheck | None = None
    split_asked: bool = False

    def recall_after(self, rating: int) -> float | None:
        """The share of scored answers recalled after an answer rated ``rating``."""
        answers, recalled = self.after[rating - 1]
        return recalled / answers if answers else None

    @property
    def findings(self) -> list[Finding]:
        """The problems found, most basic first; empty when there are none."""
        found: list[Finding] = []
        if self.items < MIN_TRAINING_ITEMS:
            found.append(
                Finding(
                    "too_few_answers",
                    f"Too few answers: {self.items} can be scored (given on a later day than "
                    f"the card's answer before); below {MIN_TRAINING_ITEMS} the figures are "
                    "mostly noise and no fit is made.",
                )
            )
        again, hard, _good, _easy = self.rated
        if self.items and again == 0:
            found.append(
                Finding(
                    "no_again",
                    "No Again at all: none of the scored answers is a fail, so FSRS cannot "
                    "learn how you forget and will stretch intervals too far. Press Again "
                    "whenever you did not recall the answer.",
                )
            )
        after_hard, after_good = self.recall_after(2), self.recall_after(3)
        if (
            hard >= again
            and after_hard is not None
            and after_good is not None
            and min(self.after[1][0], self.after[2][0]) >= HARD_FAIL_MIN_ANSWERS
            and 1 - after_hard >= HARD_FAIL_RATIO * (1 - after_good) > 0
        ):
            found.append(
                Finding(
                    "hard_as_fail",
                    f"Hard looks used as a fail: the answer after a Hard was an Again "
                    f"{1 - after_hard:.0%} of the time, after a Good {1 - after_good:.0%}, and "
                    f"Hard ({hard}) is pressed at least as often as Again ({again}). Hard is a "
                    "pass (recalled, with effort); press Again when you forgot.",
                )
            )
        if self.split_asked and self.split is None and self.items:
            found.append(
                Finding(
                    "no_split_check",
                    f"Anki's health check needs more than {SPLIT_CHECK_MIN_ITEMS} scored "
                    f"answers; there are {self.items}.",
                )
            )
        if self.split is not None and not self.split.passed:
            found.append(
                Finding(
                    "hard_to_predict",
                    "Your memory is difficult for FSRS to predict (Anki's health check: "
                    f"adjusted log loss {self.split.adjusted_log_loss:.2f} > 1.11 and adjusted "
                    f"RMSE {self.split.adjusted_rmse:.2f} > 1.53). Suspend or reword cards you "
                    "keep forgetting, use the buttons consistently, understand before you "
                    "memorise.",
                )
            )
        return found

    def to_json(self) -> dict[str, object]:
        again, hard, good, easy = self.rated
        return {
            "scored": self.items,
            "ratings": {"again": again, "hard": hard, "good": good, "easy": easy},
            "recall_after": {
                name: self.recall_after(rating)
                for rating, name in enumerate(("again", "hard", "good", "easy"), start=1)
            },
            "split_check": None
            if self.split is None
            else {
                "log_loss": self.split.log_loss,
                "rmse_bins": self.split.rmse_bins,
                "adjusted_log_loss": self.split.adjusted_log_loss,
                "adjusted_rmse": self.split.adjusted_rmse,
                "passed": self.split.passed,
            },
            "findings": [{"code": f.code, "text": f.text} for f in self.findings],
        }


def _log_loss_typical(retention: float) -> float:
    """The log loss typical of a history recalled ``retention`` of the time (rslib's
    ``log_loss_adjustment``)."""
    return float(0.623 * (4 * retention * (1 - retention)) ** 0.738)


def _rmse_typical(retention: float, items: int) -> float:
    """The RMSE(bins) typical of ``items`` answers recalled ``retention`` of the time (rslib's
    ``rmse_adjustment``)."""
    return float(
        0.0135 / (retention**0.504 - 1.14) + 0.176 / ((items / 1000) ** 0.825 + 2.22) + 0.101
    )


def split_check(training: TrainingSet) -> SplitCheck | None:
    """Anki's health check on ``training`` (see :class:`SplitCheck`); None with too few items
    (:data:`SPLIT_CHECK_MIN_ITEMS`) or when fsrs-rs cannot split them. It fits five times
    more, on growing shares of the history: a few times the cost of the fit itself."""
    import fsrs_rs_python as engine

    if training.items <= SPLIT_CHECK_MIN_ITEMS:
        return None
    try:
        found = engine.evaluate_with_time_series_splits(training.time_ordered_items())
    except ValueError:
        return None
    retention = training.recalled_share
    return SplitCheck(
        log_loss=found.log_loss,
        rmse_bins=found.rmse_bins,
        adjusted_log_loss=found.log_loss / _log_loss_typical(retention),
        adjusted_rmse=found.rmse_bins / _rmse_typical(retention, training.items),
    )


def check_health(training: TrainingSet, *, split: bool = False) -> Health:
    """What ``training`` says about the history's fitness (see :class:`Health`); with
    ``split``, Anki's own check too (:func:`split_check`)."""
    again, hard, good, easy = training.follows
    return Health(
        items=training.items,
        rated=training.rated,
        after=(again, hard, good, easy),
        split=split_check(training) if split else None,
        split_asked=split,
    )
