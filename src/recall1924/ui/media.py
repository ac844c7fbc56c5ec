"""A card's images and sounds on the review screen: drawn in the card where the terminal can
draw pictures, and opened with the system's viewer or player on a key.

Holds :func:`graphics` (which picture protocol the terminal speaks, told from the environment
alone: nothing is sent to a terminal to ask, so a pipe, a test or a terminal that never answers
cannot hang), :func:`open_file` (the system's opener: ``xdg-open`` on Linux, ``open`` on macOS),
:class:`ScreenMedia` (what the review screen draws and opens of the card on screen) and
:func:`without_controls`.

Pictures are drawn by textual-image, imported only when a picture is first drawn: kitty's
graphics protocol (its Unicode placeholders are plain text, so a picture scrolls and crops with
the card), Sixel (drawn once the rows for it are printed, whenever all of them are on screen:
see :func:`without_controls`) or, when asked for, coloured half blocks. Without it, or in any
other terminal, a card shows the file's name, as before.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import ControlType, Segment
from rich.text import Text

from recall1924.ui.text import visible

if TYPE_CHECKING:
    from recall1924.media import MediaFile
    from recall1924.store import CardView

PROTOCOLS = ("kitty", "sixel", "blocks")
"""What ``RECALL_IMAGES`` may ask for besides ``auto`` (the default) and ``off``."""

MAX_PICTURE_ROWS = 16
"""The most rows a picture takes, however tall the terminal: the card's text comes first."""

# Terminals that draw Sixel, by what they set in the environment (iTerm2 since 3.3, WezTerm,
# foot, mlterm). WezTerm and Konsole also answer kitty's protocol but not its placeholders.
_SIXEL_PROGRAMS = frozenset({"iTerm.app", "WezTerm", "mlterm"})
_SIXEL_TERMS = ("foot", "mlterm", "yaft")


def graphics(environ: Mapping[str, str], stream: IO[str] | None) -> str | None:
    """The picture protocol to draw with on ``stream``, or None to show names only.

    Told from the environment, never by querying the terminal: ``RECALL_IMAGES`` (``off``,
    ``kitty``, ``sixel``, ``blocks``; ``auto`` or unset: the terminal's own variables), and
    never when the output is not a terminal, ``TERM`` is ``dumb`` or unset, ``NO_COLOR`` is set
    (kitty's placeholders are told apart by colour), or inside tmux or screen (which pass
    pictures on only when set up to).
    """
    wanted = environ.get("RECALL_IMAGES", "auto").strip().lower() or "auto"
    term = environ.get("TERM", "")
    if wanted == "off" or stream is None or term in ("", "dumb"):
        return None
    try:
        if not stream.isatty():
            return None
    except (OSError, ValueError):
        return None
    if wanted in PROTOCOLS:
        return wanted
    if "NO_COLOR" in environ or "TMUX" in environ or term.startswith(("screen", "tmux")):
        return None
    if term == "xterm-kitty" or "KITTY_WINDOW_ID" in environ:
        return "kitty"
    if environ.get("TERM_PROGRAM") in _SIXEL_PROGRAMS or term.startswith(_SIXEL_TERMS):
        return "sixel"
    return None


# Opening with the system's viewer or player
# ---------------------------------------------------------------------------------------------

Launch = Callable[[Sequence[str]], object]
"""Starts a program (the opener and the file) without waiting for it."""

_started: list[subprocess.Popen[bytes]] = []


def _launch(command: Sequence[str]) -> object:
    # Detached, with no terminal: the viewer must not read the keys or draw over the screen,
    # and the session does not wait for it to close.
    _started[:] = [process for process in _started if process.poll() is None]
    process = subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _started.append(process)
    return process


