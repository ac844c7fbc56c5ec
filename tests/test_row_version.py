"""Two machines answering one collection at once: a card's row version, never a clock, decides
that a card answered elsewhere meanwhile is skipped, and that no answer is saved from a stale
state (issue 15).

Each machine is a :class:`Store` of its own on the same collection (a SQLite file, or a
database on the test server), with the same fixed clock, so that nothing but the version can
tell their answers apart. Where both must have read the card before either writes, a hook on
each engine holds its first ``UPDATE card`` until both are there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from conftest import NOW, make_deck
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.deck import PastAnswer
from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck, import_decks
from recall1924.models import ReviewLog
from recall1924.review import Action, Phase, ReviewSession, scheduled_session
from recall1924.scheduling import MemoryState, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store
from recall1924.store.base import memory_of

R, G, E, U = Action.REVEAL, Action.GOOD, Action.EASY, Action.UNDO
NOTICE = "That card was answered in another session meanwhile; moved on"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """The shared collection: a SQLite file, or a fresh database on the test server."""
    if request.param == "sqlite":
        return tmp_path / "shared.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def machines(location: str | Path) -> Iterator[tuple[Store, Store]]:
    """Two stores on one collection holding one deck: two machines of one student."""
    first = Store.open(location, NOW)
    second = Store.open(location, NOW)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def _session(store: Store, clock: FixedClock | None = None) -> ReviewSession:
    settings = replace(Settings.from_stored({}), enable_fuzzing=False)
    scheduler = build_scheduler(settings)
    ticks = iter(range(0, 10_000, 2))
    return scheduled_session(
        store,
        lambda _deck: scheduler,
        settings,
        clock or FixedClock(NOW),
        timer=lambda: float(next(ticks)),
    )


def _drawn(store: Store) -> ReviewSession:
    """A session with its first card drawn and its answer shown."""
    session = _session(store)
    session.start()
    session.apply(R)
    assert session.phase is Phase.ANSWER
    return session


def _hold_first_card_write(store: Store, until: Callable[[], object]) -> None:
    """Run ``until`` just before ``store``'s next ``UPDATE card`` reaches the database (once)."""
    armed = [True]

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if armed[0] and statement.lstrip().upper().startswith("UPDATE CARD"):
            armed[0] = False
            until()

    event.listen(store.engine, "before_cursor_execute", hook)


def _assert_history_unforked(store: Store, card_id: int) -> list[ReviewLog]:
    """The card's answers chain from a new card's state, each from the one before, and the
    card holds the last one's state; returns them."""
    logs = store.answers(card_id)
    assert logs, "no answer was saved"
    assert memory_of(logs[0], "_before").last_review is None
    for earlier, later in zip(logs, logs[1:], strict=False):
        assert memory_of(later, "_before") == memory_of(earlier, "_after")
    assert store.card(card_id).memory == memory_of(logs[-1], "_after")
    return logs


