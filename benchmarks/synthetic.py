"""Large generated collections for the benchmarks: decks, a long answer history, a big CSV.

Holds :class:`Shape` (how big, and the two sizes the benchmarks use), :func:`write_deck`
(a TOML deck file), :func:`write_csv` (a CSV of question/answer rows), :func:`add_history`
(answers written straight into SQLite after ``recall import``) and :func:`build`, which makes a
whole collection once and caches it in a folder.

A collection of ``Shape(cards, answers)`` has a main deck of ``cards`` cards in
``sections`` sections and three small decks of ``cards // 100`` cards each. The last 15% of
each deck has never been answered (new); the rest have a chronological history over the two
years before :data:`NOW`, ``answers`` rows in all, spread unevenly (a few cards have hundreds,
as leeches do). A card's history ends in the state chosen for it: learning (left on its steps
in the last few weeks), relearning (lately forgotten), or review (due from a day overdue to months
ahead, so that a good share is due at :data:`NOW`); 2% of the cards are suspended and 1% of the
answered ones buried until tomorrow. Each answer's "before" state is the previous answer's
"after" state, and each card's row holds its last "after" state, as recall itself leaves them.

Memory states come from a cheap imitation of FSRS (stability grows on a pass and shrinks on a
lapse, Again is drawn from the forgetting curve), not from recall's scheduler: the point is
rows shaped like real ones, fast (a million answers in seconds), not faithful intervals. For
a faithful, slower history use make_history.py.

Deterministic for a given shape and seed.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
"""The benchmarks' present: RECALL_NOW for every command."""

HISTORY = timedelta(days=730)
START = NOW - HISTORY - timedelta(days=1)
"""When the decks were imported: before the first answer."""

SEARCH_WORD = "zebrafish"
"""A word in one question of every 250, for ``recall cards --search``."""

ROOT = Path(__file__).resolve().parents[1]

# fsrs's State values; kept here so that building a collection imports nothing of recall
LEARNING, REVIEW, RELEARNING = 1, 2, 3
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
DAY = 86_400.0
MINUTE = 60.0
DECAY = -0.1542  # FSRS-6's default decay: the forgetting curve Again is drawn from
FACTOR = 0.9 ** (1 / DECAY) - 1
INITIAL_STABILITY = {AGAIN: 0.2, HARD: 1.2, GOOD: 2.3, EASY: 8.3}
INITIAL_DIFFICULTY = {AGAIN: 7.2, HARD: 6.4, GOOD: 5.3, EASY: 3.2}

_EPOCH = datetime(1970, 1, 1)
_SYLLABLES = (
    "ka ri to mu se la po ne vi da fu ro mi sa te lo ga pi nu ze bo ki ra so me ta ju".split()
)


@dataclass(frozen=True)
class Shape:
    """How big a generated collection is."""

    cards: int
    answers: int
    sections: int = 50
    seed: int = 1

    @property
    def extra_cards(self) -> int:
        """Cards in each of the three small decks."""
        return max(5, self.cards // 100)

    @property
    def csv_rows(self) -> int:
        """Rows of the CSV imported into a new collection: as many as answers."""
        return self.answers

    def label(self) -> str:
        return f"{self.cards}c-{self.answers}a-{self.sections}s-seed{self.seed}"


SIZES = {
    "small": Shape(2_000, 20_000, sections=10),
    "full": Shape(100_000, 1_000_000, sections=50),
}


def stored_time(seconds: float) -> str:
    """Seconds since the epoch as recall stores a card's time: naive UTC text to the
    millisecond, written with microseconds (the form of ``recall1924.store.base.sql_time``,
    which this must match)."""
    return (_EPOCH + _MILLISECOND * stored_millis(seconds)).isoformat(" ", "microseconds")


_MILLISECOND = timedelta(milliseconds=1)


def stored_millis(seconds: float) -> int:
    """Seconds since the epoch as recall stores an answer's time (``review_log``, UTCMillis):
    whole milliseconds, rounded down, the same moment as :func:`stored_time`'s."""
    return timedelta(seconds=seconds) // _MILLISECOND


# --- card text -----------------------------------------------------------------------------


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(_SYLLABLES, k=rng.randint(1, 4))))
    words.discard(SEARCH_WORD)
    return sorted(words)


