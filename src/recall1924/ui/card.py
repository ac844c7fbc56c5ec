"""The parts of a card on the review screen: question, answer, note, pictures, and the
comparison of a typed answer with the real one.

Holds :func:`card_parts` (the card's parts, top to bottom, for the phase the session is in),
:func:`with_hints` (a hint line folded until asked for), :func:`cloze_side` (a cloze card's
side, its deletion marked out: ``[...]`` or ``[hint]`` on the question, the deletion revealed on
the answer) and :func:`comparison` (the typed answer beside the real one, each key point marked
✓ recalled, ~ partly, ✗ missed).

Each part is built with at most a given number of characters of its text and says whether it
had more: the screen asks only for what its visible lines need, so the cost of drawing a card
is bounded by the terminal, not by the card's size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from recall1924 import cloze
from recall1924.deck import HINT_START, read_hint
from recall1924.review import Phase, ReviewSession
from recall1924.typed import Found
from recall1924.ui.media import ScreenMedia
from recall1924.ui.text import safe
from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.store import CardView

__all__ = ["SIDE_BY_SIDE", "Part", "card_parts", "cloze_side", "comparison", "with_hints"]

Part = Callable[[int], tuple[RenderableType, bool]]
"""A part of a card: built with at most this many characters of its text, and whether it had
more."""

_MARKS = {Found.MATCHED: ("✓", "green"), Found.PARTLY: ("~", "yellow"), Found.MISSED: ("✗", "red")}
CLOZE_STYLE = "bold cyan"
"""How a cloze card's asked deletion stands out from the text around it (Anki's is blue)."""
SIDE_BY_SIDE = 80
"""The narrowest terminal that shows the typed answer beside the real one (else above it)."""


def with_hints(text: str, *, shown: bool) -> str:
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


def cloze_side(card: CardView, *, asking: bool, limit: int) -> Text | None:
    """A cloze card's question (``asking``) or answer with at most ``limit`` characters of its
    text, the asked deletion in :data:`CLOZE_STYLE`; None for a card that is no cloze card,
    or whose text is no longer what its cloze makes (reworded), which shows as it is."""
    if card.cloze is None or card.cloze_ord is None:
        return None
    if not cloze.shows(card.cloze, card.cloze_ord, card.question, card.answer):
        return None
    text = Text()
    left = limit
    for piece, asked in cloze.pieces(card.cloze, card.cloze_ord, asking=asking):
        if left <= 0:
            break
        text.append_text(safe(piece, CLOZE_STYLE if asked else "", limit=left))
        left -= len(piece)
    extra = "" if asking else cloze.answer_extra(card.cloze, card.cloze_ord, card.answer)
    if extra and left > 0:  # what an Anki cloze shows below it (its Back Extra)
        text.append_text(safe("\n" + extra, limit=left))
    return text


def card_parts(
    session: ReviewSession, media: ScreenMedia | None = None, *, hints: bool = False
) -> list[Part]:
    """The card's parts, top to bottom, each built with at most a given number of characters
    of its text (and saying whether it had more). A hint shows when asked (``hints``) or with
    the answer."""
    card = session.card
    if card is None:
        return [lambda _limit: (Text("Nothing more to review now. Every answer is saved."), False)]
    shown = hints or session.phase is Phase.ANSWER

    def question(limit: int) -> tuple[RenderableType, bool]:
        text = cloze_side(card, asking=True, limit=limit)
        panel = Panel(
            text or safe(with_hints(card.question, shown=shown), limit=limit),
            title=Text.assemble("Question · ", safe(card.section_title, limit=200)),
            title_align="left",
            subtitle=Text(card.memory.status.name.lower(), style="dim"),
            subtitle_align="right",
            padding=(1, 2),
        )
        return panel, len(card.question) > limit

    def answer(limit: int) -> tuple[RenderableType, bool]:
        text = cloze_side(card, asking=False, limit=limit) or safe(card.answer, limit=limit)
        panel = Panel(text, title="Answer", title_align="left", padding=(1, 2))
        return panel, len(card.answer) > limit

    def note(limit: int) -> tuple[RenderableType, bool]:
        text = Text.assemble(("Note: ", "bold"), safe(card.note or "", "italic", limit=limit))
        return text, len(card.note or "") > limit

    def compared(limit: int) -> tuple[RenderableType, bool]:
        return comparison(session, limit)

    parts: list[Part] = [question]
    if media is not None:  # pictures below the side that names them, where they can be drawn
        parts += media.pictures(card, card.question)
    if session.phase is Phase.ANSWER:
        parts.append(compared if session.comparison is not None else answer)
        if media is not None:
            parts += media.pictures(card, card.answer)
        if card.note:
            parts.append(note)
    return parts


def _unchecked(points: int, cut: bool) -> str:
    """What a comparison left out: key points past typed.MAX_POINTS, and the rest of an answer
    too long to check."""
    more = [plural(points, "more key point")] if points else []
    more += ["the rest of the answer"] if cut else []
    return f"and {' and '.join(more)}, not checked"


def comparison(session: ReviewSession, limit: int) -> tuple[RenderableType, bool]:
    """The typed answer and the real one, its key points marked recalled or missed."""
    compared = session.comparison
    assert compared is not None
    typed = compared.typed
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
    for point in compared.points:
        if left <= 0:
            break
        mark, style = _MARKS[point.found]
        points.add_row(Text(mark, style=f"bold {style}"), safe(point.point, limit=left))
        left -= len(point.point)
        shown += 1
    count = len(compared.points)
    first = ""
    if compared.unchecked or compared.cut:
        first = "the first "
        if shown == count:
            note = _unchecked(compared.unchecked, compared.cut)
            points.add_row("…", Text(note, style="dim"))
    title = f"Answer · {compared.matched} of {first}{plural(count, 'key point')}"
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
