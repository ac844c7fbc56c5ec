"""Today's allowance: how many new cards and reviews the daily limits still allow, and how
many new cards today's budget still has room for.

The collection's limits count every deck together; a deck with limits of its own (``recall
config set --deck``) is held to those as well. With an exam's daily budget (``recall exam DATE
--minutes 25``, a :class:`BudgetRule`), new cards come in only while the budget still holds
every answer they will take today after the cards already due (the rule the exam plan uses,
:func:`~recall1924.budget.new_cards_within`); due reviews and learning cards are never held back.
One :class:`Allowance` is read from the day's answers once, then spent as answers happen, and
everything that says how much is left — the queue choosing the next card, the review header,
the summary, the glance — reads the same object, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from recall1924.budget import AnswerTime, DailyBudget, answers_left_today, new_cards_within
from recall1924.settings import Settings
from recall1924.store import QueueCounts, Scope, Store
from recall1924.words import plural


@dataclass(frozen=True)
class BudgetRule:
    """Today's budget as the allowance keeps to it.

    Args:
        budget: the exam's daily budget, in minutes or answers.
        answer_time: the student's time per answer, which turns minutes into answers.
        per_new_card: the answers a new card takes on its first day
            (:func:`~recall1924.budget.answers_per_new_card`).
        scope: where the answers that spend it are counted: a deck's own budget, that deck's;
            the one for every deck, all of them.
        share: the share of the budget today holds (:func:`~recall1924.budget.day_share`:
            less on an easy day).
    """

    budget: DailyBudget
    answer_time: AnswerTime
    per_new_card: int
    scope: Scope = field(default_factory=Scope)
    share: float = 1.0


@dataclass(frozen=True)
class BudgetSpent:
    """Where today's budget stands: what it is, what today's answers spent of it (answers and
    the time they took), and the answers it still holds."""

    budget: DailyBudget
    answers: int
    seconds: float
    answers_left: int


def budget_note(spent: BudgetSpent, waiting: QueueCounts) -> str:
    """The sentence that says today's budget holds new cards back, with what it is, what
    today's answers spent of it and what is still due (``waiting``: what is left today)."""
    budget = spent.budget
    if budget.minutes is not None:
        what = f"{budget.minutes:g} minute{'' if budget.minutes == 1 else 's'}"
        taken = f"{spent.seconds:.0f} s" if spent.seconds < 120 else f"{spent.seconds / 60:.0f} min"
        used = f"{taken} answered today"
    else:
        what = plural(budget.reviews or 0, "review")  # as --reviews and the exam name it
        used = f"{spent.answers} given today"
    due = waiting.learning + waiting.review
    state = "is spent" if spent.answers_left <= 0 else "has no room for another new card"
    still = f"{plural(due, 'card')} still due" if due else "nothing else due"
    return (
        f"Today's budget of {what} {state} ({used}): no more new cards today "
        f"({waiting.new_held} wait); {still}."
    )


