"""Two machines, one student, one collection on PostgreSQL: answer the same deck at once.

Issue 15: two ``recall review`` processes answering at the same time lose nothing, and a card
answered elsewhere meanwhile is skipped with a notice, decided by the card's row version.
This starts two worker processes (each a review session through the session API, as
``recall review`` runs one, on a connection of its own) against one PostgreSQL database,
answering the same small deck as fast as they can for ``--seconds``, with an undo now and
then. Then it checks, from the database:

- every answer a worker reports saved (and not undone) is in ``review_log``, and nothing else
  is;
- no two answers of one card have the same state before (none was saved from a stale state),
  and each answer's state before is the one before's state after;
- each card's memory state equals the replay of its history (``history.replay``).

Both workers read one accelerated clock (the wall clock, ``--speed`` times as fast from a
shared start), so cards leave learning, come due as reviews days later and lapse within the
run, and every answer of a card is later than the one before it: the replay needs its
history in time order. Fuzz is off, so the replay gives the very states saved.

The database is ``--url`` (an empty one: a database holding a collection is refused), or one
on a throwaway server started as ``tests/postgres.py`` starts one (``initdb`` in a temporary
folder, a unix socket only).

    .venv/bin/python benchmarks/two_machines.py                 # 60 s, a throwaway server
    .venv/bin/python benchmarks/two_machines.py --seconds 5 --url postgresql://…/scratch

Exit status 0 when every check holds, 1 when one fails (it says which), 2 for bad options or
no server.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
NOTICE = "That card was answered in another session meanwhile; moved on"
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
"""Where the accelerated clock starts."""
RATINGS = (1, 2, 3, 4)
WEIGHTS = (3, 1, 5, 1)
"""Again, Hard, Good, Easy: forgetting often enough that cards keep coming back."""
UNDO_CHANCE = 0.05


@dataclass
class SharedClock:
    """The wall clock, ``speed`` times as fast, from ``START`` at wall time ``began``: the same
    in every process on this machine, and never going back."""

    began: float
    speed: float

    def now(self) -> datetime:
        return START + timedelta(seconds=(time.time() - self.began) * self.speed)


def _settings() -> Any:
    from recall1924.settings import Settings

    return replace(
        Settings.from_stored({}),
        enable_fuzzing=False,
        new_per_day=100_000,
        reviews_per_day=100_000,
        leech_suspend=False,
    )


# The worker: one machine
# ---------------------------------------------------------------------------------------------


def work(url: str, speed: float, seconds: float, seed: int) -> dict[str, Any]:
    """Open the collection, say so on stdout, read the wall time to start at from stdin, then
    answer the collection's cards until ``seconds`` have passed from it, session after
    session; what was done."""
    from recall1924.review import Action, Phase, scheduled_session
    from recall1924.review.session import Answered
    from recall1924.scheduling import Rating, build_scheduler
    from recall1924.store import Store

    rng = random.Random(seed)
    settings = _settings()
    scheduler = build_scheduler(settings)
    store = Store.open(url, START)
    # Starting takes seconds on a busy machine (imports, the first connection): the run
    # begins once every worker is ready, not when each was started.
    print("ready", flush=True)
    began = float(sys.stdin.readline())
    clock = SharedClock(began, speed)
    saved: list[int] = []
    kept: list[int] = []
    counts: Counter[str] = Counter()
    deadline = began + seconds
    time.sleep(max(0.0, began - time.time()))  # start with the other machine
    try:
        while time.time() < deadline:
            session = scheduled_session(store, lambda _deck: scheduler, settings, clock)
            session.start()
            counts["sessions"] += 1
            while session.phase in (Phase.QUESTION, Phase.ANSWER) and time.time() < deadline:
                if session.answers and rng.random() < UNDO_CHANCE:
                    last = session.history[-1]
                    session.apply(Action.UNDO)
                    if session.message and session.message.startswith("Cannot undo"):
                        # The session lets go of an answer it may not undo; it stands.
                        assert isinstance(last, Answered)
                        kept.append(last.log_id)
                        counts["undo refused"] += 1
                    else:
                        counts["undone"] += 1
                    continue
                session.apply(Action.REVEAL)
                standing = len(session.answers)
                rating = Rating(rng.choices(RATINGS, WEIGHTS)[0])
                session.apply(Action(rating))
                if len(session.answers) > standing:
                    counts["saved"] += 1
                elif session.message == NOTICE:
                    counts["skipped"] += 1
                else:
                    raise AssertionError(f"an answer neither saved nor skipped: {session.message}")
            saved += [answered.log_id for answered in session.answers]
            if session.phase is Phase.FINISHED:
                time.sleep(0.001)  # nothing due now: a moment of the fast clock
    finally:
        store.close()
    return {"saved": saved + kept, "counts": dict(counts)}


# The run and its checks
# ---------------------------------------------------------------------------------------------


def prepare(url: str, cards: int) -> None:
    """Import a deck of ``cards`` new cards into the empty collection at ``url``.

    Raises:
        SystemExit: the database holds a collection already (its answers would be mixed in).
    """
    from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec
    from recall1924.importing import import_deck
    from recall1924.store import Store

    store = Store.open(url, START)
    try:
        if store.decks():
            raise SystemExit("two_machines.py: that database holds a collection; give an empty one")
        specs = tuple(CardSpec(f"c{n}", f"Question {n}?", f"Answer {n}") for n in range(cards))
        import_deck(store, DeckSpec("shared", "Shared", (SectionSpec("s", "S", specs),)), now=START)
    finally:
        store.close()


def check(url: str, saved: list[int]) -> tuple[dict[str, int], list[str]]:
    """The database's figures, and what is wrong with it (nothing, if all holds)."""
    from recall1924.deck import PastAnswer
    from recall1924.history import replay
    from recall1924.models import ReviewKind
    from recall1924.scheduling import build_scheduler
    from recall1924.store import Store
    from recall1924.store.base import memory_of

    problems: list[str] = []
    settings = _settings()
    scheduler = build_scheduler(settings)
    store = Store.open(url, START)
    try:
        logs = store.answers()
        by_card: dict[int, list[Any]] = defaultdict(list)
        for log in logs:
            by_card[log.card_id].append(log)
        ids = [log.id for log in logs]
        missing = set(saved) - set(ids)
        if missing:
            problems.append(f"{len(missing)} answers reported saved are not in review_log")
        if len(saved) != len(set(saved)):
            problems.append("an answer was reported saved twice")
        unreported = set(ids) - set(saved)
        if unreported:
            problems.append(f"{len(unreported)} answers in review_log no worker reported")
        same_before = forks = replayed = out_of_order = 0
        for card_id, history in by_card.items():
            befores = [memory_of(log, "_before") for log in history]
            same_before += len(befores) - len(set(befores))
            forks += sum(
                memory_of(later, "_before") != memory_of(earlier, "_after")
                for earlier, later in zip(history, history[1:], strict=False)
            )
            answers = [
                PastAnswer(log.reviewed_at, log.rating, log.duration_ms, ReviewKind(log.kind))
                for log in history
            ]
            try:
                pairs = replay(
                    answers,
                    card_id=card_id,
                    scheduler=scheduler,
                    day_starts_at=settings.day_starts_at,
                    start=befores[0],
                )
            except ValueError:
                # saved in another order than given: one was saved from a state read before
                # the other was saved
                out_of_order += 1
                continue
            replayed += store.card(card_id).memory == pairs[-1][1]
        if same_before:
            problems.append(f"{same_before} answers have the same state before as another")
        if forks:
            problems.append(f"{forks} answers do not follow from the answer before")
        if out_of_order:
            problems.append(f"{out_of_order} cards' answers were saved out of time order")
        if replayed != len(by_card):
            problems.append(
                f"{len(by_card) - replayed} cards' memory state is not the replay of their history"
            )
        figures = {
            "review_log rows": len(logs),
            "cards answered": len(by_card),
            "cards matching their replay": replayed,
            "answers from a stale state": same_before,
        }
        return figures, problems
    finally:
        store.close()


