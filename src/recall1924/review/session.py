"""The session state machine: actions, phases, the session itself and how it is run."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Protocol, TypeVar

from fsrs import Scheduler

from recall1924 import exam
from recall1924.balance import LOAD_DAYS, DayLoads
from recall1924.clock import Clock, day_bounds, review_date
from recall1924.due import forecast
from recall1924.errors import CardGoneError, DatabaseBusyError, NotFoundError, StaleCardError
from recall1924.models import ReviewKind
from recall1924.scheduling import (
    MemoryState,
    Rating,
    State,
)
from recall1924.settings import Settings
from recall1924.store import CardView, QueueCounts, Scope, Store

if TYPE_CHECKING:
    from recall1924.editing import CardToEdit, FlagChange, Saved
    from recall1924.typed import Comparison

from recall1924.review.allowance import BudgetRule, BudgetSpent, budget_note
from recall1924.review.policies import AnswerPolicy, PracticeOnly, Schedule
from recall1924.review.queues import CramQueue, Queue, ScheduledQueue

_T = TypeVar("_T")

BUSY_RETRY = 0.2
"""Seconds between tries to save an answer while another recall holds the database."""


class Action(Enum):
    """What the user asks the session to do."""

    REVEAL = "reveal"
    AGAIN = Rating.Again
    HARD = Rating.Hard
    GOOD = Rating.Good
    EASY = Rating.Easy
    CONFIRM = "confirm"
    UNDO = "undo"
    SUSPEND = "suspend"
    BURY = "bury"
    EDIT = "edit"
    """Change the card's wording: a UI with an editor runs it (see
    :meth:`ReviewSession.edit_text`); given to :meth:`ReviewSession.apply`, it says how else."""
    FLAG = "flag"
    """Flag the card with no reason, or take its flag off (see :class:`Flag`)."""
    QUIT = "quit"


class Phase(Enum):
    """Where the session is: a question shown for a typed answer, a question shown, its answer
    shown, nothing left to show (the last answer can still be undone), or over."""

    TYPING = "typing"
    QUESTION = "question"
    ANSWER = "answer"
    FINISHED = "finished"
    DONE = "done"


@dataclass(frozen=True)
class Submit:
    """A typed answer to the card on screen ("" for "I don't know")."""

    text: str


@dataclass(frozen=True)
class Flag:
    """Flag the card on screen, with an optional reason ("ask in class"), or (``on`` false)
    take its flag off."""

    reason: str | None = None
    on: bool = True


@dataclass(frozen=True)
class Answered:
    """One answer given in this session (what undo takes back)."""

    log_id: int
    card_id: int
    rating: Rating
    section: str
    section_id: int = 0
    deck_key: str = ""
    before: MemoryState | None = None
    after: MemoryState | None = None
    version: int | None = None
    """The card's row version this answer left: undo names it, and is refused once another
    session has changed the card since."""


@dataclass(frozen=True)
class SetAside:
    """A card suspended or buried in this session (undo brings it back)."""

    card_id: int
    action: Action


@dataclass(frozen=True)
class Changed:
    """A card edited or flagged in this session (undo puts its wording or flag back)."""

    card_id: int
    edit: Saved | None = None
    flag: FlagChange | None = None


@dataclass(frozen=True)
class Summary:
    """The end of a session: what was done and what is left."""

    cards: int
    answers: int
    ratings: dict[Rating, int]
    elapsed: timedelta
    remaining: QueueCounts
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per section title: answers not Again, and all answers."""
    mastery_moved: dict[str, float] = field(default_factory=dict)
    """Per section title: how much its mastery (the mean chance of recall at the start of the
    next review day, new cards counting 0) moved with this session's answers."""
    kind: ReviewKind = ReviewKind.Review
    budget: BudgetSpent | None = None
    """Where today's budget stands at the end (None: no budget); ``remaining.new_stopped`` says
    whether it holds new cards back."""


