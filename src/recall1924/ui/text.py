"""Deck text made safe to print: never markup, never a terminal control sequence.

Text from decks is data. It is wrapped in :class:`rich.text.Text` (which Rich never parses for
markup) after every control character except newline and tab is replaced by a visible escape
such as ``\\x1b``, so a card shows exactly what its file holds and cannot move the cursor,
change colours or retitle the terminal.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 and C1 controls (but newline and tab); the bidirectional overrides and isolates that can
# make text display in an order other than the one it is stored in; and the zero-width
# characters and line and paragraph separators, which take no cell (or break a line) where
# Rich counts one and so pull a panel's right border out of line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``, ``\\u202e``) instead of
    acting."""
    return _CONTROL.sub(lambda match: _escape(match.group()), text)


def safe(text: str, style: str = "", *, limit: int | None = None) -> Text:
    """Deck text as a Rich ``Text`` that prints literally.

    Args:
        text: the text from a deck.
        style: a Rich style for all of it.
        limit: keep only this many characters of ``text`` (before escaping), so that a huge
            text costs no more than the part of it that can be shown.
    """
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return Text(visible(text), style=style)
