"""Checking a collection for damage, and repairing what is safe to repair: ``recall doctor``.

Holds :func:`examine`, which returns a :class:`DoctorReport`: one :class:`Finding` per check
and, with ``repair``, a :class:`Repair` saying what was fixed. The checks: SQLite's integrity
and foreign-key checks; orphaned rows; cards whose memory state disagrees with a replay of
their history; cards whose answer counters (which ``recall stats`` sums) disagree with their
answers; answers stamped later than now; stored settings recall cannot read; and answers
missing from the collection that a backup still holds (an older recall's upgrade deleted every
answer of a collection, leaving them only in the backup it took first); and the
media folder's files against the names the decks have (:mod:`recall1924.media_check`).

Without ``repair`` nothing is written, and a missing database is not created. A repair backs
the database up first, then in one transaction restores missing answers, deletes orphaned rows
nothing can reach, re-derives drifted memory states where the replay can be trusted, and
recounts answer counters that disagree; the rest it leaves, and each finding's ``remedy`` says
why and what to do.

On a PostgreSQL server the checks of the rows run as on a file; the file's own (SQLite's
integrity and foreign-key checks, the answers its backups hold) are each reported as not
applicable (:data:`NOT_ON_A_SERVER`): the server keeps its own foreign keys and its own backups,
and a repair there takes no backup.

The queries, including those on backups, are in :mod:`recall1924.store.integrity`; this module
decides what each check counts as a problem and what is safe to repair.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from recall1924.clock import iso
from recall1924.errors import DatabaseError
from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.location import DatabaseLocation
    from recall1924.scheduling import MemoryState
    from recall1924.store import Store
    from recall1924.store.history import CardHistory
    from recall1924.store.integrity import (
        AnswerKey,
        CardName,
        CounterDrift,
        DeletedOrphans,
        Orphans,
        StoredAnswer,
    )

__all__ = ["Action", "DoctorReport", "Finding", "Repair", "examine"]

EXAMPLES = 3
"""Cards (or rows) a finding names: enough to look one up, few enough for one line."""
RELATIVE_TOLERANCE = 1e-6
"""How far a stored stability or difficulty may be from the replayed one (float noise)."""
NOT_ON_A_SERVER = {
    "integrity": "SQLite's check of its file",
    "foreign_keys": "PostgreSQL enforces every foreign key itself",
    "lost_answers": "recall keeps no backups of a server's database to compare",
}
"""The checks of a SQLite file that a collection on a server has no counterpart of, and why."""


@dataclass(frozen=True)
class Finding:
    """What one check found: nothing (``problems == 0``), or what is wrong."""

    check: str
    """A stable name for scripts: integrity, foreign_keys, orphans, memory, answer_counters,
    future_answers, settings, lost_answers, media."""
    title: str
    problems: int
    summary: str
    """One line: ``ok ...`` or what is wrong, with counts and a few examples."""
    examples: tuple[str, ...] = ()
    """A few cards (``deck/key``) or rows it concerns."""
    repairable: bool = False
    """Whether ``recall doctor --repair`` fixes (some of) it."""
    remedy: str = ""
    """What doctor leaves of it and why, and what to do instead."""
    details: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def to_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "ok": self.ok,
            "problems": self.problems,
            "summary": self.summary,
            "examples": list(self.examples),
            "repairable": self.repairable,
            "remedy": self.remedy or None,
            "details": self.details,
        }


@dataclass(frozen=True)
class Action:
    """One thing a repair did."""

    check: str
    rows: int
    summary: str


@dataclass(frozen=True)
class Repair:
    """What ``--repair`` did: the backup it took first, and each fix."""

    backup: Path | None
    done: tuple[Action, ...] = ()
    refused: str | None = None
    """Why nothing at all was repaired (a damaged file)."""

    def to_json(self) -> dict[str, object]:
        return {
            "backup": None if self.backup is None else str(self.backup),
            "done": [
                {"check": action.check, "rows": action.rows, "summary": action.summary}
                for action in self.done
            ],
            "refused": self.refused,
        }


@dataclass(frozen=True)
class DoctorReport:
    """The findings (after the repair, when there was one) and the repair."""

    database: Path | DatabaseLocation
    """The SQLite file, or the server's database (shown without its password)."""
    findings: tuple[Finding, ...]
    repair: Repair | None = None

    @property
    def ok(self) -> bool:
        return all(finding.ok for finding in self.findings)

    @property
    def repairable(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.repairable]

    @property
    def backs_up(self) -> bool:
        """Whether a repair takes a backup first: of a SQLite file, not of a server's
        database (the server keeps its own)."""
        return isinstance(self.database, Path)

    def to_json(self) -> dict[str, object]:
        """The report as JSON-ready data (see docs/json.md)."""
        return {
            "database": str(self.database),
            "ok": self.ok,
            "checks": [finding.to_json() for finding in self.findings],
            "repair": None if self.repair is None else self.repair.to_json(),
        }


