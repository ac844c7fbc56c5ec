"""Decks as recall's own TOML deck format (``docs/deck-format.md``). Pure.

Holds :func:`write_toml`. The output uses the documented layout (``[deck]``, ``[[sections]]``,
``[[sections.cards]]``), so a person can edit it and import it again, and
``parse_deck(write_toml(deck)) == deck`` for every valid deck. A cloze's cards are one table,
``cloze =`` written once (see :mod:`recall1924.exporters.clozes`); a cloze card that came from
an Anki note, which has no id of its own to write, is written as a card with its text. Text is
written in the most readable string form that keeps it exact: a literal string where it has
backslashes (LaTeX, Windows paths), a multi-line string where it has line breaks, and escapes
only for characters that TOML or a reader's editor cannot take as they are.
"""

from __future__ import annotations

import re

from recall1924.deck import CardSpec, DeckSpec
from recall1924.exporters.clozes import ClozeNote, cloze_notes, section_items

# TOML forbids C0 controls (except tab, and newline in multi-line strings) and DEL raw in any
# string. C1 controls and the Unicode line/paragraph separators are legal but invisible or
# line-breaking in editors, so they are escaped too, and rule out literal strings.
_ESCAPED = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPED_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _escape_char(char: str) -> str:
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _basic(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _ESCAPED.sub(lambda match: _escape_char(match.group()), body) + '"'


def _multiline_basic(text: str) -> str:
    body = text.replace("\\", "\\\\")
    # A quote is escaped when another quote follows it or it ends the text, so no run of three
    # quotes, and no quote touching the closing delimiter, is left bare.
    body = re.sub(r'"(?=")|"\Z', '\\\\"', body)
    body = _ESCAPED_MULTILINE.sub(lambda match: _escape_char(match.group()), body)
    # TOML drops a line break straight after the opening quotes: start the text on its own line.
    return '"""\n' + body + '"""'


def toml_string(text: str) -> str:
    """``text`` as a TOML string value that reads back exactly."""
    multiline = "\n" in text
    literal_ok = (
        "\\" in text
        and not _ESCAPED_MULTILINE.search(text)
        and (not multiline or ("'''" not in text and not text.endswith("'")))
        and (multiline or "'" not in text)
    )
    if multiline:
        return "'''\n" + text + "'''" if literal_ok else _multiline_basic(text)
    return "'" + text + "'" if literal_ok else _basic(text)


def write_toml(deck: DeckSpec) -> str:
    """The deck as a TOML deck file.

    Args:
        deck: the deck; empty notes, descriptions and versions (None) and empty tag lists are left
            out.

    Returns:
        The file's text (ends with a newline). The same deck always gives the same text.
    """
    out = ["[deck]", f"id = {toml_string(deck.key)}", f"title = {toml_string(deck.title)}"]
    if deck.version is not None:
        out.append(f"version = {deck.version}")
    if deck.description is not None:
        out.append(f"description = {toml_string(deck.description)}")
    notes = cloze_notes(deck, package=False, from_anki=False)
    for section in deck.sections:
        out += ["", "[[sections]]", f"id = {toml_string(section.key)}"]
        out.append(f"title = {toml_string(section.title)}")
        for item in section_items(section, notes):
            out += ["", "[[sections.cards]]"]
            if isinstance(item, ClozeNote):
                assert item.key is not None  # from_anki=False: every cloze has an id
                out.append(f"id = {toml_string(item.key)}")
                out.append(f"cloze = {toml_string(item.text)}")
                card: CardSpec = item.first
            else:
                card = item
                out.append(f"id = {toml_string(card.key)}")
                out.append(f"question = {toml_string(card.question)}")
                out.append(f"answer = {toml_string(card.answer)}")
            if card.note is not None:
                out.append(f"note = {toml_string(card.note)}")
            if card.tags:
                out.append(f"tags = [{', '.join(toml_string(tag) for tag in card.tags)}]")
    return "\n".join(out) + "\n"