@dataclass
class ReviewSession:
    """One sitting over a queue of cards.

    Args:
        store: the collection.
        queue: which card comes next.
        policy: what an answer does.
        settings: the leech threshold and the answer time cap.
        clock: the time of every answer.
        minutes: end the session after this long (None: no limit).
        timer: a monotonic clock for answer durations.
        pause: waits between tries while the database is busy.
        typed: whether the student types each answer before seeing it; a function of the
            card's deck for a per-deck setting.
    """

    store: Store
    queue: Queue
    policy: AnswerPolicy
    settings: Settings
    clock: Clock
    minutes: float | None = None
    timer: Callable[[], float] = time.monotonic
    pause: Callable[[float], None] = time.sleep
    typed: bool | Callable[[str], bool] = False
    loads: DayLoads | None = None
    """The cards due per day that the policy balances over: kept in step with the answers."""

    phase: Phase = field(default=Phase.QUESTION, init=False)
    card: CardView | None = field(default=None, init=False)
    intervals: dict[Rating, timedelta] = field(default_factory=dict, init=False)
    message: str | None = field(default=None, init=False)
    typed_text: str | None = field(default=None, init=False)
    """What the student typed for the card on screen (None: not typed yet, or not typing)."""
    comparison: Comparison | None = field(default=None, init=False)
    """The typed answer checked against the card's answer, once submitted."""
    suggested: Rating | None = field(default=None, init=False)
    """The rating the comparison suggests; :attr:`Action.CONFIRM` gives it."""
    draft: str = field(default="", init=False)
    """Text to start the answer with: what was typed before for a card whose answer was
    undone."""
    history: list[Answered | SetAside | Changed] = field(default_factory=list, init=False)
    notify: Callable[[], None] = field(default=lambda: None, init=False)
    """Called when the session has news to show before the next key (waiting for the
    database); :func:`run` sets it to redraw."""
    _started: set[int] = field(default_factory=set, init=False)
    _shown_at: float = field(default=0.0, init=False)
    _began_at: float = field(default=0.0, init=False)
    _typed_answers: dict[int, str] = field(default_factory=dict, init=False)
    """What was typed for each answer still standing, by review log id (undo gives it back)."""
    _editing: CardToEdit | None = field(default=None, init=False)
    """The card :meth:`edit_text` gave out, which :meth:`save_edit` saves."""
    _budget_said: bool = field(default=False, init=False)
    """Whether the session has said that today's budget holds new cards back."""

    @property
    def answers(self) -> list[Answered]:
        """The answers given in this session that still stand."""
        return [item for item in self.history if isinstance(item, Answered)]

    def start(self) -> None:
        """Show the first card (or finish at once when nothing is due)."""
        self._began_at = self.timer()
        self._advance()

    def apply(self, action: Action | Submit | Flag) -> None:
        """Do what the user asked, if it makes sense now; otherwise say why not."""
        self.message = None
        if isinstance(action, Submit):
            if self.phase in (Phase.TYPING, Phase.QUESTION):
                self.submit(action.text)
        elif isinstance(action, Flag):
            if self._showing():
                self._flag(action)
        elif action is Action.QUIT or (self.phase is Phase.FINISHED and action is not Action.UNDO):
            self.phase = Phase.DONE
        elif action is Action.UNDO:
            self._undo()
        elif action is Action.REVEAL:
            if self.phase is Phase.QUESTION:
                self._reveal()
            elif self.phase is Phase.TYPING:
                self.submit("")  # shown without typing: "I don't know"
        elif action is Action.CONFIRM:
            if self.phase is Phase.ANSWER and self.suggested is not None:
                self._rate(self.suggested)
            elif self.phase is Phase.ANSWER:
                self.message = "Rate it: 1 Again, 2 Hard, 3 Good, 4 Easy"
        elif action in (Action.SUSPEND, Action.BURY):
            if self._showing():
                self._set_aside(action)
        elif action is Action.FLAG:
            if self.card is not None and self._showing():
                self._flag(Flag(on=not self.card.flag))
        elif action is Action.EDIT:
            if self.card is not None and self._showing():
                self.message = f"Change it with: recall edit {self.card.key}"
        elif self.phase is Phase.ANSWER:
            self._rate(Rating(action.value))
        elif self.phase is Phase.QUESTION:
            self.message = "Show the answer first (Space)"
        elif self.phase is Phase.TYPING:
            self.message = "Type your answer first (Enter checks it)"

    def _showing(self) -> bool:
        return self.card is not None and self.phase in (Phase.TYPING, Phase.QUESTION, Phase.ANSWER)

    def edit_text(self) -> str | None:
        """The card on screen as the TOML text the student edits (see
        :meth:`~recall1924.editing.CardToEdit.snippet`), or None when no card is shown.

        Raises:
            RecallError: the card cannot be edited (a collection that cannot be written, a
                deck file that cannot be read, a card deleted meanwhile).
        """
        from recall1924.editing import editable

        self.message = None
        if self.card is None or not self._showing():
            return None
        self._editing = editable(self.store, self.card.id)
        return self._editing.snippet()

    def save_edit(self, text: str) -> Saved:
        """Save the student's edit of the text :meth:`edit_text` gave, where the deck lives
        (:func:`~recall1924.editing.save_edit`); the card stays on screen, reworded, as it was
        (question or answer shown), and undo puts the old wording back. Returns what was
        saved.

        Raises:
            DeckFileError: the text is not a valid card, or the deck's file cannot be changed:
                nothing was saved; the problems are for the student to fix.
        """
        from recall1924.deckedit import parse_snippet
        from recall1924.editing import save_edit

        target = self._editing
        assert target is not None, "edit_text first"
        section, card = parse_snippet(text)
        saved = self._saving(lambda: save_edit(self.store, target, section, card, now=self._now()))
        self._editing = None
        self._shown_at = self.timer()  # the time spent editing is not the answer's
        if not saved.changed:
            self.message = "Unchanged; nothing was saved"
            return saved
        self.history.append(Changed(saved.card_id, edit=saved))
        self._refresh(saved.card_id)
        where = f"in {saved.file}" if saved.file is not None else "as your own wording"
        self.message = f"Saved {where}; u undoes"
        return saved

    def _flag(self, flag: Flag) -> None:
        from recall1924.editing import flag_card

        card = self.card
        assert card is not None
        try:
            change = self._saving(lambda: flag_card(self.store, card.id, flag.reason, on=flag.on))
        except (CardGoneError, NotFoundError) as exc:
            self.message = f"Cannot flag it: {exc}"
            return
        self.history.append(Changed(card.id, flag=change))
        self.card = replace(card, flag=change.flag, flag_reason=change.reason)
        done = "Unflagged" if not change.flag else "Flagged"
        why = f" ({change.reason})" if change.flag and change.reason else ""
        self.message = f"{done}{why}; u undoes"

    def _refresh(self, card_id: int) -> None:
        """Show the card on screen as it is stored now (reworded), in the same phase."""
        if self.card is None or self.card.id != card_id:
            return
        self.card = self.store.card(card_id)
        if self.phase is Phase.ANSWER and self.typed_text is not None:
            from recall1924.typed import checked_answer, compare, suggest

            card = self.card
            expected = checked_answer(
                card.answer, question=card.question, cloze=card.cloze, cloze_ord=card.cloze_ord
            )
            self.comparison = compare(self.typed_text, expected, question=card.question)
            self.suggested = suggest(self.comparison)

    def submit(self, text: str) -> None:
        """Check a typed answer to the card on screen and show the answer beside it, with a
        suggested rating ("" is "I don't know": Again)."""
        from recall1924.typed import MAX_TYPED, checked_answer, compare, suggest

        card = self.card
        assert card is not None
        self.typed_text = text[:MAX_TYPED]
        expected = checked_answer(
            card.answer, question=card.question, cloze=card.cloze, cloze_ord=card.cloze_ord
        )
        self.comparison = compare(self.typed_text, expected, question=card.question)
        self.suggested = suggest(self.comparison)
        self._reveal()

    def _now(self) -> datetime:
        return self.clock.now()

    def _reveal(self) -> None:
        assert self.card is not None
        self.intervals = self.policy.preview(self.card, self._now())
        self.phase = Phase.ANSWER

    def _saving(self, write: Callable[[], _T]) -> _T:
        """Run a write, waiting (and saying so) while another recall holds the database: an
        answer is never dropped for being in another's way."""
        while True:
            try:
                return write()
            except DatabaseBusyError:
                self.message = "waiting for the database (another recall is writing)…"
                self.notify()
                self.pause(BUSY_RETRY)

    def _rate(self, rating: Rating) -> None:
        card = self.card
        assert card is not None
        at = self._now()
        after = self.policy.after(card, rating, at)
        cap_ms = self.settings.answer_time_cap * 1000
        duration = min(cap_ms, max(0, round((self.timer() - self._shown_at) * 1000)))
        try:
            log_id = self._saving(
                lambda: self.store.record_answer(
                    card.id,
                    before=card.memory,
                    after=after,
                    rating=rating,
                    at=at,
                    duration_ms=duration,
                    kind=self.policy.kind,
                    version=card.version,
                )
            )
        except (StaleCardError, CardGoneError) as exc:
            # Another recall answered or deleted this card while it was on screen: theirs
            # stands, and the session goes on.
            self.queue.answered(card.id, None)
            self._advance()
            self.message = _moved_on(exc)
            return
        self.history.append(
            Answered(
                log_id,
                card.id,
                rating,
                card.section_title,
                card.section_id,
                card.deck_key,
                card.memory,
                after,
                card.version + 1,
            )
        )
        if self.typed_text is not None:
            self._typed_answers[log_id] = self.typed_text
        self._started.add(card.id)
        self._move_load(card.memory, after)
        self.queue.answered(card.id, rating, after, duration)
        leech = self._leech(card, rating)
        self._advance()
        if leech:  # before the budget's note, if this answer spent the budget too
            self.message = leech if self.message is None else f"{leech} {self.message}"

    def _move_load(self, before: MemoryState | None, after: MemoryState | None) -> None:
        """A card answered (or its answer undone) moves from one day's load to another's."""
        if self.loads is not None:
            self.loads.move(
                before.due if before and before.last_review else None,
                after.due if after and after.last_review else None,
            )

    def _leech(self, card: CardView, rating: Rating) -> str | None:
        """Say so when this answer made the card a leech (and suspend it if asked)."""
        if self.policy.kind is not ReviewKind.Review or rating is not Rating.Again:
            return None
        if card.memory.last_review is None or card.memory.state is not State.Review:
            return None
        lapses = self.store.lapses(card.id)
        if lapses != self.settings.leech_threshold:
            return None
        suspended = ""
        if self.settings.leech_suspend:
            self._saving(lambda: self.store.set_suspended([card.id], True))
            suspended = " It is suspended."
        source = next(
            (deck.source for deck in self.store.decks() if deck.key == card.deck_key), None
        )
        where = f"in {source}" if source and source.startswith("/") else "in its deck's file"
        return (
            f"Leech: '{card.key}' ({card.deck_key}) was forgotten {lapses} times; rewrite it "
            f"{where}.{suspended}"
        )

    def _set_aside(self, action: Action) -> None:
        card = self.card
        assert card is not None
        if action is Action.SUSPEND:
            self._saving(lambda: self.store.set_suspended([card.id], True))
            self.message = "Suspended; u brings it back"
        else:
            _start, end = day_bounds(self._now(), self.settings.day_starts_at)
            self._saving(lambda: self.store.set_buried(card.id, end))
            self.message = "Buried until tomorrow; u brings it back"
        self.history.append(SetAside(card.id, action))
        self.queue.answered(card.id, None)
        message = self.message
        self._advance()
        self.message = message

    def _undo(self) -> None:
        if not self.history:
            self.message = "Nothing to undo in this session"
            return
        last = self.history.pop()
        if isinstance(last, Changed):
            self._undo_change(last)
            return
        draft = ""
        try:
            if isinstance(last, SetAside):
                if last.action is Action.SUSPEND:
                    self._saving(lambda: self.store.set_suspended([last.card_id], False))
                else:
                    self._saving(lambda: self.store.set_buried(last.card_id, None))
                done = "suspend" if last.action is Action.SUSPEND else "bury"
            else:
                self._saving(lambda: self.store.undo_answer(last.log_id, version=last.version))
                draft = self._typed_answers.pop(last.log_id, "")
                self._move_load(last.after, last.before)
                if all(
                    item.card_id != last.card_id
                    for item in self.history
                    if isinstance(item, Answered)
                ):
                    self._started.discard(last.card_id)
                done = last.rating.name
            card = self.store.card(last.card_id)
        except (StaleCardError, CardGoneError) as exc:
            self.message = f"Cannot undo: {exc}"
            return
        self.queue.put_back(last.card_id)
        self._show(card)
        self.draft = draft
        self.message = f"Undid {done}"

    def _undo_change(self, last: Changed) -> None:
        from recall1924.editing import restore_flag, undo_edit
        from recall1924.errors import DeckFileError

        try:
            if last.edit is not None:
                edit = last.edit
                self._saving(lambda: undo_edit(self.store, edit, now=self._now()))
                done = "the edit"
            else:
                assert last.flag is not None
                flag = last.flag
                self._saving(lambda: restore_flag(self.store, flag))
                done = "the flag" if flag.flag else "the unflag"
            self._refresh(last.card_id)
        except (CardGoneError, NotFoundError) as exc:
            self.message = f"Cannot undo: {exc}"
            return
        except DeckFileError as exc:
            self.message = f"Cannot undo: {exc.problems[0] if exc.problems else exc}"
            return
        self.message = f"Undid {done}"

    def _advance(self) -> None:
        if self.minutes is not None and self.timer() - self._began_at >= self.minutes * 60:
            self.card = None
            self.phase = Phase.DONE
            self.message = f"{self.minutes:g} minutes are up"
            return
        card = self.queue.next_card(self._now(), self._started)
        if card is None:
            self.card = None
            # After answers, stay a moment so the last one can still be undone.
            self.phase = Phase.FINISHED if self.history else Phase.DONE
        else:
            self._show(card)
        self._note_budget()

    def _note_budget(self) -> None:
        """Say once, when it happens, that today's budget holds new cards back (an undo that
        makes room again lets it be said again)."""
        remaining = self.remaining()
        spent = self.budget()
        if not remaining.new_stopped or spent is None:
            self._budget_said = False
        elif not self._budget_said:
            self._budget_said = True
            self.message = budget_note(spent, remaining)

    def budget(self) -> BudgetSpent | None:
        """Where today's budget stands (None: no budget)."""
        return self.queue.budget(self._now())

    def _show(self, card: CardView) -> None:
        self.card = card
        self.intervals = {}
        self.typed_text = self.comparison = self.suggested = None
        self.draft = ""
        self.phase = Phase.TYPING if self._typing(card) else Phase.QUESTION
        self._shown_at = self.timer()

    def _typing(self, card: CardView) -> bool:
        return self.typed(card.deck_key) if callable(self.typed) else self.typed

    def remaining(self) -> QueueCounts:
        """Cards still to come in this session."""
        return self.queue.remaining(self._now(), self._started)

    def summary(self) -> Summary:
        """What this session did, and what is left."""
        answers = self.answers
        ratings = Counter(answered.rating for answered in answers)
        sections: dict[str, tuple[int, int]] = {}
        for answered in answers:
            right, total = sections.get(answered.section, (0, 0))
            sections[answered.section] = (right + (answered.rating > Rating.Again), total + 1)
        return Summary(
            cards=len({answered.card_id for answered in answers}),
            answers=len(answers),
            ratings={rating: ratings.get(rating, 0) for rating in Rating},
            elapsed=timedelta(seconds=max(0.0, self.timer() - self._began_at)),
            remaining=self.remaining(),
            sections=sections,
            mastery_moved=self._mastery_moved(answers),
            kind=self.policy.kind,
            budget=self.budget(),
        )

    def _mastery_moved(self, answers: list[Answered]) -> dict[str, float]:
        """Each section's change in mastery: per card answered, its chance of recall at the
        next review day's start after its last answer here less before its first, summed
        over the section's cards and divided by how many cards the section holds."""
        _start, end = day_bounds(self._now(), self.settings.day_starts_at)
        day = review_date(end, self.settings.day_starts_at)
        first: dict[int, Answered] = {}
        last: dict[int, Answered] = {}
        for answered in answers:
            first.setdefault(answered.card_id, answered)
            last[answered.card_id] = answered
        moved: dict[int, float] = {}
        titles: dict[int, str] = {}
        for card_id, opening in first.items():
            closing = last[card_id]
            assert opening.before is not None and closing.after is not None
            before = self.policy.recall_on(opening.deck_key, opening.before, day)
            after = self.policy.recall_on(closing.deck_key, closing.after, day)
            if before is None or after is None:
                continue
            moved[opening.section_id] = moved.get(opening.section_id, 0.0) + after - before
            titles[opening.section_id] = opening.section
        sizes = self.store.section_sizes(moved) if moved else {}
        return {
            titles[section]: change / sizes[section]
            for section, change in moved.items()
            if sizes.get(section)
        }


