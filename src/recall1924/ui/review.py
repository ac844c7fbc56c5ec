"""The review screen: draws a :class:`~recall1924.review.ReviewSession`, reads single keys.

Holds :class:`TerminalReviewUI` and the two key sources it reads from: :class:`TerminalKeys`
(single keypresses, no Enter needed, through readchar) and :class:`StreamKeys` (characters from
a pipe, for scripts: ``printf ' 3 1 3q' | recall review``).
"""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from recall1924.review import Action, Phase, ReviewSession
from recall1924.scheduling import Rating
from recall1924.settings import format_duration
from recall1924.ui.text import safe

KEYS = {
    " ": Action.REVEAL,
    "\r": Action.REVEAL,
    "\n": Action.REVEAL,
    "1": Action.AGAIN,
    "2": Action.HARD,
    "3": Action.GOOD,
    "4": Action.EASY,
    "u": Action.UNDO,
    "U": Action.UNDO,
    "q": Action.QUIT,
    "Q": Action.QUIT,
    "\x03": Action.QUIT,  # Ctrl-C
    "\x04": Action.QUIT,  # Ctrl-D
    "": Action.QUIT,  # end of input
}

RATING_STYLE = {
    Rating.Again: "red",
    Rating.Hard: "yellow",
    Rating.Good: "green",
    Rating.Easy: "cyan",
}


class KeySource(Protocol):
    """Where keypresses come from."""

    def read(self) -> str:
        """The next key ('' at end of input)."""
        ...


class TerminalKeys:
    """Single keypresses from the terminal, without waiting for Enter."""

    def read(self) -> str:
        import readchar

        try:
            return str(readchar.readkey())
        except KeyboardInterrupt:
            return "\x03"


class StreamKeys:
    """Keys from a non-interactive stream, one character each; newlines are skipped."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin

    def read(self) -> str:
        while True:
            char = self.stream.read(1)
            if char not in ("\n", "\r"):
                return char


class TerminalReviewUI:
    """Shows one card at a time and turns keys into session actions."""

    def __init__(self, console: Console, keys: KeySource) -> None:
        self.console = console
        self.keys = keys
        self._shown = False

    def next_action(self, session: ReviewSession) -> Action:
        while True:
            action = KEYS.get(self.keys.read())
            if action is not None:
                return action

    def show(self, session: ReviewSession) -> None:
        # Each card replaces the last; the first keeps what was printed before it on screen
        # (news of a first run or of a database upgrade).
        if self._shown and self.console.is_terminal:
            self.console.clear()
        self._shown = True
        self.console.print(render_card(session))


def _header(session: ReviewSession) -> Table:
    assert session.card is not None
    remaining = session.remaining()
    left = remaining.learning + remaining.review + remaining.new
    grid = Table.grid(expand=True)
    grid.add_column()
    grid.add_column(justify="right")
    place = safe(session.card.deck_title, "bold")
    progress = Text(
        f"done {len(session.history)} · left {left} "
        f"({remaining.new} new, {remaining.learning + remaining.review} due)",
        style="dim",
    )
    grid.add_row(place, progress)
    return grid


def _rating_keys(session: ReviewSession) -> Text:
    keys = Text()
    for rating in Rating:
        interval = session.intervals.get(rating)
        keys.append(f" {int(rating)} ", style=f"reverse {RATING_STYLE[rating]}")
        keys.append(f" {rating.name}")
        if interval is not None:
            keys.append(f" {format_duration(interval)}", style="dim")
        keys.append("   ")
    keys.append("u undo · q quit", style="dim")
    return keys


def render_card(session: ReviewSession) -> Group:
    """The screen for the session's current card."""
    card = session.card
    assert card is not None
    parts: list[object] = [
        _header(session),
        Panel(
            safe(card.question),
            title=Text.assemble("Question · ", safe(card.section_title)),
            title_align="left",
            padding=(1, 2),
        ),
    ]
    if session.phase is Phase.ANSWER:
        parts.append(Panel(safe(card.answer), title="Answer", title_align="left", padding=(1, 2)))
        if card.note:
            parts.append(Text.assemble(("Note: ", "bold"), safe(card.note, "italic")))
        parts.append(_rating_keys(session))
    else:
        parts.append(Text("Space show answer · u undo · q quit", style="dim"))
    if session.message:
        parts.append(Text(session.message, style="bold yellow"))
    return Group(*parts)  # type: ignore[arg-type]
