"""Typed answers: a card's answer split into key points, and a typed answer checked against them.

Holds :func:`key_points` (the things an answer asks to recall), :class:`PointMatch` and
:class:`Comparison` (each key point found in the typed answer, partly found, or missed),
:func:`compare` and :func:`suggest` (the rating a comparison suggests; the student confirms or
changes it), and :func:`checked_answer` (what is compared: a cloze card's deletion alone). Pure:
no database, no terminal.

Matching is by words, not by whole strings. Both texts are case- and accent-folded and cut into
words; a key point's *content* words (not filler like "the", "was", and not the words its
question already gives away) are each looked up among the typed words with rapidfuzz's
``fuzz.ratio``, on the whole word and on its first letters, so that a typo ("Ordzonikidze"),
another ending ("succeed" / "successors") or a short form ("admin") still counts; numbers must
be exact (1925 is not 1926). A point's score is the share of its content words found. Whole-
string scorers such as ``token_set_ratio`` or ``partial_token_set_ratio`` are not used: they
score 100 as soon as one text's words are a subset of the other's, so "Stalin" alone would
match every point that names him. rapidfuzz is imported only when a comparison is made.

An answer of any size is compared at once: only its first :data:`MAX_ANSWER` characters are cut
into key points and only the first :data:`MAX_POINTS` of those are checked; the comparison says
how many more there are, and :func:`suggest` counts them as missed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from recall1924.cloze import deletions, shows
from recall1924.scheduling import Rating

WORD_MATCH = 80
"""rapidfuzz ``fuzz.ratio`` (0-100) at which two words count as the same: one wrong, missing or
extra letter in a word of five or more letters passes ("kulacks" 92, "purgd" 91). Words of
fewer than :data:`SHORT` letters must be exact ("too" is not "to", though ``ratio`` is 80)."""

SHORT = 4

STEM = 6
"""Words are also compared on their first this many letters, so that endings do not matter
("industrialisation" / "industry", "collectivisation" / "collective", "admin")."""

STEM_MATCH = 90
"""``fuzz.ratio`` at which two beginnings count as the same: in effect equal, or one the
other's start ("admin" / "admini"); "publicly" is not "published" ("public" / "publis" 83)."""

POINT_MATCH = 40.0
"""Share (percent, by weight) of a key point's content words a typed answer must hold for the
point to count as recalled. Set on the bundled deck (tests/test_typed.py): at 40 a student's
paraphrase with typos of every answer tried there is Good, and another card's answer typed
for a card is Again for 97% of the 12,210 pairs and Good for 0.3% (at 50, paraphrases such as
"Prinkipo in Turkey" or "Ramon Mercader, an NKVD agent, in 1940" fall to Hard)."""

POINT_PARTLY = 25.0
"""Share (percent) at which a key point counts as partly recalled."""

MAX_TYPED = 20_000
"""The most characters of a typed answer that are compared (and that an editor keeps)."""

MAX_ANSWER = 20_000
"""The most characters of a card's answer that are cut into key points: an answer of any size
is compared at once, and a longer one says that the rest was not checked."""

MAX_POINTS = 100
"""The most key points of an answer that are compared, and so shown marked: twenty times what
the bundled deck's longest answer has, and more than a screen holds. The rest are counted, as
not checked."""

# Words that carry no fact of their own. Negations are not among them: "not published" is the
# opposite of "published".
FILLER = frozenset(
    """
    a an the and or but so of to in on at by for with from as into onto than then that which
    who whom whose what when where why how this these those there here it its itself he him his
    himself she her hers they them their themselves we us our you your i me my is are was were
    be been being am had has have having did do does doing would could should might must
    will shall can also only very just even such same other another each any some all both more
    most much many own one ones too e g ie eg etc about over under after before while because if
    upon up down out off through during again further once near s t via
    """.split()
)