def opener(
    *,
    platform: str | None = None,
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] | None = None,
) -> str | list[str]:
    """The command that opens a file with the system's own program, or why there is none
    (the platform, the environment and ``shutil.which`` unless given)."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    which = shutil.which if which is None else which
    if platform == "darwin":
        found = which("open")
        return [found] if found else "macOS's open command is missing"
    found = which("xdg-open")
    if found is None:
        return "neither xdg-open nor open is installed"
    if platform.startswith("linux") and not (
        environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")
    ):
        return "there is no graphical session to open it in (no DISPLAY)"
    return [found]


def open_file(
    file: MediaFile,
    *,
    launch: Launch | None = None,
    find: Callable[[], str | list[str]] | None = None,
) -> str:
    """Open ``file`` with the system's viewer or player (``launch`` and ``find`` stand in for
    starting a program and :func:`opener`); what to tell the user."""
    name = visible(file.name)
    if file.path is None or not file.path.is_file():
        return f"{name} is not in the collection (import its package again to bring it)"
    command = (opener if find is None else find)()
    if isinstance(command, str):
        return f"Cannot open {name}: {command}; it is at {file.path}"
    try:
        (_launch if launch is None else launch)([*command, str(file.path)])
    except OSError as exc:
        return f"Cannot open {name}: {exc.strerror or exc}; it is at {file.path}"
    return f"Opened {name}"


# Drawing pictures
# ---------------------------------------------------------------------------------------------


def _picture(path: Path, protocol: str, rows: int) -> RenderableType | None:
    """textual-image's renderable for the picture at ``path``, or None when the library is
    missing or the file is no picture it can read."""
    try:
        with warnings.catch_warnings():
            # A picture of absurd size is refused (PIL warns, then raises, past its limit).
            warnings.simplefilter("error")
            # Its warnings (a cell size it had to guess) would print over the screen.
            logging.getLogger("textual_image").addHandler(logging.NullHandler())
            renderable = _import_quietly()

            kinds: dict[str, Callable[..., RenderableType]] = {
                "kitty": renderable.TGPImage,
                "sixel": renderable.SixelImage,
                "blocks": renderable.HalfcellImage,
            }
            picture = kinds[protocol](path, width="auto", height=rows)
    except Exception:  # textual-image missing, or a file PIL cannot read (errors of many kinds)
        return None
    return picture


def _import_quietly() -> Any:
    """textual-image's renderables, imported without the terminal queries its package runs
    on import when output is a terminal: they would write to the screen and read the keys
    typed meanwhile. recall picks the protocol itself (see :func:`graphics`)."""
    name = "textual_image.renderable"
    if sys.modules.get(name) is not None:
        return sys.modules[name]
    stdout = sys.__stdout__
    setattr(sys, "__stdout__", None)  # noqa: B010 - the package reads it at import
    try:
        return importlib.import_module(name)
    finally:
        setattr(sys, "__stdout__", stdout)  # noqa: B010


class _Lines:
    """Rendered rows printed one under the other."""

    def __init__(self, rows: list[list[Segment]]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for row in self.rows:
            yield from row
            yield Segment.line()


class ScreenMedia:
    """What the review screen shows and opens of the files the card on screen names.

    Args:
        lookup: the files a card's text names, by deck key and texts.
        protocol: how to draw pictures (see :func:`graphics`); None shows names only.
        launch: starts the opener (tests pass a stand-in).
        find: finds the opener.
    """

    def __init__(
        self,
        lookup: Callable[..., list[MediaFile]],
        protocol: str | None = None,
        *,
        launch: Launch | None = None,
        find: Callable[[], str | list[str]] | None = None,
    ) -> None:
        self._lookup = lookup
        self.protocol = protocol
        self._launch = launch
        self._find = find
        self._drawn: dict[tuple[Path, int, int], list[list[Segment]] | None] = {}
        self._opened: tuple[int, int] | None = None  # (card id, how many times o was pressed)

    def files(self, card: CardView, *, answer: bool) -> list[MediaFile]:
        """The files the card names on its shown sides: the question's, then the answer's and
        the note's."""
        texts = (card.question, card.answer, card.note or "") if answer else (card.question,)
        return self._lookup(card.deck_key, *texts)

    def open(self, card: CardView, *, answer: bool) -> str:
        """Open the card's next file (each press of the key opens the one after)."""
        files = self.files(card, answer=answer)
        if not files:
            return "This card names no image or sound"
        count = self._opened[1] + 1 if self._opened and self._opened[0] == card.id else 0
        self._opened = (card.id, count)
        message = open_file(files[count % len(files)], launch=self._launch, find=self._find)
        if len(files) > 1:
            message += f" ({count % len(files) + 1} of {len(files)}; o again for the next)"
        return message

    def pictures(
        self, card: CardView, text: str
    ) -> list[Callable[[int], tuple[RenderableType, bool]]]:
        """Card parts drawing the pictures ``text`` (one side of ``card``) names, for a
        terminal that can draw them; none otherwise."""
        if self.protocol is None or "[image:" not in text:
            return []
        files = [
            file
            for file in self._lookup(card.deck_key, text)
            if file.kind == "image" and file.path is not None
        ]
        return [self._part(file) for file in files]

    def _part(self, file: MediaFile) -> Callable[[int], tuple[RenderableType, bool]]:
        def part(_limit: int) -> tuple[RenderableType, bool]:
            return _Drawn(self, file), False

        return part

    def lines(
        self, console: Console, options: ConsoleOptions, file: MediaFile
    ) -> list[list[Segment]]:
        """The picture's rows at this width (drawn once, then remembered: encoding a picture
        costs far more than a redraw may)."""
        assert file.path is not None and self.protocol is not None
        rows = max(3, min(MAX_PICTURE_ROWS, console.size.height // 3))
        key = (file.path, options.max_width, rows)
        if key not in self._drawn:
            picture = _picture(file.path, self.protocol, rows)
            drawn = None
            if picture is not None:
                try:
                    with warnings.catch_warnings():
                        # Printed, a warning would land on the screen (textual-image 0.12 uses
                        # a Pillow call that Pillow 13 calls deprecated).
                        warnings.simplefilter("ignore")
                        drawn = console.render_lines(picture, options, pad=False)
                except Exception:  # a picture that fails to encode shows as its name
                    drawn = None
            self._drawn[key] = drawn
        drawn = self._drawn[key]
        if drawn is None:
            return console.render_lines(
                Text(f"({visible(file.name)} cannot be drawn: o opens it)", style="dim"),
                options,
            )
        return drawn


class _Drawn:
    def __init__(self, media: ScreenMedia, file: MediaFile) -> None:
        self._media = media
        self._file = file

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield _Lines(self._media.lines(console, options, self._file))


def without_controls(rows: list[list[Segment]]) -> list[list[Segment]]:
    """``rows`` (the part of a card the screen shows) without the control sequences that would
    draw outside them.

    A Sixel picture is printed as blank rows; the row below them moves the cursor up over those
    rows and draws the picture down from there. That row keeps its controls when every row it
    moves up over is in ``rows``, so a picture wholly on screen is drawn however the card is
    scrolled (each redraw prints it again); one cut off at the top would draw over the header,
    so it shows as blank rows, as does any control that does not say how far up it draws.
    """
    if not any(segment.control for row in rows for segment in row):
        return rows
    kept: list[list[Segment]] = []
    for index, row in enumerate(rows):
        up = _rows_up(row)
        if up is None or up > index:
            row = [segment for segment in row if not segment.control]
        kept.append(row)
    return kept


def _rows_up(row: list[Segment]) -> int | None:
    """How many rows above ``row`` its controls draw in (the cursor moves up that far before
    the picture); 0 for a row without controls, None when they draw without moving up."""
    controls = [code for segment in row for code in segment.control or ()]
    if not controls:
        return 0
    up = 0
    for code in controls:
        if code[0] is ControlType.CURSOR_UP and len(code) == 2 and isinstance(code[1], int):
            up += code[1]
    return up or None
