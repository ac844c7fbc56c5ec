"""Editing and flagging the card on the review screen: the session's side (issue 16). The
session stays where it was, on the reworded card, and undo takes either back."""

from __future__ import annotations

import pytest

from conftest import NOW
from recall1924.clock import FixedClock
from recall1924.errors import DeckFileError
from recall1924.review import Action, Changed, Flag, Phase, ReviewSession, scheduled_session
from recall1924.scheduling import build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store


def started(store: Store, settings: Settings, clock: FixedClock) -> ReviewSession:
    scheduler = build_scheduler(settings)
    ticks = iter(range(0, 10_000, 2))
    review = scheduled_session(
        store, lambda _deck: scheduler, settings, clock, timer=lambda: float(next(ticks))
    )
    review.start()
    return review


def test_an_edit_rewords_the_card_on_screen_and_undo_puts_it_back(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = started(demo_store, settings, clock)
    review.apply(Action.REVEAL)
    text = review.edit_text()
    assert text is not None and 'answer = "Answer a"' in text
    review.save_edit(text.replace('answer = "Answer a"', 'answer = "Answer a, mine"'))
    assert review.card is not None
    assert (review.card.key, review.card.answer, review.phase) == (
        "a",
        "Answer a, mine",
        Phase.ANSWER,
    )
    assert review.message == "Saved as your own wording; u undoes"
    assert isinstance(review.history[-1], Changed)
    assert demo_store.card(review.card.id).answer == "Answer a, mine"
    review.apply(Action.GOOD)  # the session goes on; the answer is on the edited card
    assert review.card is not None and review.card.key == "b"
    review.apply(Action.UNDO)
    assert review.card is not None and review.card.key == "a" and review.message == "Undid Good"
    review.apply(Action.UNDO)
    assert review.message == "Undid the edit"
    assert review.card.answer == "Answer a"
    assert demo_store.card(review.card.id).answer == "Answer a"
    assert demo_store.answers() == []


def test_a_bad_edit_raises_for_the_editor_and_changes_nothing(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = started(demo_store, settings, clock)
    text = review.edit_text()
    assert text is not None
    with pytest.raises(DeckFileError) as raised:
        review.save_edit(text.replace('answer = "Answer a"', 'answer = ""'))
    assert raised.value.problems == ["line 4: the answer must not be empty"]
    assert review.history == []
    assert review.card is not None and review.card.answer == "Answer a"
    review.save_edit(text)  # as it was: nothing to save
    assert review.message == "Unchanged; nothing was saved" and review.history == []


def test_a_flag_with_a_reason_toggles_and_is_undone(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = started(demo_store, settings, clock)
    review.apply(Flag("ask in class"))
    assert review.card is not None
    assert (review.card.flag, review.card.flag_reason) == (1, "ask in class")
    assert review.message == "Flagged (ask in class); u undoes"
    assert [card.reason for card in demo_store.flagged_cards()] == ["ask in class"]
    review.apply(Action.FLAG)  # on a flagged card: the flag comes off
    assert review.card.flag == 0 and review.message == "Unflagged; u undoes"
    assert demo_store.flagged_cards() == []
    review.apply(Action.UNDO)
    assert review.message == "Undid the unflag" and review.card.flag == 1
    review.apply(Action.UNDO)
    assert review.message == "Undid the flag"
    assert demo_store.flagged_cards() == [] and review.card.flag == 0
    assert review.phase is Phase.QUESTION


def test_edit_without_an_editor_says_how(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = started(demo_store, settings, clock)
    review.apply(Action.EDIT)
    assert review.message == "Change it with: recall edit a"
    clock.set(NOW)
    assert review.history == []
