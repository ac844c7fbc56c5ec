"""The review screen: draws a :class:`~recall1924.review.ReviewSession`, reads single keys.

Holds :class:`TerminalReviewUI` and the two key sources it reads from: :class:`TerminalKeys`
(single keypresses, no Enter needed) and :class:`StreamKeys` (characters from
a pipe, for scripts: ``printf ' 3 1 3q' | recall review``).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, Protocol, TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from recall1924.errors import TerminalError
from recall1924.review import Action, Phase, ReviewSession
from recall1924.scheduling import Rating
from recall1924.settings import format_duration
from recall1924.ui.text import safe

CTRL_C = "\x03"

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
    CTRL_C: Action.QUIT,
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


class _Keys:
    """A key source that, while in use (``with``), turns an interrupt into the quit key.

    A SIGINT that arrives while a card is drawn or an answer saved is noted and read as the
    quit key next, instead of raising KeyboardInterrupt wherever the program happened to be;
    one that arrives while waiting for a key ends the wait.
    """

    _interrupted = False
    _reading = False
    _previous: Any = None

    def __enter__(self) -> _Keys:
        self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def __exit__(self, *_exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _on_interrupt(self, _signum: int, _frame: object) -> None:
        if self._reading:
            raise KeyboardInterrupt
        self._interrupted = True

    def read(self) -> str:
        if self._interrupted:
            return CTRL_C
        self._reading = True
        try:
            return self._read()
        except KeyboardInterrupt:
            return CTRL_C
        finally:
            self._reading = False

    def _read(self) -> str:
        raise NotImplementedError


class TerminalKeys(_Keys):
    """Single keypresses from the terminal, without waiting for Enter.

    For the whole session the terminal is in cbreak mode without echo or signals: every key,
    Ctrl-C included, reaches recall in the order typed, and keys typed while a card is being
    drawn wait their turn instead of being discarded (as a mode switch per key would do).
    """

    def __enter__(self) -> TerminalKeys:
        try:
            import termios
        except ImportError:  # pragma: no cover - Windows
            raise TerminalError("recall review needs a POSIX terminal (Linux or macOS)") from None
        self._fd = sys.stdin.fileno()
        self._saved = termios.tcgetattr(self._fd)
        mode = termios.tcgetattr(self._fd)
        mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG)
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        termios.tcsetattr(self._fd, termios.TCSANOW, mode)
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        import termios

        termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        super().__exit__(*exc)

    def _read(self) -> str:
        # One byte: every key recall uses is ASCII; the bytes of any other key are ignored.
        return os.read(self._fd, 1).decode("latin-1")


class StreamKeys(_Keys):
    """Keys from a non-interactive stream, one character each; newlines are skipped."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin

    def _read(self) -> str:
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
    """The screen for the session's current card, or the one after the last."""
    card = session.card
    if card is None:
        return Group(
            Text("Nothing more to review now. Every answer is saved."),
            Text("u undo the last answer · q or Space finish", style="dim"),
        )
    parts: list[object] = [
        _header(session),
        Panel(
            safe(card.question),
            title=Text.assemble("Question · ", safe(card.section_title)),
            title_align="left",
            subtitle=Text(card.memory.status.name.lower(), style="dim"),
            subtitle_align="right",
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