def examine(app: App, *, repair: bool = False) -> DoctorReport:
    """Check the collection ``app`` names; with ``repair``, fix what is safe and check again.

    Args:
        app: the command's App, built with ``bundled=False`` (doctor imports nothing).
        repair: back up, then restore missing answers, delete orphaned rows, re-derive
            drifted memory states and recount answer counters, in one transaction. Without it
            nothing is written.

    Raises:
        DatabaseError: there is no collection at the path (none is created), it is not a
            recall database, or it needs upgrading and ``repair`` was not given.
        DatabaseBusyError: with ``repair``, another recall held the database too long;
            nothing was repaired.
    """
    where: Path | DatabaseLocation = app.location
    if app.location.is_sqlite:
        where = app.db_path
    _check_collection(app.location, upgrade=repair)
    found = _diagnose(app)
    if not repair:
        return DoctorReport(where, tuple(found.findings))
    done = _repair(app, found)
    return DoctorReport(where, tuple(_diagnose(app).findings), done)


def _check_collection(location: DatabaseLocation, *, upgrade: bool) -> None:
    """Refuse, before the store opens (which creates and upgrades), what doctor must not
    change: no collection there (an empty database on a server), a database recall did not
    write, or one at an older schema without ``upgrade``."""
    from recall1924.db import HEAD_REVISION, known_revisions, server_schema
    from recall1924.store.integrity import schema_revision

    path = location.path
    if path is None:
        has_tables, revision = server_schema(location)
        if not has_tables:
            raise DatabaseError(
                f"there is no collection at {location}; nothing was checked or created"
            )
    elif not path.is_file() or path.stat().st_size == 0:
        raise DatabaseError(f"there is no collection at {path}; nothing was checked or created")
    else:
        revision = schema_revision(path)
    where = location if path is None else path
    if revision is None:
        raise DatabaseError(f"{where} is not a recall database; nothing was changed")
    backup = "after a backup" if path is not None else "the server keeps its own backups"
    if revision != HEAD_REVISION and revision in known_revisions() and not upgrade:
        raise DatabaseError(
            f"{where} is at schema {revision}, older than this recall's {HEAD_REVISION}; doctor "
            f"checks an up-to-date collection. Run recall doctor --repair to upgrade it ({backup}) "
            "and check it; nothing was changed"
        )


# The checks
# ---------------------------------------------------------------------------------------------


@dataclass
class _Diagnosis:
    findings: list[Finding]
    names: dict[int, CardName] = field(default_factory=dict)
    damaged: bool = False
    orphans: _Orphans | None = None
    lost: list[_Lost] = field(default_factory=list)

    @property
    def repairable(self) -> bool:
        return any(finding.repairable for finding in self.findings)


