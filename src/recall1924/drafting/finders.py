"""The card finders: one small pure function per notation students write in their notes.

Each takes one :class:`~recall1924.drafting.notes.Item` and returns the cards it finds there
(:class:`Found`), or None when the item is not written in its notation, so that
:func:`find_cards` can try the next one. In the order they are tried (``docs/draft.md`` has an
example of each):

- :func:`find_cloze`: Anki's clozes ``{{c1::text}}`` and ``{{c1::text::hint}}``, and
  ``==highlight==``, which becomes ``{{c1::highlight}}``;
- :func:`find_pair`: ``question :: answer``, and ``question ::: answer`` for both directions;
- :func:`find_outline`: a bullet with sub-bullets, the parent asking and the children answering;
- :func:`find_question`: a line ending in ``?`` with an indented or fenced answer under it;
- :func:`recall1924.drafting.candidates.find_candidates`, last, for a plain bullet of facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from recall1924.drafting.notes import Item

__all__ = [
    "CLOZE",
    "Found",
    "Kind",
    "card_text",
    "find_cloze",
    "find_outline",
    "find_pair",
    "find_question",
]


class Kind(Enum):
    """Which notation a card was found in: the columns of the preview."""

    PAIR = "q :: a"
    BOTH = "q ::: a"
    QUESTION = "q?"
    OUTLINE = "outline"
    CLOZE = "cloze"
    CANDIDATE = "draft"


@dataclass(frozen=True)
class Found:
    """A card found in the notes, before it has an id.

    Attributes:
        kind: the notation it was written in.
        line: the notes' line it comes from.
        front: the question, or for a cloze card the whole cloze text.
        back: the answer; None for a cloze card.
        basis: the notes' own text it was drafted from, which its id is made from, so that the
            same line drafts the same card on every run.
        words: the text its id's words are taken from.
    """

    kind: Kind
    line: int
    front: str
    back: str | None
    basis: str
    words: str

    @property
    def is_cloze(self) -> bool:
        return self.back is None


CLOZE = re.compile(r"\{\{c(\d+)::(.+?)(?:::(.*?))?\}\}", re.DOTALL)
_HIGHLIGHT = re.compile(r"==(?=\S)(.+?)(?<=\S)==")
_PAIR = re.compile(r"(?<!:):{2,3}(?!:)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def card_text(text: str) -> str:
    """Text from the notes as a card shows it: Markdown's bold marks taken off (a card's text
    is plain, and ``**Lenin**`` would show its asterisks)."""
    return _BOLD.sub(r"\2", text).strip()


def _plain(text: str) -> str:
    """Cloze text with its marks taken off, for the id's words."""
    return CLOZE.sub(lambda match: match[2], _HIGHLIGHT.sub(r"\1", text))


def _pair_at(text: str) -> re.Match[str] | None:
    """Where ``::`` or ``:::`` splits a question from its answer, if it does.

    The separator needs a space on at least one side: ``std::vector`` and ``Foo::bar()`` in
    notes on programming are not cards.
    """
    for found in _PAIR.finditer(text):
        spaced = text[found.start() - 1 : found.start()].isspace() or (
            text[found.end() : found.end() + 1].isspace()
        )
        before, after = text[: found.start()].strip(), text[found.end() :].strip()
        if spaced and before and after:
            return found
    return None


def find_cloze(item: Item) -> list[Found] | None:
    """A cloze card from ``{{c1::…}}`` deletions or ``==highlights==`` in the item's text.

    Highlights are numbered after the deletions already there, in order. A line with only
    highlights that is also a ``question :: answer`` is left to :func:`find_pair`.
    """
    text = card_text(item.text)
    numbers = [int(match[1]) for match in CLOZE.finditer(text)]
    if not numbers and (not _HIGHLIGHT.search(text) or _pair_at(text) is not None):
        return None
    following = iter(range(max(numbers, default=0) + 1, 10_000))
    cloze = _HIGHLIGHT.sub(lambda match: f"{{{{c{next(following)}::{match[1]}}}}}", text)
    return [Found(Kind.CLOZE, item.line, cloze, None, item.text, _plain(text))]


def find_pair(item: Item) -> list[Found] | None:
    """``question :: answer`` (one card), or ``question ::: answer`` (a card each way)."""
    text = card_text(item.text)
    found = _pair_at(text)
    if found is None:
        return None
    question, answer = text[: found.start()].strip(), text[found.end() :].strip()
    if len(found[0]) == 2:
        return [Found(Kind.PAIR, item.line, question, answer, item.text, question)]
    return [
        Found(Kind.BOTH, item.line, question, answer, item.text, question),
        Found(Kind.BOTH, item.line, answer, question, item.text + "\n(reversed)", answer),
    ]


def _answer(children: tuple[Item, ...], depth: int = 0) -> list[str]:
    lines = []
    for child in children:
        mark = "- " if child.bullet else ""
        lines.append("  " * depth + mark + card_text(child.text))
        if child.fence is not None:
            lines += ["  " * (depth + 1) + line for line in child.fence.splitlines()]
        lines += _answer(child.children, depth + 1)
    return lines


def _answer_text(item: Item) -> str:
    if item.fence is not None:
        return item.fence
    return "\n".join(_answer(item.children))


def find_question(item: Item) -> list[Found] | None:
    """A line ending in ``?`` with its answer under it: indented lines, or a fenced block."""
    text = card_text(item.text)
    answer = _answer_text(item).strip()
    if not text.endswith("?") or not answer:
        return None
    return [Found(Kind.QUESTION, item.line, text, answer, f"{item.text}\n{answer}", text)]


def find_outline(item: Item) -> list[Found] | None:
    """A bullet with sub-bullets: the bullet asks, its sub-bullets answer. A paragraph with
    indented bullets under it is one too ("Organelles of a plant cell:"), unless it ends in
    ``?``, which makes it a question for :func:`find_question`."""
    if not any(child.bullet for child in item.children):
        return None
    text = card_text(item.text)
    if not item.bullet and text.endswith("?"):
        return None
    answer = _answer_text(item).strip()
    if not text or not answer:
        return None
    return [Found(Kind.OUTLINE, item.line, text, answer, f"{item.text}\n{answer}", text)]
