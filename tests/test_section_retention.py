"""Desired retention per section (issue 17): ``recall config set --section``, stored in a scope
of its own, used by the review's previews and answers, by doctor's replay, and given to stats
and the exam plan through ``App.section_retentions``. Every test runs on both stores."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import collection_sql
from conftest import NOW, make_deck
from recall1924.cli import app
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.importing import import_deck
from recall1924.review import Action
from recall1924.review.service import start_review
from recall1924.scheduling import Rating, State
from recall1924.settings import section_of_scope, section_scope
from recall1924.store import Scope

runner = CliRunner()


def recall(*args: str, now: datetime = NOW) -> tuple[int, str, str]:
    result = runner.invoke(
        app, list(args), env={"RECALL_NOW": now.isoformat()}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def opened(db_path: Path, now: datetime = NOW) -> App:
    return App(collection_sql.location(db_path), FixedClock(now), bundled=False)


def learnt_deck(db_path: Path, decks: tuple[str, ...] = ("demo",)) -> datetime:
    """``make_deck``'s decks (sections one: a b c, two: d e), every card answered Easy once at
    NOW, without fuzz: review cards with the same memory. Returns when they are due."""
    app_obj = opened(db_path)
    try:
        for key in decks:
            import_deck(app_obj.store, make_deck(key), now=NOW - timedelta(days=1))
        app_obj.store.save_setting("enable_fuzzing", "false")
        session = start_review(app_obj, Scope())
        session.start()
        while session.card is not None:
            session.apply(Action.REVEAL)
            session.apply(Action.EASY)
        due = {card.memory.due for card in cards(app_obj).values()}
    finally:
        app_obj.close()
    assert len(due) == 1
    return due.pop()


def cards(app_obj: App) -> dict[str, Any]:
    """The demo deck's cards by key, as the review reads them."""
    found = app_obj.store.card_ids(["a", "b", "c", "d", "e"], "demo")
    return {key: app_obj.store.card(card_id) for key, card_id in found.items()}


def reviewed(
    db_path: Path, at: datetime
) -> dict[tuple[str, str], tuple[dict[Rating, timedelta], timedelta]]:
    """Each card of a review at ``at``, by (deck, key): the intervals its keys showed, and the
    wait Good gave it (its due date after the answer, from ``at``)."""
    app_obj = opened(db_path, at)
    shown: dict[tuple[str, str], tuple[dict[Rating, timedelta], timedelta]] = {}
    try:
        session = start_review(app_obj, Scope())
        session.start()
        while session.card is not None:
            card = session.card
            session.apply(Action.REVEAL)
            intervals = dict(session.intervals)
            session.apply(Action.GOOD)
            waited = app_obj.store.card(card.id).memory.due - at
            shown[card.deck_key, card.key] = (intervals, waited)
    finally:
        app_obj.close()
    return shown


def test_a_sections_retention_changes_its_cards_intervals_and_no_others(db_path: Path) -> None:
    due = learnt_deck(db_path, ("demo", "more"))
    assert recall("config", "set", "--section", "demo/one", "desired_retention", "0.97")[:2] == (
        0,
        "desired_retention = 0.97 (section demo/one)\n",
    )
    assert recall("config", "set", "--section", "demo/two", "desired_retention", "0.8")[0] == 0
    shown = reviewed(db_path, due)
    assert len(shown) == 10
    # the keys show what the answer gives
    for intervals, given in shown.values():
        assert intervals[Rating.Good] == given
    # deck "more" has no retention of its own in any section: the cards there are as demo's
    # would be without one (the same memory: each answered Easy once at the same time)
    for key in "abc":
        assert shown["demo", key][0][Rating.Good] < shown["more", key][0][Rating.Good]
        assert shown["demo", key][0][Rating.Again] == shown["more", key][0][Rating.Again]
    for key in "de":
        assert shown["demo", key][0][Rating.Good] > shown["more", key][0][Rating.Good]
    assert len({shown["more", key][0][Rating.Good] for key in "abcde"}) == 1


def test_doctor_replays_a_section_with_its_own_retention_cleanly(db_path: Path) -> None:
    due = learnt_deck(db_path)
    recall("config", "set", "--section", "demo/one", "desired_retention", "0.97")
    reviewed(db_path, due)
    code, out, _ = recall("doctor", "--json", now=due + timedelta(hours=1))
    (memory,) = [check for check in json.loads(out)["checks"] if check["check"] == "memory"]
    assert memory["details"]["replayed"] == 5
    assert memory["details"]["drifted"] == []
    assert memory["details"]["as_last_answer_left_it"] == 0


