"""The review screen: draws a :class:`~recall1924.review.ReviewSession`, turns keys into actions.

Holds :data:`KEYS` (every key the screen knows, one binding a line), :class:`ReviewScreen`
(what fits on the terminal, and where the card is scrolled to) and :class:`TerminalReviewUI`.
Keys come from :mod:`recall1924.ui.keys`: :class:`TerminalKeys` (single keypresses) or
:class:`StreamKeys` (a pipe, for scripts: ``printf ' 3 1 3q' | recall review``).

The screen is composed to the terminal's size: a header line (deck and progress) at the top and
the key line at the bottom always show, and the card between them scrolls when it is longer
than the room left, with a mark saying there is more. Only as much of a card's text as the
visible part needs is laid out, so a card of any size draws at once.
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

from recall1924.review import Action, Phase, ReviewSession
from recall1924.scheduling import Rating
from recall1924.settings import format_duration
from recall1924.ui.keys import KeySource, StreamKeys, TerminalKeys
from recall1924.ui.text import safe

__all__ = [
    "KEYS",
    "RATING_STYLE",
    "Binding",
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
    does: Action | View
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
    Binding(("u", "U"), Action.UNDO, "u", "undo the last answer", "u undo"),
    Binding(_QUIT_KEYS, Action.QUIT, "q Ctrl-C Ctrl-D", "end the session", "q quit"),
    Binding(("up",), View.LINE_UP, "↑ ↓", "scroll the card a line"),
    Binding(("down",), View.LINE_DOWN),
    Binding(("pgup",), View.PAGE_UP, "PgUp PgDn", "scroll the card a page"),
    Binding(("pgdn",), View.PAGE_DOWN),
    Binding(("home",), View.TOP, "Home End", "the top, the end of the card"),
    Binding(("end",), View.BOTTOM),
    Binding(("?",), View.HELP, "?", "this help", "? help"),
)

BOUND: dict[str, Action | View] = {key: binding.does for binding in KEYS for key in binding.keys}

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
    return [
        Text(binding.hint, style="dim")
        for binding in KEYS
        if binding.hint and (binding.does is not Action.REVEAL or phase is Phase.QUESTION)
    ]


def key_lines(session: ReviewSession, width: int) -> list[Text]:
    """The keys to press now, on one line when it fits, else on as few as fit in ``width``."""
    if session.phase is not Phase.ANSWER:
        return _pack([(" · ", hint) for hint in _hints(session.phase)], width)
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
    left = remaining.learning + remaining.review + remaining.new
    done = len(session.history)
    progress = (
        f"done {done} · left {left} "
        f"({remaining.new} new, {remaining.learning + remaining.review} due)"
    )
    if len(progress) > width // 2:
        progress = f"done {done} · left {left}"
    title = safe(session.card.deck_title, "bold") if session.card else Text()
    title.truncate(max(0, width - len(progress) - 1), overflow="ellipsis")
    gap = " " * max(1, width - title.cell_len - len(progress))
    return _one_line(Text.assemble(title, gap, (progress, "dim")))


def _card_parts(session: ReviewSession) -> list[Callable[[int], tuple[RenderableType, bool]]]:
    """The card's parts, top to bottom, each built with at most a given number of characters
    of its text (and saying whether it had more)."""
    card = session.card
    if card is None:
        return [lambda _limit: (Text("Nothing more to review now. Every answer is saved."), False)]

    def question(limit: int) -> tuple[RenderableType, bool]:
        panel = Panel(
            safe(card.question, limit=limit),
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

    parts: list[Callable[[int], tuple[RenderableType, bool]]] = [question]
    if session.phase is Phase.ANSWER:
        parts.append(answer)
        if card.note:
            parts.append(note)
    return parts


class ReviewScreen:
    """The review screen for a terminal of the console's size, and how far the card is
    scrolled (the session knows nothing of scrolling)."""

    def __init__(self) -> None:
        self.scroll = 0
        self.page = 1
        self.bottom: int | None = None
        self._showing: tuple[int | None, Phase, int] | None = None
        self._to_answer = False

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
        fixed = 1 + len(keys) + len(message) + 1  # with the cursor's row
        room = max(0, height - fixed)
        body, complete = self._body(console, options, session, room)
        if complete and len(body) <= room:
            self.scroll, window, mark = 0, body, []
            self.page, self.bottom = max(1, room), 0
        else:
            lines = max(0, room - 1)
            self.scroll = max(0, min(self.scroll, len(body) - lines, MAX_SCROLL))
            window = body[self.scroll : self.scroll + lines]
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
            *self._render(console, options, [*mark, *message, *keys]),
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

    def help(self, console: Console) -> list[list[Segment]]:
        """The rows of the help screen, which lists every key."""
        width, height = console.size
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for binding in KEYS:
            if binding.label:
                table.add_row(binding.label, binding.help)
        panel = Panel(table, title="Keys", title_align="left", padding=(0, 1))
        footer = _one_line(Text("Any key goes back to the card", style="dim"))
        options = console.options.update(width=width, height=None)
        rows = self._render(console, options, [panel, footer])[: max(0, height - 1)]
        return rows + [[Segment(" " * width)]] * (height - len(rows))

    def _follow(self, session: ReviewSession) -> None:
        """Start each card at its top, and bring a revealed answer into view."""
        showing = (session.card.id if session.card else None, session.phase, len(session.history))
        previous, self._showing = self._showing, showing
        if previous == showing:
            return
        revealed = (
            previous is not None
            and previous[0] == showing[0]
            and previous[2] == showing[2]
            and previous[1] is Phase.QUESTION
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
        for index, part in enumerate(_card_parts(session)):
            needed = min(self.scroll, MAX_SCROLL) + room + 1
            if len(body) >= needed:
                return body, False
            # A line holds at least one character, so this many characters fill the lines
            # still needed; never more than that reaches Rich, whatever the card's size.
            renderable, cut = part((needed - len(body)) * (options.max_width + 1))
            body += console.render_lines(renderable, options, pad=True)
            if cut:
                return body, False
            if index == 0 and self._to_answer and len(body) >= self.scroll + max(1, room - 1):
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

    def __init__(self, console: Console, keys: KeySource) -> None:
        self.console = console
        self.keys = keys
        self.screen = ReviewScreen()
        self._shown = False

    def next_action(self, session: ReviewSession) -> Action:
        while True:
            key = self.keys.read()
            does = BOUND.get(key)
            if isinstance(does, Action):
                return does
            if key == "resize":
                self.show(session)
            elif does is View.HELP:
                if self._help():
                    return Action.QUIT
                self.show(session)
            elif does is not None and self.screen.move(does):
                self.show(session)

    def show(self, session: ReviewSession) -> None:
        self._draw(self.screen.compose(self.console, session))

    def _help(self) -> bool:
        """Show the help until a key is pressed; True if that key ends the session."""
        while True:
            self._draw(self.screen.help(self.console))
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
