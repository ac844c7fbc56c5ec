"""Writing cards into a student's TOML deck file in place: only the card's lines change."""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tomlkit.items import String, StringType, Trivia

from recall1924 import deckedit
from recall1924.deck import ID_PATTERN, CardSpec, DeckSpec, SectionSpec
from recall1924.deckedit import add_card, card_snippet, edit_card, new_card_id, parse_snippet
from recall1924.deckfile import read_deck_file
from recall1924.errors import DeckFileError

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "deck.toml"

# Comments everywhere, odd spacing, indented tables, multi-line and literal strings, a section
# with no cards, and a comment as the file's last line.
HAND = """\
# My deck — hand written
[deck]
id   =   "hand"
title = 'Hand deck'

[[sections]]
id = "one"
title = "One"

  [[sections.cards]]   # first card
  id = "alpha"
  question   =   "Alpha?"   # inline comment
  answer = \"\"\"
first line
second line\"\"\"
  # a comment inside alpha
  note = 'C:\\path'

# attached to nothing?

# ---- section two ----
[[sections]]
id = "two"
title = "Two"
# comment right under title

[[sections]]
id = "three"
title = "Three"

[[sections.cards]]
id = "omega"
question = "Omega?"
answer = \"\"\"Sits
right after the quotes\"\"\"
tags = [
    "x",
    "y",
]
# end of file comment
"""


@pytest.fixture
def hand(tmp_path: Path) -> Path:
    path = tmp_path / "hand.toml"
    path.write_text(HAND, encoding="utf-8")
    return path


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    path = tmp_path / "deck.toml"
    path.write_bytes(BUNDLED.read_bytes())
    return path


def changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines removed from and added to ``before``, as difflib sees them."""
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm=""))
    body = [line for line in diff[2:] if not line.startswith("@@")]
    removed = [line[1:] for line in body if line.startswith("-")]
    added = [line[1:] for line in body if line.startswith("+")]
    return removed, added


def only_added(before: str, after: str) -> list[str]:
    """The lines added, checking that no line was removed or changed."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), False)
    added = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        assert tag in ("equal", "insert"), (tag, before.splitlines()[i1:i2])
        if tag == "insert":
            added += after.splitlines()[j1:j2]
    return added


def card_of(deck: DeckSpec, key: str) -> CardSpec:
    return next(card for card in deck.cards if card.key == key)


def with_card(deck: DeckSpec, card: CardSpec) -> DeckSpec:
    """``deck`` with the card of the same id replaced by ``card``."""
    return dataclasses.replace(
        deck,
        sections=tuple(
            dataclasses.replace(s, cards=tuple(card if c.key == card.key else c for c in s.cards))
            for s in deck.sections
        ),
    )


def with_added(deck: DeckSpec, section: str, card: CardSpec) -> DeckSpec:
    return dataclasses.replace(
        deck,
        sections=tuple(
            SectionSpec(s.key, s.title, (*s.cards, card)) if s.key == section else s
            for s in deck.sections
        ),
    )


# --- edit ------------------------------------------------------------------------------------


def test_bundled_deck_has_comments() -> None:
    # The tests below rely on the bundled deck being a file with comments to keep.
    text = BUNDLED.read_text(encoding="utf-8")
    assert text.startswith("# Bundled deck")
    assert text.count("\n# ----") >= 3


def test_edit_bundled_changes_only_the_changed_line(bundled: Path) -> None:
    before_text = bundled.read_text(encoding="utf-8")
    before = read_deck_file(bundled)
    old = card_of(before, "testament-what")
    card = dataclasses.replace(old, answer="Notes Lenin dictated about his successors.")

    edit_card(bundled, "testament-what", card)

    after_text = bundled.read_text(encoding="utf-8")
    assert changes(before_text, after_text) == (
        [f'answer = "{old.answer}"'],
        ['answer = "Notes Lenin dictated about his successors."'],
    )
    assert read_deck_file(bundled) == with_card(before, card)


