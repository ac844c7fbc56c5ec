"""Key sources: the terminal in raw mode, or a pipe, with interrupts read as keys.

Holds :class:`TerminalKeys` (single keypresses in one cbreak session, with a short wait for the
rest of an escape sequence and a ``"resize"`` pseudo-key on SIGWINCH) and :class:`StreamKeys`
(keys from a pipe: ``printf ' 3 3 q' | recall review``). Both turn bytes into key names with
:class:`~recall1924.ui.keys.KeyDecoder`; this module is the part that touches the terminal.
"""

from __future__ import annotations

import os
import select
import signal
import sys
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, TextIO

from recall1924.errors import TerminalError
from recall1924.ui.keys import KeyDecoder

__all__ = ["StreamKeys", "TerminalKeys"]


class _Keys:
    """A key source that, while in use (``with``), turns an interrupt into Ctrl-C.

    A SIGINT that arrives while a card is drawn or an answer saved is noted and read as Ctrl-C
    next, instead of raising KeyboardInterrupt wherever the program happened to be; one that
    arrives while waiting for a key ends the wait.
    """

    _interrupted = False
    _reading = False
    _previous: Any = None

    def __init__(self) -> None:
        self._decoder = KeyDecoder()
        self._queue: deque[str] = deque()

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
        """The next key's name."""
        if self._interrupted:
            return "ctrl+c"
        self._reading = True
        try:
            while not self._queue:
                self._fill()
            return self._queue.popleft()
        except KeyboardInterrupt:
            return "ctrl+c"
        finally:
            self._reading = False

    def _fill(self) -> None:
        """Add at least one key to the queue."""
        raise NotImplementedError


class TerminalKeys(_Keys):
    """Single keypresses from the terminal, without waiting for Enter.

    For the whole session the terminal is in cbreak mode without echo or signals: every key,
    Ctrl-C included, reaches recall in the order typed, and keys typed while a card is being
    drawn wait their turn instead of being discarded (as a mode switch per key would do).
    Bracketed paste is switched on, so pasted text arrives marked, as one key (a
    :class:`~recall1924.ui.keys.Paste`).
    A change of terminal size is read as the key ``"resize"``.
    """

    def __init__(self, fd: int | None = None) -> None:
        super().__init__()
        self._fd = sys.stdin.fileno() if fd is None else fd
        self._resized = False
        self._wake_read = self._wake_write = -1
        self._previous_winch: Any = None
        self._saved: list[Any] = []

    def __enter__(self) -> TerminalKeys:
        try:
            import termios
        except ImportError:  # pragma: no cover - Windows
            raise TerminalError("recall review needs a POSIX terminal (Linux or macOS)") from None
        self._saved = termios.tcgetattr(self._fd)
        self._cbreak()
        # The SIGWINCH handler wakes a waiting select through this pipe (a handler that only
        # set a flag would not end the wait: Python retries select after a signal).
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        self._previous_winch = signal.signal(signal.SIGWINCH, self._on_resize)
        self._bracketed_paste(on=True)
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        import termios

        super().__exit__(*exc)
        self._bracketed_paste(on=False)
        signal.signal(signal.SIGWINCH, self._previous_winch)
        os.close(self._wake_read)
        os.close(self._wake_write)
        termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)

    def _cbreak(self) -> None:
        import termios

        mode = termios.tcgetattr(self._fd)
        mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG)
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        termios.tcsetattr(self._fd, termios.TCSANOW, mode)

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Hand the terminal, as it was before the session, to another program (the student's
        editor) for the ``with`` block; keys are read as before after it.

        A Ctrl-C meanwhile is the other program's: it reaches it (signal handlers are not
        inherited) and is not read as a key here afterwards.
        """
        import termios

        self._bracketed_paste(on=False)
        termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        previous = signal.signal(signal.SIGINT, lambda _signum, _frame: None)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
            self._cbreak()
            self._bracketed_paste(on=True)
            self._decoder = KeyDecoder()  # nothing half-read from before is the next key

    @staticmethod
    def _bracketed_paste(*, on: bool) -> None:
        if sys.stdout.isatty():
            sys.stdout.write("\x1b[?2004h" if on else "\x1b[?2004l")
            sys.stdout.flush()

    def _on_resize(self, _signum: int, _frame: object) -> None:
        self._resized = True
        try:
            os.write(self._wake_write, b"r")
        except BlockingIOError:  # the pipe is full of wake-ups already
            pass

    def _fill(self) -> None:
        if not self._resized:
            ready, _, _ = select.select([self._fd, self._wake_read], [], [], self._decoder.wait())
            if self._wake_read in ready:
                os.read(self._wake_read, 512)
            if self._fd in ready:
                data = os.read(self._fd, 4096)
                self._queue.extend(self._decoder.feed(data) if data else self._end())
            elif not ready:  # the rest of a sequence never came
                self._queue.extend(self._decoder.flush())
        if self._resized and not self._queue:
            self._resized = False
            self._queue.append("resize")

    def _end(self) -> list[str]:
        return [*self._decoder.flush(), "eof"]


class StreamKeys(_Keys):
    """Keys from a non-interactive stream (a pipe); newlines are skipped, so ``echo`` works,
    unless ``keep_enter`` (typed answers, where a newline submits the answer).

    Bytes are decoded as at a terminal, but with no waiting: a pipe has no timing, so ESC
    followed by a character is Alt with that character.
    """

    def __init__(
        self, stream: BinaryIO | TextIO | None = None, *, keep_enter: bool = False
    ) -> None:
        super().__init__()
        self.stream: BinaryIO | TextIO = stream or getattr(sys.stdin, "buffer", None) or sys.stdin
        self._skipped = "" if keep_enter else "enter"

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Let another program run (the student's editor): a pipe has no mode to hand back."""
        yield

    def _fill(self) -> None:
        chunk = self.stream.read(1)
        if not chunk:
            self._queue.extend([*self._decoder.flush(), "eof"])
            return
        data = chunk.encode("utf-8", "surrogateescape") if isinstance(chunk, str) else chunk
        self._queue.extend(key for key in self._decoder.feed(data) if key != self._skipped)