def _moved_on(exc: Exception) -> str:
    if isinstance(exc, CardGoneError):
        return "That card was deleted in another window meanwhile; moved on"
    return "That card was answered in another session meanwhile; moved on"


class ReviewUI(Protocol):
    """What drives a session: shows its state, and reads the user's next action."""

    def show(self, session: ReviewSession) -> None:
        """Display the session as it now is."""
        ...

    def next_action(self, session: ReviewSession) -> Action | Submit | Flag:
        """Wait for the user's next action (in :attr:`Phase.TYPING`, their typed answer)."""
        ...


def run(session: ReviewSession, ui: ReviewUI) -> Summary:
    """Run ``session`` with ``ui`` until the user quits or nothing is left."""
    session.notify = lambda: ui.show(session)
    session.start()
    while session.phase is not Phase.DONE:
        ui.show(session)
        session.apply(ui.next_action(session))
    return session.summary()


def _day_loads(store: Store, settings: Settings, clock: Clock) -> DayLoads:
    """The cards due on each day ahead, every deck's (they all make a day's load), counted when
    an interval is first balanced: drawing the first card waits for nothing."""

    def count() -> dict[date, int]:
        starts = settings.day_starts_at
        ahead = forecast(store, Scope(), now=clock.now(), day_starts_at=starts, days=LOAD_DAYS)
        return {day.day: day.cards for day in ahead.days}

    return DayLoads(count, settings.day_starts_at, settings.easy_days)


