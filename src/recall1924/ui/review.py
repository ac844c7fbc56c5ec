"""The review screen: draws a :class:`~recall1924.review.ReviewSession`, turns keys into actions.

Holds :data:`KEYS` (every key the screen knows, one binding a line), :class:`ReviewScreen`
(what fits on the terminal, and where the card is scrolled to) and :class:`TerminalReviewUI`.
Keys come from :mod:`recall1924.ui.keys`: :class:`TerminalKeys` (single keypresses) or
:class:`StreamKeys` (a pipe, for scripts: ``printf ' 3 1 3q' | recall review``).

The screen is composed to the terminal's size: a header line (deck and progress) at the top and
the key line at the bottom always show, and the card between them scrolls when it is longer
than the room left, with a mark saying there is more. Only as much of a card's text as the
visible part needs is laid out, so a card of any size draws at once.

In a typed session (``recall review --type``) each card first shows its question above a small
editor (:class:`Editor`, keys in :data:`TYPING_KEYS`): printable keys and pastes are text, so
"3" or "q" never rates or quits; Enter checks the answer, Alt-Enter starts a new line, Ctrl-C
ends the session. The answer screen then shows the typed answer beside the real one (above it
when narrow), each key point marked ✓ recalled, ~ partly, ✗ missed, and the suggested rating:
Enter or Space takes it, 1-4 change it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.panel import Panel
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from recall1924.deck import HINT_START, read_hint
from recall1924.models import ReviewKind
from recall1924.review import Action, Phase, ReviewSession, Submit
from recall1924.scheduling import Rating
from recall1924.settings import format_duration
from recall1924.typed import Found
from recall1924.ui.editor import Edit, Editor
from recall1924.ui.keys import KeySource, Paste, StreamKeys, TerminalKeys
from recall1924.ui.media import ScreenMedia, graphics, without_controls
from recall1924.ui.text import safe
from recall1924.words import plural

__all__ = [
    "KEYS",
    "RATING_STYLE",
    "TYPING_KEYS",
    "Binding",
    "Edit",
    "Editor",
    "KeySource",
    "ReviewScreen",
    "StreamKeys",
    "TerminalKeys",
    "TerminalReviewUI",
    "View",
]


class View(Enum):
    """What a key can ask of the screen itself, leaving the session as it is."""

    LINE_UP = "line up"
    LINE_DOWN = "line down"
    PAGE_UP = "page up"
    PAGE_DOWN = "page down"
    TOP = "top"
    BOTTOM = "bottom"
    HELP = "help"
    OPEN = "open"
    HINT = "hint"


@dataclass(frozen=True)
class Binding:
    """Keys (names from :mod:`recall1924.ui.keys`) that do one thing.

    Args:
        keys: the key names.
        does: the session action or screen change.
        label: how the help names the keys ("" leaves the binding out of the help, for one
            described together with the binding before it).
        help: what the help says it does.
        hint: what the key line says ("" for nothing).
    """

    keys: tuple[str, ...]
    does: Action | View | Edit
    label: str = ""
    help: str = ""
    hint: str = ""


_QUIT_KEYS = ("q", "Q", "ctrl+c", "ctrl+d", "eof")

KEYS: tuple[Binding, ...] = (
    Binding((" ", "enter"), Action.REVEAL, "Space Enter", "show the answer", "Space show answer"),
    Binding(("1",), Action.AGAIN, "1", "Again: forgotten"),
    Binding(("2",), Action.HARD, "2", "Hard: remembered, with effort"),
    Binding(("3",), Action.GOOD, "3", "Good: remembered"),
    Binding(("4",), Action.EASY, "4", "Easy: remembered at once"),
    Binding(("u", "U"), Action.UNDO, "u", "undo the last answer (or suspend, bury)", "u undo"),
    Binding(("s",), Action.SUSPEND, "s", "suspend the card (until recall unsuspend)"),
    Binding(("b",), Action.BURY, "b", "bury the card until tomorrow"),
    Binding(("o",), View.OPEN, "o", "open its image or sound; h: its hint"),
    Binding(("h",), View.HINT),
    Binding(_QUIT_KEYS, Action.QUIT, "q Ctrl-C Ctrl-D", "end the session", "q quit"),
    Binding(("up",), View.LINE_UP, "↑ ↓", "scroll the card a line"),
    Binding(("down",), View.LINE_DOWN),
    Binding(("pgup",), View.PAGE_UP, "PgUp PgDn", "scroll the card a page"),
    Binding(("pgdn",), View.PAGE_DOWN),
    Binding(("home",), View.TOP, "Home End", "the top, the end of the card"),
    Binding(("end",), View.BOTTOM),
    Binding(("?",), View.HELP, "?", "this help", "? help"),
)

TYPING_KEYS: tuple[Binding, ...] = (
    Binding(("enter",), Edit.SUBMIT, "Enter", "check the answer (nothing typed: I don't know)",
            "Enter check"),
    Binding(("alt+enter",), Edit.NEWLINE, "Alt-Enter", "start a new line", "Alt-Enter new line"),
    Binding(("backspace",), Edit.BACKSPACE, "Backspace Del", "delete before, at the cursor"),
    Binding(("delete",), Edit.DELETE),
    Binding(("left",), Edit.LEFT, "← → ↑ ↓", "move the cursor"),
    Binding(("right",), Edit.RIGHT),
    Binding(("up",), Edit.UP),
    Binding(("down",), Edit.DOWN),
    Binding(("home", "ctrl+a"), Edit.LINE_START, "Home End", "the start, the end of the line"),
    Binding(("end", "ctrl+e"), Edit.LINE_END),
    Binding(("ctrl+u",), Edit.CLEAR_LINE, "Ctrl-U", "delete to the start of the line"),
    Binding(("ctrl+z",), Action.UNDO, "Ctrl-Z", "undo the last answer"),
    Binding(("ctrl+c", "ctrl+d", "eof"), Action.QUIT, "Ctrl-C Ctrl-D", "end the session",
            "Ctrl-C quit"),
    Binding(("pgup",), View.PAGE_UP, "PgUp PgDn", "scroll the question a page"),
    Binding(("pgdn",), View.PAGE_DOWN),
    Binding(("f1",), View.HELP, "F1", "this help", "F1 help"),
    Binding(("f2",), View.HINT, "F2", "show the card's hint"),
)  # fmt: skip
"""The keys while an answer is typed: every other printable key, and a paste, is text."""

CONFIRM = Binding(
    (" ", "enter"), Action.CONFIRM, "Space Enter", "take the suggested rating (typed answers)"
)

BOUND: dict[str, Action | View | Edit] = {
    key: binding.does for binding in KEYS for key in binding.keys
}
TYPING_BOUND: dict[str, Action | View | Edit] = {
    key: binding.does for binding in TYPING_KEYS for key in binding.keys
}
CONFIRM_BOUND = {**BOUND, **dict.fromkeys(CONFIRM.keys, CONFIRM.does)}

_LEAVE_HELP_AND_QUIT = frozenset({"ctrl+c", "ctrl+d", "eof"})
"""Keys that, on the help screen, end the session rather than only closing the help."""

RATING_STYLE = {
    Rating.Again: "red",
    Rating.Hard: "yellow",
    Rating.Good: "green",
    Rating.Easy: "cyan",
}

MAX_SCROLL = 2000
"""The furthest a card scrolls, in lines: text beyond it is never laid out."""


class _Rows:
    """Rendered lines printed one under the other, each ended by a newline."""

    def __init__(self, rows: list[list[Segment]]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for row in self.rows:
            yield from row
            yield Segment.line()


def _one_line(text: Text) -> Text:
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _pack(items: list[tuple[str, Text]], width: int) -> list[Text]:
    """Items on as few lines as fit in ``width``, each item whole; each item comes with the
    separator that goes before it when it follows another on the same line."""
    lines: list[Text] = []
    for separator, item in items:
        if lines and lines[-1].cell_len + len(separator) + item.cell_len <= width:
            lines[-1].append(separator)
            lines[-1].append_text(item)
        else:
            lines.append(item.copy())
    return [_one_line(line) for line in lines]


def _hints(phase: Phase) -> list[Text]:
    bindings = TYPING_KEYS if phase is Phase.TYPING else KEYS
    return [
        Text(binding.hint, style="dim")
        for binding in bindings
        if binding.hint and (binding.does is not Action.REVEAL or phase is Phase.QUESTION)
    ]


def _suggestion(session: ReviewSession, width: int) -> list[Text]:
    """The rating a typed answer suggests, and how to take or change it."""
    rating = session.suggested
    if rating is None or session.phase is not Phase.ANSWER:
        return []
    line = Text.assemble(
        "Suggested: ",
        (rating.name, f"bold {RATING_STYLE[rating]}"),
        " — Enter to confirm, 1-4 to change",
    )
    return _pack([("", line)], width)


def key_lines(session: ReviewSession, width: int) -> list[Text]:
    """The keys to press now, on one line when it fits, else on as few as fit in ``width``."""
    if session.phase is not Phase.ANSWER:
        return _pack([(" · ", hint) for hint in _hints(session.phase)], width)
    return _suggestion(session, width) + _rating_lines(session, width)


def _rating_lines(session: ReviewSession, width: int) -> list[Text]:
    ratings: list[Text] = []
    for rating in Rating:
        item = Text()
        item.append(f" {int(rating)} ", style=f"reverse {RATING_STYLE[rating]}")
        item.append(f" {rating.name}")
        interval = session.intervals.get(rating)
        if interval is not None:
            item.append(f" {format_duration(interval)}", style="dim")
        ratings.append(item)
    for gap in ("   ", "  "):
        items = [(gap, item) for item in ratings]
        items += [(gap if n == 0 else " · ", hint) for n, hint in enumerate(_hints(session.phase))]
        lines = _pack(items, width)
        if len(lines) == 1:
            return lines
    # Too narrow for one line even with less space: the ratings, then the rest, never an item
    # broken across lines.
    items = [("   ", item) for item in ratings]
    items += [("   " if n == 0 else " · ", hint) for n, hint in enumerate(_hints(session.phase))]
    return _pack(items, width)


def _header(session: ReviewSession, width: int) -> Text:
    remaining = session.remaining()
    left = remaining.total
    done = len(session.answers)
    later = f", {remaining.learning_later} later" if remaining.learning_later else ""
    progress = f"done {done} · left {left} ({remaining.new} new, {remaining.due} due{later})"
    if session.policy.kind is ReviewKind.Cram:
        progress = f"cram · done {done} · left {left}"
    if len(progress) > width // 2:
        progress = f"done {done} · left {left}"
    title = safe(session.card.deck_title, "bold") if session.card else Text()
    title.truncate(max(0, width - len(progress) - 1), overflow="ellipsis")
    gap = " " * max(1, width - title.cell_len - len(progress))
    return _one_line(Text.assemble(title, gap, (progress, "dim")))


def _with_hints(text: str, *, shown: bool) -> str:
    """``text`` with each hint line (``[hint: …]``, as Anki's ``{{hint:}}`` imports) folded
    away until ``shown``, as Anki shows a hint as a link to click."""
    if HINT_START not in text:
        return text
    lines = []
    for line in text.splitlines():
        hint = read_hint(line)
        if hint is None:
            lines.append(line)
        else:
            lines.append(f"Hint: {hint}" if shown else "Hint: press h (F2 while typing)")
    return "\n".join(lines)


def _card_parts(
    session: ReviewSession, media: ScreenMedia | None = None, *, hints: bool = False
) -> list[Callable[[int], tuple[RenderableType, bool]]]:
    """The card's parts, top to bottom, each built with at most a given number of characters
    of its text (and saying whether it had more). A hint shows when asked (``hints``) or with
    the answer."""
    card = session.card
    if card is None:
        return [lambda _limit: (Text("Nothing more to review now. Every answer is saved."), False)]
    shown = hints or session.phase is Phase.ANSWER

    def question(limit: int) -> tuple[RenderableType, bool]:
        panel = Panel(
            safe(_with_hints(card.question, shown=shown), limit=limit),
            title=Text.assemble("Question · ", safe(card.section_title, limit=200)),
            title_align="left",
            subtitle=Text(card.memory.status.name.lower(), style="dim"),
            subtitle_align="right",
            padding=(1, 2),
        )
        return panel, len(card.question) > limit

    def answer(limit: int) -> tuple[RenderableType, bool]:
        panel = Panel(
            safe(card.answer, limit=limit), title="Answer", title_align="left", padding=(1, 2)
        )
        return panel, len(card.answer) > limit

    def note(limit: int) -> tuple[RenderableType, bool]:
        text = Text.assemble(("Note: ", "bold"), safe(card.note or "", "italic", limit=limit))
        return text, len(card.note or "") > limit

    def compared(limit: int) -> tuple[RenderableType, bool]:
        return _comparison(session, limit)

    parts: list[Callable[[int], tuple[RenderableType, bool]]] = [question]
    if media is not None:  # pictures below the side that names them, where they can be drawn
        parts += media.pictures(card, card.question)
    if session.phase is Phase.ANSWER:
        parts.append(compared if session.comparison is not None else answer)
        if media is not None:
            parts += media.pictures(card, card.answer)
        if card.note:
            parts.append(note)
    return parts


_MARKS = {Found.MATCHED: ("✓", "green"), Found.PARTLY: ("~", "yellow"), Found.MISSED: ("✗", "red")}
SIDE_BY_SIDE = 80
"""The narrowest terminal that shows the typed answer beside the real one (else above it)."""


def _unchecked(points: int, cut: bool) -> str:
    """What a comparison left out: key points past typed.MAX_POINTS, and the rest of an answer
    too long to check."""
    more = [plural(points, "more key point")] if points else []
    more += ["the rest of the answer"] if cut else []
    return f"and {' and '.join(more)}, not checked"


def _comparison(session: ReviewSession, limit: int) -> tuple[RenderableType, bool]:
    """The typed answer and the real one, its key points marked recalled or missed."""
    comparison = session.comparison
    assert comparison is not None
    typed = comparison.typed
    mine: Text = (
        safe(typed, limit=limit)
        if typed.strip()
        else Text("nothing typed: I don't know", style="dim italic")
    )
    points = Table.grid(padding=(0, 1))
    points.add_column(no_wrap=True)
    points.add_column()
    # A row for each point until the text budget is spent, and none past it: the rows drawn
    # are bounded by the lines to fill (and by typed.MAX_POINTS), not by the answer's size.
    left = limit
    shown = 0
    for point in comparison.points:
        if left <= 0:
            break
        mark, style = _MARKS[point.found]
        points.add_row(Text(mark, style=f"bold {style}"), safe(point.point, limit=left))
        left -= len(point.point)
        shown += 1
    count = len(comparison.points)
    first = ""
    if comparison.unchecked or comparison.cut:
        first = "the first "
        if shown == count:
            note = _unchecked(comparison.unchecked, comparison.cut)
            points.add_row("…", Text(note, style="dim"))
    title = f"Answer · {comparison.matched} of {first}{plural(count, 'key point')}"
    yours = Panel(mine, title="Your answer", title_align="left", padding=(0, 1))
    theirs = Panel(points, title=title, title_align="left", padding=(0, 1))
    cut = len(typed) > limit or shown < count or left < 0

    class _Beside:
        """Side by side where the terminal is wide enough, else one above the other."""

        def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
            if options.max_width >= SIDE_BY_SIDE:
                grid = Table.grid(expand=True, padding=(0, 1))
                grid.add_column(ratio=1)
                grid.add_column(ratio=1)
                grid.add_row(yours, theirs)
                yield grid
            else:
                yield yours
                yield theirs

    return _Beside(), cut


class ReviewScreen:
    """The review screen for a terminal of the console's size, and how far the card is
    scrolled (the session knows nothing of scrolling)."""

    def __init__(self) -> None:
        self.scroll = 0
        self.page = 1
        self.bottom: int | None = None
        self._showing: tuple[int | None, Phase, int] | None = None
        self._to_answer = False
        self._jump_to: int | None = None
        self.editor = Editor()
        """The answer being typed (in a typed session)."""
        self.media: ScreenMedia | None = None
        """The card's images and sounds, drawn in the card where the terminal can."""
        self.hint_for: int | None = None
        """The card whose hint the student asked to see."""

    def compose(self, console: Console, session: ReviewSession) -> list[list[Segment]]:
        """The screen's rows: exactly the console's height, the last one left empty for the
        cursor so that nothing scrolls."""
        self._follow(session)
        width, height = console.size
        options = console.options.update(width=width, height=None)
        keys = key_lines(session, width)
        if session.card is None:
            keys = [_one_line(Text("u undo the last answer · q or Space finish", style="dim"))]
        message = [_one_line(Text(session.message, style="bold yellow"))] if session.message else []
        editor: list[RenderableType] = []
        if session.phase is Phase.TYPING:
            # The editor takes at most half of what the header and keys leave, at least a line.
            spare = height - 1 - len(keys) - len(message) - 1
            typed_rows = self.editor.view(width - 4, max(1, spare // 2 - 2))
            editor = [
                Panel(
                    Text("\n").join(typed_rows),
                    title="Your answer",
                    title_align="left",
                    padding=(0, 1),
                )
            ]
        editor_rows = self._render(console, options, editor)
        fixed = 1 + len(keys) + len(message) + len(editor_rows) + 1  # with the cursor's row
        room = max(0, height - fixed)
        body, complete = self._body(console, options, session, room)
        if self._jump_to is not None:
            # A checked answer that does not fit starts below the question, just read.
            if not (complete and len(body) <= room):
                self.scroll = self._jump_to
                body, complete = self._body(console, options, session, room)
            self._jump_to = None
        if complete and len(body) <= room:
            self.scroll, window, mark = 0, body, []
            self.page, self.bottom = max(1, room), 0
        else:
            lines = max(0, room - 1)
            self.scroll = max(0, min(self.scroll, len(body) - lines, MAX_SCROLL))
            window = without_controls(body[self.scroll : self.scroll + lines])
            below = not complete or len(body) > self.scroll + lines
            mark = [
                _one_line(
                    self._mark(above=self.scroll > 0, below=below, cut=self.scroll >= MAX_SCROLL)
                )
            ]
            self.page = max(1, lines)
            self.bottom = len(body) - lines if complete else None
        rows = [
            *self._render(console, options, [_header(session, width)]),
            *window,
            *self._render(console, options, mark),
            *editor_rows,
            *self._render(console, options, [*message, *keys]),
        ][: max(0, height - 1)]
        blank = [Segment(" " * width)]
        return rows + [blank] * (height - len(rows))

    def move(self, view: View) -> bool:
        """Scroll as ``view`` asks; True if the card moved."""
        before = self.scroll
        step = {
            View.LINE_UP: -1,
            View.LINE_DOWN: 1,
            View.PAGE_UP: -self.page,
            View.PAGE_DOWN: self.page,
        }
        if view is View.TOP:
            self.scroll = 0
        elif view is View.BOTTOM:
            self.scroll = MAX_SCROLL if self.bottom is None else self.bottom
        elif view in step:
            self.scroll += step[view]
        limit = MAX_SCROLL if self.bottom is None else self.bottom
        self.scroll = max(0, min(self.scroll, limit))
        return self.scroll != before

    def help(self, console: Console, *, typing: bool = False) -> list[list[Segment]]:
        """The rows of the help screen, which lists every key (``typing``: the keys while an
        answer is typed)."""
        width, height = console.size
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        bindings = TYPING_KEYS if typing else (*KEYS[:1], CONFIRM, *KEYS[1:])
        for binding in bindings:
            if binding.label:
                table.add_row(binding.label, binding.help)
        title = "Keys while typing an answer (other keys are text)" if typing else "Keys"
        # The way back is in the panel's bottom edge: a row more for the keys in a small terminal.
        panel = Panel(
            table,
            title=title,
            title_align="left",
            subtitle=Text("Any key goes back to the card", style="dim"),
            subtitle_align="left",
            padding=(0, 1),
        )
        options = console.options.update(width=width, height=None)
        rows = self._render(console, options, [panel])[: max(0, height - 1)]
        return rows + [[Segment(" " * width)]] * (height - len(rows))

    def _follow(self, session: ReviewSession) -> None:
        """Start each card at its top (and a typed answer with its draft), and bring a revealed
        answer into view."""
        showing = (session.card.id if session.card else None, session.phase, len(session.history))
        previous, self._showing = self._showing, showing
        if previous == showing:
            return
        if showing[1] is Phase.TYPING:
            self.editor = Editor(session.draft)
        revealed = (
            previous is not None
            and previous[0] == showing[0]
            and previous[2] == showing[2]
            and previous[1] in (Phase.QUESTION, Phase.TYPING)
            and showing[1] is Phase.ANSWER
        )
        if revealed:
            self._to_answer = True
        else:
            self.scroll = 0

    def _body(
        self, console: Console, options: ConsoleOptions, session: ReviewSession, room: int
    ) -> tuple[list[list[Segment]], bool]:
        """The card's lines from its top to a little past the visible part, and whether that
        is the whole card."""
        body: list[list[Segment]] = []
        hints = session.card is not None and self.hint_for == session.card.id
        for index, part in enumerate(_card_parts(session, self.media, hints=hints)):
            needed = min(self.scroll, MAX_SCROLL) + room + 1
            if len(body) >= needed:
                return body, False
            # A line holds at least one character, so this many characters fill the lines
            # still needed; never more than that reaches Rich, whatever the card's size.
            renderable, cut = part((needed - len(body)) * (options.max_width + 1))
            body += console.render_lines(renderable, options, pad=True)
            if cut:
                return body, False
            if index == 0 and self._to_answer and session.comparison is not None:
                self._jump_to = len(body)
            elif index == 0 and self._to_answer and len(body) >= self.scroll + max(1, room - 1):
                self.scroll = len(body)  # the answer starts below the window: go to it
        self._to_answer = False
        return body, True

    @staticmethod
    def _mark(*, above: bool, below: bool, cut: bool) -> Text:
        more = "↓ the rest is too long to show" if cut else "↓ more (PgDn)"
        parts = ([more] if below else []) + (["↑ more (PgUp)"] if above else [])
        return Text("   ".join(parts), style="bold")

    @staticmethod
    def _render(
        console: Console, options: ConsoleOptions, items: Iterable[RenderableType]
    ) -> list[list[Segment]]:
        return [line for item in items for line in console.render_lines(item, options, pad=True)]


class TerminalReviewUI:
    """Shows one card at a time and turns keys into session actions; scrolls, redraws on a
    resize and shows the help itself."""

    def __init__(self, console: Console, keys: KeySource, media: ScreenMedia | None = None) -> None:
        self.console = console
        self.keys = keys
        self.screen = ReviewScreen()
        self.screen.media = media
        self._shown = False

    def next_action(self, session: ReviewSession) -> Action | Submit:
        if session.phase is Phase.TYPING:
            return self._typed(session)
        bound = CONFIRM_BOUND if session.suggested is not None else BOUND
        while True:
            key = self.keys.read()
            does = bound.get(key)
            if isinstance(does, Action):
                return does
            if key == "resize":
                self.show(session)
            elif does is View.HELP:
                if self._help():
                    return Action.QUIT
                self.show(session)
            elif does is View.OPEN:
                session.message = self._open(session)
                self.show(session)
            elif does is View.HINT:
                self._hint(session)
            elif isinstance(does, View) and self.screen.move(does):
                self.show(session)

    def _typed(self, session: ReviewSession) -> Action | Submit:
        """Edit the answer key by key until it is submitted (or the session left)."""
        editor = self.screen.editor
        while True:
            key = self.keys.read()
            does = TYPING_BOUND.get(key)
            if isinstance(does, Action):
                return does
            if does is Edit.SUBMIT:
                return Submit(editor.text)
            if isinstance(key, Paste):
                editor.insert(key.text)
            elif key == "tab":
                editor.insert(" ")
            elif len(key) == 1 and key.isprintable():
                editor.insert(key)
            elif isinstance(does, Edit):
                editor.edit(does)
            elif does is View.HELP:
                if self._help(typing=True):
                    return Action.QUIT
            elif does is View.HINT:
                self._hint(session)
                continue
            elif isinstance(does, View):
                self.screen.move(does)
            elif key != "resize":
                continue  # a key that does nothing here: no need to redraw
            self.show(session)

    def _hint(self, session: ReviewSession) -> None:
        """Unfold the hint of the card on screen (it stays open until the next card)."""
        card = session.card
        if card is None or HINT_START not in card.question:
            session.message = "This card has no hint"
        else:
            self.screen.hint_for = card.id
        self.show(session)

    def _open(self, session: ReviewSession) -> str:
        """Open the card's image or sound; what to say about it."""
        if session.card is None:
            return "No card to open a file of"
        return self._media(session).open(session.card, answer=session.phase is Phase.ANSWER)

    def _media(self, session: ReviewSession) -> ScreenMedia:
        """The card's files, from the session's collection unless given: pictures drawn only
        where the environment says the terminal can (it is never asked)."""
        if self.screen.media is None:
            import os

            from recall1924.media import CardMedia

            protocol = graphics(os.environ, self.console.file)
            if protocol == "kitty" and (
                self.console.color_system != "truecolor" or self.console.no_color
            ):
                protocol = None  # kitty's placeholders name their picture by colour
            self.screen.media = ScreenMedia(CardMedia(session.store).of, protocol)
        return self.screen.media

    def show(self, session: ReviewSession) -> None:
        self._media(session)
        self._draw(self.screen.compose(self.console, session))

    def _help(self, *, typing: bool = False) -> bool:
        """Show the help until a key is pressed; True if that key ends the session."""
        while True:
            self._draw(self.screen.help(self.console, typing=typing))
            key = self.keys.read()
            if key != "resize":
                return key in _LEAVE_HELP_AND_QUIT

    def _draw(self, rows: list[list[Segment]]) -> None:
        # Each screen replaces the last; the first keeps what was printed before it (news of a
        # first run or of a database upgrade) as far as the card leaves room for it.
        if self._shown and self.console.is_terminal:
            self.console.clear()
        self._shown = True
        while rows and not "".join(segment.text for segment in rows[-1]).strip():
            rows = rows[:-1]
        self.console.print(_Rows(rows), crop=False)
