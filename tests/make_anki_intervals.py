"""Write tests/data/anki_intervals.json: what the official Anki backend gives each rating key.

Run it again after changing the cases or upgrading ``anki`` (a test dependency)::

    .venv/bin/python tests/make_anki_intervals.py

For each case it builds a fresh collection with FSRS on and the case's deck options (learning
and relearning steps, maximum interval, desired retention, FSRS-6's default parameters), puts
one card in the case's state (new, learning or relearning at a step, or review with a stability,
difficulty, interval and days since its last review), and stores what
``get_scheduling_states`` says each of Again, Hard, Good and Easy would do: the state the card
goes to, its wait (seconds in steps, days in review) and its memory state.
``tests/test_scheduling_anki.py`` checks recall's previews against the file.

``ANKI_TEST_MODE`` is set before the backend loads: it turns Anki's fuzz off (recall's tests
run without fuzz too, whose draw is recall's own). The card's last review is placed by the
collection's next day start, not the clock, so the days since it are exact at any hour.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ["ANKI_TEST_MODE"] = "1"  # read once, when the backend first loads
os.environ["TZ"] = "UTC"
time.tzset()

OUT = Path(__file__).parent / "data" / "anki_intervals.json"
ROLLOVER = 4
DEFAULT_PARAMETERS = [
    0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796,
    1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
]  # fmt: skip
"""FSRS-6's defaults, as both py-fsrs and Anki ship them; set explicitly on the preset."""

DEFAULTS: dict[str, Any] = {
    "learning_steps": [60, 600],
    "relearning_steps": [600],
    "maximum_interval": 36500,
    "desired_retention": 0.9,
}


# Anki keeps a card's difficulty to three decimals and its stability to four: inputs are
# written so, or the backend would start from a rounded state.


def _new() -> dict[str, Any]:
    return {"state": "new"}


def _steps(
    state: str, step: int, stability: float, difficulty: float, elapsed: int = 0
) -> dict[str, Any]:
    return {
        "state": state,
        "step": step,
        "stability": stability,
        "difficulty": difficulty,
        "elapsed_days": elapsed,
    }


def _review(stability: float, difficulty: float, elapsed: int, scheduled: int) -> dict[str, Any]:
    return {
        "state": "review",
        "stability": stability,
        "difficulty": difficulty,
        "elapsed_days": elapsed,
        "scheduled_days": scheduled,
    }


NO_STEPS: dict[str, Any] = {"learning_steps": [], "relearning_steps": []}
DAY_STEPS: dict[str, Any] = {"learning_steps": [86400, 3 * 86400]}
TWO_RELEARNING: dict[str, Any] = {"relearning_steps": [600, 3600]}
LAPSED = ("relearning", 0, 0.6077, 7.39)
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("new card", {}, _new()),
    ("learning, first step", {}, _steps("learning", 0, 0.212, 6.413)),
    ("learning, last step", {}, _steps("learning", 1, 2.3065, 2.118)),
    ("learning, last step, next day", {}, _steps("learning", 1, 2.3065, 2.118, 1)),
    ("review after a lapse, on time", {}, _review(0.66, 7.38, 1, 1)),
    ("review, tiny stability, overdue", {}, _review(0.3, 9.0, 2, 1)),
    ("review, 5 days, on time", {}, _review(5.0, 5.0, 5, 5)),
    ("review, 30 days, on time", {}, _review(30.0, 5.0, 30, 30)),
    ("review, 30 days, early", {}, _review(30.0, 5.0, 10, 30)),
    ("review, same day", {}, _review(10.0, 5.0, 0, 10)),
    ("review, long overdue", {}, _review(10.0, 6.0, 60, 10)),
    ("review, 200 days", {}, _review(200.0, 3.0, 200, 200)),
    ("review, interval shrank", {}, _review(5.0, 8.0, 5, 20)),
    ("review, hard card", {}, _review(2.0, 10.0, 2, 2)),
    ("relearning, first step", {}, _steps(*LAPSED)),
    ("relearning, next day", {}, _steps(*LAPSED, 1)),
    ("relearning, big stability", {}, _steps("relearning", 0, 12.0, 6.0)),
    ("one learning step: new", {"learning_steps": [600]}, _new()),
    ("one learning step", {"learning_steps": [600]}, _steps("learning", 0, 2.3065, 2.118)),
    ("two relearning steps: first", TWO_RELEARNING, _steps("relearning", 0, 1.5, 7.0)),
    ("two relearning steps: last", TWO_RELEARNING, _steps("relearning", 1, 1.5, 7.0)),
    ("steps shortened since", {}, _steps("relearning", 3, 1.5, 7.0)),
    ("no steps: new", NO_STEPS, _new()),
    ("no steps: learning", NO_STEPS, _steps("learning", 0, 0.212, 6.413)),
    ("no steps: review lapse, short", NO_STEPS, _review(1.0, 9.0, 3, 1)),
    ("no steps: review lapse, long", NO_STEPS, _review(100.0, 5.0, 150, 100)),
    ("no steps: relearning", NO_STEPS, _steps("relearning", 0, 0.2, 9.0)),
    ("day steps: new", DAY_STEPS, _new()),
    ("day steps: last", DAY_STEPS, _steps("learning", 1, 2.3065, 2.118, 1)),
    ("one day relearning step", {"relearning_steps": [86400]}, _steps(*LAPSED)),
    ("maximum 10 days: review", {"maximum_interval": 10}, _review(30.0, 5.0, 10, 10)),
    ("maximum 10 days: learning", {"maximum_interval": 10}, _steps("learning", 1, 2.3065, 2.118)),
    ("retention 0.8", {"desired_retention": 0.8}, _review(10.0, 5.0, 10, 10)),
    ("retention 0.97", {"desired_retention": 0.97}, _review(10.0, 5.0, 10, 10)),
    ("retention 0.97: relearning", {"desired_retention": 0.97}, _steps(*LAPSED)),
]