def _diagnose(app: App) -> _Diagnosis:
    store = app.store
    on_file = app.location.is_sqlite
    integrity = _integrity(store.integrity_problems()) if on_file else _not_here("integrity")
    if not integrity.ok:
        return _Diagnosis([integrity], damaged=True)
    names = store.card_names()
    orphans = _orphans(store.orphans(), names)
    now = app.clock.now()
    future = _future_answers(store.answers_after(now), now, names)
    lost, restorable = (
        _lost_answers(store, app.db_path, names) if on_file else (_not_here("lost_answers"), [])
    )
    keys = (
        _foreign_keys(store.foreign_key_violations(), orphans)
        if on_file
        else _not_here("foreign_keys")
    )
    memory = _memory(store.card_histories(), app, names)
    counters = _answer_counters(store.answer_counter_drift(), names)
    settings, problems = _settings(store)
    # Reading the settings left these as notices too; the report says them once.
    app.notices[:] = [notice for notice in app.notices if notice not in problems]
    from recall1924.media_check import check_media, media_finding

    media = media_finding(check_media(store))  # the folder's files against the media rows
    findings = [
        integrity,
        keys,
        orphans.finding,
        memory.finding,
        counters,
        future,
        settings,
        lost,
        media,
    ]
    return _Diagnosis(findings, names, orphans=orphans, lost=restorable)


def _ok(check: str, title: str, summary: str = "ok", /, **details: object) -> Finding:
    return Finding(check, title, 0, summary, details=dict(details))


_TITLES = {"integrity": "integrity", "foreign_keys": "foreign keys", "lost_answers": "lost answers"}


def _not_here(check: str) -> Finding:
    """A check of the SQLite file, on a collection on a server (:data:`NOT_ON_A_SERVER`)."""
    return _ok(
        check,
        _TITLES[check],
        f"not applicable on a server ({NOT_ON_A_SERVER[check]})",
        applicable=False,
    )


def _label(card: CardName | None, card_id: int) -> str:
    if card is None:
        return f"card {card_id}"
    deck, key = card
    return f"{deck or '?'}/{key}"


def _named(card_ids: Iterable[int], names: dict[int, CardName]) -> tuple[str, ...]:
    """The first few distinct cards of ``card_ids``, as people name them."""
    seen: list[str] = []
    for card_id in card_ids:
        label = _label(names.get(card_id), card_id)
        if label not in seen:
            seen.append(label)
            if len(seen) == EXAMPLES:
                break
    return tuple(seen)


def _eg(examples: Sequence[str], total: int) -> str:
    if not examples:
        return ""
    more = ", ..." if total > len(examples) else ""
    return f" ({', '.join(examples)}{more})"


def _integrity(messages: list[str]) -> Finding:
    if not messages:
        return _ok("integrity", "integrity")
    more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
    return Finding(
        "integrity",
        "integrity",
        len(messages),
        f"SQLite finds the file damaged: {messages[0]}{more}; the other checks were skipped",
        remedy="doctor cannot rebuild a damaged file: put a backup back with recall restore "
        "(recall backups lists them), or export what still reads into a new collection",
        details={"messages": messages},
    )


def _foreign_keys(tables: dict[str, int], orphans: _Orphans) -> Finding:
    # Every foreign key recall has is one of the orphan checks: that one says which it keeps.
    total = sum(tables.values())
    if not total:
        return _ok("foreign_keys", "foreign keys", tables={})
    counts = ", ".join(f"{table} {count}" for table, count in tables.items())
    return Finding(
        "foreign_keys",
        "foreign keys",
        total,
        f"{plural(total, 'row')} point at rows that are not there ({counts}); see orphaned rows",
        repairable=orphans.deletable > 0,
        remedy="doctor keeps the rows named under orphaned rows" if orphans.finding.remedy else "",
        details={"tables": tables},
    )


@dataclass(frozen=True)
class _Orphans:
    finding: Finding
    deletable: int