def test_section_retentions_are_given_by_deck_and_section(db_path: Path) -> None:
    learnt_deck(db_path, ("demo", "more"))
    recall("config", "set", "--section", "demo/one", "desired_retention", "0.95")
    recall("config", "set", "--section", "more/two", "desired_retention", "0.8")
    app_obj = opened(db_path)
    try:
        assert app_obj.section_retentions() == {("demo", "one"): 0.95, ("more", "two"): 0.8}
        assert app_obj.section_retentions("more") == {("more", "two"): 0.8}
        assert app_obj.settings_for("demo", "one").desired_retention == 0.95
        assert app_obj.settings_for("demo", "two").desired_retention == 0.9
        assert app_obj.store.settings(section_scope("demo", "one")) == {"desired_retention": "0.95"}
    finally:
        app_obj.close()
    _, out, _ = recall("config", "--section", "demo/one", "--json")
    shown = json.loads(out)
    assert (shown["deck"], shown["section"], shown["own"]) == ("demo", "one", ["desired_retention"])
    assert shown["settings"]["desired_retention"] == 0.95
    _, table, _ = recall("config")
    assert "Sections with their own desired_retention: demo/one 0.95, more/two 0.8" in table
    assert json.loads(recall("config", "--deck", "more", "--json")[1])["sections"] == {
        "more/two": 0.8
    }
    assert recall("config", "reset", "--section", "demo/one", "desired_retention")[1] == (
        "desired_retention = 0.9 (section demo/one follows the deck)\n"
    )
    assert json.loads(recall("config", "--section", "demo/one", "--json")[1])["own"] == []


def test_a_section_scope_is_never_a_deck_key() -> None:
    assert section_scope("demo", "one") == "section:demo/one"
    assert section_of_scope("section:demo/one") == ("demo", "one")
    assert section_of_scope("demo") is None
    assert section_of_scope("global") is None
    assert section_of_scope("section:demo") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--section", "demo/onee"],
            "recall: no section 'demo/onee'; did you mean demo/one, more/one, demo/two?\n",
        ),
        (["--section", "tow"], "recall: no section 'tow'; did you mean demo/two?\n"),
        (
            ["--section", "one"],
            "recall: section 'one' is in several decks (demo/one, more/one); name one\n",
        ),
        (["--deck", "nope", "--section", "one"], "recall: no deck 'nope' (decks: demo, more)\n"),
        (
            ["--section", "more"],
            "recall: no section 'more'; 'more' is a deck, with the sections more/one, more/two "
            "(name one, or set the whole deck's with --deck more)\n",
        ),
    ],
)
def test_an_unknown_section_is_one_line_and_saves_nothing(
    db_path: Path, args: list[str], message: str
) -> None:
    learnt_deck(db_path, ("demo", "more"))
    code, out, err = recall("config", "set", *args, "desired_retention", "0.95")
    assert (code, out, err) == (2, "", message)
    app_obj = opened(db_path)
    try:
        assert app_obj.section_retentions() == {}
    finally:
        app_obj.close()


def test_only_desired_retention_is_set_for_a_section(db_path: Path) -> None:
    learnt_deck(db_path)
    code, out, err = recall("config", "set", "--section", "demo/one", "new_per_day", "3")
    assert (code, out) == (2, "")
    assert err == (
        "recall: new_per_day cannot be set for a section (only desired_retention); "
        "set it for the deck with --deck\n"
    )
    code, _, err = recall("config", "set", "--section", "demo/one", "desired_retention", "0.5")
    assert code == 2 and "expected a number from 0.70 to 0.99" in err
    app_obj = opened(db_path)
    try:
        assert app_obj.store.settings(section_scope("demo", "one")) == {}
        assert app_obj.store.settings("demo") == {}
        state = {card.memory.state for card in cards(app_obj).values()}
        assert state == {State.Review}
    finally:
        app_obj.close()


def test_doctor_names_a_sections_unreadable_retention(db_path: Path) -> None:
    learnt_deck(db_path)
    app_obj = opened(db_path)
    try:
        app_obj.store.save_setting("desired_retention", "0.2", section_scope("demo", "one"))
        assert app_obj.settings_for("demo", "one").desired_retention == 0.9  # the deck's
        assert app_obj.section_retentions() == {}
        assert any("section demo/one" in notice for notice in app_obj.notices)
    finally:
        app_obj.close()
    _, out, _ = recall("doctor", "--json")
    (found,) = [check for check in json.loads(out)["checks"] if check["check"] == "settings"]
    assert found["problems"] == 1
    assert "recall config reset --section demo/one desired_retention" in found["summary"]
