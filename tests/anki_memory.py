"""Expected memory states, from the official Anki backend (PyPI ``anki``), for tests.

Holds :func:`anki_memory_states` (histories written into a fresh collection's review log),
:func:`package_memory_states` (an ``.apkg`` imported as Anki imports it) and
:func:`collection_memory_states` (the cards of a collection being built). All ask the backend's
``compute_memory_state``: Anki's own way from a review log to FSRS stability and difficulty,
with the default FSRS-6 parameters of a fresh deck preset and the collection's rollover hour.

``anki`` is imported inside the functions: tests call ``pytest.importorskip("anki")`` first.
The backend reads the local time zone from ``TZ`` like recall does (the conftest sets UTC).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from recall1924.deck import PastAnswer

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.dbproxy import DBProxy

# revlog.type values (Anki's RevlogReviewKind)
LEARNING, REVIEW, FILTERED = 0, 1, 3

Memory = tuple[float, float]
"""Stability and difficulty."""


def _open(folder: Path, rollover: int) -> Collection:
    from anki.collection import Collection

    folder.mkdir(parents=True, exist_ok=True)
    collection = Collection(str(folder / "collection.anki2"))
    collection.set_config("rollover", rollover)
    return collection


def _db(collection: Collection) -> DBProxy:
    assert collection.db is not None  # open until closed
    return collection.db


def _memory(collection: Collection, card_id: int) -> Memory | None:
    state = collection.compute_memory_state(card_id)  # type: ignore[arg-type]
    if state.stability is None or state.difficulty is None:
        return None
    return (state.stability, state.difficulty)


def collection_memory_states(
    collection: Collection, card_ids: Iterable[int]
) -> dict[int, Memory | None]:
    """What the backend computes for cards of an open collection, with its own rollover hour."""
    return {card_id: _memory(collection, card_id) for card_id in card_ids}


def anki_memory_states(
    histories: Mapping[int, Sequence[PastAnswer]], *, folder: Path, rollover: int = 4
) -> dict[int, Memory | None]:
    """What Anki makes of each history: one card per key, its answers as review-log rows.

    The first answer is logged as a learning step and the rest as reviews, so Anki takes the
    history as complete (it starts from the last run of learning entries). Times are kept to
    the millisecond; two answers in the same millisecond anywhere are moved 1 ms apart, as the
    log's id is the time.
    """
    collection = _open(folder, rollover)  # imports anki.collection first, as anki needs
    from anki.decks import DeckId

    try:
        notetype = collection.models.by_name("Basic")
        assert notetype is not None
        used: set[int] = set()
        states: dict[int, Memory | None] = {}
        for key, answers in histories.items():
            note = collection.new_note(notetype)
            note["Front"] = f"card {key}"
            collection.add_note(note, DeckId(1))
            card_id = note.card_ids()[0]
            for index, past in enumerate(answers):
                moment = int(past.at.timestamp() * 1000)
                while moment in used:
                    moment += 1
                used.add(moment)
                _db(collection).execute(
                    "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
                    " VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)",
                    moment,
                    card_id,
                    past.rating,
                    -600 if index == 0 else 1,
                    0,
                    0 if index == 0 else 2500,
                    past.duration_ms or 0,
                    LEARNING if index == 0 else REVIEW,
                )
            states[key] = _memory(collection, card_id)
        return states
    finally:
        collection.close()


@dataclass(frozen=True)
class PackageStates:
    """What Anki makes of a package's review history.

    Attributes:
        states: Anki's memory state for each card id with a review log.
        cramming: ``(card id, time in ms)`` of the answers Anki leaves out of the memory state
            because they were given in a filtered deck that did not reschedule.
    """

    states: dict[int, Memory | None]
    cramming: frozenset[tuple[int, int]]
    notes: dict[int, tuple[str, int]] = field(default_factory=dict)
    """Each card's note GUID and template ordinal, by card id."""


def package_memory_states(path: Path, *, folder: Path, rollover: int = 4) -> PackageStates:
    """Import ``path`` into a fresh collection (without its deck presets, so every card gets the
    default FSRS parameters) and ask the backend for each reviewed card's memory state."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    collection = _open(folder, rollover)
    try:
        collection.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(path),
                options=ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=False),
            )
        )
        card_ids = _db(collection).list("SELECT DISTINCT cid FROM revlog ORDER BY cid")
        cramming = _db(collection).all(
            "SELECT cid, id FROM revlog WHERE type = ? AND factor = 0", FILTERED
        )
        notes = _db(collection).all(
            "SELECT cards.id, notes.guid, cards.ord FROM cards JOIN notes ON notes.id = cards.nid"
        )
        return PackageStates(
            states={card_id: _memory(collection, card_id) for card_id in card_ids},
            cramming=frozenset((card_id, moment) for card_id, moment in cramming),
            notes={card_id: (guid, ordinal) for card_id, guid, ordinal in notes},
        )
    finally:
        collection.close()