def _sentence(rng: random.Random, words: Sequence[str], low: int, high: int) -> str:
    return " ".join(rng.choices(words, k=rng.randint(low, high)))


@dataclass(frozen=True)
class DeckPlan:
    key: str
    title: str
    sections: int
    cards: int


def deck_plans(shape: Shape) -> list[DeckPlan]:
    """The decks of a collection of ``shape``: the main deck first."""
    return [
        DeckPlan("bench", "Benchmark deck", shape.sections, shape.cards),
        *(DeckPlan(f"extra{n}", f"Small deck {n}", 4, shape.extra_cards) for n in range(1, 4)),
    ]


def _cards(plan: DeckPlan, seed: int) -> Iterator[tuple[int, str, str, str, str | None, list[str]]]:
    """(section, id, question, answer, note, tags) of each card of ``plan``, in order."""
    rng = random.Random(f"{seed}-{plan.key}")
    words = _vocabulary(random.Random(seed))
    tags = [f"tag{n}" for n in range(20)]
    per_section = max(1, -(-plan.cards // plan.sections))
    for n in range(plan.cards):
        question = _sentence(rng, words, 5, 14)
        if n % 250 == 7:
            question = f"{question} {SEARCH_WORD}"
        answer = _sentence(rng, words, 1, 30)
        note = _sentence(rng, words, 10, 40) if rng.random() < 0.2 else None
        card_tags = rng.sample(tags, rng.randint(1, 2)) if rng.random() < 0.3 else []
        yield n // per_section, f"c{n}", f"{question}?", answer, note, card_tags


def write_deck(path: Path, plan: DeckPlan, seed: int = 1) -> None:
    """Write ``plan`` as a recall TOML deck file (words are plain ASCII: nothing to escape)."""
    with path.open("w", encoding="utf-8") as out:
        out.write(f'[deck]\nid = "{plan.key}"\ntitle = "{plan.title}"\nversion = 1\n')
        section = -1
        for index, key, question, answer, note, tags in _cards(plan, seed):
            if index != section:
                section = index
                out.write(f'\n[[sections]]\nid = "s{index}"\ntitle = "Section {index}"\n')
            out.write(
                f'\n[[sections.cards]]\nid = "{key}"\nquestion = "{question}"\n'
                f'answer = "{answer}"\n'
            )
            if note is not None:
                out.write(f'note = "{note}"\n')
            if tags:
                out.write(f"tags = [{', '.join(f'{chr(34)}{tag}{chr(34)}' for tag in tags)}]\n")


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Write a CSV of ``rows`` cards with a header row (question, answer, section, tags)."""
    plan = DeckPlan("csv", "CSV deck", max(1, rows // 2000), rows)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("question,answer,section,tags\n")
        for index, _key, question, answer, _note, tags in _cards(plan, seed):
            out.write(f"{question},{answer},Section {index},{' '.join(tags)}\n")


# --- history -------------------------------------------------------------------------------


def _allocate(rng: random.Random, minimums: list[int], total: int) -> list[int]:
    """Answers per card: each at least its minimum, ``total`` in all, skewed like real use."""
    spare = total - sum(minimums)
    if spare < 0:
        raise ValueError(f"{total} answers are too few for {len(minimums)} answered cards")
    weights = [rng.lognormvariate(0, 1.0) for _ in minimums]
    scale = spare / sum(weights)
    counts = [low + int(weight * scale) for low, weight in zip(minimums, weights, strict=True)]
    short = total - sum(counts)
    for index in rng.sample(range(len(counts)), short):
        counts[index] += 1
    return counts


Memory = tuple[int, int | None, float | None, float | None, float, float | None]
"""state, step, stability, difficulty, due, last review (times in seconds, relative)."""


def _rate(rng: random.Random, memory: Memory, at: float) -> int:
    state, _step, stability, _difficulty, _due, last = memory
    if state == REVIEW and stability is not None and last is not None:
        recall = (1 + FACTOR * (at - last) / DAY / stability) ** DECAY
        if rng.random() > recall:
            return AGAIN
        return rng.choices((HARD, GOOD, EASY), (15, 75, 10))[0]
    return rng.choices((AGAIN, HARD, GOOD, EASY), (15, 10, 65, 10))[0]


def _next(rng: random.Random, memory: Memory, rating: int, at: float) -> Memory:
    """The memory state after answering ``rating`` at ``at``."""
    state, step, stability, difficulty, _due, last = memory

    def review(s: float, d: float) -> Memory:
        days = max(1.0, min(3650.0, round(s * rng.uniform(0.95, 1.05))))
        return REVIEW, None, s, d, at + days * DAY, at

    if last is None:  # a new card's first answer
        s = INITIAL_STABILITY[rating] * rng.uniform(0.8, 1.2)
        d = min(10.0, max(1.0, INITIAL_DIFFICULTY[rating] + rng.uniform(-1, 1)))
        if rating == EASY:
            return review(s, d)
        wait = {AGAIN: 1, HARD: 5.5, GOOD: 10}[rating] * MINUTE
        return LEARNING, 1 if rating == GOOD else 0, s, d, at + wait, at
    assert stability is not None and difficulty is not None
    if state == LEARNING:
        if rating == AGAIN:
            return LEARNING, 0, stability * 0.8, min(10.0, difficulty + 0.5), at + MINUTE, at
        if rating == HARD:
            wait = 5.5 * MINUTE if step == 0 else 10 * MINUTE
            return LEARNING, step, stability, difficulty, at + wait, at
        if rating == GOOD and step == 0:
            return LEARNING, 1, stability * 1.2, difficulty, at + 10 * MINUTE, at
        return review(stability * (1.5 if rating == EASY else 1.0), difficulty)
    if state == RELEARNING:
        if rating in (AGAIN, HARD):
            return RELEARNING, 0, stability, difficulty, at + 10 * MINUTE, at
        return review(stability, difficulty)
    if rating == AGAIN:
        d = min(10.0, difficulty + 1.5)
        return RELEARNING, 0, max(0.1, stability * 0.25), d, at + 10 * MINUTE, at
    ease = (11 - difficulty) / 10
    grow = {HARD: 1.2, GOOD: 1 + 1.8 * ease * rng.uniform(0.8, 1.2), EASY: 1 + 3.5 * ease}[rating]
    d = min(10.0, max(1.0, difficulty + {HARD: 0.5, GOOD: 0.0, EASY: -0.5}[rating]))
    return review(stability * grow, d)


def _wait(rng: random.Random, memory: Memory) -> float:
    """When the next answer comes: a little after a learning step, else some days late."""
    _state, _step, _s, _d, due, last = memory
    assert last is not None
    if due - last < DAY:
        return due + rng.uniform(0, 120)
    return due + rng.uniform(0, 0.15) * (due - last) + rng.expovariate(1 / (2 * DAY))


def card_history(
    rng: random.Random, answers: int, kind: int
) -> list[tuple[float, int, Memory, Memory]]:
    """``answers`` answers to a new card, ending in state ``kind``, at times relative to its
    first answer: (time, rating, before, after) each. Times are rescaled later."""
    memory: Memory = (LEARNING, 0, None, None, 0.0, None)
    at = 0.0
    history = []
    for index in range(answers):
        last = index == answers - 1
        rating = _rate(rng, memory, at)
        if kind == LEARNING:
            # stay on the learning steps: never the rating that graduates
            graduates = EASY if memory[1] == 0 or memory[5] is None else GOOD
            if rating >= graduates:
                rating = rng.choice([r for r in (AGAIN, HARD, GOOD) if r < graduates])
        elif kind == RELEARNING and index == answers - 1:
            rating = AGAIN  # from review, forgotten: relearning
        elif (kind == RELEARNING and index == answers - 2) or (kind == REVIEW and last):
            if memory[0] != REVIEW:
                rating = EASY  # graduates from any step
            elif rating == AGAIN:
                rating = GOOD
        after = _next(rng, memory, rating, at)
        history.append((at, rating, memory, after))
        memory = after
        at = _wait(rng, memory)
    return history


def _placed(
    rng: random.Random, history: list[tuple[float, int, Memory, Memory]], kind: int, now: float
) -> tuple[float, float]:
    """Where a relative history goes: (offset, scale) so that it fits the two years before
    ``now`` and ends in a state that is due at, or some time after, ``now``."""
    first = now - HISTORY.total_seconds()
    last_at = history[-1][0]
    after = history[-1][3]
    if kind == REVIEW:
        interval = after[4] - last_at
        # last answered up to 1.25 intervals ago: a fifth overdue by now, the rest due in days
        # to months
        ends = now - max(MINUTE, min(interval * rng.uniform(0.0, 1.25), 0.8 * (now - first)))
    else:
        # left on a step some days ago (not all introduced today, which would use up the day's
        # new cards): due now
        ends = now - rng.uniform(5 * MINUTE, 20 * DAY)
    scale = 1.0 if last_at <= 0 else min(1.0, (ends - first) / last_at)
    return ends - last_at * scale, scale


LOG_COLUMNS = (
    "card_id", "kind", "rating", "reviewed_at", "duration_ms",
    "state_before", "step_before", "stability_before", "difficulty_before", "due_before",
    "last_review_before",
    "state_after", "step_after", "stability_after", "difficulty_after", "due_after",
    "last_review_after",
)  # fmt: skip
"""The review_log columns written, by name: a column added later takes its default."""


def add_history(db: Path, shape: Shape) -> int:
    """Give the cards of the collection at ``db`` their history and final states; returns
    the number of answers written. One transaction, synchronous off: a benchmark's scratch."""
    rng = random.Random(shape.seed)
    now = NOW.timestamp()
    created_millis = stored_millis(START.timestamp())
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")  # 400 MB: the indexes stay in memory
        conn.execute("BEGIN")
        ids_by_deck: dict[int, list[int]] = {}
        for card_id, deck_id in conn.execute("SELECT id, deck_id FROM card ORDER BY deck_id, id"):
            ids_by_deck.setdefault(deck_id, []).append(card_id)
        answered: list[tuple[int, int]] = []  # (card, kind)
        for ids in ids_by_deck.values():
            # a deck is learnt in order: its last 15% is still new
            for card_id in ids[: int(len(ids) * 0.85)]:
                kind = rng.choices((LEARNING, RELEARNING, REVIEW), (3, 3, 94))[0]
                answered.append((card_id, kind))
        # learning cards have had one or two answers; the rest share what is left
        counts = [rng.choice((1, 2)) if kind == LEARNING else 0 for _id, kind in answered]
        longer = [index for index, (_id, kind) in enumerate(answered) if kind != LEARNING]
        minimums = [4 if answered[index][1] == RELEARNING else 2 for index in longer]
        shared = _allocate(rng, minimums, shape.answers - sum(counts))
        for index, count in zip(longer, shared, strict=True):
            counts[index] = count
        # answers are made card by card and sorted into review_log at the end, so that ids
        # follow time as they do in a real history
        columns = ", ".join(LOG_COLUMNS)
        conn.execute(f"CREATE TEMP TABLE staging AS SELECT {columns} FROM review_log WHERE 0")
        insert = f"INSERT INTO staging VALUES ({', '.join('?' for _ in LOG_COLUMNS)})"
        rows: list[tuple[object, ...]] = []
        finals = []
        for (card_id, kind), count in zip(answered, counts, strict=True):
            history = card_history(rng, count, kind)
            offset, scale = _placed(rng, history, kind, now)
            # a new card is due from its import; after that, each answer's "before" is the
            # answer before's "after"
            due_before, last_before = created_millis, None
            for at, rating, before, after in history:
                due_after = stored_millis(offset + after[4] * scale)
                answered_at = stored_millis(offset + at * scale)
                duration = int(rng.lognormvariate(8.8, 0.6))  # about 7 s a card
                rows.append(
                    (
                        card_id, 0, rating, answered_at, duration,
                        before[0], before[1], before[2], before[3], due_before, last_before,
                        after[0], after[1], after[2], after[3], due_after, answered_at,
                    )
                )  # fmt: skip
                due_before, last_before = due_after, answered_at
            # the card's state and last two times, as the card stores them
            last_at, _rating, _before, final = history[-1]
            state, step, stability, difficulty, due, _last = final
            final_due, final_last = (
                stored_time(offset + due * scale),
                stored_time(offset + last_at * scale),
            )
            finals.append((state, step, stability, difficulty, final_due, final_last, card_id))
            if len(rows) >= 50_000:
                conn.executemany(insert, rows)
                rows.clear()
        conn.executemany(insert, rows)
        conn.executemany(
            "UPDATE card SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, "
            "last_review = ? WHERE id = ?",
            finals,
        )
        conn.execute(
            f"INSERT INTO review_log ({columns}) SELECT {columns} FROM staging "
            "ORDER BY reviewed_at, card_id"
        )
        conn.execute("DROP TABLE staging")
        _suspend_and_bury(conn, rng)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        written: int = conn.execute("SELECT count(*) FROM review_log").fetchone()[0]
    finally:
        conn.close()
    return written


def _suspend_and_bury(conn: sqlite3.Connection, rng: random.Random) -> None:
    ids = [row[0] for row in conn.execute("SELECT id FROM card ORDER BY id")]
    seen = [row[0] for row in conn.execute("SELECT id FROM card WHERE last_review IS NOT NULL")]
    suspended = rng.sample(ids, len(ids) // 50)
    conn.executemany("UPDATE card SET suspended = 1 WHERE id = ?", [(i,) for i in suspended])
    # buried until tomorrow's day start (4 o'clock, TZ=UTC in the benchmarks)
    tomorrow = (NOW + timedelta(days=1)).replace(hour=4, minute=0, second=0, microsecond=0)
    until = stored_time(tomorrow.timestamp())
    conn.executemany(
        "UPDATE card SET buried_until = ? WHERE id = ?",
        [(until, i) for i in rng.sample(seen, len(seen) // 100)],
    )


# --- the cache -----------------------------------------------------------------------------


def fingerprint() -> str:
    """What a cached collection depends on besides its shape: this generator and the schema
    (a cached file from an older schema would be migrated, and timed, by the first command)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted((ROOT / "migrations").rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def recall_command() -> list[str]:
    """How to start recall: the console script beside this Python, else ``-m``."""
    script = Path(sys.executable).with_name("recall")
    return [str(script)] if script.exists() else [sys.executable, "-m", "recall1924"]


def environment(home: Path, db: Path | None = None, now: datetime = NOW) -> dict[str, str]:
    """The environment every benchmarked command runs in: nothing of the user's."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "RECALL_NOW": now.isoformat(),
        "NO_COLOR": "1",
        "COLUMNS": "110",
        "LINES": "40",
        "TZ": "UTC",
        "LANG": "C.UTF-8",
    }
    if db is not None:
        env["RECALL_DB"] = str(db)
    return env


@dataclass(frozen=True)
class Built:
    """A cached collection and the files it was made from."""

    folder: Path
    db: Path
    decks: list[Path]
    csv: Path
    answers: int

    @property
    def main_deck(self) -> Path:
        return self.decks[0]


def located(work: Path, shape: Shape) -> Built:
    """Where the collection of ``shape`` is cached in ``work`` (``answers`` 0 until built)."""
    folder = work / "collections" / f"{shape.label()}-{fingerprint()}"
    done = folder / "done"
    return Built(
        folder,
        folder / "collection.db",
        [folder / f"{plan.key}.toml" for plan in deck_plans(shape)],
        folder / "cards.csv",
        int(done.read_text()) if done.exists() else 0,
    )


def build_apart(work: Path, shape: Shape) -> Built:
    """:func:`build`, in a process of its own: building holds a million rows in memory, and a
    process's peak memory passes to the children it starts (Linux counts the parent's pages
    the child had before ``exec``), which would inflate every figure measured after it."""
    built = located(work, shape)
    if not built.answers:
        subprocess.run(
            [
                sys.executable,
                __file__,
                f"--work={work}",
                f"--cards={shape.cards}",
                f"--answers={shape.answers}",
                f"--sections={shape.sections}",
                f"--seed={shape.seed}",
            ],
            check=True,
        )
        built = located(work, shape)
    return built


def build(work: Path, shape: Shape, *, log: bool = True) -> Built:
    """The collection of ``shape`` in ``work``, built unless an identical one is cached."""
    built = located(work, shape)
    if built.answers:
        return built
    _check_time_format()
    folder, db, decks, csv = built.folder, built.db, built.decks, built.csv
    plans = deck_plans(shape)
    # a folder of the same shape is half built by an interrupted run, or from an older
    # generator or schema: never to be used again, and big
    for stale in folder.parent.glob(f"{shape.label()}-*"):
        shutil.rmtree(stale)
    folder.mkdir(parents=True)
    began = time.perf_counter()
    for plan, path in zip(plans, decks, strict=True):
        write_deck(path, plan, shape.seed)
    write_csv(csv, shape.csv_rows, shape.seed)
    files = time.perf_counter()
    env = environment(folder, db, now=START)
    for path in decks:
        done_import = subprocess.run(
            [*recall_command(), "import", str(path)], env=env, capture_output=True, text=True
        )
        if done_import.returncode != 0:
            raise RuntimeError(f"recall import {path.name} failed: {done_import.stderr.strip()}")
    imported = time.perf_counter()
    answers = add_history(db, shape)
    finished = time.perf_counter()
    shutil.rmtree(folder / "backups", ignore_errors=True)
    (folder / "done").write_text(str(answers))
    if log:
        print(
            f"built {folder.name}: files {files - began:.1f} s, recall import "
            f"{imported - files:.1f} s, {answers:,} answers {finished - imported:.1f} s"
        )
    return Built(folder, db, decks, csv, answers)


def card_states(db: Path) -> dict[str, int]:
    """How many cards of each kind the collection at ``db`` holds (a check of the generator)."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT"
            " sum(last_review IS NULL),"
            f" sum(last_review IS NOT NULL AND state = {LEARNING}),"
            f" sum(last_review IS NOT NULL AND state = {REVIEW}),"
            f" sum(state = {RELEARNING}),"
            " sum(suspended),"
            " sum(buried_until IS NOT NULL),"
            " sum(due <= ?) FROM card",
            (stored_time(NOW.timestamp()),),
        ).fetchone()
    names = ("new", "learning", "review", "relearning", "suspended", "buried", "due now")
    return dict(zip(names, (int(value or 0) for value in row), strict=True))


def _check_time_format() -> None:
    """Fail loudly if recall's stored time text has changed from :func:`stored_time`'s."""
    from recall1924.store.base import sql_time

    moment = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    assert sql_time(moment) == stored_time(moment.timestamp()), "recall's time text changed"


if __name__ == "__main__":
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="Build (or find) a generated collection.")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--cards", type=int, help="cards in the main deck [default: by --size]")
    parser.add_argument("--answers", type=int, help="answers in all [default: by --size]")
    parser.add_argument("--sections", type=int, help="sections of the main deck")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "recall-bench")
    options = parser.parse_args()
    base = SIZES[options.size]
    shape = Shape(
        options.cards or base.cards,
        options.answers or base.answers,
        sections=options.sections or base.sections,
        seed=base.seed if options.seed is None else options.seed,
    )
    built = build(options.work, shape)
    print(built.db, card_states(built.db), f"{built.answers:,} answers")