def _orphans(found: Orphans, names: dict[int, CardName]) -> _Orphans:
    answers, deckless, sectionless, sections = found
    parts: list[str] = []
    if answers:
        shown = [f"review_log {log_id}" for log_id, _card in answers[:EXAMPLES]]
        parts.append(
            f"{plural(len(answers), 'answer')} whose card is missing{_eg(shown, len(answers))}"
        )
    if deckless:
        logged = sum(count for _id, count in deckless)
        shown = list(_named((card_id for card_id, _n in deckless), names))
        parts.append(
            f"{plural(len(deckless), 'card')} whose deck is missing{_eg(shown, len(deckless))}"
            + (f", with {plural(logged, 'answer')}" if logged else "")
        )
    if sectionless:
        shown = list(_named(sectionless, names))
        parts.append(
            f"{plural(len(sectionless), 'card')} whose section is missing"
            f"{_eg(shown, len(sectionless))}"
        )
    if sections:
        shown = [key for key, _held in sections[:EXAMPLES]]
        parts.append(
            f"{plural(len(sections), 'section')} whose deck is missing{_eg(shown, len(sections))}"
        )
    held = sum(1 for _key, holds in sections if holds)
    details: dict[str, int] = {
        "answers_without_card": len(answers),
        "cards_without_deck": len(deckless),
        "cards_without_section": len(sectionless),
        "sections_without_deck": len(sections),
    }
    total = sum(details.values())
    if not total:
        return _Orphans(_ok("orphans", "orphaned rows", **details), 0)
    kept: list[str] = []
    if sectionless:
        kept.append(
            f"{plural(len(sectionless), 'card')} whose section is missing: they have a deck and "
            "answers worth keeping; import the deck's file again to put them back in a section"
        )
    if held:
        kept.append(
            f"{plural(held, 'section')} whose deck is missing but which still hold cards of "
            "other decks: deleting them would delete those cards"
        )
    deletable = len(answers) + len(deckless) + len(sections) - held
    finding = Finding(
        "orphans",
        "orphaned rows",
        total,
        f"{plural(total, 'row')} nothing can reach: " + "; ".join(parts),
        examples=_named([*(card_id for card_id, _n in deckless), *sectionless], names),
        repairable=deletable > 0,
        remedy=("doctor keeps " + "; and ".join(kept)) if kept else "",
        details=dict(details),
    )
    return _Orphans(finding, deletable)


@dataclass(frozen=True)
class _Memory:
    finding: Finding
    fixable: dict[int, tuple[MemoryState, list[tuple[int, MemoryState, MemoryState]]]]


def _close(stored: float | None, replayed: float | None) -> bool:
    if stored is None or replayed is None:
        return stored is replayed
    return math.isclose(stored, replayed, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9)


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"


def _differences(stored: MemoryState, replayed: MemoryState) -> list[str]:
    """How ``stored`` differs from ``replayed``, in words; empty when they agree."""
    found: list[str] = []
    if stored.state != replayed.state or stored.step != replayed.step:
        found.append(
            f"state {stored.state.name.lower()} step {stored.step} stored, "
            f"{replayed.state.name.lower()} step {replayed.step} replayed"
        )
    for name in ("stability", "difficulty"):
        mine, theirs = getattr(stored, name), getattr(replayed, name)
        if not _close(mine, theirs):
            found.append(f"{name} {_number(mine)} stored, {_number(theirs)} replayed")
    for name in ("due", "last_review"):
        mine, theirs = getattr(stored, name), getattr(replayed, name)
        if mine != theirs and not (name == "due" and _a_day_balance_may_pick(stored, replayed)):
            found.append(f"{name} {iso(mine)} stored, {iso(theirs)} replayed")
    return found


def _a_day_balance_may_pick(stored: MemoryState, replayed: MemoryState) -> bool:
    """Whether ``stored``'s due day is one load balancing may have picked where the replay,
    which cannot know the other cards' loads on the day of the answer, fuzzed: a review due
    whole days after the same last review, at most one fuzz range from the replayed day (the
    balancer and the fuzz both pick within the range around the same interval)."""
    from recall1924.balance import fuzz_bounds
    from recall1924.scheduling import State

    if replayed.last_review is None or stored.last_review != replayed.last_review:
        return False
    if stored.state is not State.Review or replayed.state is not State.Review:
        return False
    mine, theirs = stored.due - stored.last_review, replayed.due - replayed.last_review
    if mine.seconds or mine.microseconds or theirs.seconds or theirs.microseconds:
        return False
    lower, upper = fuzz_bounds(theirs.days, 1, max(theirs.days, mine.days) * 2 + 1)
    return abs(mine.days - theirs.days) <= upper - lower