@pytest.mark.parametrize(
    "key",
    [
        "testament-what",  # the first card
        "faction-ban-stalin",  # the last of its section, just before a "# ----" comment
    ],
)
def test_edit_bundled_note_and_tags(bundled: Path, key: str) -> None:
    before_text = bundled.read_text(encoding="utf-8")
    before = read_deck_file(bundled)
    card = dataclasses.replace(card_of(before, key), note="A new note.", tags=("new", "tag"))

    edit_card(bundled, key, card)

    after_text = bundled.read_text(encoding="utf-8")
    removed, added = changes(before_text, after_text)
    assert 'note = "A new note."' in added
    assert 'tags = ["new", "tag"]' in added
    assert all(line.startswith(("note = ", "tags = ")) for line in removed + added)
    assert read_deck_file(bundled) == with_card(before, card)
    # The comment heading the next section is still right above it.
    lines = after_text.splitlines()
    for number, line in enumerate(lines):
        if line == "[[sections]]" and number > 20:
            assert lines[number - 1].startswith("# ----")


def test_edit_keeps_inline_comment_and_spacing(hand: Path) -> None:
    before = read_deck_file(hand)
    card = dataclasses.replace(card_of(before, "alpha"), question="Alpha, again?")

    edit_card(hand, "alpha", card)

    assert changes(HAND, hand.read_text(encoding="utf-8")) == (
        ['  question   =   "Alpha?"   # inline comment'],
        ['  question   =   "Alpha, again?"   # inline comment'],
    )
    assert read_deck_file(hand) == with_card(before, card)


def test_edit_multiline_stays_multiline(hand: Path) -> None:
    before = read_deck_file(hand)
    card = dataclasses.replace(card_of(before, "alpha"), answer="first line\nsecond, changed")

    edit_card(hand, "alpha", card)

    assert changes(HAND, hand.read_text(encoding="utf-8")) == (
        ['second line"""'],
        ['second, changed"""'],
    )
    assert read_deck_file(hand) == with_card(before, card)


def test_edit_multiline_keeps_text_right_after_the_quotes(hand: Path) -> None:
    before = read_deck_file(hand)
    card = dataclasses.replace(card_of(before, "omega"), answer="Sits\nstill right there")

    edit_card(hand, "omega", card)

    assert changes(HAND, hand.read_text(encoding="utf-8")) == (
        ['right after the quotes"""'],
        ['still right there"""'],
    )


def test_edit_multiline_to_one_line_and_back(hand: Path) -> None:
    before = read_deck_file(hand)
    one_line = dataclasses.replace(card_of(before, "alpha"), answer="just one line")
    edit_card(hand, "alpha", one_line)
    assert changes(HAND, hand.read_text(encoding="utf-8")) == (
        ['  answer = """', "first line", 'second line"""'],
        ['  answer = "just one line"'],
    )
    two_lines = dataclasses.replace(one_line, answer="two\nlines")
    edit_card(hand, "alpha", two_lines)
    assert read_deck_file(hand) == with_card(before, two_lines)
    assert '  answer = """\ntwo\nlines"""\n' in hand.read_text(encoding="utf-8")


def test_edit_literal_string_stays_literal(hand: Path) -> None:
    before = read_deck_file(hand)
    card = dataclasses.replace(card_of(before, "alpha"), note="D:\\other\\path")

    edit_card(hand, "alpha", card)

    assert changes(HAND, hand.read_text(encoding="utf-8")) == (
        ["  note = 'C:\\path'"],
        ["  note = 'D:\\other\\path'"],
    )


def test_edit_literal_falls_back_to_basic_when_it_must(hand: Path) -> None:
    before = read_deck_file(hand)
    card = dataclasses.replace(card_of(before, "alpha"), note="it's C:\\path")

    edit_card(hand, "alpha", card)

    assert changes(HAND, hand.read_text(encoding="utf-8"))[1] == ['  note = "it\'s C:\\\\path"']
    assert read_deck_file(hand) == with_card(before, card)


