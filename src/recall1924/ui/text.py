"""Deck text made safe to print: never markup, never a terminal control sequence.

Text from decks is data. It is wrapped in :class:`rich.text.Text` (which Rich never parses for
markup) after every control character except newline and tab is replaced by a visible escape
such as ``\\x1b``, so a card shows exactly what its file holds and cannot move the cursor,
change colours or retitle the terminal.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 and C1 controls (but newline and tab), and the bidirectional overrides and isolates that
# can make text display in an order other than the one it is stored in.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``, ``\\u202e``) instead of
    acting."""
    return _CONTROL.sub(lambda match: _escape(match.group()), text)


def safe(text: str, style: str = "") -> Text:
    """Deck text as a Rich ``Text`` that prints literally."""
    return Text(visible(text), style=style)