def _same(one: MemoryState, other: MemoryState) -> bool:
    return not _differences(one, other)


def _memory(histories: Iterable[CardHistory], app: App, names: dict[int, CardName]) -> _Memory:
    """Replay every card whose history starts at its first answer, or at a reset (which starts
    from new whatever came before it), and compare it with the card. A card as its last answer
    left it is sound even where the replay differs: the settings changed since, or an exam
    brought that answer's due date forward. A card that differs from both drifted; a rewrite
    fixes it when the replay gives back that last answer (so it is the history recall wrote)
    and no answer is missing from it."""
    from recall1924.models import ReviewKind
    from recall1924.optimize import replay_card
    from recall1924.scheduling import CardStatus

    replayed = not_from_new = from_reset = as_logged = 0
    unreplayable: list[int] = []
    drifted: list[int] = []
    shown: list[str] = []
    listed: list[dict[str, object]] = []
    fixable: dict[int, tuple[MemoryState, list[tuple[int, MemoryState, MemoryState]]]] = {}
    left: Counter[str] = Counter()
    for card in histories:
        if card.rows[0].before.status is not CardStatus.New:
            resets = [n for n, row in enumerate(card.rows) if row.kind == ReviewKind.Reset]
            if not resets:
                not_from_new += 1
                continue
            from_reset += 1  # what came before its first reset is not checked, nor rewritten
            card = replace(card, rows=card.rows[resets[0] :])
        scheduler = app.scheduler_for(card.deck_key, card.section_key)
        try:
            memory, rows = replay_card(
                card, scheduler=scheduler, day_starts_at=app.settings.day_starts_at
            )
        except ValueError:  # a rating out of 1-4, written by hand
            unreplayable.append(card.card_id)
            continue
        replayed += 1
        logged = card.rows[-1].after
        differences = _differences(card.memory, memory)
        if not differences:
            continue
        if _same(card.memory, logged):
            as_logged += 1
            continue
        gap = any(not _same(b.before, a.after) for a, b in pairwise(card.rows))
        reason = None
        if gap or card.memory.last_review != memory.last_review:
            reason = "its history is missing answers, which a replay would pass over"
        elif not _same(memory, logged):
            reason = "a replay does not give back its last answer (settings changed since?)"
        if reason is None:
            fixable[card.card_id] = (memory, rows)
        else:
            left[reason] += 1
        drifted.append(card.card_id)
        label = _label(names.get(card.card_id), card.card_id)
        if len(shown) < EXAMPLES:
            shown.append(f"{label}: {differences[0]}")
        deck, key = names.get(card.card_id, (card.deck_key, "?"))
        entry: dict[str, object] = {"deck": deck, "key": key, "differences": differences}
        listed.append(entry | {"repairable": reason is None, "reason": reason})
    details: dict[str, object] = {
        "replayed": replayed,
        "as_last_answer_left_it": as_logged,
        "not_from_new": not_from_new,
        "from_reset": from_reset,
        "unreplayable": len(unreplayable),
        "drifted": listed,
    }
    notes = [f"{plural(replayed, 'card')} replayed"]
    if as_logged:
        notes.append(f"{as_logged} differ from their replay but are as their last answer left them")
    if from_reset:
        notes.append(
            f"{plural(from_reset, 'card')} whose history does not start at its first answer "
            "checked from its first reset"
        )
    if not_from_new:
        notes.append(
            f"{plural(not_from_new, 'card')} whose history does not start at its first answer "
            "not checked"
        )
    problems = len(drifted) + len(unreplayable)
    if not problems:
        summary = f"ok ({'; '.join(notes)})"
        return _Memory(Finding("memory", "memory states", 0, summary, details=details), {})
    parts = []
    if drifted:
        verb = "disagrees" if len(drifted) == 1 else "disagree"
        parts.append(
            f"{plural(len(drifted), 'card')} {verb} with both a replay of its history and its "
            f"last answer{_eg(shown, len(drifted))}"
        )
    if unreplayable:
        left["its history holds a rating recall cannot replay"] += len(unreplayable)
        parts.append(
            f"{plural(len(unreplayable), 'card')} cannot be replayed (a rating out of 1-4)"
            f"{_eg(_named(unreplayable, names), len(unreplayable))}"
        )
    finding = Finding(
        "memory",
        "memory states",
        problems,
        "; ".join(parts + notes),
        examples=_named([*drifted, *unreplayable], names),
        repairable=bool(fixable),
        remedy="; ".join(f"doctor leaves {plural(n, 'card')}: {why}" for why, n in left.items()),
        details=details,
    )
    return _Memory(finding, fixable)


