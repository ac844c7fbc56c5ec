"""Time the real ``recall`` commands on a large generated collection.

Builds a TOML deck of --cards cards in --sections sections, imports it with ``recall import``,
adds --reviews review-log rows spread over the past year (written straight into SQLite, as a
long history would leave them, with card states to match), then runs each command several
times in fresh processes and prints the median and worst wall time and peak memory.

    python benchmarks/bench_commands.py --cards 100000 --reviews 1000000

Nothing here asserts: it reports numbers for a person (or a later CI step) to compare with
the targets in ROADMAP.md.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recall1924.store.base import sql_time  # the text form recall stores times in

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def write_deck(path: Path, cards: int, sections: int) -> None:
    per_section = max(1, cards // sections)
    with path.open("w", encoding="utf-8") as out:
        out.write('[deck]\nid = "bench"\ntitle = "Benchmark deck"\n')
        for s in range(sections):
            out.write(f'\n[[sections]]\nid = "s{s}"\ntitle = "Section {s}"\n')
            for c in range(per_section):
                n = s * per_section + c
                out.write(
                    f'\n[[sections.cards]]\nid = "c{n}"\nquestion = "Question number {n}?"\n'
                    f'answer = "Answer {n}"\n'
                )


def add_history(db: Path, reviews: int, seed: int = 1) -> None:
    """Give most cards a plausible review state and spread ``reviews`` log rows over a year."""
    rng = random.Random(seed)
    with sqlite3.connect(db) as conn:
        card_ids = [row[0] for row in conn.execute("SELECT id FROM card")]
        seen = card_ids[: int(len(card_ids) * 0.8)]
        for card_id in seen:
            last = NOW - timedelta(days=rng.uniform(0, 60))
            stability = rng.uniform(0.5, 120)
            conn.execute(
                "UPDATE card SET state = 2, step = NULL, stability = ?, difficulty = ?, "
                "last_review = ?, due = ? WHERE id = ?",
                (
                    stability,
                    rng.uniform(1, 10),
                    sql_time(last),
                    sql_time(last + timedelta(days=stability)),
                    card_id,
                ),
            )
        rows = []
        for _ in range(reviews):
            at = NOW - timedelta(days=rng.uniform(0, 365))
            rows.append(
                (
                    rng.choice(seen),
                    0,
                    rng.choice((1, 3, 3, 3, 4)),
                    sql_time(at),
                    4000,
                    2,
                    None,
                    10.0,
                    5.0,
                    sql_time(at),
                    sql_time(at - timedelta(days=10)),
                    2,
                    None,
                    12.0,
                    5.0,
                    sql_time(at + timedelta(days=12)),
                    sql_time(at),
                )
            )
            if len(rows) == 50_000:
                conn.executemany(f"INSERT INTO review_log VALUES (NULL{', ?' * 17})", rows)
                rows.clear()
        if rows:
            conn.executemany(f"INSERT INTO review_log VALUES (NULL{', ?' * 17})", rows)


def run(recall: list[str], args: list[str], env: dict[str, str], stdin: str | None = None):
    started = time.perf_counter()
    result = subprocess.run(
        [*recall, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"recall {' '.join(args)} failed: {result.stderr.strip()}")
    return elapsed


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--sections", type=int, default=50)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    recall_path = shutil.which("recall")
    recall = [recall_path] if recall_path else [sys.executable, "-m", "recall1924"]
    work = Path(tempfile.mkdtemp(prefix="recall-bench-"))
    db = work / "bench.db"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(work),
        "RECALL_DB": str(db),
        "RECALL_NOW": NOW.isoformat(),
        "NO_COLOR": "1",
        "COLUMNS": "100",
    }
    deck = work / "bench.toml"
    write_deck(deck, options.cards, options.sections)
    print(f"collection: {options.cards} cards, {options.reviews} reviews, in {work}")
    seconds = run(recall, ["import", str(deck)], env)
    print(f"import ({options.cards} cards into a new collection): {seconds:.2f} s")
    started = time.perf_counter()
    add_history(db, options.reviews)
    print(f"history written directly: {time.perf_counter() - started:.1f} s")

    commands = {
        "--version": (["--version"], None),
        "--help": (["--help"], None),
        "decks": (["decks"], None),
        "stats --json": (["stats", "--json"], None),
        "(overview)": ([], None),
        "cards": (["cards"], None),
        "cards --json": (["cards", "--json"], None),
        "review, one answer": (["review", "--deck", "bench"], " 3q"),
        "import (unchanged)": (["import", str(deck)], None),
    }
    print(f"\n{'command':<22}{'median':>10}{'worst':>10}")
    for name, (args, stdin) in commands.items():
        repeat = 1 if name.startswith("import") else options.repeat
        times = [run(recall, args, env, stdin) for _ in range(repeat)]
        print(f"{name:<22}{statistics.median(times):>9.3f}s{max(times):>9.3f}s")
    print(f"\npeak memory of any command: {peak_rss_mb():.0f} MB")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
