"""The review screen: draws a :class:`~recall1924.review.ReviewSession`, turns keys into actions.

Holds :class:`ReviewScreen` (what fits on the terminal, and where the card is scrolled to) and
:class:`TerminalReviewUI` (the loop: a key read, then an action returned or the screen
changed). The keys and the help are in :mod:`recall1924.ui.bindings`, the parts of a card in
:mod:`recall1924.ui.card`. Keys come from :mod:`recall1924.ui.terminal`: ``TerminalKeys``
(single keypresses) or ``StreamKeys`` (a pipe, for scripts: ``printf ' 3 1 3q' | recall review``).

The screen is composed to the terminal's size: a header line (deck and progress) at the top and
the key line at the bottom always show, and the card between them scrolls when it is longer
than the room left, with a mark saying there is more. Only as much of a card's text as the
visible part needs is laid out, so a card of any size draws at once.

In a typed session (``recall review --type``) each card first shows its question above a small
editor (:class:`~recall1924.ui.editor.Editor`, keys in ``TYPING_KEYS``): printable keys and
pastes are text, so "3" or "q" never rates or quits; Enter checks the answer, Alt-Enter starts
a new line, Ctrl-C ends the session. The answer screen then shows the typed answer beside the
real one (above it when narrow), each key point marked ✓ recalled, ~ partly, ✗ missed, and the
suggested rating: Enter or Space takes it, 1-4 change it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.panel import Panel
from rich.segment import Segment
from rich.text import Text

from recall1924.deck import HINT_START
from recall1924.errors import DeckFileError, RecallError
from recall1924.models import ReviewKind
from recall1924.review import Action, Flag, Phase, ReviewSession, Submit
from recall1924.ui.bindings import (
    BOUND,
    CONFIRM_BOUND,
    LEAVE_HELP_AND_QUIT,
    TYPING_BOUND,
    View,
    help_panel,
    key_lines,
)
from recall1924.ui.card import card_parts
from recall1924.ui.editor import Edit, Editor
from recall1924.ui.external_editor import TextEditor, edit_until_saved, editor_on
from recall1924.ui.keys import KeySource, Paste
from recall1924.ui.media import ScreenMedia, graphics, without_controls
from recall1924.ui.text import one_line, safe

__all__ = ["MAX_SCROLL", "ReviewScreen", "TerminalReviewUI"]

MAX_SCROLL = 2000
"""The furthest a card scrolls, in lines: text beyond it is never laid out."""

MESSAGE_LINES = 3
"""The most lines a notice takes above the keys."""


class _Rows:
    """Rendered lines printed one under the other, each ended by a newline."""

    def __init__(self, rows: list[list[Segment]]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for row in self.rows:
            yield from row
            yield Segment.line()


def _header(session: ReviewSession, width: int) -> Text:
    remaining = session.remaining()
    left = remaining.total
    done = len(session.answers)
    later = f", {remaining.learning_later} later" if remaining.learning_later else ""
    progress = f"done {done} · left {left} ({remaining.new} new, {remaining.due} due{later})"
    held = " · budget: no new" if remaining.new_stopped else ""
    if held:  # today's budget holds the new cards back: say so rather than "0 new"
        progress = f"done {done} · left {left} ({remaining.due} due{later}){held}"
    if session.policy.kind is ReviewKind.Cram:
        progress = f"cram · done {done} · left {left}"
    if len(progress) > width // 2:
        progress = f"done {done} · left {left}{held}"
    if session.card is not None and session.card.flag:
        progress = f"flagged · {progress}"
    title = safe(session.card.deck_title, "bold") if session.card else Text()
    title.truncate(max(0, width - len(progress) - 1), overflow="ellipsis")
    gap = " " * max(1, width - title.cell_len - len(progress))
    return one_line(Text.assemble(title, gap, (progress, "dim")))


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
            keys = [one_line(Text("u undo the last answer · q or Space finish", style="dim"))]
        # A notice wraps at words (cut mid-word it read "moved …"), within a few lines.
        notice = [Text(session.message, style="bold yellow")] if session.message else []
        message = self._render(console, options, notice)[:MESSAGE_LINES]
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
                one_line(
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
            *message,
            *self._render(console, options, keys),
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
        panel = help_panel(typing=typing)
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
        for index, part in enumerate(card_parts(session, self.media, hints=hints)):
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

    def __init__(
        self,
        console: Console,
        keys: KeySource,
        media: ScreenMedia | None = None,
        editor: TextEditor | None = None,
    ) -> None:
        """``editor`` runs the student's editor on a text (default: ``VISUAL``/``EDITOR``, the
        terminal handed to it meanwhile)."""
        self.console = console
        self.keys = keys
        self.screen = ReviewScreen()
        self.screen.media = media
        self.editor = editor or editor_on(keys, os.environ)
        self._shown = False

    def next_action(self, session: ReviewSession) -> Action | Submit | Flag:
        if session.phase is Phase.TYPING:
            return self._typed(session)
        bound = CONFIRM_BOUND if session.suggested is not None else BOUND
        while True:
            key = self.keys.read()
            does = bound.get(key)
            if does is Action.EDIT:
                self._edit(session)
                bound = CONFIRM_BOUND if session.suggested is not None else BOUND
                continue
            if does is Action.FLAG and session.card is not None and not session.card.flag:
                flag = self._flag_reason(session)
                if flag is not None:
                    return flag
                continue
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

    def _edit(self, session: ReviewSession) -> None:
        """Open the card on screen in the student's editor until it saves (or they give up),
        then draw it again, reworded; the session goes on where it was."""
        try:
            text = session.edit_text()
            if text is None:
                return
            saved = edit_until_saved(text, session.save_edit, self.editor)
            if saved is None:
                session.message = "Unchanged; nothing was saved"
        except DeckFileError as exc:
            first = exc.problems[0] if exc.problems else str(exc)
            more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            session.message = f"{first}{more}"
        except RecallError as exc:
            session.message = f"Cannot edit it: {exc}"
        self.show(session)  # clears what the editor left, and draws the card as it is now

    def _flag_reason(self, session: ReviewSession) -> Flag | None:
        """Ask on the message line why the card is flagged: Enter takes what was typed (none
        for no reason), Esc or Ctrl-C leaves the card unflagged."""
        reason = Editor()
        ask = "Flag it. Why? (Enter: flag, with no reason if none typed; Esc: cancel) "
        while True:
            session.message = ask + reason.text + "_"
            self.show(session)
            key = self.keys.read()
            if key == "enter":
                session.message = None
                return Flag(reason.text)
            if key in ("esc", "ctrl+c", "ctrl+d", "eof"):
                session.message = "Not flagged"
                self.show(session)
                return None
            if isinstance(key, Paste):
                reason.insert(" ".join(key.text.split()))
            elif key == "backspace":
                reason.edit(Edit.BACKSPACE)
            elif len(key) == 1 and key.isprintable():
                reason.insert(key)

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
                return key in LEAVE_HELP_AND_QUIT

    def _draw(self, rows: list[list[Segment]]) -> None:
        # Each screen replaces the last; the first keeps what was printed before it (news of a
        # first run or of a database upgrade) as far as the card leaves room for it.
        if self._shown and self.console.is_terminal:
            self.console.clear()
        self._shown = True
        while rows and not "".join(segment.text for segment in rows[-1]).strip():
            rows = rows[:-1]
        self.console.print(_Rows(rows), crop=False)