def _counter_differences(drift: CounterDrift) -> list[str]:
    """How a card's counters differ from its recount, in words (``stored`` then ``counted``)."""
    from recall1924.store.dialect import ANSWER_COUNTERS

    return [
        f"{counter} {mine} stored, {theirs} counted"
        for counter, mine, theirs in zip(ANSWER_COUNTERS, drift.stored, drift.counted, strict=True)
        if mine != theirs
    ]


def _cards_counters(count: int) -> str:
    """``1 card's`` or ``2 cards'``: whose answer counters."""
    return f"{plural(count, 'card')}'" + ("s" if count == 1 else "")


def _answer_counters(drift: list[CounterDrift], names: dict[int, CardName]) -> Finding:
    """Each card's answer counters are state derived twice: triggers keep them equal to what
    its review log counts, and ``recall stats`` sums them. A file written with the triggers off
    (another tool, a restored partial copy) makes stats silently wrong; a recount, which only
    reads the answers, puts them right."""
    if not drift:
        return _ok("answer_counters", "answer counters", drifted=[])
    listed: list[dict[str, object]] = []
    shown: list[str] = []
    for found in drift:
        differences = _counter_differences(found)
        if len(shown) < EXAMPLES:
            shown.append(f"{_label(names.get(found.card_id), found.card_id)}: {differences[0]}")
        deck, key = names.get(found.card_id, (None, f"card {found.card_id}"))
        listed.append({"deck": deck, "key": key, "differences": differences})
    whose = "its" if len(drift) == 1 else "their"
    return Finding(
        "answer_counters",
        "answer counters",
        len(drift),
        f"{_cards_counters(len(drift))} answer counters disagree with {whose} history"
        f"{_eg(shown, len(drift))}; recall stats sums them",
        examples=_named((found.card_id for found in drift), names),
        repairable=True,
        details={"drifted": listed},
    )


def _future_answers(
    rows: list[tuple[int, datetime]], now: datetime, names: dict[int, CardName]
) -> Finding:
    if not rows:
        return _ok("future_answers", "future answers", answers=0, now=iso(now))
    latest = rows[0][1]
    cards = _named((card_id for card_id, _at in rows), names)
    return Finding(
        "future_answers",
        "future answers",
        len(rows),
        f"{plural(len(rows), 'answer')} stamped later than now ({iso(now)}), the latest "
        f"{iso(latest)}{_eg(cards, len({card_id for card_id, _at in rows}))}",
        examples=cards,
        remedy="doctor leaves them: it cannot tell when they were really given (a clock set "
        "wrong, or RECALL_NOW ahead); until then each counts on its own review day",
        details={"answers": len(rows), "latest": iso(latest), "now": iso(now)},
    )