@dataclass
class Allowance:
    """What the daily limits still allow on one review day."""

    new_per_day: int
    reviews_per_day: int
    new_done: int = 0
    reviews_done: int = 0
    deck_limits: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    """Decks with limits of their own, by id: (new per day, reviews per day)."""
    deck_done: dict[int, list[int]] = field(default_factory=dict)
    """For those decks: [new cards introduced, reviews answered] so far today."""
    budget: BudgetRule | None = None
    budget_answers: int = 0
    """Answers given today where the budget counts them (every kind: new, learning, review)."""
    budget_milliseconds: int = 0
    """The time those answers took."""
    due_elsewhere: int = 0
    """Cards due today where the budget counts its answers but outside the cards counted
    here (a review of one deck under every deck's budget): they come before new cards too."""

    @classmethod
    def today(
        cls,
        store: Store,
        settings: Settings,
        *,
        day_start: datetime,
        day_end: datetime,
        deck_limits: Mapping[int, tuple[int, int]] | None = None,
        budget: BudgetRule | None = None,
    ) -> Allowance:
        """The allowance left on the review day from ``day_start`` to ``day_end`` (with
        ``budget``, also what today's answers spent of it)."""
        limits = dict(deck_limits or {})
        done = store.day_counts(day_start, day_end=day_end)
        deck_done = {}
        for deck_id in limits:
            counted = store.day_counts(day_start, Scope(deck_id=deck_id), day_end=day_end)
            deck_done[deck_id] = [counted.new_introduced, counted.reviews]
        spent = done
        if budget is not None and budget.scope.where():
            spent = store.day_counts(day_start, budget.scope, day_end=day_end)
        return cls(
            settings.new_per_day,
            settings.reviews_per_day,
            done.new_introduced,
            done.reviews,
            limits,
            deck_done,
            budget,
            spent.answers if budget is not None else 0,
            spent.milliseconds if budget is not None else 0,
        )

    def new_left(self, deck_id: int | None = None) -> int:
        """New cards still allowed today (in deck ``deck_id``, or in all)."""
        left = max(0, self.new_per_day - self.new_done)
        if deck_id is not None and deck_id in self.deck_limits:
            left = min(left, max(0, self.deck_limits[deck_id][0] - self.deck_done[deck_id][0]))
        return left

    def reviews_left(self, deck_id: int | None = None) -> int:
        """Answers to review cards still allowed today (in deck ``deck_id``, or in all)."""
        left = max(0, self.reviews_per_day - self.reviews_done)
        if deck_id is not None and deck_id in self.deck_limits:
            left = min(left, max(0, self.deck_limits[deck_id][1] - self.deck_done[deck_id][1]))
        return left

    def budget_left(self) -> int | None:
        """The answers today's budget still holds (None: no budget), by the rule the exam
        plan uses (:func:`~recall1924.budget.answers_left_today`)."""
        if self.budget is None:
            return None
        return answers_left_today(
            self.budget.budget,
            self.budget.answer_time,
            answers=self.budget_answers,
            milliseconds=self.budget_milliseconds,
            share=self.budget.share,
        )

    def new_within_budget(self, new: int, due: int) -> int:
        """Of ``new`` cards the limits allow, how many today's budget has room for once the
        ``due`` cards (reviews and learning cards still to answer today) are answered."""
        left = self.budget_left()
        if left is None or self.budget is None:
            return new
        return new_cards_within(left, due + self.due_elsewhere, self.budget.per_new_card, new)

    def budget_spent(self) -> BudgetSpent | None:
        """Where today's budget stands (None: no budget)."""
        left = self.budget_left()
        if left is None or self.budget is None:
            return None
        return BudgetSpent(
            self.budget.budget, self.budget_answers, self.budget_milliseconds / 1000, left
        )

    def spend(
        self,
        deck_id: int,
        *,
        new: bool = False,
        review: bool = False,
        count: int = 1,
        milliseconds: int = 0,
    ) -> None:
        """An answer in ``deck_id`` taking ``milliseconds``: to a new card (``new``), a review
        card (``review``) or a learning card (neither); each spends today's budget.
        ``count=-1`` gives one back (an undone answer)."""
        self.budget_answers += count
        self.budget_milliseconds += count * milliseconds
        if new:
            self.new_done += count
        if review:
            self.reviews_done += count
        if deck_id in self.deck_done:
            self.deck_done[deck_id][0] += count if new else 0
            self.deck_done[deck_id][1] += count if review else 0

    def apply(self, by_deck: Mapping[int, QueueCounts]) -> QueueCounts:
        """Cards waiting per deck, cut to what the limits allow: each deck to its own, all
        of them together to the collection's; and the new cards to what today's budget has
        room for after the cards due (those it holds back counted as ``new_held``)."""
        learning = sum(counts.learning for counts in by_deck.values())
        later = sum(counts.learning_later for counts in by_deck.values())
        review = sum(
            min(counts.review, self.reviews_left(deck)) for deck, counts in by_deck.items()
        )
        new = sum(min(counts.new, self.new_left(deck)) for deck, counts in by_deck.items())
        review, new = min(review, self.reviews_left()), min(new, self.new_left())
        allowed = self.new_within_budget(new, learning + review)
        return QueueCounts(learning, review, allowed, later, new - allowed)
