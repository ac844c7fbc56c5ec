"""Changing a setting, and with ``--reschedule`` moving review cards' due dates to it.

Holds :func:`rescheduled` (a review card's state under a scheduler: pure),
:func:`with_schedule_of` (a recomputed memory on the schedule a card already has),
:func:`resolve_section`, :func:`change_setting` (``recall config set`` / ``reset``, for the
collection, a deck or a section) and :func:`reschedule_decks` (``recall optimize
--reschedule``).

A change of desired retention or FSRS parameters applies to the next answer of each card; the
due dates the cards already have stay as they are, as in Anki, unless the student asks
(``--reschedule``, Anki's "reschedule cards on change"). Then every answered card in the
Review state, not suspended, whose value of the setting is the scope's that changed (a
section's own retention wins over its deck's, a deck's own value over the collection's) gets
its interval again from the stability it has: due = last review + the scheduler's interval for
that stability at the desired retention (at most the maximum interval, fuzzed by a draw seeded
by the card and its last review, so the same change gives the same dates). No history is
replayed. Each card moved gets one review log row of kind ``ReviewKind.Reschedule``, which is
no answer (see :class:`~recall1924.scheduling.ReviewKind`); the setting and the moves are
written in one transaction, each over the row version it read.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from fsrs import Scheduler

from recall1924.balance import fuzzed
from recall1924.errors import NotFoundError, SettingError
from recall1924.scheduling import (
    MemoryState,
    State,
    build_scheduler,
    days_until,
    decay_of,
    fuzz_draw,
)
from recall1924.settings import (
    SECTION_SETTINGS,
    Settings,
    canonical_text,
    check_deck_setting,
    check_section_setting,
    definition,
    section_scope,
)

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.store import Scope, Store
    from recall1924.store.rescheduling import RescheduleResult, ReviewCard

__all__ = [
    "RESCHEDULING",
    "SettingChange",
    "change_setting",
    "reschedule_decks",
    "rescheduled",
    "resolve_section",
    "with_schedule_of",
]

RESCHEDULING = frozenset({"desired_retention", "parameters"})
"""The settings whose change can move due dates (with ``--reschedule``)."""


def rescheduled(memory: MemoryState, *, card_id: int, scheduler: Scheduler) -> MemoryState | None:
    """``memory`` with its due date at the interval ``scheduler`` gives its stability, counted
    from its last review; None for a card that is not an answered review card.

    The interval is FSRS's for the stability at the scheduler's desired retention, rounded to
    whole days (at least 1, at most the maximum interval), fuzzed when the scheduler fuzzes
    with a draw seeded by the card and its last review (:func:`~recall1924.scheduling.
    fuzz_draw`): the same card and settings always give the same day.
    """
    if memory.state is not State.Review or memory.last_review is None:
        return None
    if memory.stability is None:
        return None
    interval = days_until(scheduler.desired_retention, memory.stability, decay_of(scheduler))
    draw = fuzz_draw(card_id, memory.last_review) if scheduler.enable_fuzzing else None
    days = fuzzed(interval, 1, max(scheduler.maximum_interval, 1), draw)
    return replace(memory, due=memory.last_review + timedelta(days=days))


def with_schedule_of(memory: MemoryState, schedule: MemoryState) -> MemoryState:
    """``memory``'s stability and difficulty on ``schedule``'s state, step, due date and last
    review: a memory state recomputed with new parameters that leaves the card's schedule as
    it is (``recall optimize`` without ``--reschedule``)."""
    return replace(schedule, stability=memory.stability, difficulty=memory.difficulty)


def resolve_section(store: Store, deck: str | None, section: str) -> tuple[str, str, int, int]:
    """The section ``section`` names, as ``(deck key, section key, deck id, section id)``:
    ``deck/section``, or a section key within ``deck`` (``--deck``), or a section key that only
    one deck has.

    Raises:
        NotFoundError: no such section (naming the closest there are), or a key several
            decks have and no deck given.
    """
    if deck is not None:
        store.scope(deck)  # names the decks there are when there is no such deck
    names = store.section_names()
    deck_key, slash, section_key = section.partition("/")
    if not slash:
        deck_key, section_key = deck or "", section
    elif deck is not None and deck != deck_key:
        raise NotFoundError(f"--section {section} is not in --deck {deck}")
    if deck_key:
        found = [name for name in names if name[:2] == (deck_key, section_key)]
    else:
        found = [name for name in names if name[1] == section_key]
    if len(found) > 1:
        decks = ", ".join(f"{name[0]}/{name[1]}" for name in found)
        raise NotFoundError(f"section {section_key!r} is in several decks ({decks}); name one")
    if not found:
        wanted = f"{deck_key}/{section_key}" if deck_key else section_key
        # matched as typed (with its deck or without), named in full
        full = {f"{name[0]}/{name[1]}": f"{name[0]}/{name[1]}" for name in names}
        if not deck_key:
            full = {name[1]: f"{name[0]}/{name[1]}" for name in reversed(names)}
        close = [full[match] for match in difflib.get_close_matches(wanted, full, n=3, cutoff=0.5)]
        hint = f"; did you mean {', '.join(dict.fromkeys(close))}?" if close else ""
        if not names:
            hint = " (there are no sections)"
        own = [f"{name[0]}/{name[1]}" for name in names if not deck_key and name[0] == section]
        if own:
            hint = (
                f"; {section!r} is a deck, with the sections {', '.join(own)} (name one, or set "
                f"the whole deck's with --deck {section})"
            )
        raise NotFoundError(f"no section {wanted!r}{hint}")
    deck_key, section_key, section_id = found[0]
    return deck_key, section_key, store.scope(deck_key).deck_id or 0, section_id


class _Effective:
    """Every deck's and section's effective settings from stored text (not an App's cache,
    which a command may have read before the change)."""

    def __init__(
        self,
        global_stored: Mapping[str, str],
        deck_stored: Callable[[str], Mapping[str, str]],
        section_stored: Mapping[tuple[str, str], Mapping[str, str]],
    ) -> None:
        self._global = global_stored
        self._deck_stored = deck_stored
        self._section_stored = section_stored
        self._decks: dict[str, Settings] = {}
        self._sections: dict[tuple[str, str], Settings] = {}

    def of(self, deck_key: str, section_key: str) -> Settings:
        named = (deck_key, section_key)
        found = self._sections.get(named)
        if found is None:
            deck = self._decks.get(deck_key)
            if deck is None:
                deck, _ = Settings.load_for_deck(
                    self._global, self._deck_stored(deck_key), deck_key
                )
                self._decks[deck_key] = deck
            found, _ = deck.for_section(self._section_stored.get(named, {}), *named)
            self._sections[named] = found
        return found


def _stored_decks(store: Store) -> dict[str, dict[str, str]]:
    """Every deck's own settings as stored, by deck key."""
    keys = dict.fromkeys(deck for deck, _section, _id in store.section_names())
    return {deck: store.settings(deck) for deck in keys}