def run(url: str, seconds: float, cards: int, speed: float, workers: int) -> int:
    prepare(url, cards)
    children = [
        subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                json.dumps([url, speed, seconds, n]),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(workers)
    ]
    for child in children:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            print("a worker could not open the database", file=sys.stderr)
            return 1
    began = time.time() + 0.1  # every worker starts at once
    for child in children:
        assert child.stdin is not None
        child.stdin.write(f"{began!r}\n")
        child.stdin.flush()
    reports = []
    for n, child in enumerate(children):
        out, _ = child.communicate(timeout=seconds + 120)
        if child.returncode != 0:
            print(f"worker {n + 1} failed (exit {child.returncode})", file=sys.stderr)
            return 1
        reports.append(json.loads(out))
    saved: list[int] = []
    print(f"{workers} workers, {seconds:g} s, {cards} cards, clock x{speed:g}")
    for n, report in enumerate(reports):
        counts = report["counts"]
        saved += report["saved"]
        print(
            f"worker {n + 1}: {counts.get('saved', 0)} answers saved, "
            f"{counts.get('skipped', 0)} skipped (answered elsewhere meanwhile), "
            f"{counts.get('undone', 0)} undone, {counts.get('undo refused', 0)} undos refused, "
            f"{len(report['saved'])} standing, {counts.get('sessions', 0)} sessions"
        )
    figures, problems = check(url, saved)
    print(f"answers standing, as the workers report: {len(saved)}")
    for name, value in figures.items():
        print(f"{name}: {value}")
    for problem in problems:
        print(f"FAIL: {problem}")
    print("ok" if not problems else "FAILED")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a PostgreSQL database of its own (default: a throwaway)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cards", type=int, default=20, help="cards in the shared deck")
    parser.add_argument("--speed", type=float, default=1_000_000.0, help="how fast the clock runs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        url, speed, seconds, seed = json.loads(options.worker)
        print(json.dumps(work(url, speed, seconds, seed)))
        return 0
    if options.seconds <= 0 or options.cards < 1 or options.workers < 2 or options.speed <= 0:
        parser.error("--seconds and --speed must be positive, --cards at least 1, --workers 2+")
    if options.url:
        return run(options.url, options.seconds, options.cards, options.speed, options.workers)
    sys.path.insert(0, str(TESTS))
    from postgres import PostgresServer, Unavailable

    try:
        server = PostgresServer.start()
    except Unavailable as exc:
        print(f"no PostgreSQL server: {exc}", file=sys.stderr)
        return 2
    try:
        url = server.url(server.create_database())
        return run(url, options.seconds, options.cards, options.speed, options.workers)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
