"""``--reschedule`` (issue 17): a change of desired retention or parameters moves no due date
unless asked; asked, each review card it touches gets its interval again from its stability,
with one review log row of kind Reschedule, which no count of answers, no stat, no optimizer
input and no replay takes for an answer. Every test runs on both stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import collection_sql
from recall1924.errors import StaleCardError
from recall1924.models import ReviewKind
from recall1924.rescheduling import rescheduled
from recall1924.scheduling import MemoryState, Rating, State, build_scheduler, days_until
from recall1924.settings import Settings
from test_section_retention import learnt_deck, opened, recall, reviewed


def rows(db_path: Path, sql: str, *params: Any) -> list[Any]:
    with collection_sql.connect(db_path) as connection:
        return list(connection.execute(sql, params).fetchall())


def dues(db_path: Path) -> dict[tuple[str, str], datetime]:
    found = rows(
        db_path,
        "SELECT deck.key, card.key, card.due FROM card JOIN deck ON deck.id = card.deck_id",
    )
    return {(deck, key): collection_sql.moment(due) for deck, key, due in found}


def reschedule_rows(db_path: Path) -> list[Any]:
    return rows(
        db_path,
        "SELECT card_id, rating, due_before, due_after, stability_before, stability_after "
        "FROM review_log WHERE kind = ? ORDER BY card_id",
        int(ReviewKind.Reschedule),
    )


def counters(db_path: Path) -> list[Any]:
    return rows(
        db_path,
        "SELECT id, review_answers, review_lapses, mature_answers, mature_lapses FROM card "
        "ORDER BY id",
    )


def reviewed_twice(db_path: Path) -> datetime:
    """Two decks learnt (Easy), then each card answered Good when due: review cards with an
    answer in the Review state, which retention and the counters count. Returns the time of
    those answers."""
    due = learnt_deck(db_path, ("demo", "more"))
    reviewed(db_path, due)
    return due


def stats_numbers(now: datetime) -> dict[str, Any]:
    totals = json.loads(recall("stats", "--json", now=now)[1])["totals"]
    return {key: totals[key] for key in ("retention", "reviews_today", "review", "learning")}


def test_a_change_without_reschedule_moves_nothing_and_says_how(db_path: Path) -> None:
    at = reviewed_twice(db_path)
    before = dues(db_path)
    code, out, err = recall("config", "set", "desired_retention", "0.8", now=at)
    assert (code, out) == (0, "desired_retention = 0.8\n")
    assert err == (
        "Due dates are unchanged: each card follows the new value from its next answer. "
        "To move them now: recall config set desired_retention 0.8 --reschedule\n"
    )
    code, _, err = recall("config", "set", "--section", "demo/one", "desired_retention", "0.95")
    assert "recall config set --section demo/one desired_retention 0.95 --reschedule" in err
    assert dues(db_path) == before
    assert reschedule_rows(db_path) == []
    # the command it names moves them, though the value is already stored
    code, out, _ = recall("config", "set", "desired_retention", "0.8", "--reschedule", now=at)
    # all but demo/one's three, which have a retention of their own
    assert out.endswith("Rescheduled 7 cards to the new desired_retention.\n")
    assert len(reschedule_rows(db_path)) == 7


def test_a_reset_with_reschedule_hands_the_cards_back(db_path: Path) -> None:
    at = reviewed_twice(db_path)
    recall("config", "set", "--deck", "demo", "desired_retention", "0.8", "--reschedule", now=at)
    moved = dues(db_path)
    code, out, _ = recall(
        "config", "reset", "--deck", "demo", "desired_retention", "--reschedule", now=at
    )
    assert out == (
        "desired_retention = 0.9 (deck demo follows the collection)\n"
        "Rescheduled 5 cards to the new desired_retention.\n"
    )
    again = dues(db_path)
    assert {name for name in moved if moved[name] != again[name]} == {
        ("demo", key) for key in "abcde"
    }
    assert all(again[name] < moved[name] for name in again if name[0] == "demo")


def test_reschedule_moves_due_dates_and_logs_each_move(db_path: Path) -> None:
    at = reviewed_twice(db_path)
    later = at + timedelta(hours=2)
    before = dues(db_path)
    answers_before = counters(db_path)
    stats_before = stats_numbers(later)
    app_obj = opened(db_path, at)
    try:
        optimizer_before = list(app_obj.store.answer_days(None, day_starts_at=4))
        versions = dict(rows(db_path, "SELECT id, version FROM card"))
    finally:
        app_obj.close()

    code, out, err = recall("config", "set", "desired_retention", "0.8", "--reschedule", now=later)
    assert (code, err) == (0, "")
    assert out == "desired_retention = 0.8\nRescheduled 10 cards to the new desired_retention.\n"

    after = dues(db_path)
    moved = reschedule_rows(db_path)
    assert len(moved) == 10
    app_obj = opened(db_path, later)
    try:
        scheduler = build_scheduler(app_obj.settings)
        for card_id, rating, due_before, due_after, stability_before, stability_after in moved:
            card = app_obj.store.card(card_id)
            assert rating == 0
            assert stability_before == stability_after == card.memory.stability
            assert collection_sql.moment(due_before) == before[card.deck_key, card.key]
            assert collection_sql.moment(due_after) == after[card.deck_key, card.key]
            assert card.memory.last_review is not None and card.memory.stability is not None
            days = round(days_until(0.8, card.memory.stability, -scheduler.parameters[20]))
            assert card.memory.due == card.memory.last_review + timedelta(days=days)
            assert card.memory.due > before[card.deck_key, card.key]  # a lower retention: later
            assert card.version == versions[card_id] + 1
        # no answer: not in any count of answers, nor in what the optimizer trains on
        assert counters(db_path) == answers_before
        assert list(app_obj.store.answer_days(None, day_starts_at=4)) == optimizer_before
    finally:
        app_obj.close()
    assert stats_numbers(later) == stats_before
    # a replay of the history gives the cards as they are: no drift
    _, report, _ = recall("doctor", "--json", now=later)
    (memory,) = [check for check in json.loads(report)["checks"] if check["check"] == "memory"]
    assert memory["ok"] and memory["details"]["drifted"] == []
    (counted,) = [c for c in json.loads(report)["checks"] if c["check"] == "answer_counters"]
    assert counted["ok"]
    # the card's history shows it, and says it is no answer
    code, shown, _ = recall("card", "a", "--deck", "demo", "--json", now=later)
    assert code == 0
    history = json.loads(shown)["history"]
    assert [entry["kind"] for entry in history] == ["review", "review", "reschedule"]
    assert history[-1]["rating"] is None
    # stored as every answer's time is (the log's own codec), so it reads back as written
    assert datetime.fromisoformat(history[-1]["reviewed_at"]) == later
    assert json.loads(shown)["reviews"] == 2


def test_a_sections_reschedule_moves_only_that_section(db_path: Path) -> None:
    at = reviewed_twice(db_path)
    before = dues(db_path)
    code, out, _ = recall(
        "config", "set", "--section", "demo/one", "desired_retention", "0.97", "--reschedule"
    )
    assert code == 0 and out.endswith("Rescheduled 3 cards to the new desired_retention.\n")
    after = dues(db_path)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {("demo", "a"), ("demo", "b"), ("demo", "c")}
    assert all(after[name] < before[name] for name in changed)  # aiming higher: sooner
    # the deck's retention then moves the deck's other section, not the one with its own
    code, out, _ = recall(
        "config", "set", "--deck", "demo", "desired_retention", "0.8", "--reschedule", now=at
    )
    assert out.endswith("Rescheduled 2 cards to the new desired_retention.\n")
    again = dues(db_path)
    assert {name for name in after if after[name] != again[name]} == {("demo", "d"), ("demo", "e")}


def test_new_parameters_reschedule_with_their_own_curve(db_path: Path) -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    reviewed_twice(db_path)
    # At 0.9 every curve gives an interval of the stability itself: aim lower, so the curve's
    # shape counts (this alone moves nothing).
    recall("config", "set", "desired_retention", "0.8")
    before = dues(db_path)
    parameters = [*DEFAULT_PARAMETERS[:20], 0.5]  # a steeper forgetting curve
    text = " ".join(map(repr, parameters))
    code, out, _ = recall("config", "set", "--deck", "more", "parameters", text, "--reschedule")
    assert code == 0 and out.endswith("Rescheduled 5 cards to the new parameters.\n")
    after = dues(db_path)
    assert {name for name in before if before[name] != after[name]} == {
        ("more", key) for key in "abcde"
    }


def test_reschedule_for_a_setting_that_moves_nothing_is_refused(db_path: Path) -> None:
    reviewed_twice(db_path)
    code, out, err = recall("config", "set", "new_per_day", "5", "--reschedule")
    assert (code, out) == (2, "")
    assert err == (
        "recall: --reschedule moves due dates after a change of desired_retention or "
        "parameters; new_per_day moves none\n"
    )
    app_obj = opened(db_path)
    try:
        assert "new_per_day" not in app_obj.store.settings()
    finally:
        app_obj.close()


def test_a_screen_drawn_before_a_reschedule_cannot_save_over_it(db_path: Path) -> None:
    at = reviewed_twice(db_path)
    app_obj = opened(db_path, at)
    try:
        (card_id,) = app_obj.store.card_ids(["a"], "demo").values()
        shown = app_obj.store.card(card_id)
    finally:
        app_obj.close()
    recall("config", "set", "desired_retention", "0.8", "--reschedule")
    app_obj = opened(db_path, at)
    try:
        with pytest.raises(StaleCardError):
            app_obj.store.record_answer(
                card_id,
                before=shown.memory,
                after=shown.memory,
                rating=Rating.Good,
                at=at + timedelta(days=30),
                duration_ms=None,
                version=shown.version,
            )
    finally:
        app_obj.close()


def test_only_answered_review_cards_are_rescheduled() -> None:
    at = datetime(2026, 11, 27, 10, tzinfo=UTC)
    scheduler = build_scheduler(Settings.from_stored({"enable_fuzzing": "false"}))
    review = MemoryState(State.Review, None, 10.0, 5.0, at + timedelta(days=3), at)
    moved = rescheduled(review, card_id=1, scheduler=scheduler)
    assert moved is not None and moved.due == at + timedelta(days=10)  # R = 0.9 at S days
    assert rescheduled(MemoryState.new(at), card_id=1, scheduler=scheduler) is None
    learning = MemoryState(State.Learning, 1, 1.0, 5.0, at, at)
    assert rescheduled(learning, card_id=1, scheduler=scheduler) is None
    capped = build_scheduler(
        Settings.from_stored({"maximum_interval": "4", "enable_fuzzing": "false"})
    )
    moved = rescheduled(review, card_id=1, scheduler=capped)
    assert moved is not None and moved.due == at + timedelta(days=4)


def fitted_at_once(monkeypatch: pytest.MonkeyPatch, parameters: tuple[float, ...]) -> None:
    """``recall optimize`` finds ``parameters`` better at once: the fit itself is
    tests/test_optimize.py's; here only what saving them does to due dates counts."""
    import recall1924.optimize as optimizing

    def found(store: Any, decks: Any, *, deck: str | None, current: Any, **_: Any) -> Any:
        return optimizing.OptimizeReport(
            deck=deck,
            answers=10,
            items=MIN_ITEMS,
            current=tuple(current),
            fitted=parameters,
            before=optimizing.Metrics(0.5, 0.1, 10),
            after=optimizing.Metrics(0.4, 0.1, 10),
        )

    monkeypatch.setattr(optimizing, "_fit_and_score", found)


