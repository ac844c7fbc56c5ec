"""Deck text made safe to print: never markup, never a terminal control sequence.

Text from decks is data. It is wrapped in :class:`rich.text.Text` (which Rich never parses for
markup) after every control character except newline and tab is replaced by a visible escape
such as ``\\x1b``, so a card shows exactly what its file holds and cannot move the cursor,
change colours or retitle the terminal.
"""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` escapes instead of acting."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def safe(text: str, style: str = "") -> Text:
    """Deck text as a Rich ``Text`` that prints literally."""
    return Text(visible(text), style=style)