def _settings(store: Store) -> tuple[Finding, list[str]]:
    """Stored values recall cannot read, globally, for each deck and for each section; and
    the messages."""
    from recall1924.settings import SECTION_SETTINGS, Settings

    stored = store.settings()
    read, problems = Settings.load(stored)
    for deck in store.deck_setting_scopes():
        _deck_settings, own = Settings.load_for_deck(stored, store.settings(deck), deck)
        problems += [problem for problem in own if problem not in problems]
    for key in sorted(SECTION_SETTINGS):
        for (deck, section), text in store.section_settings(key).items():
            _section_settings, own = read.for_section({key: text}, deck, section)
            problems += [problem for problem in own if problem not in problems]
    if not problems:
        return _ok("settings", "settings", problems=[]), []
    finding = Finding(
        "settings",
        "settings",
        len(problems),
        f"{plural(len(problems), 'stored value')} cannot be read: " + "; ".join(problems),
        remedy="doctor leaves them: it cannot know what you meant; each takes its default for "
        "now (recall config set or recall config reset fixes it)",
        details={"problems": problems},
    )
    return finding, problems


# Answers a backup still holds
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lost:
    """The answers one backup holds that the collection lost, their cards still there."""

    backup: Path
    taken_at: datetime
    columns: tuple[str, ...]
    answers: tuple[StoredAnswer, ...]
    blocked: tuple[str, ...] = ()
    """Columns the collection needs that the backup's answers lack: these cannot go back."""


def _lost_answers(
    store: Store, db_path: Path, names: dict[int, CardName]
) -> tuple[Finding, list[_Lost]]:
    """Compare the answers (by :data:`~recall1924.store.integrity.ANSWER_IDENTITY`) with
    each backup's, newest first: an answer is restored from the newest that holds it."""
    from recall1924.backups import list_backups
    from recall1924.store.integrity import read_backup_answers

    live = store.answer_columns()
    cards = {card_id: card for card_id, card in names.items() if card[0] is not None}
    # Counted, not just seen: with a pinned clock one card can have two answers in one instant.
    have: Counter[AnswerKey] = Counter()
    ids: set[int] = set()
    for log_id, key in store.answer_keys():
        have[key] += 1
        ids.add(log_id)
    lost: list[_Lost] = []
    unreadable: list[dict[str, str]] = []
    backups = list_backups(db_path)
    for backup in backups:
        try:
            held = read_backup_answers(backup.path, live)
        except DatabaseError as exc:
            unreadable.append({"path": str(backup.path), "reason": str(exc)})
            continue
        grouped: dict[AnswerKey, list[StoredAnswer]] = {}
        for answer in held.answers:
            # Only a card that is still the same card: same id, same deck and card key.
            if answer.card_id in cards and cards[answer.card_id] == held.cards.get(answer.card_id):
                grouped.setdefault(answer.key, []).append(answer)
        missing: list[StoredAnswer] = []
        for key, same in grouped.items():
            extra = len(same) - have[key]
            if extra > 0:
                # those whose id is free first, so that they keep it
                missing += sorted(same, key=lambda answer: (answer.id in ids, answer.id))[:extra]
                have[key] += extra
        if missing:
            missing.sort(key=lambda answer: answer.id)
            lost.append(
                _Lost(backup.path, backup.taken_at, held.columns, tuple(missing), held.blocked)
            )
    details: dict[str, object] = {
        "compared": len(backups) - len(unreadable),
        "backups": [
            {
                "path": str(found.backup),
                "taken_at": iso(found.taken_at),
                "answers": len(found.answers),
                "restorable": not found.blocked,
            }
            for found in lost
        ],
        "unreadable": unreadable,
    }
    skipped = f"; {plural(len(unreadable), 'backup')} could not be read" if unreadable else ""
    if not lost:
        compared = (
            f"ok ({plural(len(backups) - len(unreadable), 'backup')} compared{skipped})"
            if backups
            else "ok (no backups to compare)"
        )
        return _ok("lost_answers", "lost answers", compared, **details), []
    total = sum(len(found.answers) for found in lost)
    verb, them = ("is", "it") if total == 1 else ("are", "them")
    when = f"{lost[0].taken_at.astimezone():%Y-%m-%d %H:%M}"
    if len(lost) == 1:
        holders = f"backup {lost[0].backup} holds {them}"
    else:
        holders = "backups " + ", ".join(f"{found.backup} ({len(found.answers)})" for found in lost)
        holders += " hold them"
    stuck = [found for found in lost if found.blocked]
    card_ids = [answer.card_id for found in lost for answer in found.answers]
    finding = Finding(
        "lost_answers",
        "lost answers",
        total,
        f"{plural(total, 'answer')} from before {when} {verb} missing; {holders}; "
        f"run recall doctor --repair to restore {them}{skipped}",
        examples=_named(card_ids, names),
        repairable=len(stuck) < len(lost),
        remedy="; ".join(
            f"doctor leaves the answers of {found.backup}: they lack "
            f"{', '.join(found.blocked)}, which this recall needs"
            for found in stuck
        ),
        details=details,
    )
    return finding, lost


