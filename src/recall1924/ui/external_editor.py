"""The student's own text editor, for a card written as TOML.

Holds :func:`editor_command` (``$VISUAL``, then ``$EDITOR``, then ``nano`` or ``vi`` if there is
one), :func:`run_editor` (the text in a temporary file, the editor run on it, the text read back),
:func:`editor_on` (the same from a review session, which hands the terminal over meanwhile) and
:func:`edit_until_saved`, the loop that keeps the student's text across errors: what they
saved is reopened with the problems above it as comments, never thrown away. The loop takes the
editor as a function, so its tests need no terminal.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from recall1924.errors import DeckFileError, RecallError

_T = TypeVar("_T")

FALLBACK_EDITORS = ("nano", "vi")
"""Tried in turn when neither ``VISUAL`` nor ``EDITOR`` names one."""

PROBLEM_MARK = "# recall: "
"""What starts each comment line recall puts above the text: taken off again when it is read, so
that a second error replaces the first rather than piling up."""


def editor_command(environ: Mapping[str, str]) -> list[str]:
    """The editor to run, as a command line without the file (``VISUAL`` may carry options,
    ``"code --wait"``).

    Raises:
        RecallError: no editor is named and neither fallback is installed.
    """
    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            try:
                command = shlex.split(value)
            except ValueError:
                command = []
            if command:
                return command
            raise RecallError(f"cannot read ${name} ({value!r}) as a command")
    for fallback in FALLBACK_EDITORS:
        found = shutil.which(fallback, path=environ.get("PATH"))
        if found:
            return [found]
    raise RecallError(
        "no text editor: set VISUAL or EDITOR (for example: export EDITOR=nano), or give the "
        "card with --question and --answer"
    )


def run_editor(text: str, command: list[str], *, name: str = "card") -> str | None:
    """Let the student edit ``text`` with ``command``; what they saved, or None if the editor
    failed (a non-zero exit: vim's ``:cq``, an editor that could not start).

    The file is private (mode 0600), named ``recall-NAME-….toml`` for the editor's syntax
    colouring, and removed afterwards.

    Raises:
        RecallError: the editor's program is not there.
    """
    descriptor, temporary = tempfile.mkstemp(prefix=f"recall-{name}-", suffix=".toml")
    path = Path(temporary)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        try:
            with _editor_input() as given:
                done = subprocess.run([*command, str(path)], stdin=given, check=False)
        except OSError as exc:
            raise RecallError(
                f"cannot run the editor {command[0]!r}: {exc.strerror} (check VISUAL and EDITOR)"
            ) from None
        if done.returncode != 0:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def _editor_input() -> Iterator[int | None]:
    """What the editor reads its keystrokes from: recall's own input where that is a terminal
    (None: the editor inherits it); else the terminal the student sits at (``/dev/tty``), else
    nothing (``/dev/null``, on which a terminal editor gives up at once).

    Never a pipe of recall's: a review reading its keys from one (``recall cram`` fed by a
    script) would hand the editor the keys still to come, as its own, and vim waited on such a
    pipe for ever.
    """
    if sys.stdin is not None and sys.stdin.isatty():
        yield None
        return
    try:
        terminal = os.open("/dev/tty", os.O_RDONLY)
    except OSError:  # no controlling terminal: the process runs without one
        yield subprocess.DEVNULL
        return
    try:
        yield terminal
    finally:
        os.close(terminal)


TextEditor = Callable[[str], str | None]
"""Runs the student's editor on a text: what they saved, or None if the editor failed."""


def editor_on(keys: object, environ: Mapping[str, str]) -> TextEditor:
    """The student's editor, run from a review session reading ``keys``: the terminal is
    handed to it meanwhile when the key source can (``suspended()``, as
    :class:`~recall1924.ui.terminal.TerminalKeys` does), and taken back after.

    Which editor is looked up each time (:func:`editor_command`), so that a missing one is
    a message on the screen, not the end of the session.
    """
    suspended = getattr(keys, "suspended", None)

    def edit(text: str) -> str | None:
        command = editor_command(environ)
        if suspended is None:
            return run_editor(text, command)
        with suspended():
            return run_editor(text, command)

    return edit


def without_problems(text: str) -> str:
    """``text`` without the problem lines recall put above it."""
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith(PROBLEM_MARK):
        start += 1
    return "".join(lines[start:])


def with_problems(text: str, problems: list[str]) -> str:
    """``text`` with ``problems`` above it as comments (any from before replaced)."""
    head = [
        f"{PROBLEM_MARK}Not saved. Fix what is said below and save again; quit without saving "
        "to give up.",
        *(f"{PROBLEM_MARK}  {problem}" for problem in problems),
    ]
    return "\n".join(head) + "\n" + without_problems(text)


def edit_until_saved(
    text: str, save: Callable[[str], _T], edit: Callable[[str], str | None]
) -> _T | None:
    """Open ``text`` in the editor until ``save`` accepts what the student saved.

    Args:
        text: what the editor opens with.
        save: checks and writes the saved text (without recall's problem lines); raises
            :class:`DeckFileError` for a text to fix, whose problems head the text reopened.
        edit: runs the editor on a text; returns what was saved, or None if it failed.

    Returns:
        What ``save`` returned, or None when the student left at once: the editor failed, or
        they quit without changing the text, or emptied it.

    Raises:
        DeckFileError: the student gave up after an error (quit without changing the text the
            problems were shown in, or emptied it): the last problems, nothing saved.
    """
    shown = text
    problems: DeckFileError | None = None
    while True:
        saved = edit(shown)
        if saved is None or saved == shown or not without_problems(saved).strip():
            if problems is not None:
                raise DeckFileError(
                    problems.path, [f"not saved: {problem}" for problem in problems.problems]
                )
            return None
        try:
            return save(without_problems(saved))
        except DeckFileError as exc:
            problems = exc
            shown = with_problems(saved, exc.problems)
