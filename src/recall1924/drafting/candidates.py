"""Cloze candidates for a plain bullet of facts: its dates, numbers and names deleted. Pure.

Holds :func:`find_candidates`, the last of the card finders (see
:mod:`recall1924.drafting.finders`), and :class:`Lexicon`, what it needs to know of the whole
notes: which capitalised words are names, and how widely each name is spread.

A bullet such as "Lenin Enrolment: 1923-25 - membership increased 340,000 to 600,000" becomes
one cloze card, ``{{c1::Lenin Enrolment}}: {{c2::1923-25}} - membership increased
{{c3::340,000}} to {{c4::600,000}}``, which recall reviews as one card per deletion, tagged
``draft`` for the student to keep or delete. What is deleted, in this order of preference:

1. the term a bullet defines ("Collectivisation: forcing peasants to…");
2. dates: years, ranges (1923-25), decades (1920s), with a day and month if given;
3. numbers: 340,000, 80%, 13th;
4. names: capitalised words and runs of them ("Socialism in One Country", "Bukharin, Tomsky,
   Rykov"), rarest first. A word capitalised only at the start of a sentence is a name only if
   the notes write it capitalised somewhere else too ("Stalin" is, "Created" is not).

The topic is never deleted: a name that is all words of the notes' title, the section's title
or the sub-heading above the bullet (deleting "Trotsky" under "Leon Trotsky" asks nothing), nor a
term that is the whole title or sub-heading ("Trotsky: …" under "TROTSKY"). A
name found in more than a quarter of the bullets is only deleted when the bullet has nothing
else. At most four deletions a bullet. A bullet with none of these gets its rarest long word
deleted (7 letters or more, found in no other bullet); one with not even that gets no card.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from recall1924.drafting.finders import Found, Kind, card_text
from recall1924.drafting.notes import Item, Notes

__all__ = ["MAX_DELETIONS", "Lexicon", "find_candidates", "readable_heading"]

MAX_DELETIONS = 4
_COMMON_SHARE = 0.25
_COMMON_LEAST = 2
_RARE_WORD = 7

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_YEAR = r"(?:1\d{3}|20\d{2})"
_DATE = re.compile(
    rf"(?<![\w.,])(?:(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}\s+)?{_YEAR}"
    rf"(?:s|\s*[-–]\s*(?:{_YEAR}|\d{{2}})(?!\d))?(?!\w)"
)
_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:%|st|nd|rd|th)?(?!\w)")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_LABEL = re.compile(r"^([^\W\d_][\w'’]*(?:[ -][\w'’]+){0,3})\s*:\s+\S")
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
# What may join two names into one deletion: "Stalin, Kamenev, and Zinoviev", "Commissar for
# War", "Socialism in One Country".
_JOIN = re.compile(
    r"(?:\s+|,\s+|,?\s+and\s+|\s+&\s+|\s+(?:of|of the|in|for|for the|de|von|van)\s+)"
)
_NAME_NUMBER = re.compile(rf" (?!{_YEAR}\b)\d{{1,3}}\b(?![.,]\d)")
_OF = re.compile(r"\s+(?:of|of the|in|for|for the|de|von|van)\s+")
_LIST = re.compile(r"(?:,\s+|,?\s+and\s+|\s+&\s+)")
_CONNECTORS = frozenset({"and", "of", "the", "in", "for", "de", "von", "van"})
_OPENING_QUOTES = "\"'“‘"
_STARTS_SENTENCE = ".!?:;=-–—"
_NOT_NAMES = frozenset({"I"})


@dataclass(frozen=True)
class _Word:
    start: int
    end: int  # the end of the word without a possessive 's
    text: str  # the word without it
    possessive: bool
    at_start: bool  # it begins a sentence, where any word is capitalised
    quoted: bool = False  # it begins a quotation


def _words(text: str) -> Iterator[_Word]:
    for match in _WORD.finditer(text):
        raw = match[0].rstrip("-")
        bare = _POSSESSIVE.sub("", raw)
        before = text[: match.start()].rstrip()
        # A quotation starts a sentence of its own: "Why did Stalin gain power?"
        quoted = (
            bool(before)
            and before[-1] in _OPENING_QUOTES
            and (len(before) == 1 or before[-2].isspace())
        )
        before = before.rstrip(_OPENING_QUOTES)
        yield _Word(
            match.start(),
            match.start() + len(bare),
            bare,
            bare != raw,
            quoted or not before or before[-1] in _STARTS_SENTENCE,
            quoted,
        )


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and word not in _NOT_NAMES


def _acronym(word: str) -> bool:
    letters = [char for char in word if char.isalpha()]
    return len(letters) >= 2 and all(char.isupper() for char in letters)


def _texts(items: Iterable[Item]) -> Iterator[str]:
    for item in items:
        yield card_text(item.text)
        yield from _texts(item.children)


@dataclass(frozen=True)
class Lexicon:
    """What the candidates need to know of the whole notes.

    Attributes:
        cased: each word the notes write capitalised in mid-sentence (so a name), by its
            lower-case form, as they most often write it.
        spread: in how many bullets each word occurs (lower case).
        bullets: how many bullets and paragraphs there are.
        title: the notes' title, whose names are the topic of every bullet.
    """

    cased: dict[str, str]
    spread: Counter[str]
    bullets: int
    title: str

    @classmethod
    def of(cls, notes: Notes) -> Lexicon:
        """The lexicon of these notes: their bullets' text, not their headings (which are
        written in title case or capitals)."""
        forms: Counter[str] = Counter()
        spread: Counter[str] = Counter()
        texts = [text for section in notes.sections for text in _texts(section.items)]
        for text in texts:
            words = list(_words(text))
            forms.update(
                word.text for word in words if _capitalised(word.text) and not word.at_start
            )
            spread.update({word.text.lower() for word in words})
        cased: dict[str, str] = {}
        for form, _count in forms.most_common():
            cased.setdefault(form.lower(), form)
        lexicon = cls(cased, spread, len(texts), notes.title or "")
        # The first word of a name that starts a sentence or a quotation is one too, found
        # as part of the name: "Socialism" in "Socialism in One Country".
        for text in texts:
            for start, end in _names(text, lexicon):
                for word in _words(text[start:end]):
                    if _capitalised(word.text):
                        cased.setdefault(word.text.lower(), word.text)
        return lexicon

    def is_name(self, word: _Word) -> bool:
        if not _capitalised(word.text):
            return False
        if _acronym(word.text) or not word.at_start:
            return True
        return word.text.lower() in self.cased

    def common(self, name: str) -> bool:
        """Whether the name's words are each in more than a quarter of the bullets (and in
        three at least: in a handful of bullets nothing is common)."""
        words = [word.text.lower() for word in _words(name)]
        least = max(_COMMON_LEAST, _COMMON_SHARE * self.bullets)
        return bool(words) and all(self.spread[word] > least for word in words)


def readable_heading(heading: str, lexicon: Lexicon) -> str:
    """An ALL-CAPS sub-heading as a sentence: "LENIN'S FUNERAL" gives "Lenin's funeral", the
    names in it written as the notes write them."""
    if not _acronym(heading):
        return heading
    out = []
    for index, match in enumerate(re.finditer(r"\S+", heading)):
        word = match[0]
        bare = _POSSESSIVE.sub("", word)
        tail = word[len(bare) :].lower()
        cased = lexicon.cased.get(bare.lower())
        if cased is not None:
            out.append(cased + tail)
        elif index == 0:
            out.append(word[:1] + word[1:].lower())
        else:
            out.append(word.lower())
    return " ".join(out)


# --- the spans -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    rank: tuple[int, int]  # lower is deleted first: (kind, how widely spread)


def _topic(*titles: str | None) -> frozenset[str]:
    return frozenset(word.text.lower() for title in titles if title for word in _words(title))


def _names(text: str, lexicon: Lexicon) -> Iterator[tuple[int, int]]:
    """Runs of names, as (start, end). A capitalised word at a sentence's start that the
    notes write nowhere else is a name too when a list joins it to one ("Watson and Crick")
    or it starts a quoted name ("Socialism in One Country"),
    and a number that is not a year right after a name is part of it ("Photo 51")."""
    run: list[_Word] = []
    maybe: _Word | None = None

    def ended() -> tuple[int, int]:
        end = run[-1].end
        number = None if run[-1].possessive else _NAME_NUMBER.match(text, end)
        return run[0].start, number.end() if number else end

    for word in _words(text):
        if not lexicon.is_name(word):
            if word.at_start and _capitalised(word.text):
                maybe = word
            elif word.text not in _CONNECTORS:
                maybe = None
            continue
        gap = text[run[-1].end : word.start] if run else ""
        if run and not run[-1].possessive and _JOIN.fullmatch(gap):
            run.append(word)
            continue
        if run:
            yield ended()
        run = [word]
        if maybe is not None:
            gap = text[maybe.end : word.start]
            # "Watson and Crick"; a quoted title: "Socialism in One Country".
            if _LIST.fullmatch(gap) or (maybe.quoted and _JOIN.fullmatch(gap)):
                run.insert(0, maybe)
        maybe = None
    if run:
        yield ended()


def _off_topic(text: str, start: int, end: int, topic: frozenset[str]) -> tuple[int, int]:
    """The name at ``text[start:end]`` without the parts on topic at either end: under
    "PERMANENT REVOLUTION", "Permanent Revolution in Europe" asks for "Europe". A list is not
    cut ("Stalin, Kamenev, and Zinoviev" asks for all three); a name all on topic is empty."""
    parts = [start]
    for gap in _OF.finditer(text, start, end):
        parts += [gap.start(), gap.end()]
    parts.append(end)
    pieces = list(zip(parts[::2], parts[1::2], strict=True))

    def on_topic(piece: tuple[int, int]) -> bool:
        return all(word.text.lower() in topic for word in _words(text[piece[0] : piece[1]]))

    while pieces and on_topic(pieces[0]):
        pieces.pop(0)
    while pieces and on_topic(pieces[-1]):
        pieces.pop()
    return (pieces[0][0], pieces[-1][1]) if pieces else (start, start)


def _spans(
    text: str, lexicon: Lexicon, topic: frozenset[str], headings: frozenset[str]
) -> list[_Span]:
    spans: list[_Span] = []
    label = _LABEL.match(text)
    if label and label[1].lower() not in headings:
        spans.append(_Span(label.start(1), label.end(1), (0, 0)))
    names: list[_Span] = []
    for start, end in _names(text, lexicon):
        start, end = _off_topic(text, start, end, topic)
        if start == end:
            continue
        common = lexicon.common(text[start:end])
        spread = max(lexicon.spread[word.text.lower()] for word in _words(text[start:end]))
        names.append(_Span(start, end, (4 if common else 3, spread)))
    numbers = [_Span(match.start(), match.end(), (1, 0)) for match in _DATE.finditer(text)]
    numbers += [_Span(match.start(), match.end(), (2, 0)) for match in _NUMBER.finditer(text)]
    # A number that is part of a name ("Photo 51") is asked with it.
    spans += [
        one
        for one in numbers
        if not any(name.start <= one.start and one.end <= name.end for name in names)
    ]
    return spans + names


def _chosen(spans: list[_Span]) -> list[_Span]:
    """The deletions to make: the best first, none overlapping another, at most four, and the
    common names only if nothing else is there."""
    chosen: list[_Span] = []
    rare = any(span.rank[0] < 4 for span in spans)
    for span in sorted(spans, key=lambda one: (one.rank, one.start)):
        if len(chosen) == MAX_DELETIONS or (rare and span.rank[0] == 4):
            break
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda one: one.start)


def _rare_word(text: str, lexicon: Lexicon) -> list[_Span]:
    words = [
        word
        for word in _words(text)
        if len(word.text) >= _RARE_WORD
        and word.text.isalpha()
        and lexicon.spread[word.text.lower()] <= 1
    ]
    if not words:
        return []
    word = max(words, key=lambda one: len(one.text))
    return [_Span(word.start, word.end, (5, 0))]


def _cloze(text: str, spans: list[_Span]) -> str:
    out, at = [], 0
    for number, span in enumerate(spans, start=1):
        out += [text[at : span.start], f"{{{{c{number}::{text[span.start : span.end]}}}}}"]
        at = span.end
    return "".join([*out, text[at:]])


def find_candidates(
    item: Item, lexicon: Lexicon, *, section: str, heading: str | None
) -> list[Found] | None:
    """A draft cloze card of the item's dates, numbers and names (see the module docstring).

    Args:
        item: a bullet or paragraph that no other finder took.
        lexicon: the notes' names and how widely they are spread (:meth:`Lexicon.of`).
        section: the title of the item's section.
        heading: its sub-heading, readable (:func:`readable_heading`), if it is under one: the
            card's text starts with it ("Lenin's funeral › …"), since a bullet often says
            nothing of what it is about.

    Returns:
        One card of kind ``draft``, or None if there is nothing to delete.
    """
    text = card_text(item.text)
    topic = _topic(lexicon.title, section, heading)
    headings = frozenset(title.lower() for title in (section, heading) if title)
    spans = _chosen(_spans(text, lexicon, topic, headings)) or _rare_word(text, lexicon)
    if not spans:
        return None
    cloze = _cloze(text, spans)
    if heading:
        cloze = f"{heading} › {cloze}"
    return [Found(Kind.CANDIDATE, item.line, cloze, None, item.text, text)]