def _stored_sections(store: Store) -> dict[tuple[str, str], dict[str, str]]:
    found: dict[tuple[str, str], dict[str, str]] = {}
    for key in sorted(SECTION_SETTINGS):
        for named, text in store.section_settings(key).items():
            found.setdefault(named, {})[key] = text
    return found


def _plan(
    settings: _Effective, moves: Callable[[str, str], bool]
) -> Callable[[ReviewCard], MemoryState | None]:
    """Each card's state after the reschedule, under ``settings`` for its deck and section,
    for the cards of the decks and sections ``moves`` takes (one scheduler built for each)."""
    schedulers: dict[tuple[str, str], Scheduler | None] = {}

    def plan(card: ReviewCard) -> MemoryState | None:
        named = (card.deck_key, card.section_key)
        if named not in schedulers:
            schedulers[named] = build_scheduler(settings.of(*named)) if moves(*named) else None
        found = schedulers[named]
        if found is None:
            return None
        return rescheduled(card.memory, card_id=card.id, scheduler=found)

    return plan


@dataclass(frozen=True)
class SettingChange:
    """A setting changed (or reset) and what it did to due dates."""

    key: str
    value: str
    """The value in effect now, canonical text."""
    scope: str
    """Where: ``""`` (the collection), ``"deck D"`` or ``"section D/S"``."""
    follows: bool = False
    """A reset of a deck's or section's own value: it follows the wider one again."""
    rescheduled: RescheduleResult | None = None
    """With ``--reschedule``: the cards moved."""
    command: str = ""
    """The command that made the change, as typed, for the hint to reschedule."""

    reset: bool = False
    """The change was a reset."""

    def line(self) -> str:
        """The setting's value now, and where: ``desired_retention = 0.85 (section d/s)``."""
        if self.follows:
            wider = "deck" if self.scope.startswith("section ") else "collection"
            return f"{self.key} = {self.value} ({self.scope} follows the {wider})"
        if self.scope:
            return f"{self.key} = {self.value} ({self.scope})"
        return f"{self.key} = {self.value}" + (" (default)" if self.reset else "")

    @property
    def can_move_due_dates(self) -> bool:
        return self.key in RESCHEDULING

    def hint(self) -> str | None:
        """What to say of due dates: unchanged and how to move them, or how many moved."""
        if self.rescheduled is not None:
            moved = self.rescheduled.moved
            line = f"Rescheduled {moved} card{'' if moved == 1 else 's'} to the new {self.key}"
            if self.rescheduled.stale:
                line += f" ({self.rescheduled.stale} answered meanwhile kept that answer's date)"
            return line + "."
        if not self.can_move_due_dates:
            return None
        return (
            "Due dates are unchanged: each card follows the new value from its next answer. "
            f"To move them now: {self.command} --reschedule"
        )


