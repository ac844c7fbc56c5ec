"""Today's review keeps to the exam's daily budget: new cards come in only while the budget
still holds every answer they take today after the cards due, due cards are never held back,
an undo gives back what it spent, and the header, the summary and the glance say so alike."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pexpect
import pytest

import collection_sql
from conftest import NOW, make_deck
from recall1924.budget import AnswerTime, DailyBudget
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.importing import import_deck
from recall1924.readiness import set_exam
from recall1924.review import Action, Phase, ReviewSession, run, scheduled_session
from recall1924.review.allowance import BudgetRule, budget_note
from recall1924.review.service import budget_rule
from recall1924.scheduling import MemoryState, Rating, State, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Scope, Store
from recall1924.ui.review import _header

R, G, U, Q = Action.REVEAL, Action.GOOD, Action.UNDO, Action.QUIT
TEN_NEW = {"one": [f"n{i}" for i in range(10)]}
PER_NEW_CARD = 2  # the default learning steps, 1m and 10m: two answers of Good
EXAM_DAY = date(2026, 12, 20)


class Keys:
    """Answers Good to every card, until told to stop; records each card shown."""

    def __init__(self, answers: int = 1000) -> None:
        self.answers = answers
        self.shown: list[str] = []

    def show(self, session: ReviewSession) -> None:
        if session.card is not None and session.phase is Phase.QUESTION:
            self.shown.append(session.card.key)

    def next_action(self, session: ReviewSession) -> Action:
        if session.phase is Phase.QUESTION:
            return R
        if session.phase is Phase.ANSWER and self.answers:
            self.answers -= 1
            return G
        return Q


def review(
    store: Store,
    settings: Settings,
    budget: DailyBudget | None,
    *,
    seconds: float = 2,
    scope: Scope | None = None,
    share: float = 1.0,
) -> ReviewSession:
    """A review of today's schedule whose every answer takes ``seconds``, with ``budget``
    (the student too new for an answer time of their own: 10 s an answer)."""
    ticks = (seconds * i for i in range(100_000))
    scheduler = build_scheduler(settings)
    rule = (
        None if budget is None else BudgetRule(budget, AnswerTime(10.0), PER_NEW_CARD, share=share)
    )
    return scheduled_session(
        store,
        lambda _deck: scheduler,
        settings,
        FixedClock(NOW),
        timer=lambda: float(next(ticks)),
        scope=scope,
        budget=rule,
    )


@pytest.fixture
def ten_new(store: Store) -> Store:
    import_deck(store, make_deck("ten", TEN_NEW), now=NOW)
    return store


def new_cards_answered(store: Store) -> int:
    return store.day_counts(NOW - timedelta(hours=9)).new_introduced


def test_a_reviews_budget_introduces_new_cards_only_while_it_has_room(
    ten_new: Store, settings: Settings
) -> None:
    session = review(ten_new, settings, DailyBudget(reviews=6))
    keys = Keys()
    summary = run(session, keys)

    # 6 answers hold three new cards of two answers each; then the three come back to learn.
    assert keys.shown == ["n0", "n1", "n2", "n0", "n1", "n2"]
    assert new_cards_answered(ten_new) == 3
    assert summary.answers == 6
    assert (summary.remaining.new, summary.remaining.new_held) == (0, 7)
    assert summary.budget is not None and summary.budget.answers_left == 0


def test_no_budget_leaves_the_session_as_it_was(ten_new: Store, settings: Settings) -> None:
    session = review(ten_new, settings, None)
    summary = run(session, Keys())

    assert new_cards_answered(ten_new) == 10
    assert summary.budget is None and summary.remaining.new_held == 0


def test_a_minutes_budget_spent_by_todays_answer_times_stops_new_cards(
    ten_new: Store, settings: Settings
) -> None:
    # Earlier today, with no budget: two new cards answered once, 40 s each (80 s).
    run(review(ten_new, settings, None, seconds=40), Keys(answers=2))
    assert new_cards_answered(ten_new) == 2

    # Two minutes: 40 s left, four answers at 10 s; the two learning cards come first, so
    # room for one new card (two answers).
    two = review(ten_new, settings, DailyBudget(minutes=2))
    two.start()
    assert (two.remaining().new, two.remaining().learning) == (1, 2)

    # One minute: spent already. The two learning cards are still shown, no new card.
    one = review(ten_new, settings, DailyBudget(minutes=1))
    keys = Keys()
    summary = run(one, keys)
    assert keys.shown == ["n0", "n1"]
    assert new_cards_answered(ten_new) == 2
    assert summary.remaining.new_stopped and summary.remaining.new_held == 8
    assert summary.budget is not None and summary.budget.seconds == pytest.approx(84)
    assert budget_note(summary.budget, summary.remaining) == (
        "Today's budget of 1 minute is spent (84 s answered today): no more new cards today "
        "(8 wait); nothing else due."
    )


def due_review(store: Store, key: str) -> None:
    """Make card ``key`` a review card due today (answered five days ago)."""
    card_id = store.card_ids([key])[key]
    before = store.card(card_id).memory
    answered = NOW - timedelta(days=5)
    after = MemoryState(State.Review, None, 5.0, 5.0, NOW - timedelta(hours=1), answered)
    store.record_answer(
        card_id, before=before, after=after, rating=Rating.Good, at=answered, duration_ms=5000
    )


def test_due_reviews_are_shown_after_the_budget_is_spent(
    ten_new: Store, settings: Settings
) -> None:
    for key in ("n7", "n8", "n9"):
        due_review(ten_new, key)
    session = review(ten_new, settings, DailyBudget(reviews=2))
    keys = Keys()
    summary = run(session, keys)

    assert keys.shown == ["n7", "n8", "n9"]  # three reviews over a budget of two
    assert new_cards_answered(ten_new) == 0
    assert summary.remaining.new_stopped
    assert summary.budget is not None and summary.budget.answers == 3


def test_a_decks_review_under_every_decks_budget_leaves_room_for_the_other_decks(
    ten_new: Store, settings: Settings
) -> None:
    import_deck(ten_new, make_deck("other", {"s": ["o1", "o2", "o3"]}), now=NOW)
    for key in ("o1", "o2", "o3"):
        due_review(ten_new, key)
    only_ten = ten_new.scope("ten")

    # Five answers: the other deck's three reviews first, then one new card of two answers.
    session = review(ten_new, settings, DailyBudget(reviews=5), scope=only_ten)
    session.start()
    assert session.remaining().new == 1
    four = review(ten_new, settings, DailyBudget(reviews=4), scope=only_ten)
    four.start()
    assert four.remaining().new_stopped and four.card is None


def test_an_undo_gives_back_what_the_answer_spent(ten_new: Store, settings: Settings) -> None:
    session = review(ten_new, settings, DailyBudget(reviews=3))
    session.start()
    assert session.remaining().new == 1  # three answers: one new card of two
    session.apply(R)
    session.apply(G)  # n0 learning: one answer left, and n0 takes it
    assert session.remaining().new_stopped
    assert session.message is not None and "no more new cards today" in session.message
    assert "budget: no new" in _header(session, 200).plain
    assert session.card is not None and session.card.key == "n0"

    session.apply(U)
    assert session.remaining().new == 1 and not session.remaining().new_stopped
    spent = session.budget()
    assert spent is not None and (spent.answers, spent.answers_left) == (0, 3)
    assert "budget" not in _header(session, 200).plain


def app_at(db_path: Path) -> Iterator[App]:
    app = App(collection_sql.location(db_path), FixedClock(NOW))
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def app(db_path: Path) -> Iterator[App]:
    yield from app_at(db_path)


def test_the_budget_is_the_one_beside_the_exam_a_deck_follows(app: App) -> None:
    store = app.store
    import_deck(store, make_deck("ten", TEN_NEW), now=NOW)
    store.save_setting("exam_minutes", "25")
    assert budget_rule(app) is None and budget_rule(app, "ten") is None  # no exam: no budget

    set_exam(app, EXAM_DAY, None, budget=DailyBudget(minutes=25))
    every = budget_rule(app, "ten")
    assert every is not None and every.budget == DailyBudget(minutes=25) and every.scope == Scope()
    assert every.answer_time == AnswerTime(10.0) and every.per_new_card == 2

    set_exam(app, EXAM_DAY, None, "ten", budget=DailyBudget(reviews=40))
    own = budget_rule(app, "ten")
    assert own is not None and own.budget == DailyBudget(reviews=40)
    assert own.scope == store.scope("ten")  # its answers counted in the deck alone
    assert budget_rule(app) == every
    assert every.share == 1.0


def test_an_easy_day_holds_its_share_of_the_budget(ten_new: Store, settings: Settings) -> None:
    # A reduced day holds half of six answers: room for one new card of two answers, not three.
    keys = Keys()
    summary = run(review(ten_new, settings, DailyBudget(reviews=6), share=0.5), keys)
    assert keys.shown == ["n0", "n0"]
    assert summary.remaining.new_held == 9
    # A minimum day holds none: no new card at all.
    assert review(ten_new, settings, DailyBudget(reviews=6), share=0.0).remaining().new == 0


def test_todays_share_comes_from_the_easy_days_setting(db_path: Path) -> None:
    for app in app_at(db_path):
        import_deck(app.store, make_deck("ten", TEN_NEW), now=NOW)
        set_exam(app, EXAM_DAY, None, budget=DailyBudget(reviews=40))
        assert NOW.weekday() == 4  # a Friday
        app.store.save_setting("easy_days", "fri=reduced sat=minimum")
    for app in app_at(db_path):
        rule = budget_rule(app)
        assert rule is not None and rule.share == 0.5


def recall(*args: str, keys: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "recall1924", *args],
        input=keys,
        capture_output=True,
        text=True,
        env={**os.environ, "RECALL_NOW": NOW.isoformat()},
        timeout=60,
        check=True,
    )
    return done.stdout


def test_the_glance_the_header_and_the_summary_agree_with_the_session(db_path: Path) -> None:
    for app in app_at(db_path):
        import_deck(app.store, make_deck("ten", TEN_NEW), now=NOW)
    recall("exam", EXAM_DAY.isoformat(), "--reviews", "4")
    assert "0 reviews, 0 learning, 2 new" in recall()  # four answers: two new cards

    out = " ".join(recall("review", "--deck", "ten", keys=" 3 3 3 3 3q").split())

    assert "done 0 · left 2 (2 new, 0 due)" in out
    assert "done 2 · left 2 (2 due) · budget: no new" in out
    assert "Today's budget of 4 reviews has no room for another new card" in out
    assert "Session: 4 answers on 2 cards" in out
    assert (
        "Today's budget of 4 reviews is spent (4 given today): no more new cards today "
        "(8 wait); nothing else due." in out
    )
    glance = " ".join(recall().split())
    assert "Nothing to review now." in glance
    # Every deck's new cards (the bundled one's too), to new_per_day 20 less the two today.
    assert "Today's budget has no room for more new cards: 18 wait for another day." in glance
    assert "run recall review" not in glance


@pytest.mark.pty
def test_the_real_review_says_when_the_budget_stops_new_cards(db_path: Path) -> None:
    from test_pty import Screen, spawn

    for app in app_at(db_path):
        import_deck(app.store, make_deck("ten", TEN_NEW), now=NOW)
        # Two answers: one new card, answered Good through both learning steps.
        set_exam(app, EXAM_DAY, None, "ten", budget=DailyBudget(reviews=2))
    child = spawn(db_path, "--deck", "ten")
    screen = Screen(child)
    screen.expect("left 1 (1 new, 0 due)")
    child.send(" ")
    screen.expect("Good")
    child.send("3")
    screen.expect("budget: no new")
    screen.expect("Today's budget of 2 reviews has no room for another new card")
    child.send(" ")
    screen.expect("Good")
    child.send("3")
    screen.expect("q or Space finish")
    child.send("q")
    screen.expect("Session: 2 answers on 1 card")
    screen.expect("Today's budget of 2 reviews is spent")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    with collection_sql.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT card.key, review_log.rating FROM review_log "
            "JOIN card ON card.id = review_log.card_id ORDER BY review_log.id"
        ).fetchall()
    assert rows == [("n0", 3), ("n0", 3)]
