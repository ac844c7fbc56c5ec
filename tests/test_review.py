"""The review session as a state machine, driven by a scripted UI."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from conftest import NOW, make_deck
from recall1924.clock import FixedClock
from recall1924.importers import import_deck
from recall1924.review import Action, Phase, ReviewSession, run
from recall1924.scheduling import Rating, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store


class ScriptedUI:
    """Plays a list of actions, recording what was on screen before each."""

    def __init__(self, actions: list[Action]) -> None:
        self.actions = list(actions)
        self.seen: list[tuple[str | None, Phase]] = []

    def show(self, session: ReviewSession) -> None:
        self.seen.append((session.card.key if session.card else None, session.phase))

    def next_action(self, session: ReviewSession) -> Action:
        return self.actions.pop(0) if self.actions else Action.QUIT


def session(store: Store, settings: Settings, clock: FixedClock, **kwargs: object) -> ReviewSession:
    ticks = iter(range(0, 10_000, 2))  # every reading of the timer is 2 s after the last
    return ReviewSession(
        store,
        build_scheduler(settings),
        settings,
        clock,
        timer=lambda: float(next(ticks)),
        **kwargs,  # type: ignore[arg-type]
    )


R, G, A, U, Q = Action.REVEAL, Action.GOOD, Action.AGAIN, Action.UNDO, Action.QUIT


def test_reveal_rate_and_quit(demo_store: Store, settings: Settings, clock: FixedClock) -> None:
    ui = ScriptedUI([R, G, R, A, Q])
    summary = run(session(demo_store, settings, clock), ui)
    assert ui.seen == [
        ("a", Phase.QUESTION),
        ("a", Phase.ANSWER),
        ("b", Phase.QUESTION),
        ("b", Phase.ANSWER),
        ("c", Phase.QUESTION),
    ]
    assert (summary.answers, summary.cards) == (2, 2)
    assert summary.ratings[Rating.Good] == 1 and summary.ratings[Rating.Again] == 1
    logs = demo_store.answers()
    assert [log.rating for log in logs] == [3, 1]
    assert all(log.duration_ms == 2000 for log in logs)


def test_rating_before_reveal_is_refused(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = session(demo_store, settings, clock)
    review.start()
    review.apply(Action.GOOD)
    assert review.phase is Phase.QUESTION and review.message == "Show the answer first (Space)"
    assert demo_store.answers() == []


def test_undo_twice_goes_back_two_answers(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = session(demo_store, settings, clock)
    review.start()
    a_before = review.card
    for action in (R, G, R, G):
        review.apply(action)
    review.apply(U)
    assert review.card is not None and review.card.key == "b" and review.phase is Phase.QUESTION
    assert review.message == "Undid Good"
    review.apply(U)
    assert review.card == a_before
    review.apply(U)
    assert review.message == "Nothing to undo in this session"
    assert demo_store.answers() == []


def test_intervals_are_shown_on_reveal(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = session(demo_store, settings, clock)
    review.start()
    assert review.intervals == {}
    review.apply(R)
    assert review.intervals[Rating.Again] == timedelta(minutes=1)
    assert review.intervals[Rating.Good] == timedelta(minutes=10)


def test_new_cards_per_day_are_respected_across_sessions(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    limited = replace(settings, new_per_day=2)
    run(session(demo_store, limited, clock), ScriptedUI([R, Action.EASY] * 5))
    assert len(demo_store.answers()) == 2
    second = session(demo_store, limited, clock)
    second.start()
    assert second.phase is Phase.DONE  # two new cards already introduced today
    clock.set(NOW + timedelta(days=1))
    third = session(demo_store, limited, clock)
    third.start()
    assert third.card is not None and third.card.key == "c"


def test_limit_caps_distinct_cards_but_finishes_their_steps(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    ui = ScriptedUI([R, G, R, G, R, G, R, G])
    summary = run(session(demo_store, settings, clock, limit=1), ui)
    # card a: Good (10 min step, shown ahead), Good again -> graduates; nothing else
    assert [key for key, phase in ui.seen if phase is Phase.QUESTION] == ["a", "a"]
    assert summary.cards == 1 and summary.answers == 2


def test_learning_card_comes_back_when_due(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    import_deck(demo_store, make_deck(sections={"one": ["a"]}), now=NOW, prune=True)
    review = session(demo_store, settings, clock)
    review.start()
    review.apply(R)
    review.apply(A)
    assert review.card is not None and review.card.key == "a"  # due in 1 min: shown ahead
    clock.set(NOW + timedelta(minutes=1))
    review.apply(R)
    review.apply(G)
    review.apply(R)
    review.apply(G)
    assert review.phase is Phase.FINISHED and review.card is None
    assert review.summary().remaining.learning == 0


def test_the_last_answer_can_still_be_undone(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = session(demo_store, replace(settings, new_per_day=1), clock)
    review.start()
    review.apply(R)
    review.apply(Action.EASY)
    assert review.phase is Phase.FINISHED
    review.apply(U)
    assert review.phase is Phase.QUESTION and review.card is not None
    assert demo_store.answers() == []
    review.apply(R)
    review.apply(G)
    review.apply(R)
    review.apply(G)
    assert review.phase is Phase.FINISHED
    review.apply(R)  # any key but u finishes
    assert review.phase is Phase.DONE


def test_empty_session_finishes_at_once(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    ui = ScriptedUI([])
    summary = run(session(store, settings, clock), ui)
    assert ui.seen == [] and summary.answers == 0


def test_reviews_per_day_are_respected(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    clock.set(NOW - timedelta(days=30))
    run(session(demo_store, settings, clock), ScriptedUI([R, Action.EASY] * 3))  # a, b, c
    clock.set(NOW)
    limited = replace(settings, reviews_per_day=1, new_per_day=0)
    ui = ScriptedUI([R, G, R, G, R, G])
    summary = run(session(demo_store, limited, clock), ui)
    assert [key for key, phase in ui.seen if phase is Phase.QUESTION] == ["a"]
    assert summary.answers == 1 and summary.remaining.review == 0
    more = replace(limited, reviews_per_day=3)
    assert session(demo_store, more, clock).remaining().review == 2


def test_two_sessions_on_one_card_keep_the_first_answer(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    first, second = session(demo_store, settings, clock), session(demo_store, settings, clock)
    first.start()
    second.start()
    assert first.card == second.card
    for action in (R, Action.EASY):
        first.apply(action)
    for action in (R, A):
        second.apply(action)
    assert second.message == "That card was answered in another session meanwhile; moved on"
    assert second.card is not None and second.card.key == "b"
    assert [log.rating for log in demo_store.answers()] == [4]
    assert second.history == []


@settings_(max_examples=25, deadline=None)
@given(actions=st.lists(st.sampled_from(list(Action)), max_size=40))
def test_any_key_sequence_keeps_the_database_and_session_in_step(actions: list[Action]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "r.db", NOW)
        import_deck(store, make_deck(), now=NOW)
        settings = replace(Settings.from_stored({}), enable_fuzzing=False)
        review = session(store, settings, FixedClock(NOW))
        review.start()
        for action in actions:
            if review.phase is Phase.DONE:
                break
            review.apply(action)
            logs = store.answers()
            assert [log.id for log in logs] == [answered.log_id for answered in review.history]
            for log in logs:
                if log.id == max(other.id for other in logs if other.card_id == log.card_id):
                    after = store.card(log.card_id).memory
                    assert (after.due, after.last_review) == (log.due_after, log.last_review_after)
            if review.card is not None:
                assert review.card.memory == store.card(review.card.id).memory
        store.close()
