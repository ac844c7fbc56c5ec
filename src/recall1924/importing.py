"""The import service: compare the decks a reader found with the collection, then write them in
one transaction (or, when the collection already holds them just so, write nothing and take no
backup).

Holds :func:`plan_import` (pure: what an import would add, update, leave or find missing),
:func:`import_decks` / :func:`import_deck`, and :class:`ImportPlan` / :class:`ImportReport`.
Reading files is :mod:`recall1924.importers`' part. Cards match on their deck's key and their own
key (for Anki notes, one made from the note's GUID), so rewording a card keeps its memory state
and history; a card whose wording is the student's own (changed with ``recall edit``, kept in the
collection only) keeps it whatever the file says, with the file's wording recorded beside it
(:class:`~recall1924.store.edits.Upstream`) and never retired or pruned. Answers a card was given
elsewhere are replayed into its memory state by the ``replay`` function the caller passes (see
:mod:`recall1924.history`). What a file holds besides its decks travels beside them, as the
reader found it: the rows it skipped and the answers it left out (each with why), the cards Anki
had buried, and a whole Anki collection's own day rollover hour, which a new collection takes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from recall1924.clock import day_bounds, whole_milliseconds
from recall1924.collector import collector_paused
from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec
from recall1924.errors import DeckFileError
from recall1924.importers import BUNDLED_SOURCE
from recall1924.scheduling import MemoryState, ReviewKind
from recall1924.spool import SpooledCards
from recall1924.store import ExistingCard, Store
from recall1924.store.decks import DeckChange, ExistingDeck, LoggedAnswer
from recall1924.store.edits import Upstream
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
    resets_added: int = 0
    """Resets added with the answers (not answers themselves: see ``ReviewKind.Reset``)."""
    kept: tuple[str, ...] = ()
    """Cards whose wording is the student's own and differs from the file's: the student's
    stays (the file's is kept beside it, for ``recall card`` to show)."""
    newer: tuple[str, ...] = ()
    """Those of :attr:`kept` whose wording in the file is new since the student changed them
    (or since the last import)."""

    def kept_notice(self) -> str | None:
        """One line on the cards that keep the student's wording, or None if there are none."""
        if not self.kept:
            return None
        count = len(self.kept)
        line = f"{plural(count, 'card')} {'keeps' if count == 1 else 'keep'} your wording"
        if not self.newer:
            return f"{line} (the file has the deck's own)"
        if len(self.newer) == 1:
            return f"{line}; a newer wording exists: recall card {self.newer[0]} shows it"
        shown = ", ".join(self.newer[:5]) + (" …" if len(self.newer) > 5 else "")
        return (
            f"{line}; a newer wording exists for {len(self.newer)}: recall card KEY shows it "
            f"({shown})"
        )


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
    now: datetime | None = None,
    logged: Mapping[str, datetime] | None = None,
) -> tuple[ImportPlan, DeckChange, bool]:
    """The plan and the change for ``deck``, and whether every card the file has is stored
    just so already (text, section, place in it, source id) and no answer is new.
    ``logged``: each stored card's latest review log row (``Store.last_logged``)."""
    current = existing or {}
    total = sum(len(section.cards) for section in deck.sections)
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    wording = _Wording(now)
    answers: dict[str, list[LoggedAnswer]] = {}
    known = fresh_total = resets_total = done = 0
    in_place = True
    for section in deck.sections:
        if existing is None and isinstance(section.cards, SpooledCards):
            # A new deck from a text file: every card is added and none has answers to replay,
            # so its cards are not read back (only to be written).
            added.extend(section.cards.keys)
            done += len(section.cards)
            if progress is not None:
                progress(done, total)
            continue
        for position, card in enumerate(section.cards):
            done += 1
            if progress is not None and done % 100 == 0:
                progress(done, total)
            before = current.get(card.key)
            if before is None:
                added.append(card.key)
            elif before.edited and not before.same_content(card):
                wording.keep(before, card)
                if before.section_key != section.key:
                    updated.append(card.key)  # placement is the file's to say
            elif not before.same_content(card) or before.section_key != section.key:
                updated.append(card.key)
            else:
                unchanged.append(card.key)
                if before.edited:
                    wording.settled.add(card.key)
                # the same card, but a save would still move it or change its source id
                if in_place and (before.position != position or before.source_id != card.source_id):
                    in_place = False
            if not card.history:
                continue
            # Only answers after the card's last row in recall (of any kind: cram and resets
            # leave its last review as it was) are new: a re-import of the same file, or a
            # newer export of it, adds each answer once.
            start = before.memory if before else MemoryState.new(card.history[0].at)
            last = start.last_review if logged is None else logged.get(card.key)
            # To the millisecond, as the answers are stored: a time given with microseconds
            # is the answer stored before, not a later one.
            if last is None:  # a new card (or one with no row yet): every answer is new
                fresh = list(card.history)
                resets = _resets(fresh)
            else:
                fresh = [past for past in card.history if whole_milliseconds(past.at) > last]
                resets = _resets(fresh)
                known += len(card.history) - _resets(card.history) - (len(fresh) - resets)
            fresh_total += len(fresh) - resets
            resets_total += resets
            if fresh and replay is not None:
                states = replay(fresh, start)
                answers[card.key] = [
                    LoggedAnswer(past.at, past.rating, past.duration_ms, before_, after, past.kind)
                    for past, (before_, after) in zip(fresh, states, strict=True)
                ]
    missing: tuple[str, ...] = ()
    if current:
        in_file = {key for section in deck.sections for key in _keys(section.cards)}
        # A card whose wording is the student's is theirs: never retired or pruned for not
        # being in the file (one they added is in no file).
        missing = tuple(
            sorted(key for key, card in current.items() if key not in in_file and not card.edited)
        )
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
        resets_added=resets_total,
        kept=tuple(wording.kept),
        newer=tuple(wording.upstream),
    )
    change = DeckChange(
        spec=wording.applied(deck),
        changed=frozenset(updated),
        prune=frozenset(missing if prune else ()),
        answers=answers,
        upstream=wording.upstream,
        settled=frozenset(wording.settled),
    )
    in_place = (
        in_place
        and existing is not None
        and not _changes_cards(plan, prune=prune)
        and not wording.upstream
        and not wording.settled
    )
    return plan, change, in_place