# Repairing
# ---------------------------------------------------------------------------------------------


def _repair(app: App, found: _Diagnosis) -> Repair:
    if found.damaged:
        return Repair(None, refused="SQLite finds the file damaged (see integrity)")
    if not found.repairable:
        return Repair(None)
    # The answers to restore are in memory already: the backup taken now may thin out the
    # very backup they came from.
    backup = app.backup()
    done: list[Action] = []
    names = found.names
    # One transaction: a repair that fails part-way leaves the collection as it found it.
    with app.store.repairing() as work:
        for lost in found.lost:
            if not lost.blocked:
                renumbered = work.restore_answers(
                    lost.columns, [answer.values for answer in lost.answers]
                )
                done.append(_restored(lost, renumbered))
        if found.orphans is not None and found.orphans.deletable:
            done.append(_deleted(work.delete_orphans()))
        # Restored answers change histories: replay again, in the transaction that holds them,
        # before rewriting any memory state.
        memory = _memory(work.card_histories(), app, names)
        if memory.fixable:
            work.rewrite_memory(
                {card_id: state for card_id, (state, _rows) in memory.fixable.items()},
                {
                    log_id: (before, after)
                    for _state, rows in memory.fixable.values()
                    for log_id, before, after in rows
                },
            )
            count = len(memory.fixable)
            done.append(
                Action(
                    "memory",
                    count,
                    f"Re-derived memory states from history: {plural(count, 'card')}"
                    f"{_eg(_named(memory.fixable, names), count)}",
                )
            )
        # Last: the answers restored, deleted and rewritten above moved the counters already
        # (the triggers), so the recount sees the history as the repair leaves it.
        if any(f.check == "answer_counters" and not f.ok for f in found.findings):
            recounted = work.recount_answers()
            if recounted:
                count = len(recounted)
                done.append(
                    Action(
                        "answer_counters",
                        count,
                        f"Recounted the answer counters from history: "
                        f"{plural(count, 'card')}"
                        f"{_eg(_named((c.card_id for c in recounted), names), count)}",
                    )
                )
    # Files after rows, outside the transaction: removed only once nothing committed names them.
    if any(finding.check == "media" and finding.repairable for finding in found.findings):
        from recall1924.media_check import repair_media

        if (media := repair_media(app.store)) is not None:
            done.append(media)
    return Repair(backup, tuple(done))


def _restored(lost: _Lost, renumbered: int) -> Action:
    note = (
        f" ({renumbered} under new ids: answers given since had taken theirs)" if renumbered else ""
    )
    count = len(lost.answers)
    return Action(
        "lost_answers", count, f"Restored {plural(count, 'answer')} from {lost.backup}{note}"
    )


def _deleted(deleted: DeletedOrphans) -> Action:
    answers, cards, sections = deleted.answers, deleted.cards, deleted.sections
    parts = [
        part
        for count, part in (
            (answers, f"{plural(answers, 'answer')} whose card was missing"),
            (cards, f"{plural(cards, 'card')} whose deck was missing"),
            (sections, f"{plural(sections, 'section')} whose deck was missing"),
        )
        if count
    ]
    logged = deleted.with_cards
    also = f" (with {plural(logged, 'answer')} of those cards)" if logged else ""
    total = answers + cards + sections
    return Action(
        "orphans", total, f"Deleted {plural(total, 'orphaned row')}: {', '.join(parts)}{also}"
    )