def scheduled_session(
    store: Store,
    scheduler_for: Callable[[str], Scheduler],
    settings: Settings,
    clock: Clock,
    *,
    scope: Scope | None = None,
    limit: int | None = None,
    minutes: float | None = None,
    timer: Callable[[], float] = time.monotonic,
    typed: bool | Callable[[str], bool] = False,
    exam_for: Callable[[str], exam.Exam | None] = lambda _deck: None,
    exam_order: tuple[datetime, float] | None = None,
    deck_limits: Mapping[int, tuple[int, int]] | None = None,
    budget: BudgetRule | None = None,
    section_schedulers: Mapping[int, Scheduler] | None = None,
) -> ReviewSession:
    """A review of today's schedule (with typed answers if ``typed``, or for the decks it
    says). ``exam_for`` gives each deck's exam, for deadline-aware intervals; ``exam_order``
    (the exam's start and the forgetting curve's decay) shows the reviews that would be
    recalled least on exam day first. ``deck_limits``: decks with daily limits of their own,
    by id: (new per day, reviews per day). ``budget``: the exam's daily budget, which stops
    new cards once it has no room for them. ``section_schedulers``: by section id, the
    scheduler of each section with a desired retention of its own."""
    loads = _day_loads(store, settings, clock) if settings.load_balancing else None
    queue = ScheduledQueue(
        store, settings, scope or Scope(), limit, exam_order, deck_limits or {}, budget
    )
    return ReviewSession(
        store,
        queue,
        Schedule(
            scheduler_for,
            settings.day_starts_at,
            exam_for,
            loads=loads,
            siblings=store.sibling_days,
            section_schedulers=section_schedulers or {},
        ),
        settings,
        clock,
        minutes=minutes,
        timer=timer,
        typed=typed,
        loads=loads,
    )


def cram_session(
    store: Store,
    settings: Settings,
    clock: Clock,
    *,
    scope: Scope | None = None,
    limit: int | None = None,
    minutes: float | None = None,
    timer: Callable[[], float] = time.monotonic,
    typed: bool | Callable[[str], bool] = False,
) -> ReviewSession:
    """Practice of any cards now, leaving their schedule as it is."""
    return ReviewSession(
        store,
        CramQueue(store, scope or Scope(), limit),
        PracticeOnly(),
        settings,
        clock,
        minutes=minutes,
        timer=timer,
        typed=typed,
    )