def change_setting(
    app: App,
    key: str,
    value: str | None,
    *,
    deck: str | None = None,
    section: str | None = None,
    reschedule: bool = False,
) -> SettingChange:
    """Set ``key`` to ``value`` (None: reset it) for the collection, deck ``deck`` or section
    ``section`` (``deck/section``, or a key within ``deck``); with ``reschedule``, move the due
    dates of the review cards whose retention or parameters it changed, in the same
    transaction.

    Raises:
        SettingError: an unknown key, a value it does not take, a key that the scope cannot
            have, or ``reschedule`` for a key that moves no due date. Nothing is saved.
        NotFoundError: no such deck or section. Nothing is saved.
    """
    stored = None if value is None else canonical_text(key, value)  # before any database
    item = definition(key)
    if section is not None:
        check_section_setting(key)
    elif deck is not None:
        check_deck_setting(key)
    if reschedule and key not in RESCHEDULING:
        raise SettingError(
            f"--reschedule moves due dates after a change of {' or '.join(sorted(RESCHEDULING))}"
            f"; {key} moves none"
        )
    from recall1924.store import GLOBAL_SCOPE, Scope

    store = app.store
    if section is not None:
        deck_key, section_key, deck_id, section_id = resolve_section(store, deck, section)
        where, scope_key = f"section {deck_key}/{section_key}", section_scope(deck_key, section_key)
        cards = Scope(deck_id=deck_id, section_id=section_id)
        target = f"--section {deck_key}/{section_key}"
    elif deck is not None:
        cards = store.scope(deck)  # names the decks there are when there is no such deck
        where, scope_key, target = f"deck {deck}", deck, f"--deck {deck}"
    else:
        cards, where, scope_key, target = Scope(), "", GLOBAL_SCOPE, ""
    verb = "reset" if value is None else "set"
    typed = " ".join(part for part in ("recall config", verb, target, key, _quoted(value)) if part)
    result = None
    if reschedule:
        result = _reschedule_change(app, cards, scope_key, key, stored)
    else:
        store.save_setting(key, stored, scope_key)
    if stored is None and scope_key == GLOBAL_SCOPE:
        shown = item.default
    elif stored is None:
        shown = _in_effect(store, key, where, scope_key)
    else:
        shown = stored
    return SettingChange(
        key,
        shown,
        where,
        follows=stored is None and scope_key != GLOBAL_SCOPE,
        rescheduled=result,
        command=typed,
        reset=value is None,
    )