def test_edit_removes_an_emptied_note(hand: Path) -> None:
    before = read_deck_file(hand)
    card = dataclasses.replace(card_of(before, "alpha"), note="   ")

    edit_card(hand, "alpha", card)

    assert changes(HAND, hand.read_text(encoding="utf-8")) == (["  note = 'C:\\path'"], [])
    assert read_deck_file(hand) == with_card(before, dataclasses.replace(card, note=None))


def test_edit_adds_a_missing_key_after_the_others(hand: Path) -> None:
    before = read_deck_file(hand)
    card = dataclasses.replace(card_of(before, "alpha"), tags=("greek",))

    edit_card(hand, "alpha", card)

    after = hand.read_text(encoding="utf-8")
    assert only_added(HAND, after) == ['  tags = ["greek"]']
    assert "  note = 'C:\\path'\n  tags = [\"greek\"]\n\n# attached to nothing?" in after
    assert read_deck_file(hand) == with_card(before, card)


def test_edit_multiline_tags_change_one_line(hand: Path) -> None:
    before = read_deck_file(hand)
    card = dataclasses.replace(card_of(before, "omega"), tags=("x", "z"))

    edit_card(hand, "omega", card)

    assert changes(HAND, hand.read_text(encoding="utf-8")) == (['    "y",'], ['    "z",'])


def test_edit_removes_emptied_tags(hand: Path) -> None:
    before = read_deck_file(hand)
    card = dataclasses.replace(card_of(before, "omega"), tags=())

    edit_card(hand, "omega", card)

    assert changes(HAND, hand.read_text(encoding="utf-8")) == (
        ["tags = [", '    "x",', '    "y",', "]"],
        [],
    )


def test_edit_with_nothing_changed_writes_nothing(hand: Path) -> None:
    os.utime(hand, (1_000_000, 1_000_000))
    card = card_of(read_deck_file(hand), "alpha")

    edit_card(hand, "alpha", dataclasses.replace(card, question="  Alpha?  "))

    assert hand.read_text(encoding="utf-8") == HAND
    assert hand.stat().st_mtime == 1_000_000


def test_edit_then_read_twice_gives_the_same_deck(bundled: Path) -> None:
    # Importing the edited file again must change nothing: it reads as the same deck each time.
    before = read_deck_file(bundled)
    card = dataclasses.replace(card_of(before, "testament-krupskaya"), question="Krupskaya?")
    edit_card(bundled, card.key, card)
    text = bundled.read_bytes()
    edit_card(bundled, card.key, card)
    assert bundled.read_bytes() == text
    assert read_deck_file(bundled) == read_deck_file(bundled) == with_card(before, card)


def test_edit_keeps_windows_line_ends_and_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "windows.toml"
    path.write_bytes(codecs.BOM_UTF8 + HAND.replace("\n", "\r\n").encode())
    before = read_deck_file(path)
    card = dataclasses.replace(card_of(before, "alpha"), answer="one\ntwo", tags=("t",))

    edit_card(path, "alpha", card)

    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert read_deck_file(path) == with_card(before, card)


