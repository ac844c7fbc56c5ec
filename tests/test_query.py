"""The query language's parser and the folding its words are matched by: the tree each query
builds, Anki's precedence, one error line that points at the token, and (Hypothesis) no text
that raises anything but recall's own error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recall1924.errors import QueryError, RecallError
from recall1924.folding import FIELD_SEPARATOR, fold, folded_tags, folded_text
from recall1924.query import (
    MAX_DEPTH,
    MAX_TERMS,
    All,
    Answered,
    AnyOf,
    CardIs,
    Changed,
    Everything,
    InDeck,
    InSection,
    Is,
    Not,
    Op,
    Pattern,
    Prop,
    Property,
    Rated,
    Tagged,
    Text,
    When,
    both,
    literal,
    parse,
)


def words(*texts: str) -> tuple[Text, ...]:
    return tuple(Text(Pattern((text,))) for text in texts)


A, B, C, D = words("a", "b", "c", "d")


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("", Everything()),
        ("   ", Everything()),
        ("a", A),
        ("a b", All((A, B))),
        ("a and b", All((A, B))),
        # implicit and binds tighter than or, as in Anki
        ("a b or c d", AnyOf((All((A, B)), All((C, D))))),
        ("a or b c", AnyOf((A, All((B, C))))),
        ("a OR b", AnyOf((A, B))),
        ("(a or b) c", All((AnyOf((A, B)), C))),
        ("((a))", A),
        ("-a", Not(A)),
        ("-(a or b)", Not(AnyOf((A, B)))),
        ("--a", A),
        ("---a", Not(A)),
        ("a -b", All((A, Not(B)))),
        ("well-known", Text(Pattern(("well-known",)))),
        ('"a b"', Text(Pattern(("a b",)))),
        ('"or"', Text(Pattern(("or",)))),
        ('"(a)"', Text(Pattern(("(a)",)))),
        ('"say \\"hi\\""', Text(Pattern(('say "hi"',)))),
        ("d*g", Text(Pattern(("d", "g")))),
        ("*dog", Text(Pattern(("", "dog")))),
        ("d**g", Text(Pattern(("d", "g")))),
        ("d\\*g", Text(Pattern(("d*g",)))),
        ("ÉMILE", Text(Pattern(("emile",)))),
        ("Straße", Text(Pattern(("strasse",)))),
        ("12:30", Text(Pattern(("12:30",)))),
        ("dek\\:x", Text(Pattern(("dek:x",)))),
        ("deck:Spanish", InDeck(Pattern(("spanish",)))),
        ("DECK:spanish", InDeck(Pattern(("spanish",)))),
        ('deck:"Spanish Verbs"', InDeck(Pattern(("spanish verbs",)))),
        ('"deck:Spanish Verbs"', InDeck(Pattern(("spanish verbs",)))),
        ("deck:spa*", InDeck(Pattern(("spa", "")))),
        ("deck:Spanish::Verbs", InDeck(Pattern(("spanish::verbs",)))),
        ('deck:"Spanish :: Verbs"', InDeck(Pattern(("spanish::verbs",)))),
        ("section:verbs", InSection(Pattern(("verbs",)))),
        ("tag:Hard", Tagged(Pattern(("hard",)))),
        ("tag:verb*", Tagged(Pattern(("verb", "")))),
        ("tag:*verb", Tagged(Pattern(("", "verb")))),
        ("tag:*verb*", Tagged(Pattern(("", "verb", "")))),
        ("tag:none", Tagged(None)),
        ("tag:\\none", Tagged(Pattern(("none",)))),
        ("is:new", Is(CardIs.New)),
        ("is:DUE", Is(CardIs.Due)),
        ("prop:r<0.8", Prop(Property.R, Op.Lt, 0.8)),
        ("prop:s>30", Prop(Property.S, Op.Gt, 30)),
        ("prop:d>=7.5", Prop(Property.D, Op.Ge, 7.5)),
        ("prop:lapses>=3", Prop(Property.Lapses, Op.Ge, 3)),
        ("prop:reps=0", Prop(Property.Reps, Op.Eq, 0)),
        ("prop:due<=-1", Prop(Property.Due, Op.Le, -1)),
        ("prop:due!=0", Prop(Property.Due, Op.Ne, 0)),
        ("rated:7", Rated(7)),
        ("rated:7:1", Rated(7, 1)),
        ("introduced:30", Answered(30)),
        ("edited:7", Changed(When.Edited, 7)),
        ("added:1", Changed(When.Added, 1)),
    ],
)
def test_each_query_builds_its_tree(query: str, tree: object) -> None:
    assert parse(query) == tree


def test_search_text_is_one_literal_term() -> None:
    # --search: no wildcards, no names, no groups; folded like every word
    assert literal("deck:x *(or)") == Text(Pattern(("deck:x *(or)",)))
    assert literal("ÉMILE") == Text(Pattern(("emile",)))
    assert both(Everything(), literal("a")) == A
    assert both(A, Everything(), B) == All((A, B))
    assert both() == Everything()


@pytest.mark.parametrize(
    ("query", "line"),
    [
        (
            "deck:x prop:x<1",
            'bad query at "prop:x<1" (column 8): unknown property x; one of r, s, d, lapses, '
            "reps, due",
        ),
        (
            "is:fresh",
            'bad query at "is:fresh" (column 1): unknown state fresh; one of new, learn, review, '
            "due, suspended, buried, leech, flagged",
        ),
        (
            "a (b or c",
            'bad query at "(" (column 3): this parenthesis is never closed',
        ),
        ("a b)", 'bad query at ")" (column 4): this parenthesis closes nothing'),
        ("a () b", 'bad query at "(" (column 3): nothing between these parentheses'),
        ("or a", 'bad query at "or" (column 1): nothing before or'),
        ("a or", 'bad query at "or" (column 3): nothing after or'),
        ("a or or b", 'bad query at "or" (column 3): nothing after or'),
        ("(or a)", 'bad query at "or" (column 2): nothing before or'),
        ("and a", 'bad query at "and" (column 1): nothing before and'),
        ("a - b", 'bad query at "-" (column 3): nothing after - to leave out'),
        (
            "-or",
            'bad query at "or" (column 2): nothing after - to leave out (to leave out the '
            'word, write -"or")',
        ),
        ('a "b c', 'bad query at ""b c" (column 3): this quote is never closed'),
        ("a\\", 'bad query at "\\" (column 2): nothing after \\ to take as it is'),
        (
            "dek:spanish",
            'bad query at "dek:spanish" (column 1): unknown search term dek:; one of deck, '
            "section, tag, is, prop, rated, introduced, edited, added (to find the text, "
            "write dek\\:spanish)",
        ),
        ("deck:", 'bad query at "deck:" (column 1): deck: needs a name, e.g. deck:spanish'),
        (
            "tag:a*b",
            'bad query at "tag:a*b" (column 1): tag: takes * only at the start or the end of '
            "a tag, e.g. tag:verb*",
        ),
        (
            "prop:r",
            'bad query at "prop:r" (column 1): prop:r needs a comparison (<, <=, =, !=, >=, >),'
            " e.g. prop:r<0.8",
        ),
        (
            "prop:s>x",
            'bad query at "prop:s>x" (column 1): prop:s compares with a number, e.g. prop:s>3',
        ),
        (
            "prop:lapses>1.5",
            'bad query at "prop:lapses>1.5" (column 1): prop:lapses compares with a whole '
            "number, e.g. prop:lapses>3",
        ),
        (
            "prop:s>10000000000",
            'bad query at "prop:s>10000000000" (column 1): prop:s compares with a number from '
            "-1,000,000,000 to 1,000,000,000",
        ),
        (
            "rated:0",
            'bad query at "rated:0" (column 1): rated: takes a number of days from 1 to 36500, '
            "e.g. rated:7 or rated:7:1",
        ),
        (
            "rated:7:5",
            'bad query at "rated:7:5" (column 1): rated:N:R takes the answer as 1 (Again), '
            "2 (Hard), 3 (Good) or 4 (Easy)",
        ),
        (
            "edited:7:1",
            'bad query at "edited:7:1" (column 1): edited: takes a number of days only, e.g. '
            "edited:7",
        ),
        # A token with control characters is quoted printable, on one line.
        ("is:\x1b[31m", 'bad query at "is:\\x1b[31m" (column 1): unknown state \\x1b[31m; one '
         "of new, learn, review, due, suspended, buried, leech, flagged"),
    ],
)  # fmt: skip
def test_a_bad_query_is_one_line_pointing_at_its_token(query: str, line: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse(query)
    assert str(raised.value) == line
    error = raised.value
    assert isinstance(error, RecallError) and error.exit_code == 2
    assert query[error.position :].startswith(error.token[:1] if error.token != " " else "")


def test_limits_are_errors_not_crashes() -> None:
    many = " ".join(["a"] * (MAX_TERMS + 1))
    with pytest.raises(QueryError, match=f"at most {MAX_TERMS} terms"):
        parse(many)
    assert isinstance(parse(" ".join(["a"] * MAX_TERMS)), All)
    deep = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(QueryError, match="nest at most"):
        parse(deep)
    assert parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) == A
    with pytest.raises(QueryError, match="at most 1000 characters"):
        parse("x" * 1001)
    # a long run of negations is one negation or none, not a deep tree
    assert parse("-" * 10_001 + "a") == Not(A)
    # a token quoted in an error line is shortened
    with pytest.raises(QueryError) as raised:
        parse("is:" + "x" * 900)
    assert len(raised.value.token) == 60 and raised.value.token.endswith("...")
    assert str(raised.value).endswith("; one of new, learn, review, due, suspended, buried, "
                                      "leech, flagged")  # fmt: skip


def test_folding() -> None:
    assert fold("ÉMILE Zola") == fold("emile zola") == "emile zola"
    assert fold("Straße") == "strasse"
    assert fold("ﬁne ²") == "fine 2"
    assert fold("Σίσυφος") == "σισυφοσ"  # final sigma folds with the others
    assert fold("com\u00adputer \u200bnow") == "computer now"  # invisible characters go
    assert fold("a \t\n\x00 b") == "a b"  # any run of spaces and controls: one space
    assert fold("中文 Кремль") == "中文 кремль"
    assert folded_text("Q", "A", None) == f"q{FIELD_SEPARATOR}a{FIELD_SEPARATOR}"
    assert folded_tags([]) == ""
    assert folded_tags(["Verb", "b::C"]) == "\x1fverb\x1fb::c\x1f"


@given(st.text())
def test_folding_is_idempotent_and_leaves_no_capital_or_separator(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert not any("A" <= char <= "Z" for char in folded)
    assert FIELD_SEPARATOR not in folded


@settings(max_examples=300)
@given(st.text())
def test_no_text_raises_anything_but_a_query_error(text: str) -> None:
    try:
        parse(text)
    except QueryError as error:
        assert str(error).isprintable()
        assert 0 <= error.position <= len(text)


SYNTAX = st.sampled_from(
    ["(", ")", "-", '"', "\\", "*", ":", " ", "or", "and", "deck:", "tag:", "is:", "prop:",
     "rated:", "r<", "1", "x", "é", "\x00", "\u0301"]
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(SYNTAX, max_size=12).map("".join))
def test_no_arrangement_of_the_syntax_raises_anything_but_a_query_error(text: str) -> None:
    try:
        parse(text)
    except QueryError:
        pass