def _quoted(value: str | None) -> str:
    if value is None:
        return ""
    return value if value and all(ch.isalnum() or ch in "._-" for ch in value) else repr(value)


def _in_effect(store: Store, key: str, where: str, scope_key: str) -> str:
    """The value ``key`` takes now in a deck or section whose own value was just reset."""
    item = definition(key)
    global_stored = store.settings()
    if where.startswith("section "):
        deck_key = where.removeprefix("section ").partition("/")[0]
        settings, _ = Settings.load_for_deck(global_stored, store.settings(deck_key), deck_key)
    else:
        settings, _ = Settings.load(global_stored)
    return item.format(getattr(settings, key))


def _reschedule_change(
    app: App, cards: Scope, scope_key: str, key: str, stored: str | None
) -> RescheduleResult:
    """Store ``key`` = ``stored`` in ``scope_key`` and move the review cards of ``cards`` whose
    value of ``key`` is that scope's (before the change or after it), in one transaction.

    Every stored setting is read first: the reschedule's transaction holds the tables."""
    from recall1924.settings import section_of_scope
    from recall1924.store import GLOBAL_SCOPE

    store = app.store
    global_stored = store.settings()
    sections = _stored_sections(store)
    decks = _stored_decks(store)

    def deck_stored(deck_key: str) -> dict[str, str]:
        return decks.get(deck_key, {})

    def changed(stored_now: Mapping[str, str]) -> dict[str, str]:
        copy = dict(stored_now)
        if stored is None:
            copy.pop(key, None)
        else:
            copy[key] = stored
        return copy

    named = section_of_scope(scope_key)
    if named is not None:
        new_sections = dict(sections)
        new_sections[named] = changed(sections.get(named, {}))
        after = _Effective(global_stored, deck_stored, new_sections)
    elif scope_key == GLOBAL_SCOPE:
        after = _Effective(changed(global_stored), deck_stored, sections)
    else:

        def deck_after(deck_key: str) -> Mapping[str, str]:
            own = deck_stored(deck_key)
            return changed(own) if deck_key == scope_key else own

        after = _Effective(global_stored, deck_after, sections)

    def governed(deck_key: str, section_key: str) -> bool:
        # The cards whose value of `key` is the changed scope's, before or after the change
        # (a reset hands them on to the wider scope): a narrower scope's own value wins.
        if named is not None:
            return (deck_key, section_key) == named
        if key in sections.get((deck_key, section_key), {}):
            return False
        if scope_key == GLOBAL_SCOPE:
            return key not in deck_stored(deck_key)
        return deck_key == scope_key

    plan = _plan(after, governed)
    return store.reschedule(cards, plan, at=app.clock.now(), settings=[(scope_key, key, stored)])


def reschedule_decks(app: App, deck_key: str | None) -> RescheduleResult:
    """Move the due dates of the review cards that ``recall optimize`` fitted parameters for
    (deck ``deck_key``'s, or with None every deck's without parameters of its own) to the
    settings stored now, after it saved them (``recall optimize --reschedule``)."""
    from recall1924.store import Scope

    store = app.store
    decks = _stored_decks(store)
    effective = _Effective(
        store.settings(), lambda deck: decks.get(deck, {}), _stored_sections(store)
    )
    if deck_key is not None:
        scope = store.scope(deck_key)
        plan = _plan(effective, lambda deck, _section: deck == deck_key)
    else:
        own = set(store.decks_setting(["parameters"]))
        scope = Scope()
        plan = _plan(effective, lambda deck, _section: deck not in own)
    return store.reschedule(scope, plan, at=app.clock.now())
