"""The query language of ``recall cards``, ``review --query`` and the other finding commands:
a pure tokenizer and parser, and the small tree they build. ``docs/search.md`` is the user's
description.

Holds :func:`parse` (text to a :data:`Query`), :func:`literal` (one text term, for
``--search``), :func:`both`, :class:`Pattern` and the tree's nodes: :class:`Everything`,
:class:`Text`, :class:`InDeck`, :class:`InSection`, :class:`Tagged`, :class:`Is`,
:class:`Prop`, :class:`Rated`, :class:`Answered` (``introduced:``), :class:`Changed`
(``edited:``, ``added:``), :class:`Not`, :class:`All` and :class:`AnyOf`.

The grammar is Anki's: terms side by side must all match (an implicit *and*, which binds
tighter than ``or``), ``-`` leaves out a term or a parenthesised group, ``"..."`` groups words
(also ``"deck:a b"`` and ``deck:"a b"``), ``*`` is any text, ``\\`` takes the next character
as it is (``\\*``, ``\\:``, ``\\"``, ``\\-``). Every text a term compares is folded
(:func:`~recall1924.folding.fold`) when it is parsed, as the card's stored text was. What a term
means against the database is :mod:`recall1924.store.search`'s; nothing here knows a table.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from recall1924.errors import QueryError
from recall1924.folding import fold, path_name

__all__ = [
    "MAX_DAYS",
    "MAX_TERMS",
    "All",
    "Answered",
    "AnyOf",
    "CardIs",
    "Changed",
    "Everything",
    "InDeck",
    "InSection",
    "Is",
    "Not",
    "Op",
    "Pattern",
    "Prop",
    "Property",
    "Query",
    "QueryError",
    "Rated",
    "Tagged",
    "Text",
    "When",
    "both",
    "literal",
    "parse",
    "terms",
]

# -- The tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """Folded text to match: the literal pieces between ``*`` wildcards.

    ``("d", "g")`` is ``d*g``; a leading or trailing empty piece is a wildcard at that end
    (``("", "x")`` is ``*x``). Never two wildcards side by side.
    """

    pieces: tuple[str, ...]

    @classmethod
    def of(cls, pieces: Iterable[str], *, path: bool = False) -> Pattern:
        """The pattern of unfolded ``pieces`` (``path``: a deck or section name)."""
        folded = [path_name(fold(piece)) if path else fold(piece) for piece in pieces]
        # A piece that folds to nothing ("\u200b") joins its neighbours' wildcards.
        inner = [piece for piece in folded[1:-1] if piece]
        kept = folded[:1] + inner + folded[1:][-1:] if len(folded) > 1 else folded
        return cls(tuple(kept))

    def names(self, folded: str) -> bool:
        """Whether the folded name matches the whole pattern (a deck's or section's)."""
        return _regex(self.pieces).fullmatch(folded) is not None


@lru_cache(maxsize=256)
def _regex(pieces: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(piece) for piece in pieces), re.DOTALL)


class CardIs(StrEnum):
    """What ``is:`` asks (Anki's names)."""

    New = "new"
    """Never answered."""
    Learn = "learn"
    """Learning or relearning."""
    Review = "review"
    """In review, or relearning after a lapse (as Anki counts them)."""
    Due = "due"
    """Answered, due before today's review day ends, not suspended or buried now."""
    Suspended = "suspended"
    Buried = "buried"
    """Buried until later than now."""
    Leech = "leech"
    """Lapsed ``leech_threshold`` times or more."""
    Flagged = "flagged"


class Property(StrEnum):
    """What ``prop:`` compares (Anki's names)."""

    R = "r"
    """Retrievability now: the chance of recall, with review days since the last answer."""
    S = "s"
    """Stability, in days."""
    D = "d"
    """Difficulty, 1 to 10."""
    Lapses = "lapses"
    Reps = "reps"
    """Scheduled answers (not cram practice, resets or edits)."""
    Due = "due"
    """Review days from today to the one the card is due in (negative: overdue)."""


_WHOLE = frozenset({Property.Lapses, Property.Reps, Property.Due})


class Op(StrEnum):
    """A comparison of ``prop:``; longest first, as the tokenizer tries them."""

    Le = "<="
    Ge = ">="
    Ne = "!="
    Lt = "<"
    Gt = ">"
    Eq = "="

    def apply(self, left: Any, right: Any) -> Any:
        """``left`` compared with ``right``: a bool for numbers, a clause for SQL columns."""
        return _OPERATORS[self](left, right)


_OPERATORS: dict[Op, Callable[[Any, Any], Any]] = {
    Op.Le: operator.le,
    Op.Ge: operator.ge,
    Op.Ne: operator.ne,
    Op.Lt: operator.lt,
    Op.Gt: operator.gt,
    Op.Eq: operator.eq,
}


@dataclass(frozen=True)
class Everything:
    """The empty query: every card."""


@dataclass(frozen=True)
class Text:
    """A free word or phrase: found in the question, the answer or the note."""

    pattern: Pattern


@dataclass(frozen=True)
class InDeck:
    """``deck:``: the deck's id or title is the pattern, or a deck path (``Deck::Section``, or
    one above it) is."""

    pattern: Pattern


@dataclass(frozen=True)
class InSection:
    """``section:``: the section's id or title is the pattern, or its title path above it."""

    pattern: Pattern


@dataclass(frozen=True)
class Tagged:
    """``tag:``: a tag is the pattern or a child of it (``tag:a`` also finds ``a::b``);
    ``tag:none``: the card has no tags (pattern None)."""

    pattern: Pattern | None


@dataclass(frozen=True)
class Is:
    """``is:``."""

    what: CardIs


@dataclass(frozen=True)
class Prop:
    """``prop:``: a property compared with a number."""

    name: Property
    op: Op
    value: float


@dataclass(frozen=True)
class Rated:
    """``rated:N`` and ``rated:N:R``: answered (a scheduled answer, rated ``rating`` if given)
    in the last ``days`` review days, today included."""

    days: int
    rating: int | None = None


@dataclass(frozen=True)
class Answered:
    """``introduced:N``: first answered in the last ``days`` review days."""

    days: int


class When(StrEnum):
    """Which time of the card :class:`Changed` asks about."""

    Edited = "edited"
    """The wording became the student's own."""
    Added = "added"
    """The card came into the collection."""


@dataclass(frozen=True)
class Changed:
    """``edited:N`` and ``added:N``: that happened in the last ``days`` review days."""

    what: When
    days: int


@dataclass(frozen=True)
class Not:
    """``-term``: the cards the term does not match."""

    term: Query


@dataclass(frozen=True)
class All:
    """Terms side by side: every one matches."""

    terms: tuple[Query, ...]


@dataclass(frozen=True)
class AnyOf:
    """Terms joined by ``or``: at least one matches."""

    terms: tuple[Query, ...]


Query = (
    Everything
    | Text
    | InDeck
    | InSection
    | Tagged
    | Is
    | Prop
    | Rated
    | Answered
    | Changed
    | Not
    | All
    | AnyOf
)


def terms(query: Query) -> Iterator[Query]:
    """Every term of ``query`` that is not a group (``-``, side by side, ``or``)."""
    match query:
        case Not(term):
            yield from terms(term)
        case All(parts) | AnyOf(parts):
            for part in parts:
                yield from terms(part)
        case _:
            yield query


def literal(text: str) -> Query:
    """The query that finds ``text`` as it is (``--search TEXT``): no wildcard, no names."""
    return Text(Pattern.of([text]))


def both(*queries: Query) -> Query:
    """Cards every one of ``queries`` matches (the empty query drops out)."""
    terms = tuple(query for query in queries if not isinstance(query, Everything))
    if not terms:
        return Everything()
    return terms[0] if len(terms) == 1 else All(terms)


# -- Tokens --------------------------------------------------------------------------------

MAX_TERMS = 100
"""Terms one query may hold: beyond it a database refuses the statement as too deep."""

MAX_WORD = 1000
"""Characters one term may hold (a database limits the length of a ``LIKE`` pattern)."""

MAX_DEPTH = 20
"""Parentheses one query may nest."""

MAX_DAYS = 36_500
"""The most days ``rated:``, ``introduced:``, ``edited:`` and ``added:`` look back."""

MAX_NUMBER = 1e9
"""The largest number ``prop:`` compares with (either sign)."""

NAMES = ("deck", "section", "tag", "is", "prop", "rated", "introduced", "edited", "added")


@dataclass(frozen=True)
class _Token:
    """A piece of the query: ``(``, ``)``, ``-``, ``or``, ``and`` or a word, where it starts
    and ends in the text; a word's characters each with whether ``\\`` escaped it."""

    kind: str
    start: int
    end: int
    chars: tuple[tuple[str, bool], ...] = ()


def _printable(text: str) -> str:
    """``text`` with every character that is not printable escaped: a query's text is data,
    never a terminal's control sequence."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape", "backslashreplace").decode()
        for char in text
    )


def _shown(text: str) -> str:
    """A piece of the query as an error line quotes it: short and printable."""
    return _printable(text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "...")


_SHOWN = 60
"""Characters of a token an error line quotes."""


def _error(source: str, start: int, end: int, message: str) -> QueryError:
    return QueryError(
        _printable(message), start, _shown(source[start:end] or source[start:] or " ")
    )


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    at, size = 0, len(source)
    while at < size:
        char = source[at]
        if char.isspace():
            at += 1
        elif char in "()":
            tokens.append(_Token(char, at, at + 1))
            at += 1
        elif char == "-":
            following = source[at + 1 : at + 2]
            if not following or following.isspace() or following == ")":
                raise _error(source, at, at + 1, "nothing after - to leave out")
            tokens.append(_Token("-", at, at + 1))
            at += 1
        else:
            token = _word(source, at)
            tokens.append(token)
            at = token.end
    return tokens


def _word(source: str, start: int) -> _Token:
    """The word starting at ``start``: up to a space or a parenthesis outside quotes."""
    chars: list[tuple[str, bool]] = []
    at, size = start, len(source)
    quote: int | None = None  # where the open quote is
    plain = True
    while at < size:
        char = source[at]
        if char == "\\":
            if at + 1 >= size:
                raise _error(source, at, at + 1, "nothing after \\ to take as it is")
            chars.append((source[at + 1], True))
            plain = False
            at += 2
            continue
        if char == '"':
            quote = at if quote is None else None
            plain = False
            at += 1
            continue
        if quote is None and (char.isspace() or char in "()"):
            break
        chars.append((char, False))
        at += 1
    if quote is not None:
        raise _error(source, quote, size, "this quote is never closed")
    if len(chars) > MAX_WORD:
        raise _error(source, start, at, f"a term may be at most {MAX_WORD} characters long")
    word = "".join(char for char, _escaped in chars)
    if plain and word.lower() in ("or", "and"):
        return _Token(word.lower(), start, at)
    return _Token("word", start, at, tuple(chars))


# -- Parsing -------------------------------------------------------------------------------


def parse(source: str) -> Query:
    """The query ``source`` asks for; the empty text is every card.

    Raises:
        QueryError: the text is not a query; its message points at the token.
    """
    tokens = _tokens(source)
    words = sum(1 for token in tokens if token.kind == "word")
    if words > MAX_TERMS:
        extra = [token for token in tokens if token.kind == "word"][MAX_TERMS]
        raise _error(source, extra.start, extra.end, f"a query may hold at most {MAX_TERMS} terms")
    if not tokens:
        return Everything()
    parser = _Parser(source, tokens)
    found = parser.either(0)
    if parser.at < len(tokens):
        token = tokens[parser.at]  # only a ")" stops a group early
        raise _error(source, token.start, token.end, "this parenthesis closes nothing")
    return found


class _Parser:
    """Recursive descent over the tokens: ``either := every ("or" every)*``,
    ``every := one (["and"] one)*``, ``one := "-"* (word | "(" either ")")``."""

    def __init__(self, source: str, tokens: list[_Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.at = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _fail(self, token: _Token, message: str) -> QueryError:
        return _error(self.source, token.start, token.end, message)

    def either(self, depth: int) -> Query:
        terms = [self.every(depth)]
        while (token := self._peek()) is not None and token.kind == "or":
            self.at += 1
            following = self._peek()
            if following is None or following.kind in ("or", "and", ")"):
                raise self._fail(token, "nothing after or")
            terms.append(self.every(depth))
        return terms[0] if len(terms) == 1 else AnyOf(tuple(terms))

    def every(self, depth: int) -> Query:
        terms: list[Query] = []
        while (token := self._peek()) is not None and token.kind not in ("or", ")"):
            if token.kind == "and":
                self.at += 1
                following = self._peek()
                if not terms:
                    raise self._fail(token, "nothing before and")
                if following is None or following.kind in ("or", "and", ")"):
                    raise self._fail(token, "nothing after and")
                continue
            terms.append(self.one(depth))
        if not terms:
            token = self._peek() or self.tokens[-1]
            if token.kind == "or":
                raise self._fail(token, "nothing before or")
            raise self._fail(token, "this parenthesis closes nothing")
        return terms[0] if len(terms) == 1 else All(tuple(terms))

    def one(self, depth: int) -> Query:
        negations = 0
        while (token := self._peek()) is not None and token.kind == "-":
            negations += 1
            self.at += 1
        token = self._peek()
        assert token is not None  # the tokenizer never ends on a "-"
        if token.kind == "(":
            if depth >= MAX_DEPTH:
                raise self._fail(token, f"parentheses may nest at most {MAX_DEPTH} deep")
            self.at += 1
            following = self._peek()
            if following is None:
                raise self._fail(token, "this parenthesis is never closed")
            if following.kind == ")":
                raise self._fail(token, "nothing between these parentheses")
            found = self.either(depth + 1)
            if self._peek() is None:
                raise self._fail(token, "this parenthesis is never closed")
            self.at += 1  # the ")"
        elif token.kind == "word":
            self.at += 1
            found = _term(self.source, token)
        else:  # "and" or "or" right after "-"; a ")" cannot follow one
            raise self._fail(
                token,
                f'nothing after - to leave out (to leave out the word, write -"{token.kind}")',
            )
        # Two negations undo each other: a long run of them is not a deep tree.
        return Not(found) if negations % 2 else found


_EXAMPLES = {"deck": "spanish", "section": "verbs", "tag": "hard"}


def _at_ends(pattern: Pattern) -> bool:
    """Whether the pattern's wildcards are only at its ends (``x``, ``*x``, ``x*``, ``*x*``):
    within one tag, which SQL's ``LIKE`` over the stored tags can tell."""
    pieces = pattern.pieces
    if len(pieces) == 2:
        return not pieces[0] or not pieces[1]
    return len(pieces) == 1 or (len(pieces) == 3 and not pieces[0] and not pieces[2])


def _split(chars: Iterable[tuple[str, bool]], at: str) -> list[str]:
    """The text of ``chars`` cut at each unescaped ``at``."""
    parts = [""]
    for char, escaped in chars:
        if char == at and not escaped:
            parts.append("")
        else:
            parts[-1] += char
    return parts


def _term(source: str, token: _Token) -> Query:
    """The term one word is."""
    chars = token.chars
    colon = next(
        (index for index, (char, escaped) in enumerate(chars) if char == ":" and not escaped),
        None,
    )
    if colon is None:
        return Text(Pattern.of(_split(chars, "*")))
    name = "".join(char for char, _escaped in chars[:colon]).lower()
    value = chars[colon + 1 :]
    if name not in NAMES:
        if name.isascii() and name.isalpha():
            raise _error(
                source,
                token.start,
                token.end,
                f"unknown search term {name}:; one of {', '.join(NAMES)} (to find the text, "
                f"write {_shown(name)}\\:{_shown(''.join(char for char, _escaped in value))})",
            )
        return Text(Pattern.of(_split(chars, "*")))
    plain = "".join(char for char, _escaped in value)

    def fail(message: str) -> QueryError:
        return _error(source, token.start, token.end, message)

    if name in ("deck", "section", "tag"):
        if not plain:
            raise fail(f"{name}: needs a name, e.g. {name}:{_EXAMPLES[name]}")
        if name == "tag" and plain.lower() == "none" and not any(e for _c, e in value):
            return Tagged(None)
        pattern = Pattern.of(_split(value, "*"), path=name != "tag")
        if name == "deck":
            return InDeck(pattern)
        if name == "section":
            return InSection(pattern)
        if not _at_ends(pattern):
            raise fail("tag: takes * only at the start or the end of a tag, e.g. tag:verb*")
        return Tagged(pattern)
    if name == "is":
        try:
            return Is(CardIs(plain.lower()))
        except ValueError:
            shown = _shown(plain) or "(none)"
            raise fail(f"unknown state {shown}; one of {', '.join(CardIs)}") from None
    if name == "prop":
        return _prop(plain, fail)
    return _days_term(name, plain, fail)


_PROP = re.compile(r"([a-z]*)\s*(<=|>=|!=|<|>|=)?\s*(.*)", re.IGNORECASE | re.DOTALL)
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


def _prop(text: str, fail: Callable[[str], QueryError]) -> Prop:
    found = _PROP.fullmatch(text)
    assert found is not None  # every text matches
    name, op, number = found.groups()
    try:
        prop = Property(name.lower())
    except ValueError:
        raise fail(f"unknown property {name or '(none)'}; one of {', '.join(Property)}") from None
    if op is None:
        raise fail(f"prop:{prop} needs a comparison (<, <=, =, !=, >=, >), e.g. prop:r<0.8")
    if not _NUMBER.fullmatch(number):
        raise fail(f"prop:{prop} compares with a number, e.g. prop:{prop}{op}3")
    value = float(number)
    if abs(value) > MAX_NUMBER:
        raise fail(
            f"prop:{prop} compares with a number from -{MAX_NUMBER:,.0f} to {MAX_NUMBER:,.0f}"
        )
    if prop in _WHOLE and not value.is_integer():
        raise fail(f"prop:{prop} compares with a whole number, e.g. prop:{prop}{op}3")
    return Prop(prop, Op(op), value)


def _days_term(name: str, text: str, fail: Callable[[str], QueryError]) -> Query:
    """``rated:N[:R]``, ``introduced:N``, ``edited:N`` or ``added:N``."""
    days_text, _, rating_text = text.partition(":")
    example = "rated:7 or rated:7:1" if name == "rated" else f"{name}:7"
    if not days_text.isascii() or not days_text.isdigit() or not 1 <= int(days_text) <= MAX_DAYS:
        raise fail(f"{name}: takes a number of days from 1 to {MAX_DAYS}, e.g. {example}")
    days = int(days_text)
    if name == "rated":
        if not rating_text and not text.endswith(":"):
            return Rated(days)
        if rating_text not in ("1", "2", "3", "4"):
            raise fail("rated:N:R takes the answer as 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)")
        return Rated(days, int(rating_text))
    if rating_text or text.endswith(":"):
        raise fail(f"{name}: takes a number of days only, e.g. {example}")
    if name == "introduced":
        return Answered(days)
    return Changed(When(name), days)