_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "c.", "St.", "Mr.", "Dr.", "no.")
_NUMBERED = re.compile(r"(?:^|(?<=[;,.])\s+)\d{1,2}[.)]\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9'\"‘“(])")
_CLAUSE = re.compile(r"\s*[;:]\s+|,\s+(?=(?:and|but|so|while|whereas|yet)\s)")
_DASH = re.compile(r"\s+[-–—]\s+")
_LIST_ITEM_WORDS = 4
"""Comma-separated pieces of at most this many words are the items of a list."""
_LEADING_FILLER = re.compile(r"^(?:and|but|so|or|while|whereas|yet|then)\s+", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")


def fold(text: str) -> str:
    """``text`` case-folded, without accents, with "n't" as " not" and no possessive "'s"
    ("Ramón" and "ramon" fold alike)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.casefold().replace("’", "'").replace("‘", "'")
    text = re.sub(r"n't\b", " not", text)
    text = re.sub(r"'s\b", "", text)
    return _THOUSANDS.sub("", text)


def words(text: str) -> list[str]:
    """The words of ``text``, folded."""
    return _WORD.findall(fold(text))


def _masked(text: str) -> str:
    """``text`` with what is inside parentheses (and quotes' commas) blanked out, same length,
    so that separators inside an aside do not split the text."""
    out: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        if depth:
            out.append("\0")
        else:
            out.append(char)
        if char == ")" and depth:
            depth -= 1
    return "".join(out)


def _split(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` cut wherever ``pattern`` matches outside parentheses."""
    masked = _masked(text)
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(masked):
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _clean(piece: str) -> str:
    piece = piece.strip().strip(";,:").strip()
    piece = piece.removesuffix(".") if not piece.endswith(_ABBREVIATIONS) else piece
    return _LEADING_FILLER.sub("", piece).strip()


def _sentences(text: str) -> list[str]:
    protected = text
    for abbreviation in _ABBREVIATIONS:
        protected = protected.replace(abbreviation + " ", abbreviation + "\0")
    return [part.replace("\0", " ") for part in _split(protected, _SENTENCE_END)]


def _dashes(clause: str) -> list[str]:
    """A clause cut at a dash ("1926 - in the New York Times"); a pair of dashes is an aside
    and stays with its clause ("members - up to expulsion - for offences")."""
    parts = _split(clause, _DASH)
    if len(parts) == 3:
        return [clause]
    return parts


_ELABORATION = re.compile(
    r",\s+(?=(?:where|who|which|when|in|at|after|before|from|near|an|a|the|on|by|with|through|"
    r"via|until|during)\s)"
)
_OPENING_WORDS = 3


def _opening(clause: str) -> list[str]:
    """A clause that opens with its fact and then says more of it ("1956, after Khrushchev
    ...", "Turkey, near Istanbul", "Kirov, who took over Leningrad") as two points."""
    parts = _split(clause, _ELABORATION)
    if len(parts) > 1 and len(_masked(parts[0]).split()) <= _OPENING_WORDS:
        return [parts[0], ", ".join(parts[1:])]
    return [clause]


def _list_items(clause: str) -> list[str]:
    """The items of a list ("Bukharin, Rykov and Tomsky"), or the clause whole when it is not
    one: a list has three or more items, each of a few words."""
    pieces = _split(clause, re.compile(r",\s+"))
    if len(pieces) < 2:
        return [clause]
    last = _split(pieces[-1], re.compile(r"\s+(?:and|or)\s+"))
    if len(last) == 2 and not re.match(r"(?:and|or)\s", pieces[-1]):
        pieces = [*pieces[:-1], *last]
    items = [_LEADING_FILLER.sub("", piece.strip()) for piece in pieces]
    short = all(len(_masked(item).split()) <= _LIST_ITEM_WORDS for item in items)
    if len(items) >= 3 and short:
        return items
    return [clause]


def key_points(answer: str) -> list[str]:
    """The things ``answer`` asks the student to recall, in order.

    A numbered plan ("1. ...; 2. ...; 3. ...") gives one point per number. Otherwise the answer
    is cut into sentences, then clauses (at ``;``, ``:``, a single dash, ", and", ", but"), and
    a short list ("Bukharin, Rykov and Tomsky") into its items. Asides in parentheses stay
    with their point; connectives that start a piece ("and", "so") are dropped.
    """
    text = " ".join(answer.split())
    if not text:
        return []
    if re.match(r"1[.)]\s", text) and re.search(r"[;,.]\s+2[.)]\s", text):
        points = [_clean(piece) for piece in _split(text, _NUMBERED)]
        return [point for point in points if point]
    points = []
    for sentence in _sentences(text):
        for clause in _split(sentence, _CLAUSE):
            for part in _dashes(_clean(clause)):
                items = _list_items(_clean(part))
                if len(items) == 1:
                    items = _opening(items[0])
                points += [_clean(item) for item in items]
    return [point for point in points if words(point)] or [text]


# -- matching ------------------------------------------------------------------------------


class Found(Enum):
    """How much of a key point a typed answer holds."""

    MATCHED = "matched"
    PARTLY = "partly"
    MISSED = "missed"


@dataclass(frozen=True)
class PointMatch:
    """One key point and how well the typed answer holds it.

    Attributes:
        point: the key point as the answer words it.
        score: the share, in percent, of the point's content words found in the typed answer.
        missing: the content words not found (folded), for a hint.
    """

    point: str
    score: float
    missing: tuple[str, ...] = ()

    @property
    def found(self) -> Found:
        """Matched, partly matched or missed, by :data:`POINT_MATCH` and :data:`POINT_PARTLY`."""
        if self.score >= POINT_MATCH:
            return Found.MATCHED
        if self.score >= POINT_PARTLY:
            return Found.PARTLY
        return Found.MISSED

    @property
    def matched(self) -> bool:
        """Whether the point counts as recalled."""
        return self.found is Found.MATCHED


@dataclass(frozen=True)
class Comparison:
    """A typed answer beside the card's answer, point by point.

    Attributes:
        typed: what was typed.
        answer: the card's answer.
        points: the key points compared, in the answer's order (at most :data:`MAX_POINTS`).
        unchecked: key points of the answer's first :data:`MAX_ANSWER` characters past those,
            not compared.
        cut: the answer is longer than :data:`MAX_ANSWER` characters, and the key points of
            the rest were not even counted.
    """

    typed: str
    answer: str
    points: tuple[PointMatch, ...]
    unchecked: int = 0
    cut: bool = False

    @property
    def empty(self) -> bool:
        """Nothing was typed ("I don't know")."""
        return not self.typed.strip()

    @property
    def matched(self) -> int:
        """How many key points were recalled."""
        return sum(point.matched for point in self.points)

    @property
    def exact(self) -> bool:
        """The typed answer is the answer, but for case, accents and punctuation (never for an
        answer too long to check whole)."""
        return not self.cut and words(self.typed) == words(self.answer)


_SUFFIXES = ("ing", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    """The start of ``word`` that its forms share: without a common ending, at most
    :data:`STEM` letters ("banks", "banking": "bank"; "industrialisation": "indust")."""
    for suffix in _SUFFIXES:
        if len(word) - len(suffix) >= SHORT and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:STEM]


_NAME = re.compile(r"(?<=[^.!?\s]\s)[A-Z][^\W_]*")


def _weight(word: str, names: set[str]) -> float:
    return 2.0 if word in names or any(char.isdigit() for char in word) else 1.0


def _names(point: str) -> set[str]:
    """The folded words of ``point`` capitalised inside a sentence (names)."""
    return {word for name in _NAME.findall(point) for word in words(name)}


def _weighted(point: str, given: set[str]) -> tuple[dict[str, float], set[str]]:
    """A point's words that carry its meaning, each with its weight, and the words of its
    asides in parentheses.

    Filler carries nothing, and neither do the words the question already gives (unless that
    leaves nothing). Names (capitalised inside a sentence) and numbers weigh double: in a
    history answer they are the facts ("the island of Prinkipo" is mostly "Prinkipo").
    """
    names = _names(point)
    masked = _masked(point).replace("\0", " ")
    meaning = [word for word in words(masked) if word not in FILLER]
    aside = {word for word in words(point) if word not in FILLER} - set(meaning)
    if not meaning:
        meaning, aside = sorted(aside), set()
    recalled = [word for word in meaning if word not in given] or meaning
    weights = {word: _weight(word, names) for word in recalled}
    return weights, aside - given


def checked_answer(
    answer: str, *, question: str = "", cloze: str | None = None, cloze_ord: int | None = None
) -> str:
    """What a typed answer to a card is checked against: for a cloze card (its ``cloze``
    text and the number ``cloze_ord`` it asks) the deletion alone, since the rest of its
    answer is the question's own text; else, and for a cloze card whose question and answer
    are no longer the ones its cloze makes (the student reworded them), the card's answer."""
    if cloze is None or cloze_ord is None or not shows(cloze, cloze_ord, question, answer):
        return answer
    asked = deletions(cloze, cloze_ord)
    return asked if asked.strip() else answer


def compare(typed: str, answer: str, *, question: str = "") -> Comparison:
    """How much of each of ``answer``'s key points ``typed`` holds.

    Args:
        typed: what the student typed (any length; only the first :data:`MAX_TYPED`
            characters count).
        answer: the card's answer.
        question: the card's question: its words are given, so typing them back earns nothing.

    Returns:
        One :class:`PointMatch` per key point, in the answer's order, for at most
        :data:`MAX_POINTS` key points of the answer's first :data:`MAX_ANSWER` characters; the
        rest are counted (:attr:`Comparison.unchecked`, :attr:`Comparison.cut`), so that the
        work is bounded whatever the answer's size.
    """
    from rapidfuzz import fuzz, process

    typed = typed[:MAX_TYPED]
    typed_words = sorted(set(words(typed)))
    numbers = {word for word in typed_words if any(char.isdigit() for char in word)}
    exact = set(typed_words)
    long_words = [word for word in typed_words if word not in numbers and len(word) >= SHORT]
    stems = sorted({stem(word) for word in long_words})
    given = set(words(question))

    def found(word: str) -> bool:
        if len(word) < SHORT or any(char.isdigit() for char in word):
            return word in numbers or word in exact
        if process.extractOne(word, long_words, scorer=fuzz.ratio, score_cutoff=WORD_MATCH):
            return True
        hit = process.extractOne(stem(word), stems, scorer=fuzz.ratio, score_cutoff=STEM_MATCH)
        return hit is not None

    cut = len(answer) > MAX_ANSWER
    points = key_points(answer[:MAX_ANSWER])
    if cut and len(points) > 1:
        points.pop()  # it may be a part of a point, cut off with the text
    checked, unchecked = points[:MAX_POINTS], len(points[MAX_POINTS:])
    matches: list[PointMatch] = []
    for point in checked:
        weights, aside = _weighted(point, given)
        missing = tuple(word for word in weights if not found(word))
        total = sum(weights.values())
        # An aside recalled makes up for a word of the point missed, but is never required.
        got = total - sum(weights[word] for word in missing)
        got += sum(1.0 for word in aside if found(word))
        score = min(100.0, 100.0 * got / total) if total else 0.0
        matches.append(PointMatch(point, score, missing))
    return Comparison(typed, answer, tuple(matches), unchecked, cut)


def suggest(comparison: Comparison) -> Rating:
    """The rating a comparison suggests; the student confirms or changes it.

    Every point recalled is Good; at least half (a partly recalled point counting half) is
    Hard; less, or nothing typed, is Again. Points not checked count as missed (the rest of an
    answer too long to check, as one more). Easy is never suggested: a match says what was
    recalled, not how easily, and Easy stretches the next interval the most.
    """
    if comparison.empty or not comparison.points:
        return Rating.Again
    credit = sum(
        1.0 if point.found is Found.MATCHED else 0.5 if point.found is Found.PARTLY else 0.0
        for point in comparison.points
    )
    share = credit / (len(comparison.points) + comparison.unchecked + comparison.cut)
    if share >= 1.0:
        return Rating.Good
    if share >= 0.5:
        return Rating.Hard
    return Rating.Again
