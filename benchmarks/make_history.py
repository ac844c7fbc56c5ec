"""Build a collection with a year of review history: for screenshots, demos and benchmarks.

A simulated student works through the bundled deck (and, with --extra-cards, a generated deck
in --sections sections) for --days days up to --now: most evenings a session of the learning
cards, the reviews due and up to new_per_day new cards; some days skipped, and a run of days
at the end without a break, so the streak shows. Each answer is drawn from the card's real
chance of recall (Again when forgotten, else Hard, Good or Easy) and scheduled with recall's
own FSRS adapter, counting review days from day_starts_at. Answers are written through the
store's tables in one transaction per simulated day.

    python benchmarks/make_history.py --db /tmp/year.db
    RECALL_DB=/tmp/year.db RECALL_NOW=2026-11-27T09:00:00+00:00 recall stats

Deterministic for a given --seed, --now and TZ.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session, select

from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec
from recall1924.importers import read_bundled
from recall1924.importing import import_deck
from recall1924.models import Card, ReviewLog
from recall1924.scheduling import (
    MemoryState,
    Rating,
    State,
    answer,
    build_scheduler,
    decay_of,
    elapsed_days,
    retrievability,
)
from recall1924.settings import Settings
from recall1924.store import Store
from recall1924.store.base import memory_columns, memory_of, set_memory

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def extra_deck(cards: int, sections: int) -> DeckSpec:
    per_section = max(1, cards // sections)
    return DeckSpec(
        key="extra",
        title="Generated deck",
        sections=tuple(
            SectionSpec(
                f"s{s}",
                f"Generated section {s}",
                tuple(
                    CardSpec(f"c{s}-{c}", f"Question {s}.{c}?", f"Answer {s}.{c}")
                    for c in range(per_section)
                ),
            )
            for s in range(sections)
        ),
        source="make_history",
    )


@dataclass
class Student:
    rng: random.Random
    decay: float
    day_starts_at: int

    def rating(self, memory: MemoryState, at: datetime) -> Rating:
        if memory.last_review is None or memory.state != State.Review:
            # learning: mostly remembered after the first look
            return self.rng.choices(
                (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy), (15, 10, 65, 10)
            )[0]
        days = elapsed_days(memory.last_review, at, day_starts_at=self.day_starts_at)
        if self.rng.random() > retrievability(days, memory.stability, self.decay):
            return Rating.Again
        return self.rng.choices((Rating.Hard, Rating.Good, Rating.Easy), (15, 75, 10))[0]


def simulate_day(
    store: Store,
    settings: Settings,
    student: Student,
    session_start: datetime,
    *,
    max_answers: int = 2000,
) -> int:
    """One evening's session: learning and due cards first, then new ones. Returns answers."""
    scheduler = build_scheduler(settings)
    at = session_start
    session_end = session_start + timedelta(hours=3)
    answers = 0
    new_left = settings.new_per_day
    with Session(store.engine, expire_on_commit=False) as session:
        seen = list(
            session.exec(
                select(Card).where(
                    Card.last_review.is_not(None),  # type: ignore[union-attr]
                    Card.due < session_end,
                )
            )
        )
        fresh = list(
            session.exec(
                select(Card)
                .where(Card.last_review.is_(None))  # type: ignore[union-attr]
                .order_by(Card.deck_id, Card.section_id, Card.position)
                .limit(new_left)
            )
        )
        queue = sorted(seen, key=lambda card: card.due) + fresh
        while queue and answers < max_answers:
            card = queue.pop(0)
            before = memory_of(card)
            if before.last_review is not None and before.due > at:
                if before.due >= session_end:
                    continue
                at = before.due  # wait for a learning step
            rating = student.rating(before, at)
            assert card.id is not None
            after = answer(
                scheduler,
                card_id=card.id,
                memory=before,
                rating=rating,
                at=at,
                day_starts_at=student.day_starts_at,
            )
            duration = int(student.rng.lognormvariate(8.8, 0.5))  # about 7 s a card
            session.add(
                ReviewLog(
                    card_id=card.id,
                    rating=int(rating),
                    reviewed_at=at,
                    duration_ms=duration,
                    **memory_columns(before, "_before"),
                    **memory_columns(after, "_after"),
                )
            )
            set_memory(card, after)
            session.add(card)
            answers += 1
            at += timedelta(milliseconds=duration)
            if after.due < session_end:
                queue.append(card)
                queue.sort(key=lambda c: c.due)
        session.commit()
    return answers


def build(
    db: Path,
    *,
    now: datetime = NOW,
    days: int = 365,
    extra_cards: int = 0,
    sections: int = 6,
    seed: int = 1,
    new_per_day: int = 10,
    streak: int = 20,
) -> int:
    """Create the collection at ``db`` and fill it with ``days`` days of answers ending on the
    day before ``now``; the last ``streak`` days have no gap. Returns the number of answers."""
    settings = Settings.from_stored({"new_per_day": str(new_per_day)})
    start = now - timedelta(days=days)
    store = Store.open(db, start)
    try:
        import_deck(store, read_bundled(), now=start)
        if extra_cards:
            import_deck(store, extra_deck(extra_cards, sections), now=start)
        store.save_setting("new_per_day", str(new_per_day))
        rng = random.Random(seed)
        student = Student(rng, decay_of(build_scheduler(settings)), settings.day_starts_at)
        total = 0
        for offset in range(days, 0, -1):
            day = (now - timedelta(days=offset)).astimezone().date()
            if offset > streak and rng.random() < 0.2:
                continue  # a day off
            evening = datetime.combine(day, time(18)).astimezone(UTC)
            evening += timedelta(minutes=rng.randrange(0, 120))
            total += simulate_day(store, settings, student, evening)
        return total
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the database to create")
    parser.add_argument("--now", default=NOW.isoformat(), help="the end of the history")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--extra-cards", type=int, default=0)
    parser.add_argument("--sections", type=int, default=6)
    parser.add_argument("--new-per-day", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    if options.db.exists():
        parser.error(f"{options.db} exists; give a new file")
    now = datetime.fromisoformat(options.now).astimezone(UTC)
    answers = build(
        options.db,
        now=now,
        days=options.days,
        extra_cards=options.extra_cards,
        sections=options.sections,
        seed=options.seed,
        new_per_day=options.new_per_day,
    )
    print(f"{options.db}: {answers} answers over {options.days} days up to {now.isoformat()}")


if __name__ == "__main__":
    main()