def test_edit_keeps_permissions_and_symlink(tmp_path: Path, hand: Path) -> None:
    hand.chmod(0o640)
    link = tmp_path / "link.toml"
    link.symlink_to(hand)
    card = dataclasses.replace(card_of(read_deck_file(link), "alpha"), question="Via a link?")

    edit_card(link, "alpha", card)

    assert link.is_symlink()
    assert card_of(read_deck_file(hand), "alpha") == card
    assert stat.S_IMODE(hand.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hand.toml", "link.toml"]


# --- add -------------------------------------------------------------------------------------


def test_add_bundled_only_adds_lines_at_the_end_of_the_section(bundled: Path) -> None:
    before_text = bundled.read_text(encoding="utf-8")
    before = read_deck_file(bundled)
    card = CardSpec("lenin-died", "When did Lenin die?", "21 January 1924.", None, ("date",))

    add_card(bundled, section="lenins-legacy", card=card)

    after_text = bundled.read_text(encoding="utf-8")
    added = only_added(before_text, after_text)
    assert [line for line in added if line] == [
        "[[sections.cards]]",
        'id = "lenin-died"',
        'question = "When did Lenin die?"',
        'answer = "21 January 1924."',
        'tags = ["date"]',
    ]
    assert added.count("") == 1  # the blank line between it and its neighbour
    assert read_deck_file(bundled) == with_added(before, "lenins-legacy", card)
    # It went after the section's last card, above the comment that heads the next section.
    assert 'tags = ["date"]\n\n# ------' in after_text


def test_add_to_an_indented_section_is_indented_like_its_cards(hand: Path) -> None:
    before = read_deck_file(hand)
    card = CardSpec("beta", "Beta?", "B", "n")

    add_card(hand, section="one", card=card)

    after = hand.read_text(encoding="utf-8")
    assert only_added(HAND, after) == [
        "",
        "  [[sections.cards]]",
        '  id = "beta"',
        '  question = "Beta?"',
        '  answer = "B"',
        '  note = "n"',
    ]
    assert '  note = "n"\n\n# ---- section two ----\n[[sections]]' in after
    assert read_deck_file(hand) == with_added(before, "one", card)


def test_add_to_a_section_with_no_cards(hand: Path) -> None:
    before = read_deck_file(hand)
    card = CardSpec("gamma", "Gamma?", "G\nwith \"\"\" and '''")

    add_card(hand, section="two", card=card)

    after = hand.read_text(encoding="utf-8")
    added = only_added(HAND, after)
    assert added[:3] == ["[[sections.cards]]", 'id = "gamma"', 'question = "Gamma?"']
    assert '# comment right under title\n\n[[sections.cards]]\nid = "gamma"' in after
    assert read_deck_file(hand) == with_added(before, "two", card)


def test_add_to_the_last_section(hand: Path) -> None:
    before = read_deck_file(hand)
    card = CardSpec("delta", "Delta?", "D")

    add_card(hand, section="three", card=card)

    after = hand.read_text(encoding="utf-8")
    only_added(HAND, after)
    assert after.endswith('answer = "D"\n# end of file comment\n')
    assert read_deck_file(hand) == with_added(before, "three", card)


def test_add_to_a_file_with_no_final_line_break(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    path.write_text('[deck]\nid = "d"\ntitle = "D"\n\n[[sections]]\nid = "s"\ntitle = "S"')
    card = CardSpec("c", "Q?", "A")

    add_card(path, section="s", card=card)

    assert path.read_text().endswith(
        'title = "S"\n\n[[sections.cards]]\nid = "c"\nquestion = "Q?"\nanswer = "A"\n'
    )
    assert read_deck_file(path).cards == (card,)


def test_add_strips_text_as_an_import_does(hand: Path) -> None:
    add_card(hand, section="two", card=CardSpec("g", "  Gamma?\n", " G ", "  ", (" t ",)))
    assert card_of(read_deck_file(hand), "g") == CardSpec("g", "Gamma?", "G", None, ("t",))


# --- errors: one clear message, the file unchanged --------------------------------------------


def unchanged_after(path: Path, call: object, *args: object, **kwargs: object) -> str:
    """Run the call, expecting a DeckFileError; check the folder is as it was; the message."""
    raw = path.read_bytes()
    names = sorted(p.name for p in path.parent.iterdir())
    assert callable(call)
    with pytest.raises(DeckFileError) as caught:
        call(path, *args, **kwargs)
    assert path.read_bytes() == raw
    assert sorted(p.name for p in path.parent.iterdir()) == names  # no temporary file left
    return str(caught.value)


def test_not_toml(hand: Path) -> None:
    hand.write_text(HAND.replace('id = "omega"', 'id = "omega'), encoding="utf-8")
    message = unchanged_after(hand, edit_card, "alpha", CardSpec("alpha", "Q", "A"))
    assert message.count("\n") == 0
    line = HAND.splitlines().index('id = "omega"') + 1
    assert message.startswith(f"{hand}:{line}:") and "TOML syntax error" in message


def test_not_a_valid_deck(hand: Path) -> None:
    hand.write_text(HAND.replace('title = "Two"\n', ""), encoding="utf-8")
    message = unchanged_after(hand, add_card, section="one", card=CardSpec("b", "Q", "A"))
    line = HAND.splitlines().index('id = "two"')  # the header above it
    assert message == f"{hand}:{line}: section 'two': missing required field 'title'"


def test_no_such_card(hand: Path) -> None:
    message = unchanged_after(hand, edit_card, "alpah", CardSpec("alpah", "Q", "A"))
    assert message == f"{hand}: not changed: no card 'alpah' in deck 'hand'; did you mean 'alpha'?"


def test_add_duplicate_id(hand: Path) -> None:
    message = unchanged_after(hand, add_card, section="three", card=CardSpec("alpha", "Q", "A"))
    assert message == f"{hand}: not changed: card id 'alpha' is already used in section 'one'"


def test_add_to_missing_section(hand: Path) -> None:
    message = unchanged_after(hand, add_card, section="four", card=CardSpec("new", "Q", "A"))
    assert message == (f"{hand}: not changed: no section 'four'; the sections are: one, two, three")


def test_add_invalid_card(hand: Path) -> None:
    message = unchanged_after(hand, add_card, section="one", card=CardSpec("Bad Id", " ", "A"))
    assert message.splitlines() == [
        f"{hand}: not changed: card 'Bad Id': id 'Bad Id' is not valid "
        "(lowercase letters, digits and '-', starting with a letter or digit, at most 64)",
        f"{hand}: not changed: card 'Bad Id': the question must not be empty",
    ]


def test_edit_cannot_change_the_id(hand: Path) -> None:
    message = unchanged_after(hand, edit_card, "alpha", CardSpec("alpha-2", "Q", "A"))
    assert "cannot become 'alpha-2'" in message


def test_edit_empty_tag(hand: Path) -> None:
    card = CardSpec("alpha", "Q", "A", None, ("ok", " "))
    message = unchanged_after(hand, edit_card, "alpha", card)
    assert message.endswith("every tag must be a non-empty string")


def test_inline_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "inline.toml"
    path.write_text(
        '[deck]\nid = "d"\ntitle = "D"\n\n[[sections]]\nid = "s"\ntitle = "S"\n'
        'cards = [{ id = "c", question = "Q", answer = "A" }]\n'
    )
    message = unchanged_after(path, edit_card, "c", CardSpec("c", "Q2", "A"))
    assert "not written as [[sections.cards]] tables" in message


def test_not_utf8(hand: Path) -> None:
    hand.write_bytes(HAND.replace("—", "é").encode("latin-1"))
    message = unchanged_after(hand, edit_card, "alpha", CardSpec("alpha", "Q", "A"))
    assert "not UTF-8" in message


def test_what_would_not_read_back_is_not_written(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def shouting(text: str, *args: object, **kwargs: object) -> String:
        # An encoder bug: the TOML written says something else than the text.
        return String(StringType.SLB, text, text.upper(), Trivia())

    monkeypatch.setattr(deckedit, "_string", shouting)
    card = dataclasses.replace(card_of(read_deck_file(hand), "alpha"), question="quiet?")
    message = unchanged_after(hand, edit_card, "alpha", card)
    assert message == f"{hand}: not changed: card 'alpha' would read back with a different question"


def test_what_would_not_parse_is_not_written(hand: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, *args: object, **kwargs: object) -> String:
        return String(StringType.SLB, text, 'un"quoted', Trivia())

    monkeypatch.setattr(deckedit, "_string", broken)
    message = unchanged_after(hand, add_card, section="one", card=CardSpec("b", "Q", "A"))
    lines = message.splitlines()
    assert lines[0] == f"{hand}: not changed: the edit would not read back as a deck"
    assert lines[1].startswith(f"{hand}:") and "TOML syntax error" in lines[1]


def test_file_changed_meanwhile_is_not_overwritten(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def meanwhile(path: Path) -> DeckSpec:
        hand.write_text(HAND + "\n# the student's editor saved\n", encoding="utf-8")
        return read_deck_file(path)

    monkeypatch.setattr(deckedit, "read_deck_file", meanwhile)
    card = dataclasses.replace(card_of(read_deck_file(hand), "alpha"), question="Q?")
    with pytest.raises(DeckFileError, match="changed while recall was editing it"):
        edit_card(hand, "alpha", card)
    assert hand.read_text(encoding="utf-8").endswith("# the student's editor saved\n")
    assert sorted(p.name for p in hand.parent.iterdir()) == ["hand.toml"]


# --- round trips -----------------------------------------------------------------------------

# Text that is hard to write as TOML: quotes of both kinds and in runs of three, backslashes,
# line breaks (also Windows ones), tabs, controls, invisible separators, accents and emoji.
_HARD = st.sampled_from(
    ['"', "'", '"""', "'''", "\\", "\\n", "\n", "\r\n", "\t", "\x00", "\x7f", "\u2028", " "]
    + ["é", "😀", "ß", "a", "#", "=", "[", "]"]
)
texts = (
    st.lists(_HARD | st.text(max_size=5), min_size=1, max_size=12)
    .map("".join)
    .map(str.strip)
    .filter(bool)
)
tag_texts = texts.filter(lambda text: "\n" not in text)


# Where each card of HAND starts, and what follows it.
_BOUNDS = {
    "alpha": ("  [[sections.cards]]   # first card", "\n# attached to nothing?"),
    "omega": ('[[sections.cards]]\nid = "omega"', "\n# end of file comment"),
}


def around(text: str, key: str) -> tuple[str, str]:
    """What comes before the card's header and after its keys, which an edit must leave alone."""
    start, end = _BOUNDS[key]
    return text[: text.index(start)], text[text.index(end) :]


@settings(max_examples=80, deadline=None)
@given(
    key=st.sampled_from(sorted(_BOUNDS)),
    question=texts,
    answer=texts,
    note=st.none() | texts,
    tags=st.lists(tag_texts, max_size=3).map(tuple),
)
def test_edit_round_trip(
    key: str, question: str, answer: str, note: str | None, tags: tuple[str, ...]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hand.toml"
        path.write_text(HAND, encoding="utf-8")
        before = read_deck_file(path)
        card = CardSpec(key, question, answer, note, tags)

        edit_card(path, key, card)

        assert read_deck_file(path) == with_card(before, card)
        assert around(path.read_text(encoding="utf-8"), key) == around(HAND, key)


@settings(max_examples=30, deadline=None)
@given(question=texts, answer=texts, note=st.none() | texts)
def test_add_round_trip(question: str, answer: str, note: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hand.toml"
        path.write_text(HAND, encoding="utf-8")
        before = read_deck_file(path)
        card = CardSpec("new", question, answer, note)

        add_card(path, section="one", card=card)

        assert read_deck_file(path) == with_added(before, "one", card)
        only_added(HAND, path.read_text(encoding="utf-8"))


@settings(max_examples=100, deadline=None)
@given(
    question=texts,
    answer=texts,
    note=st.none() | texts,
    tags=st.lists(tag_texts, max_size=3).map(tuple),
)
def test_snippet_round_trip(
    question: str, answer: str, note: str | None, tags: tuple[str, ...]
) -> None:
    card = CardSpec("some-card", question, answer, note, tags)
    assert parse_snippet(card_snippet(card, "some-section")) == ("some-section", card)


# --- the one-card form -----------------------------------------------------------------------


def test_snippet_text() -> None:
    card = CardSpec("river", "River through Paris?", "The\nSeine", None, ("geo",))
    assert card_snippet(card, "first") == (
        'id = "river"\n'
        'section = "first"\n'
        'question = "River through Paris?"\n'
        'answer = """\nThe\nSeine"""\n'
        'note = ""\n'
        'tags = ["geo"]\n'
    )


def test_snippet_comments_above_are_ignored() -> None:
    text = "# line 1: something was wrong\n" + card_snippet(CardSpec("c", "Q", "A"), "s")
    assert parse_snippet(text) == ("s", CardSpec("c", "Q", "A"))


def test_snippet_problems_name_their_lines() -> None:
    text = 'id = "c"\nsection = "Bad Section"\nquestion = "  "\nanwser = "A"\ntags = [1]\n'
    with pytest.raises(DeckFileError) as caught:
        parse_snippet(text)
    assert caught.value.problems == [
        "line 4: unknown key 'anwser'; did you mean 'answer'? "
        "(allowed: id, section, question, answer, note, tags)",
        "missing 'answer'",
        'line 5: \'tags\' must be a list of strings in quotes, like ["date", "essay"]',
        "line 2: section 'Bad Section' is not a valid id "
        "(lowercase letters, digits and '-', starting with a letter or digit, at most 64)",
        "line 3: the question must not be empty",
    ]


def test_snippet_problem_is_said_once_per_key() -> None:
    # An answer that is no string is not also reported empty.
    with pytest.raises(DeckFileError) as caught:
        parse_snippet('id = "c"\nsection = "s"\nquestion = "Q"\nanswer = 3\n')
    assert caught.value.problems == ["line 4: 'answer' must be a string in quotes"]


def test_snippet_toml_error_has_line_and_column() -> None:
    with pytest.raises(DeckFileError) as caught:
        parse_snippet('id = "c"\nsection = "s"\nquestion = "no end\nanswer = "A"\n')
    (problem,) = caught.value.problems
    assert problem.startswith("TOML syntax error: line 3, column ")


def test_snippet_empty_id_is_made_from_the_question() -> None:
    text = card_snippet(CardSpec("", "What was Lenin's Testament?", "Notes."), "legacy")
    assert parse_snippet(text, taken={"lenins-testament"}) == (
        "legacy",
        CardSpec("lenins-testament-2", "What was Lenin's Testament?", "Notes."),
    )


def test_snippet_empty_card() -> None:
    with pytest.raises(DeckFileError) as caught:
        parse_snippet(card_snippet(CardSpec("", "", ""), "s"))
    assert caught.value.problems == [
        "line 3: the question must not be empty",
        "line 4: the answer must not be empty",
    ]


# --- ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What was Lenin's Testament?", "lenins-testament"),
        (
            "When did Stalin become General Secretary of the Communist Party?",
            "stalin-become-general-secretary",
        ),
        ("¿Qué es el café?", "que-es-el-cafe"),
        ("What is it?", "what-is-it"),
        ("1924: who won?", "1924-won"),
        ("x" * 100, "x" * 40),
    ],
)
def test_new_card_id(question: str, expected: str) -> None:
    assert new_card_id(question, set()) == expected


def test_new_card_id_numbers_taken_ids() -> None:
    taken = {"lenins-testament", "lenins-testament-2"}
    assert new_card_id("What was Lenin's Testament?", taken) == "lenins-testament-3"


def test_new_card_id_without_ascii_words_is_stable() -> None:
    first = new_card_id("什么是列宁的遗嘱？", set())
    assert first == new_card_id("什么是列宁的遗嘱？", set())
    assert first.startswith("card-") and ID_PATTERN.match(first)
    assert new_card_id("другой вопрос", set()) != first


@given(question=st.text(), taken=st.sets(st.sampled_from(["a", "a-2", "what", "card"])))
def test_new_card_id_is_valid_and_free(question: str, taken: set[str]) -> None:
    key = new_card_id(question, taken)
    assert ID_PATTERN.match(key)
    assert key not in taken