def _outcome(state: Any) -> dict[str, Any]:
    """One key's result: the state the card goes to, its wait and memory state."""
    normal = state.normal
    kind = normal.WhichOneof("kind")
    if kind == "review":
        review = normal.review
        result: dict[str, Any] = {"state": "review", "days": review.scheduled_days}
        memory = review.memory_state
    elif kind == "learning":
        result = {"state": "learning", "seconds": normal.learning.scheduled_secs}
        memory = normal.learning.memory_state
    elif kind == "relearning":
        learning = normal.relearning.learning
        result = {"state": "relearning", "seconds": learning.scheduled_secs}
        memory = learning.memory_state
    else:
        raise AssertionError(f"unexpected state {kind}")
    # the backend computes in 32-bit floats: seven digits are all it has
    result["stability"] = float(f"{memory.stability:.7g}")
    result["difficulty"] = float(f"{memory.difficulty:.7g}")
    return result


def _case(folder: Path, settings: dict[str, Any], card_state: dict[str, Any]) -> dict[str, Any]:
    from anki import consts
    from anki.cards_pb2 import FsrsMemoryState
    from anki.collection import Collection
    from anki.decks import DeckId

    collection = Collection(str(folder / "collection.anki2"))
    try:
        collection.set_config("rollover", ROLLOVER)
        collection.set_config("fsrs", True)
        config = collection.decks.config_dict_for_deck_id(DeckId(1))
        config["new"]["delays"] = [seconds / 60 for seconds in settings["learning_steps"]]
        config["lapse"]["delays"] = [seconds / 60 for seconds in settings["relearning_steps"]]
        config["rev"]["maxIvl"] = settings["maximum_interval"]
        config["desiredRetention"] = settings["desired_retention"]
        config["fsrsParams6"] = DEFAULT_PARAMETERS
        collection.decks.update_config(config)
        notetype = collection.models.by_name("Basic")
        assert notetype is not None
        note = collection.new_note(notetype)
        note["Front"], note["Back"] = "question", "answer"
        collection.add_note(note, DeckId(1))
        card = note.cards()[0]
        state = card_state["state"]
        if state != "new":
            cutoff = collection.sched.day_cutoff
            elapsed = card_state["elapsed_days"]
            # half a day before a day start: exactly `elapsed` days pass by Anki's count
            last_review = cutoff - elapsed * 86400 - 43200
            card.memory_state = FsrsMemoryState(
                stability=card_state["stability"], difficulty=card_state["difficulty"]
            )
            card.last_review_time = last_review
            card.reps = 3
            if state == "review":
                scheduled = card_state["scheduled_days"]
                card.type, card.queue = consts.CARD_TYPE_REV, consts.QUEUE_TYPE_REV
                card.ivl = scheduled
                card.due = collection.sched.today + scheduled - elapsed
            else:
                steps = settings["learning_steps" if state == "learning" else "relearning_steps"]
                learning = state == "learning"
                card.type = consts.CARD_TYPE_LRN if learning else consts.CARD_TYPE_RELEARNING
                card.queue = consts.QUEUE_TYPE_LRN
                card.ivl = 0 if learning else 1
                card.left = max(len(steps) - card_state["step"], 0)
                card.due = int(time.time())
                card.lapses = 0 if learning else 1
            collection.update_card(card)
        states = collection._backend.get_scheduling_states(card.id)
        return {
            "again": _outcome(states.again),
            "hard": _outcome(states.hard),
            "good": _outcome(states.good),
            "easy": _outcome(states.easy),
        }
    finally:
        collection.close()


def main() -> int:
    from anki.buildinfo import version

    cases = []
    with tempfile.TemporaryDirectory() as temporary:
        for index, (name, changes, card_state) in enumerate(CASES):
            settings = {**DEFAULTS, **changes}
            folder = Path(temporary) / str(index)
            folder.mkdir()
            expected = _case(folder, settings, card_state)
            cases.append(
                {"name": name, "settings": settings, "card": card_state, "expected": expected}
            )
    document = {
        "about": "Anki's next states per rating key, fuzz off: tests/make_anki_intervals.py",
        "anki": version,
        "rollover": ROLLOVER,
        "parameters": DEFAULT_PARAMETERS,
        "cases": cases,
    }
    # one case a line: a regenerated file diffs case by case
    lines = [json.dumps(case) for case in cases]
    head = json.dumps({key: value for key, value in document.items() if key != "cases"})
    OUT.write_text(head[:-1] + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n")
    print(f"wrote {len(cases)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