MIN_ITEMS = 400


@pytest.mark.parametrize("asked", [False, True])
def test_optimize_moves_due_dates_only_when_asked(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, asked: bool
) -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    at = reviewed_twice(db_path)
    recall("config", "set", "desired_retention", "0.8")  # so that the curve's shape counts
    before = dues(db_path)
    stabilities = dict(rows(db_path, "SELECT id, stability FROM card"))
    fitted = (*DEFAULT_PARAMETERS[:20], 0.5)
    fitted_at_once(monkeypatch, fitted)
    code, out, err = recall(
        "optimize", "--deck", "more", *(["--reschedule"] if asked else []), now=at
    )
    assert code == 0, err
    after = dues(db_path)
    # what was saved is said as it is: memory states, never due dates (those are the next line)
    assert "cards' memory states from" in out and "due dates from" not in out
    # the memory states are recomputed with the new parameters either way
    assert dict(rows(db_path, "SELECT id, stability FROM card")) != stabilities
    if not asked:
        assert after == before
        assert reschedule_rows(db_path) == []
        assert "Due dates are unchanged" in err
        assert "with --reschedule, recall optimize moves them" in err
    else:
        assert out.endswith("Rescheduled 5 cards to the new parameters.\n")
        assert {name for name in before if before[name] != after[name]} == {
            ("more", key) for key in "abcde"
        }
        assert len(reschedule_rows(db_path)) == 5
    _, report, _ = recall("doctor", "--json", now=at + timedelta(hours=1))
    (memory,) = [check for check in json.loads(report)["checks"] if check["check"] == "memory"]
    assert memory["details"]["drifted"] == []
