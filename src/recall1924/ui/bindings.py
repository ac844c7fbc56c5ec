"""The review screen's keys: what each does, what the key line says and the help lists.

Holds :data:`KEYS` (every key the screen knows, one binding a line), :data:`TYPING_KEYS` (the
keys while an answer is typed, where every other printable key is text), :data:`CONFIRM` (taking
a typed answer's suggested rating), the lookups built from them (:data:`BOUND`,
:data:`TYPING_BOUND`, :data:`CONFIRM_BOUND`), :func:`key_lines` (the key line at the bottom of
the screen) and :func:`help_panel` (the help overlay). :data:`RATING_STYLE` gives each rating
its colour, here and wherever else a rating is shown.

A binding is declared once, and the lookup, the key line and the help are all read from it, so
a key added here is bound, hinted and documented together.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from recall1924.review import Action, Phase, ReviewSession
from recall1924.scheduling import Rating
from recall1924.settings import format_duration
from recall1924.ui.editor import Edit
from recall1924.ui.text import pack

__all__ = [
    "BOUND",
    "CONFIRM",
    "CONFIRM_BOUND",
    "KEYS",
    "LEAVE_HELP_AND_QUIT",
    "RATING_STYLE",
    "TYPING_BOUND",
    "TYPING_KEYS",
    "Binding",
    "View",
    "help_panel",
    "key_lines",
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
    Binding(("u", "U"), Action.UNDO, "u", "undo the last answer (or bury, edit, …)", "u undo"),
    Binding(("s",), Action.SUSPEND, "s", "suspend it (until recall unsuspend)"),
    Binding(("b",), Action.BURY, "b", "bury the card until tomorrow"),
    Binding(("e",), Action.EDIT, "e f", "edit the card; flag it (again: unflag)"),
    Binding(("f",), Action.FLAG),
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

LEAVE_HELP_AND_QUIT = frozenset({"ctrl+c", "ctrl+d", "eof"})
"""Keys that, on the help screen, end the session rather than only closing the help."""

RATING_STYLE = {
    Rating.Again: "red",
    Rating.Hard: "yellow",
    Rating.Good: "green",
    Rating.Easy: "cyan",
}


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
    return pack([("", line)], width)


def key_lines(session: ReviewSession, width: int) -> list[Text]:
    """The keys to press now, on one line when it fits, else on as few as fit in ``width``."""
    if session.phase is not Phase.ANSWER:
        return pack([(" · ", hint) for hint in _hints(session.phase)], width)
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
        lines = pack(items, width)
        if len(lines) == 1:
            return lines
    # Too narrow for one line even with less space: the ratings, then the rest, never an item
    # broken across lines.
    items = [("   ", item) for item in ratings]
    items += [("   " if n == 0 else " · ", hint) for n, hint in enumerate(_hints(session.phase))]
    return pack(items, width)


def help_panel(*, typing: bool = False) -> Panel:
    """The help overlay: every key with what it does (``typing``: the keys while an answer is
    typed)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    bindings = TYPING_KEYS if typing else (*KEYS[:1], CONFIRM, *KEYS[1:])
    for binding in bindings:
        if binding.label:
            table.add_row(binding.label, binding.help)
    title = "Keys while typing an answer (other keys are text)" if typing else "Keys"
    # The way back is in the panel's bottom edge: a row more for the keys in a small terminal.
    return Panel(
        table,
        title=title,
        title_align="left",
        subtitle=Text("Any key goes back to the card", style="dim"),
        subtitle_align="left",
        padding=(0, 1),
    )
