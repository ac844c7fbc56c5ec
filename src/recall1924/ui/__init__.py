"""Everything that talks to the terminal. The only package that imports rich.

Holds :func:`make_console`; the review screen lives in :mod:`recall1924.ui.review`, tables and
reports in :mod:`recall1924.ui.reports` and :mod:`recall1924.ui.stats`, and the escaping of
deck text in :mod:`recall1924.ui.text`.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console

# What recall's own glyphs become on an output that cannot encode them (an ASCII-only locale,
# PYTHONIOENCODING=ascii), one character for one so that columns stay aligned. Rich already
# draws tables with ASCII boxes there; anything else that cannot be encoded (deck text)
# becomes '?'.
_ASCII = str.maketrans(
    {
        "█": "#",
        "▇": "#",
        "▆": "#",
        "▅": "=",
        "▄": "=",
        "▃": "-",
        "▂": "_",
        "▁": "_",
        "░": ".",
        "━": "=",
        "╺": "=",
        "─": "-",
        "·": "-",
        "–": "-",
        "—": "-",
        "…": ".",
        "✓": "v",
        "✗": "x",
        "↑": "^",
        "↓": "v",
        "→": ">",
        "›": ">",
        "≥": ">",
        "≤": "<",
        "×": "x",
    }
)


class _PlainText:
    """A text stream that turns what its encoding cannot hold into ASCII stand-ins, instead
    of raising UnicodeEncodeError halfway through a table."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.encoding = stream.encoding or "ascii"

    def write(self, text: str) -> int:
        plain = text.translate(_ASCII).encode(self.encoding, "replace").decode(self.encoding)
        return self._stream.write(plain)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()


def _can_encode_unicode(stream: TextIO) -> bool:
    try:
        "█░─…·".encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def make_console(*, stderr: bool = False) -> Console:
    """A console that honours NO_COLOR, COLUMNS and whether output is a terminal, and prints
    plain ASCII where the output cannot encode Unicode."""
    stream = sys.stderr if stderr else sys.stdout
    if _can_encode_unicode(stream):
        return Console(stderr=stderr, highlight=False)
    return Console(file=_PlainText(stream), highlight=False)  # type: ignore[arg-type]
