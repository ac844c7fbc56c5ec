"""Cloze deletions: ``{{c1::text}}`` and ``{{c2::text::hint}}`` in a card's text. Pure.

One parser for every reader: the Anki templates' ``{{cloze:Field}}`` filter, recall's own deck
files (``cloze = "…"``), CSV's ``cloze`` column and the Anki package reader. It follows Anki's
rules (rslib ``cloze.rs``): deletions nest (at most ten deep), one may ask several numbers
(``{{c1,2::…}}``), and the text after a deletion's first ``::`` is its hint. Parsing is lenient
as Anki's is (an unclosed deletion is kept as its text, a stray ``}}`` is text); a deck file is
held to :func:`problems` first, which refuses what Anki would silently drop.

Holds :func:`parse`, :func:`numbers`, :func:`question` and :func:`answer` (a card's two sides:
the asked deletion as ``[...]`` or ``[hint]``, then revealed as ``[text]``; the other deletions
are plain text), :func:`pieces` (the same, marking the asked part, for a screen that styles it),
:func:`deletions` (the asked text alone, what a typed answer is checked against) and the card
ids a cloze gives (:func:`card_key`, :func:`note_key`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "Deletion",
    "answer",
    "answer_extra",
    "card_key",
    "deletions",
    "note_key",
    "numbers",
    "parse",
    "pieces",
    "problems",
    "question",
    "shows",
]

_MARK = re.compile(r"\{\{c([\d,]+)::|\}\}")
MAX_DEPTH = 10
"""How deep deletions nest before a deeper one is read as text, as in Anki."""


@dataclass
class Deletion:
    """One ``{{cN::…}}``: the numbers it asks, what it holds (text and nested deletions) and
    its hint."""

    numbers: frozenset[int]
    nodes: list[str | Deletion] = field(default_factory=list)
    hint: str | None = None

    def text(self) -> str:
        """What the deletion hides, nested deletions shown as plain text."""
        return "".join(node if isinstance(node, str) else node.text() for node in self.nodes)


def parse(text: str) -> list[str | Deletion]:
    """``text`` as plain pieces and deletions, leniently, as Anki reads it."""
    output: list[str | Deletion] = []
    open_clozes: list[Deletion] = []

    def add_text(piece: str) -> None:
        if not piece:
            return
        if open_clozes:
            cloze = open_clozes[-1]
            if "::" in piece and not piece.startswith("image-occlusion:"):
                piece, cloze.hint = piece.split("::", 1)
            cloze.nodes.append(piece)
        else:
            output.append(piece)

    pos = 0
    for match in _MARK.finditer(text):
        add_text(text[pos : match.start()])
        pos = match.end()
        if match.group(1) is not None:
            ordinals = frozenset(int(n) for n in match.group(1).split(",") if n)
            if not ordinals:
                add_text(match.group(0))
            elif len(open_clozes) < MAX_DEPTH:
                open_clozes.append(Deletion(ordinals))
        elif open_clozes:
            cloze = open_clozes.pop()
            (open_clozes[-1].nodes if open_clozes else output).append(cloze)
        else:
            add_text("}}")
    add_text(text[pos:])
    while open_clozes:  # unclosed: Anki drops them; keep their text rather than lose it
        cloze = open_clozes.pop()
        (open_clozes[-1].nodes if open_clozes else output).append(cloze.text())
    return output


def numbers(text: str) -> set[int]:
    """The cloze numbers ``text`` asks (one card each); 0 is not one, as in Anki."""
    found: set[int] = set()

    def walk(nodes: Sequence[str | Deletion]) -> None:
        for node in nodes:
            if isinstance(node, Deletion):
                found.update(n for n in node.numbers if n)
                walk(node.nodes)

    if "{{c" in text:
        walk(parse(text))
    return found


def pieces(text: str, number: int, *, asking: bool) -> list[tuple[str, bool]]:
    """The side of cloze card ``number`` as ``(text, is the asked deletion)`` pieces: asking,
    the deletion is ``[...]`` (or ``[hint]``); else it is revealed, ``[text]``. The other
    deletions are plain text. Empty if ``text`` has no deletion ``number``."""
    out: list[tuple[str, bool]] = []
    found = False

    def walk(nodes: Sequence[str | Deletion]) -> None:
        nonlocal found
        for node in nodes:
            if isinstance(node, str):
                out.append((node, False))
            elif number in node.numbers:
                found = True
                shown = (node.hint or "...") if asking else node.text()
                out.append((f"[{shown}]", True))
            else:
                walk(node.nodes)

    walk(parse(text))
    return out if found else []


def question(text: str, number: int) -> str:
    """The question of cloze card ``number``: its deletion hidden as ``[...]`` or ``[hint]``."""
    return "".join(piece for piece, _ in pieces(text, number, asking=True))


def answer(text: str, number: int) -> str:
    """The answer of cloze card ``number``: the whole text, its deletion revealed as
    ``[text]`` (as the Anki package reader shows an Anki cloze's)."""
    return "".join(piece for piece, _ in pieces(text, number, asking=False))


def deletions(text: str, number: int) -> str:
    """What cloze card ``number`` asks to recall: its deletions' text, joined by ``, `` (as
    Anki's ``cloze-only`` filter joins them)."""
    texts: list[str] = []

    def walk(nodes: Sequence[str | Deletion]) -> None:
        for node in nodes:
            if isinstance(node, Deletion):
                if number in node.numbers:
                    texts.append(node.text())
                walk(node.nodes)

    walk(parse(text))
    return ", ".join(texts)


def answer_extra(text: str, number: int, card_answer: str) -> str | None:
    """What a cloze card's answer holds beyond :func:`answer` (an Anki cloze's Back Extra,
    after a line break): ``""`` when it is that answer exactly, None when it is not that
    answer at all (reworded, or rendered by a template of another shape)."""
    revealed = answer(text, number)
    if card_answer == revealed:
        return ""
    if card_answer.startswith(revealed + "\n"):
        return card_answer[len(revealed) + 1 :]
    return None


def shows(text: str, number: int, card_question: str, card_answer: str) -> bool:
    """Whether a card's question and answer are the ones cloze ``text`` makes for ``number``
    (the answer perhaps with more below it: see :func:`answer_extra`), so that the card can
    be written as its cloze and read back the same."""
    return card_question == question(text, number) and (
        answer_extra(text, number, card_answer) is not None
    )


def problems(text: str) -> list[str]:
    """What keeps ``text`` from being a cloze a deck file may hold: a deletion never closed
    (Anki would drop it), a number 0, an empty deletion, or no deletion at all."""
    found: list[str] = []
    opened: list[str] = []
    for match in _MARK.finditer(text):
        if match.group(1) is not None:
            marks = [n for n in match.group(1).split(",") if n]
            if not marks or any(int(n) == 0 for n in marks):
                found.append(f"{match.group(0)!r}: cloze numbers start at 1 ({{{{c1::…}}}})")
            opened.append(match.group(0))
            if len(opened) > MAX_DEPTH:
                found.append(f"deletions nest more than {MAX_DEPTH} deep")
                break
        elif opened:
            opened.pop()
    if opened:
        found.append(f"{opened[-1]!r} is never closed with '}}}}'")
    if not found:
        asked = numbers(text)
        if not asked:
            found.append("no deletion: mark what to ask as {{c1::…}}")
        for number in sorted(asked):
            if not deletions(text, number).strip():
                found.append(f"deletion c{number} is empty")
    return found


def card_key(note: str, number: int) -> str:
    """The id of the card that deletion ``number`` of the cloze ``note`` gives: ``note-c1``."""
    return f"{note}-c{number}"


def note_key(key: str, number: int) -> str | None:
    """The cloze's id that card ``key`` (asking ``number``) was given from, if its id is one
    :func:`card_key` makes; else None."""
    suffix = f"-c{number}"
    if key.endswith(suffix) and len(key) > len(suffix):
        return key[: -len(suffix)]
    return None