def test_two_machines_answering_one_card_at_once_save_exactly_one_answer(
    machines: tuple[Store, Store],
) -> None:
    first, second = machines
    import_deck(first, make_deck(), now=NOW)
    sessions = [_drawn(first), _drawn(second)]
    assert sessions[0].card == sessions[1].card  # the same card, read by both
    card = sessions[0].card
    assert card is not None and card.version == 0
    both_there = threading.Barrier(2, timeout=20)
    for store in machines:
        _hold_first_card_write(store, both_there.wait)
    failures: list[BaseException] = []

    def answer(session: ReviewSession) -> None:
        try:
            session.apply(G)
        except BaseException as exc:  # pragma: no cover - shown by the assert below
            failures.append(exc)

    # Each machine answers in a thread of its own, on its own connection: both have read
    # the card (when it was drawn) and both reach the write before either has written.
    threads = [threading.Thread(target=answer, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert sorted(len(session.answers) for session in sessions) == [0, 1]
    skipped = next(session for session in sessions if not session.answers)
    assert skipped.message == NOTICE
    assert skipped.card is not None and skipped.card.id != card.id  # it moved on
    (log,) = _assert_history_unforked(first, card.id)
    assert first.card(card.id).version == 1


def test_an_answer_from_a_card_drawn_before_another_machine_answered_is_skipped(
    machines: tuple[Store, Store],
) -> None:
    first, second = machines
    import_deck(first, make_deck(), now=NOW)
    here, there = _drawn(first), _drawn(second)
    there.apply(E)
    here.apply(G)
    assert here.message == NOTICE and here.answers == []
    assert here.card is not None and here.card.key == "b"
    card_id = there.answers[0].card_id
    (log,) = _assert_history_unforked(first, card_id)
    assert log.rating == 4


def test_undo_after_the_other_machine_answered_is_refused(
    machines: tuple[Store, Store],
) -> None:
    first, second = machines
    import_deck(first, make_deck(sections={"one": ["a"]}), now=NOW)
    here = _drawn(first)
    here.apply(G)  # a comes back in ten minutes, within learn-ahead
    there = _drawn(second)
    assert there.card is not None and there.card.key == "a"
    there.apply(G)
    here.apply(U)
    assert here.message == "Cannot undo: that card was answered again in another session since"
    assert len(_assert_history_unforked(first, there.answers[0].card_id)) == 2


def test_undo_while_the_other_machine_answers_is_refused(
    machines: tuple[Store, Store],
) -> None:
    first, second = machines
    import_deck(first, make_deck(sections={"one": ["a"]}), now=NOW)
    here = _drawn(first)
    here.apply(G)
    there = _drawn(second)
    # The other machine's answer lands after this undo has looked at the card's history and
    # before it writes: a check by reading first would pass, and put back a state that the
    # other answer's row no longer follows from.
    _hold_first_card_write(first, lambda: there.apply(G))
    here.apply(U)
    assert here.message == "Cannot undo: that card was answered again in another session since"
    assert len(there.answers) == 1
    assert len(_assert_history_unforked(first, there.answers[0].card_id)) == 2


def test_a_reset_elsewhere_raises_the_version(machines: tuple[Store, Store]) -> None:
    first, second = machines
    import_deck(first, make_deck(sections={"one": ["a"]}), now=NOW)
    here = _drawn(first)
    here.apply(G)
    card_id = here.answers[0].card_id
    shown = _drawn(first)  # a again, learning ahead
    second.reset_cards([card_id], at=NOW)  # recall forget on the other machine
    assert second.card(card_id).version == 2
    shown.apply(G)
    assert shown.message == NOTICE and shown.answers == []
    assert [log.rating for log in first.answers(card_id)] == [3, 0]


def test_a_reset_from_a_stale_read_changes_nothing(machines: tuple[Store, Store]) -> None:
    first, second = machines
    import_deck(first, make_deck(sections={"one": ["a"]}), now=NOW)
    here = _drawn(first)
    here.apply(G)
    card_id = here.answers[0].card_id
    there = _drawn(second)
    # The answer lands between the reset's read of the card and its write.
    _hold_first_card_write(first, lambda: there.apply(G))
    with pytest.raises(Exception, match="answered elsewhere meanwhile; nothing was reset"):
        first.reset_cards([card_id], at=NOW)
    assert [log.rating for log in _assert_history_unforked(first, card_id)] == [3, 3]


def test_a_rewritten_memory_state_raises_the_version(demo_store: Store) -> None:
    """optimize's reschedule (and an Anki history's import) rewrite memory states in bulk:
    a screen that showed the old state must not answer over the new one."""
    shown = _drawn(demo_store)
    assert shown.card is not None
    card_id = shown.card.id
    rewritten = MemoryState.new(NOW + timedelta(days=1))
    demo_store.rewrite_memory({card_id: rewritten}, {})
    assert demo_store.card(card_id).version == 1
    shown.apply(G)
    assert shown.message == NOTICE and demo_store.answers(card_id) == []


def test_an_imported_history_raises_the_version(db_path: Path) -> None:
    app = App(db_path, FixedClock(NOW), bundled=False)
    plain = CardSpec("c", "Q?", "A")
    history = (PastAnswer(NOW - timedelta(days=3), 3), PastAnswer(NOW - timedelta(days=1), 3))
    try:
        for card in (plain, replace(plain, history=history)):
            deck = DeckSpec("anki", "From Anki", (SectionSpec("s", "S", (card,)),))
            import_decks(app.store, [deck], now=NOW, replay=app.replay)
        (card_id,) = [log.card_id for log in app.store.answers()][:1]
        assert app.store.card(card_id).version == 1
    finally:
        app.close()
