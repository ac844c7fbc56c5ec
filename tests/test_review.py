"""The review session as a state machine, driven by a scripted UI."""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st
from sqlalchemy import create_engine

from conftest import NOW, make_deck
from recall1924 import db
from recall1924.clock import FixedClock, day_start
from recall1924.errors import DatabaseError
from recall1924.importing import import_deck
from recall1924.models import ReviewKind
from recall1924.review import (
    Action,
    Phase,
    ReviewSession,
    cram_session,
    run,
    scheduled_session,
)
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
    scheduler = build_scheduler(settings)
    return scheduled_session(
        store,
        lambda _deck: scheduler,
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
    assert second.answers == []


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
            assert [log.id for log in logs] == [answered.log_id for answered in review.answers]
            for log in logs:
                if log.id == max(other.id for other in logs if other.card_id == log.card_id):
                    after = store.card(log.card_id).memory
                    assert (after.due, after.last_review) == (log.due_after, log.last_review_after)
            if review.card is not None:
                assert review.card.memory == store.card(review.card.id).memory
        store.close()


S, B = Action.SUSPEND, Action.BURY


def test_header_counts_learning_cards_not_due_yet_apart_and_respects_the_limit(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    slow = replace(settings, learning_steps=(timedelta(minutes=1), timedelta(hours=2)))
    review = session(demo_store, slow, clock)
    review.start()
    before = review.remaining()
    assert (before.new, before.due, before.learning_later) == (5, 0, 0)
    for action in (R, G):  # a: Good -> next step in 2 hours, not due now
        review.apply(action)
    left = review.remaining()
    assert (left.new, left.due, left.learning_later) == (4, 0, 1)
    limited = session(demo_store, slow, clock, limit=2)
    limited.start()
    assert limited.remaining().new == 2  # not the 4 the day would allow
    for action in (R, G):
        limited.apply(action)
    assert limited.remaining().new == 1


def test_undo_after_another_session_answered_the_card_is_a_notice(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    mine = session(demo_store, settings, clock)
    mine.start()
    mine.apply(R)
    mine.apply(G)  # a: Good
    clock.set(NOW + timedelta(minutes=11))
    other = session(demo_store, settings, clock)
    other.start()
    assert other.card is not None and other.card.key == "a"  # learning card due again
    other.apply(R)
    other.apply(G)
    mine.apply(U)
    assert mine.message is not None and mine.message.startswith("Cannot undo: that card was")
    assert mine.phase is Phase.QUESTION  # the session goes on
    assert len(demo_store.answers()) == 2


def test_a_card_deleted_in_another_window_is_skipped_with_a_notice(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = session(demo_store, settings, clock)
    review.start()
    review.apply(R)
    import_deck(
        demo_store, make_deck(sections={"one": ["b", "c"], "two": ["d", "e"]}), now=NOW, prune=True
    )  # 'a' is gone
    review.apply(G)
    assert review.message == "That card was deleted in another window meanwhile; moved on"
    assert review.card is not None and review.card.key == "b"


def test_a_database_locked_past_the_busy_timeout_keeps_the_answer(
    tmp_path: Path, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    store = Store.open(tmp_path / "locked.db", NOW)
    import_deck(store, make_deck(), now=NOW)
    review = session(store, settings, clock)
    shown: list[str | None] = []
    review.notify = lambda: shown.append(review.message)
    other = sqlite3.connect(tmp_path / "locked.db", timeout=0)
    other.execute("BEGIN EXCLUSIVE")  # another recall writing, for longer than the timeout
    waits: list[float] = []

    def pause(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            other.rollback()  # ... then it is done

    review.pause = pause
    review.start()
    review.apply(R)
    review.apply(G)
    assert len(waits) == 2 and shown[0] == "waiting for the database (another recall is writing)…"
    assert [log.rating for log in store.answers()] == [3]
    assert review.card is not None and review.card.key == "b"
    other.close()
    store.close()


def test_a_read_only_database_is_found_before_the_first_card(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    Store.open(path, NOW).close()
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    store = Store(engine, path)
    with pytest.raises(DatabaseError, match="is read-only: recall cannot save answers"):
        store.check_writable()
    store.close()


def test_suspend_and_bury_are_undoable(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = session(demo_store, settings, clock)
    review.start()
    review.apply(S)  # a
    assert review.message == "Suspended; u brings it back" and review.card.key == "b"  # type: ignore[union-attr]
    review.apply(R)
    review.apply(B)  # b, from the answer screen
    assert review.card is not None and review.card.key == "c"
    assert review.remaining().new == 3
    review.apply(U)
    assert review.message == "Undid bury" and review.card.key == "b"
    review.apply(U)
    assert review.message == "Undid suspend" and review.card.key == "a"
    assert review.remaining().new == 5
    review.apply(B)
    clock.set(NOW + timedelta(days=1))  # buried until the next review day only
    assert session(demo_store, settings, clock).remaining().new == 5


def test_cram_practises_without_changing_the_schedule(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    run(session(demo_store, settings, clock), ScriptedUI([R, Action.EASY, R, G]))  # a, b
    states = {
        key: demo_store.card(card.id).memory
        for key, card in demo_store.existing_cards("demo").items()
    }  # type: ignore[union-attr]
    ticks = iter(range(0, 10_000, 2))
    cram = cram_session(demo_store, settings, clock, timer=lambda: float(next(ticks)))
    ui = ScriptedUI([R, A, R, G, R, G, R, G, R, G, R, G, Q])
    summary = run(cram, ui)
    shown = [key for key, phase in ui.seen if phase is Phase.QUESTION]
    assert shown[0] == "b"  # weakest first: the lowest stability
    assert sorted(shown) == ["a", "b", "b", "c", "d", "e"]  # Again comes back at the end
    assert summary.answers == 6 and summary.kind is ReviewKind.Cram
    after = {
        key: demo_store.card(card.id).memory
        for key, card in demo_store.existing_cards("demo").items()
    }  # type: ignore[union-attr]
    assert after == states
    kinds = [log.kind for log in demo_store.answers()]
    assert kinds == [ReviewKind.Review] * 2 + [ReviewKind.Cram] * 6


def test_a_leech_is_reported_and_optionally_suspended(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    import_deck(demo_store, replace(make_deck(), source="/home/s/demo.toml"), now=NOW)
    strict = replace(settings, leech_threshold=2, leech_suspend=True, new_per_day=1)
    review = session(demo_store, strict, clock)
    review.start()
    for action in (R, Action.EASY):  # a: learnt
        review.apply(action)
    strict = replace(strict, new_per_day=0)
    for lapse in range(2):
        forgotten = NOW + timedelta(days=60 * (lapse + 1))
        clock.set(forgotten)
        review = session(demo_store, strict, clock)
        review.start()
        assert review.card is not None and review.card.key == "a"
        review.apply(R)
        review.apply(A)
        if lapse == 0:
            clock.set(forgotten + timedelta(minutes=10))
            review.apply(R)
            review.apply(Action.EASY)  # learnt again
    assert review.message == (
        "Leech: 'a' (demo) was forgotten 2 times; rewrite it in /home/s/demo.toml. It is suspended."
    )
    assert demo_store.lapses(demo_store.card_ids(["a"])["a"]) == 2
    assert review.card is None  # suspended: not shown again


def test_answer_time_is_capped_and_minutes_end_the_session(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    seconds = [0.0]
    scheduler = build_scheduler(settings)
    review = scheduled_session(
        demo_store,
        lambda _deck: scheduler,
        settings,
        clock,
        minutes=10,
        timer=lambda: seconds[0],
    )
    review.start()
    review.apply(R)
    seconds[0] = 500.0
    review.apply(G)  # answered 500 s after it was shown: stored as the 60 s cap
    assert demo_store.answers()[0].duration_ms == 60_000
    review.apply(R)
    seconds[0] = 700.0
    review.apply(G)  # 700 s into a 10-minute session: over
    assert review.phase is Phase.DONE and review.message == "10 minutes are up"


def test_the_summary_says_how_each_sections_mastery_moved(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    summary = run(session(demo_store, settings, clock), ScriptedUI([R, Action.EASY, R, G]))
    # a (Easy) and b (Good, still learning) in section one, which holds three cards. Expected
    # from the FSRS-6 forgetting curve at the start of the next review day, one day after
    # today's answers: R = (1 + factor * t / S) ** -w20, factor = 0.9 ** (-1 / w20) - 1.
    w20 = DEFAULT_PARAMETERS[20]
    factor = 0.9 ** (-1 / w20) - 1
    stabilities = [
        demo_store.card(demo_store.card_ids([key])[key]).memory.stability for key in ("a", "b")
    ]
    gained = sum((1 + factor * 1 / s) ** -w20 for s in stabilities if s is not None)
    assert summary.mastery_moved == {"Section one": pytest.approx(gained / 3)}


def test_with_an_exam_no_interval_passes_it_when_the_card_would_fail(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    from recall1924.exam import Exam

    exam_day = (NOW + timedelta(days=3)).date()
    scheduler = build_scheduler(settings)
    review = scheduled_session(
        demo_store,
        lambda _deck: scheduler,
        settings,
        clock,
        exam_for=lambda _deck: Exam(exam_day, 0.98),  # Easy (S 8 days) leaves it at 0.96
    )
    review.start()
    review.apply(R)
    eve = day_start(exam_day, 4) - timedelta(days=1)
    assert NOW + review.intervals[Rating.Easy] <= eve  # 8 days without the exam
    review.apply(Action.EASY)
    assert demo_store.card(demo_store.card_ids(["a"])["a"]).memory.due <= eve


def test_a_deck_with_its_own_new_card_limit_keeps_to_it(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    import_deck(demo_store, make_deck("other", {"x": ["p", "q"]}), now=NOW)
    demo = demo_store.scope("demo").deck_id
    assert demo is not None
    scheduler = build_scheduler(settings)
    review = scheduled_session(
        demo_store, lambda _deck: scheduler, settings, clock, deck_limits={demo: (1, 200)}
    )
    ui = ScriptedUI([R, Action.EASY] * 6)
    run(review, ui)
    shown = [key for key, phase in ui.seen if phase is Phase.QUESTION]
    assert shown == ["a", "p", "q"]  # one new card of demo's, then the other deck's
