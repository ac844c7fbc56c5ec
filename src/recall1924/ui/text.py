"""Deck text made safe to print: never markup, never a terminal control sequence.

Text from decks is data. It is wrapped in :class:`rich.text.Text` (which Rich never parses for
markup) after every control character except newline and tab is replaced by a visible escape
such as ``\\x1b``, so a card shows exactly what its file holds and cannot move the cursor,
change colours or retitle the terminal.

JSON output goes through :func:`visible_json`, which writes such characters, and every other
invisible format character, as JSON's own ``\\uXXXX`` escapes: the JSON reads back the same.

Also holds the two line-layout helpers the review screen's parts share: :func:`one_line` (a
line that never wraps) and :func:`pack` (items on as few lines as fit, none broken); and
:func:`fit_widths`, which shares a table's width among the columns that may be cut, for the
listings of cards and of decks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.text import Text

# C0 and C1 controls (but newline and tab); the bidirectional overrides and isolates that can
# make text display in an order other than the one it is stored in; and the zero-width
# characters and line and paragraph separators, which take no cell (or break a line) where
# Rich counts one and so pull a panel's right border out of line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2028-\u202e\u2066-\u2069\ufeff]")


# What JSON output escapes beyond the C0 controls json.dumps already does: DEL and the C1
# controls (U+009B is an 8-bit CSI, an escape sequence's start on some terminals), every format
# character (Unicode's Cf: the bidirectional marks, overrides and isolates, zero-width
# characters, the soft hyphen, the tag characters), the line and paragraph separators, and lone
# surrogates. Wider than _CONTROL: in JSON the escape is lossless and no reader sees it, while on
# the review screen a soft hyphen shown as \u00ad would clutter ordinary text. Written out,
# not read from unicodedata at import (a tenth of a second); a test checks it against
# unicodedata. Variation selectors (not format characters) stay: they pick an emoji's look.
_JSON_UNSAFE = re.compile(
    r"[\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    r"\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    r"\U000e0001\U000e0020-\U000e007f]"
)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:
        # JSON's \u takes four hex digits: a character beyond them is a UTF-16 surrogate pair.
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def visible_json(text: str) -> str:
    """JSON text safe to write to a terminal, and still the same JSON.

    Every control, bidirectional or other invisible format character in ``text`` (the output
    of ``json.dumps(..., ensure_ascii=False)``) becomes a ``\\uXXXX`` escape, which ``json.loads``
    reads back as the same character; ordinary text (é, Кремль, 中文) stays readable. Such a
    character can only be inside a JSON string (JSON's own syntax is ASCII), so escaping it
    there keeps the document valid.
    """
    return _JSON_UNSAFE.sub(_json_escape, text)


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


def one_line(text: Text) -> Text:
    """``text`` set to stay on one line, cut with an ellipsis where it does not fit."""
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def pack(items: list[tuple[str, Text]], width: int) -> list[Text]:
    """Items on as few lines as fit in ``width``, each item whole; each item comes with the
    separator that goes before it when it follows another on the same line."""
    lines: list[Text] = []
    for separator, item in items:
        if lines and lines[-1].cell_len + len(separator) + item.cell_len <= width:
            lines[-1].append(separator)
            lines[-1].append_text(item)
        else:
            lines.append(item.copy())
    return [one_line(line) for line in lines]


def fit_widths(
    natural: Sequence[int], weights: Sequence[int], floors: Sequence[int], available: int
) -> list[int]:
    """Share ``available`` cells among columns wanting ``natural`` widths.

    Each column gets what it wants when all fit. Otherwise each first gets its floor (or its
    natural width, if less), then the rest is shared in proportion to ``weights``, and what a
    column needs less than its share of goes to the others.
    """
    if sum(natural) <= available:
        return list(natural)
    base = [min(want, floor) for want, floor in zip(natural, floors, strict=True)]
    wants = [want - given for want, given in zip(natural, base, strict=True)]
    extra = [0] * len(natural)
    waiting = [index for index, want in enumerate(wants) if want > 0]
    left = max(0, available - sum(base))
    while waiting:
        total = sum(weights[index] for index in waiting)
        content = [index for index in waiting if wants[index] * total <= left * weights[index]]
        if not content:
            for index in waiting:
                extra[index] = left * weights[index] // total
            # the cells rounding left over, to the heaviest columns
            spare = left - sum(extra[index] for index in waiting)
            for index in sorted(waiting, key=lambda index: -weights[index])[:spare]:
                extra[index] += 1
            break
        for index in content:
            extra[index] = wants[index]
            left -= wants[index]
            waiting.remove(index)
    return [max(1, given + more) for given, more in zip(base, extra, strict=True)]