@dataclass
class _Wording:
    """The cards of an import whose wording is the student's own (``edited_at`` set).

    Such a card keeps its wording whatever the file says; the file's wording is kept beside it
    as its upstream when it is new (not the one already recorded there). A card whose file
    wording is now the student's too is *settled*: no longer marked as the student's, so the
    file speaks for it again.
    """

    now: datetime | None
    """When the import runs: the time a newer wording is recorded with."""
    kept: dict[str, CardSpec] = field(default_factory=dict)
    """The student's wording, by key, for the cards that keep it."""
    upstream: dict[str, Upstream] = field(default_factory=dict)
    settled: set[str] = field(default_factory=set)

    def keep(self, stored: ExistingCard, card: CardSpec) -> None:
        self.kept[card.key] = replace(
            card,
            question=stored.question,
            answer=stored.answer,
            note=stored.note,
            tags=stored.tags,
        )
        recorded = stored.upstream
        if recorded is None or not recorded.same_wording(card):
            self.upstream[card.key] = Upstream.of(card, updated_at=self.now)

    def applied(self, deck: DeckSpec) -> DeckSpec:
        """``deck`` with the student's wording for the cards that keep it."""
        if not self.kept:
            return deck
        return replace(
            deck,
            sections=tuple(
                replace(
                    section,
                    cards=tuple(self.kept.get(card.key, card) for card in section.cards),
                )
                for section in deck.sections
            ),
        )


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
            their cards (and the files Anki keeps for their note types) are stored after the
            decks are (never in a dry run), and a notice says what came. Whatever the file,
            the decks then forget the files their cards no longer name, and stored files
            nothing names are removed.

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
            has_history = any(card.history for card in _held(deck))
            if replay is None and not dry_run and has_history:
                raise ValueError("a deck with history needs a replay function")
            stored = store.existing_deck(deck.key)
            existing = None if stored is None else stored.cards
            plan, change, in_place = _compare(
                deck,
                existing,
                prune=prune,
                replay=replay,
                progress=progress,
                now=now,
                # only a card with answers in the file looks at its last row in recall
                logged=store.last_logged(deck.key) if stored is not None and has_history else None,
            )
            if (
                stored is not None
                and stored.source == BUNDLED_SOURCE
                and not _changes_cards(plan, prune=prune)
            ):
                # Nothing came from this file (an unchanged CSV round trip of the bundled
                # deck): it stays the bundled deck and keeps its updates. Any other deck's
                # source becomes the file it was last imported from, where the student edits it.
                change = replace(change, spec=replace(change.spec, source=stored.source))
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
    if (history := _history_notice(decks)) is not None:
        notices.append(history)
    if not dry_run:
        from recall1924.media import forget_unnamed, import_media

        if media_from is not None:
            media = import_media(store, media_from, decks).notice()
            if media is not None:
                notices.append(media)
        # after the decks are committed: files their cards no longer name, and then files
        # nothing names, go (a crash in between leaves a file too many, never one too few)
        forget_unnamed(store, [deck.key for deck in decks])
    return ImportReport(tuple(plans), tuple(skipped), saved, tuple(left_out), tuple(notices))


def _changes_cards(plan: ImportPlan, *, prune: bool) -> bool:
    """Whether importing ``plan`` adds, changes or deletes any card or answer."""
    return bool(
        plan.added
        or plan.updated
        or plan.answers_added
        or plan.resets_added
        or (prune and plan.missing)
    )


def _held(deck: DeckSpec) -> Iterator[CardSpec]:
    """The cards of ``deck`` that may carry history: those held in memory. Spooled ones (a
    text file's, :class:`~recall1924.spool.SpooledCards`) carry none, and reading them back
    costs a pass over the whole file's cards."""
    for section in deck.sections:
        if not isinstance(section.cards, SpooledCards):
            yield from section.cards


def _keys(cards: Sequence[CardSpec]) -> Sequence[str]:
    """The keys of ``cards``, without reading spooled cards back."""
    return cards.keys if isinstance(cards, SpooledCards) else [card.key for card in cards]


def _resets(history: Sequence[PastAnswer]) -> int:
    return sum(1 for past in history if past.kind == ReviewKind.Reset)


def _history_notice(decks: Sequence[DeckSpec]) -> str | None:
    """What the file's history brings, when some card's memory state starts at a reset (its
    earlier answers are kept, and count as answers, but no longer shape the memory state)."""
    answers = reset_cards = 0
    for deck in decks:
        for card in _held(deck):
            if card.history:
                resets = _resets(card.history)
                answers += len(card.history) - resets
                reset_cards += resets > 0
    if not reset_cards:
        return None
    return (
        f"Kept {plural(answers, 'answer')}; the memory state of {plural(reset_cards, 'card')} "
        f"starts at {'its' if reset_cards == 1 else 'their'} last reset, as in Anki (the "
        "answers before it are kept as history)"
    )


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
        if not any(past.at > limit for card in _held(deck) for past in card.history):
            kept.append(deck)
            continue
        sections = []
        for section in deck.sections:
            if isinstance(section.cards, SpooledCards):
                sections.append(section)  # no history, so nothing in the future
                continue
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
