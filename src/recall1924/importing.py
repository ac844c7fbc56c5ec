"""The import service: compare the decks a reader found with the collection, then write them in
one transaction (or, when the collection already holds them just so, write nothing and take no
backup).

Holds :func:`plan_import` (pure: what an import would add, update, leave or find missing),
:func:`import_decks` / :func:`import_deck`, and :class:`ImportPlan` / :class:`ImportReport`.
Reading files is :mod:`recall1924.importers`' part. Cards match on their deck's key and their own
key (for Anki notes, one made from the note's GUID), so rewording a card keeps its memory state
and history. Answers a card was given elsewhere are replayed into its memory state by the
``replay`` function the caller passes (see :mod:`recall1924.history`). What a file holds besides
its decks travels beside them, as the reader found it: the rows it skipped and the answers it left
out (each with why), the cards Anki had buried, and a whole Anki collection's own day rollover
hour, which a new collection takes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from recall1924.clock import day_bounds
from recall1924.collector import collector_paused
from recall1924.deck import DeckSpec, PastAnswer, SectionSpec
from recall1924.errors import DeckFileError
from recall1924.importers import BUNDLED_SOURCE
from recall1924.scheduling import MemoryState
from recall1924.store import ExistingCard, Store
from recall1924.store.decks import DeckChange, ExistingDeck, LoggedAnswer
from recall1924.words import plural

Progress = Callable[[int, int], None]
"""Told how many cards of how many an import has compared so far."""

Replay = Callable[[Sequence[PastAnswer], MemoryState], list[tuple[MemoryState, MemoryState]]]
"""Replays answers given elsewhere from a starting memory state: (before, after) of each."""


@dataclass(frozen=True)
class ImportPlan:
    """What importing one deck changes, by card key."""

    deck_key: str
    deck_title: str
    new_deck: bool
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    missing: tuple[str, ...]
    pruned: bool
    answers_added: int = 0
    answers_known: int = 0
    """Answers in the file that the collection already holds (or that are older than the
    card's history in recall), not added again."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, in a dry run, would do) to each deck of a file.

    ``left_out`` counts, one line per reason, the answers in the file not imported; ``notices``
    say what else changed or differs (the collection's day start).
    """

    decks: tuple[ImportPlan, ...]
    skipped: tuple[str, ...] = ()
    backup: Path | None = None
    left_out: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()


FUTURE_GRACE = timedelta(days=1)
"""How far past "now" an answer may be dated and still be imported: a day covers any time zone
and a clock somewhat off. Beyond it the answer cannot have been given yet, and it would keep its
card out of every queue until then."""


def plan_import(
    deck: DeckSpec, existing: Mapping[str, ExistingCard] | None, *, prune: bool = False
) -> ImportPlan:
    """Compare ``deck`` with the cards the collection holds for it (None: a new deck)."""
    return _compare(deck, existing, prune=prune, replay=None)[0]


def _compare(
    deck: DeckSpec,
    existing: Mapping[str, ExistingCard] | None,
    *,
    prune: bool,
    replay: Replay | None,
    progress: Progress | None = None,
) -> tuple[ImportPlan, DeckChange, bool]:
    """The plan and the change for ``deck``, and whether every card the file has is stored
    just so already (text, section, place in it, source id) and no answer is new."""
    current = existing or {}
    total = len(deck.cards)
    added, updated, unchanged = [], [], []
    answers: dict[str, list[LoggedAnswer]] = {}
    known = fresh_total = done = 0
    in_place = True
    for section in deck.sections:
        for position, card in enumerate(section.cards):
            done += 1
            if progress is not None and done % 100 == 0:
                progress(done, total)
            before = current.get(card.key)
            if before is None:
                added.append(card.key)
            elif not before.same_content(card) or before.section_key != section.key:
                updated.append(card.key)
            else:
                unchanged.append(card.key)
                # the same card, but a save would still move it or change its source id
                if in_place and (before.position != position or before.source_id != card.source_id):
                    in_place = False
            if not card.history:
                continue
            # Only answers after the card's last one in recall are new: a re-import of the
            # same file, or a newer export of it, adds each answer once.
            start = before.memory if before else MemoryState.new(card.history[0].at)
            last = start.last_review
            fresh = [past for past in card.history if last is None or past.at > last]
            known += len(card.history) - len(fresh)
            fresh_total += len(fresh)
            if fresh and replay is not None:
                states = replay(fresh, start)
                answers[card.key] = [
                    LoggedAnswer(past.at, past.rating, past.duration_ms, before_, after)
                    for past, (before_, after) in zip(fresh, states, strict=True)
                ]
    missing: tuple[str, ...] = ()
    if current:
        in_file = {card.key for card in deck.cards}
        missing = tuple(sorted(key for key in current if key not in in_file))
    plan = ImportPlan(
        deck_key=deck.key,
        deck_title=deck.title,
        new_deck=existing is None,
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        missing=missing,
        pruned=prune,
        answers_added=fresh_total,
        answers_known=known,
    )
    change = DeckChange(
        spec=deck,
        changed=frozenset(updated),
        prune=frozenset(missing if prune else ()),
        answers=answers,
    )
    in_place = in_place and existing is not None and not _changes_cards(plan, prune=prune)
    return plan, change, in_place


def _stored_as_is(deck: DeckSpec, stored: ExistingDeck) -> bool:
    """Whether the collection holds ``deck``'s own fields and its sections (titles and order)
    as they are: with its cards in place too, saving it would change nothing."""
    return (stored.title, stored.description, stored.version, stored.source) == (
        deck.title,
        deck.description,
        deck.version,
        deck.source,
    ) and all(
        stored.sections.get(section.key) == (section.title, position)
        for position, section in enumerate(deck.sections)
    )


def import_decks(
    store: Store,
    decks: Sequence[DeckSpec],
    *,
    now: datetime,
    replay: Replay | None = None,
    prune: bool = False,
    dry_run: bool = False,
    skipped: Sequence[str] = (),
    left_out: Sequence[str] = (),
    buried: Collection[tuple[str, str]] = (),
    day_starts_at: int | None = None,
    backup: Callable[[], Path | None] | None = None,
    progress: Progress | None = None,
    media_from: Path | None = None,
) -> ImportReport:
    """Import ``decks`` into ``store`` in one transaction (unless ``dry_run``).

    Answers dated more than :data:`FUTURE_GRACE` after ``now`` are left out (and counted).

    Args:
        replay: turns answers given elsewhere into memory states; needed when a deck carries
            history (without it, a dry run still counts the answers). It must read the
            collection's day start when first called (``App.replay`` does): a new collection
            takes the file's before any answer is replayed.
        prune: delete cards no longer in the file, with their history (else they are kept).
        skipped, left_out: what the reader did not bring (see
            :class:`~recall1924.importers.ReadResult`).
        buried: ``(deck key, card key)`` of cards to keep out of the queue until the next
            review day, if this import adds them (like suspension, a state only new cards take).
        day_starts_at: the file's own day start (a whole Anki collection's rollover hour). A
            collection with no decks yet takes it; one with decks keeps its own, and a notice
            says what that changes.
        backup: called once before anything is written; returns the copy it made. An import
            that would change nothing (every deck stored as the file has it, no answer new)
            writes nothing, so it is not called.
        progress: told how far the comparison (and the replay of history) has got.
        media_from: the file the decks were read from: the images and sounds it holds for
            their cards are stored after the decks are (never in a dry run), and a notice
            says what came.

    Raises:
        DeckFileError: if the file has the same deck twice.
    """
    keys = [deck.key for deck in decks]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise DeckFileError("", [f"deck {twice[0]!r} appears twice in the file"])
    with collector_paused():
        saved = None
        backed_up = False
        day = _day_start(store, day_starts_at, dry_run=dry_run)
        if day.adopt:
            # before the comparison, which replays the answers: their days are counted from the
            # hour the collection will have (and nothing is written before the backup)
            saved, backed_up = (backup() if backup is not None else None), True
            store.save_setting("day_starts_at", str(day.hour))
        decks, future = _drop_future(decks, now + FUTURE_GRACE)
        plans, changes = [], []
        for deck in decks:
            if replay is None and not dry_run and any(card.history for card in deck.cards):
                raise ValueError("a deck with history needs a replay function")
            stored = store.existing_deck(deck.key)
            existing = None if stored is None else stored.cards
            plan, change, in_place = _compare(
                deck, existing, prune=prune, replay=replay, progress=progress
            )
            if (
                stored is not None
                and stored.source == BUNDLED_SOURCE
                and not _changes_cards(plan, prune=prune)
            ):
                # Nothing came from this file (an unchanged CSV round trip of the bundled
                # deck): it stays the bundled deck and keeps its updates. Any other deck's
                # source becomes the file it was last imported from, where the student edits it.
                change = replace(change, spec=replace(deck, source=stored.source))
            if stored is not None and in_place and _stored_as_is(change.spec, stored):
                change = replace(change, nothing_to_write=True)
            plans.append(plan)
            changes.append(change)
        # An import that changes nothing writes nothing: no backup, no transaction.
        if not dry_run and not all(change.nothing_to_write for change in changes):
            if not backed_up and backup is not None:
                saved = backup()
            store.save_decks(changes, now=now)
            _bury(store, plans, buried, until=day_bounds(now, day.hour)[1])
    if future:
        limit = f"{now + FUTURE_GRACE:%Y-%m-%d %H:%M} UTC"
        left_out = (
            *left_out,
            f"{plural(future, 'answer')} dated more than a day after now (after {limit}), in "
            "the future: a wrong clock or a damaged file; left out, as such an answer would "
            "keep its card out of every queue",
        )
    notices = [] if day.notice is None else [day.notice]
    if media_from is not None and not dry_run:
        from recall1924.media import import_media

        media = import_media(store, media_from, decks).notice()
        if media is not None:
            notices.append(media)
    return ImportReport(tuple(plans), tuple(skipped), saved, tuple(left_out), tuple(notices))


def _changes_cards(plan: ImportPlan, *, prune: bool) -> bool:
    """Whether importing ``plan`` adds, changes or deletes any card or answer."""
    return bool(plan.added or plan.updated or plan.answers_added or (prune and plan.missing))


@dataclass(frozen=True)
class _DayStart:
    hour: int
    """The collection's day start after the import."""
    adopt: bool
    """Whether to store the file's hour (a collection with no decks yet takes it)."""
    notice: str | None
    """What the user is told when the file's hour and the collection's differ."""


def _day_start(store: Store, wanted: int | None, *, dry_run: bool) -> _DayStart:
    from recall1924.settings import Settings

    current = Settings.load(store.settings())[0].day_starts_at
    if wanted is None or wanted == current:
        return _DayStart(current, False, None)
    if store.deck_count() == 0 and dry_run:
        return _DayStart(
            current,
            False,
            f"Review days would start at {wanted}:00, as in the Anki collection (they start at "
            f"{current}:00 now)",
        )
    if store.deck_count() == 0:
        return _DayStart(
            wanted,
            True,
            f"Review days now start at {wanted}:00, as in the Anki collection (they started at "
            f"{current}:00); change it with: recall config set day_starts_at HOUR",
        )
    return _DayStart(
        current,
        False,
        f"The Anki collection started its days at {wanted}:00; this collection starts them at "
        f"{current}:00 and keeps that hour: the days between the imported answers are counted "
        f"from {current}:00, so some cards' stability and difficulty may differ a little from "
        f"Anki's, and cards fall due at {current}:00, not {wanted}:00",
    )


def _drop_future(decks: Sequence[DeckSpec], limit: datetime) -> tuple[list[DeckSpec], int]:
    """The decks without answers dated after ``limit``, and how many there were."""
    dropped = 0
    kept = []
    for deck in decks:
        if not any(past.at > limit for card in deck.cards for past in card.history):
            kept.append(deck)
            continue
        sections = []
        for section in deck.sections:
            cards = []
            for card in section.cards:
                history = tuple(past for past in card.history if past.at <= limit)
                dropped += len(card.history) - len(history)
                cards.append(replace(card, history=history))
            sections.append(SectionSpec(section.key, section.title, tuple(cards)))
        kept.append(replace(deck, sections=tuple(sections)))
    return kept, dropped


def _bury(
    store: Store,
    plans: Sequence[ImportPlan],
    buried: Collection[tuple[str, str]],
    *,
    until: datetime,
) -> None:
    """Keep the newly added cards in ``buried`` out of the queue ``until`` then."""
    for plan in plans:
        keys = [key for key in plan.added if (plan.deck_key, key) in buried]
        if keys:
            for card_id in store.card_ids(keys, plan.deck_key).values():
                store.set_buried(card_id, until)


def import_deck(
    store: Store,
    deck: DeckSpec,
    *,
    now: datetime,
    prune: bool = False,
    dry_run: bool = False,
    replay: Replay | None = None,
) -> ImportPlan:
    """Import one ``deck`` into ``store`` (unless ``dry_run``) and say what changed.

    Cards no longer in the file are kept with their history unless ``prune`` is set.
    """
    report = import_decks(store, [deck], now=now, prune=prune, dry_run=dry_run, replay=replay)
    return report.decks[0]
