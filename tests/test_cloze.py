"""Cloze cards in recall's own formats: the parser, a TOML deck's ``cloze`` key (one card per
number, ``<id>-c<number>``), the refusals, and the round trip TOML → collection → TOML, CSV
and Anki package → the same cards, ids and histories."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import collection_sql
from conftest import NOW
from recall1924 import cloze
from recall1924.cli import app
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.deckfile import parse_deck
from recall1924.errors import DeckFileError
from recall1924.exporters import write_csv, write_toml
from recall1924.exporters.apkg import apkg_bytes
from recall1924.importers.csv import read_csv
from recall1924.scheduling import Rating, answer
from recall1924.typed import checked_answer, compare, suggest
from test_csv_roundtrip import summary

DECK = """\
[deck]
id = "soviet"
title = "Soviet history"

[[sections]]
id = "lenin"
title = "Lenin"

[[sections.cards]]
id = "lenin-death"
cloze = "Lenin died in {{c1::January 1924}}; {{c2::Stalin::who?}} spoke at his funeral."
note = "Trotsky was away in the Caucasus."
tags = ["dates"]

[[sections.cards]]
id = "testament"
question = "What was Lenin's Testament?"
answer = "Notes judging his possible successors."
"""


def recall(*args: str) -> str:
    result = CliRunner().invoke(
        app, list(args), env={"RECALL_NOW": NOW.isoformat()}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


def cards_in(db_path: Path) -> list[tuple[object, ...]]:
    with collection_sql.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT card.key, section.key, question, answer, note, tags, cloze, cloze_ord, state, "
            "stability, due FROM card JOIN section ON section.id = card.section_id "
            "JOIN deck ON deck.id = card.deck_id WHERE deck.key = 'soviet' ORDER BY card.key"
        ).fetchall()
    conn.close()
    return rows


def answers_in(db_path: Path) -> list[tuple[object, ...]]:
    with collection_sql.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT card.key, kind, rating, reviewed_at FROM review_log JOIN card "
            "ON card.id = review_log.card_id ORDER BY card.key, reviewed_at"
        ).fetchall()
    conn.close()
    return rows


def study(db_path: Path, key: str, ratings: list[Rating]) -> None:
    """Answer card ``key`` of the deck, a day apart."""
    context = App(collection_sql.location(db_path), FixedClock(NOW))
    try:
        store = context.store
        cards = store.existing_cards("soviet")
        assert cards is not None
        card_id, memory = cards[key].id, cards[key].memory
        for index, rating in enumerate(ratings):
            at = NOW - timedelta(days=10 - index)
            after = answer(context.scheduler, card_id=card_id, memory=memory, rating=rating, at=at)
            store.record_answer(
                card_id, before=memory, after=after, rating=rating, at=at, duration_ms=3_000
            )
            memory = after
    finally:
        context.close()


# The parser
# ---------------------------------------------------------------------------------------------


def test_each_number_is_a_card_asking_its_deletion_with_the_others_shown() -> None:
    text = "{{c1::Paris}} is the capital of {{c2::France::a country}}."
    assert cloze.numbers(text) == {1, 2}
    assert cloze.question(text, 1) == "[...] is the capital of France."
    assert cloze.answer(text, 1) == "[Paris] is the capital of France."
    assert cloze.question(text, 2) == "Paris is the capital of [a country]."
    assert cloze.answer(text, 2) == "Paris is the capital of [France]."
    assert cloze.deletions(text, 2) == "France"
    assert cloze.question(text, 3) == ""  # no such deletion


def test_nested_and_shared_deletions_follow_ankis_rules() -> None:
    text = "{{c1::Stalin {{c2::Dzhugashvili}}}} and {{c1,3::Trotsky}}"
    assert cloze.numbers(text) == {1, 2, 3}
    assert cloze.question(text, 1) == "[...] and [...]"
    assert cloze.deletions(text, 1) == "Stalin Dzhugashvili, Trotsky"
    assert cloze.question(text, 2) == "Stalin [...] and Trotsky"
    assert cloze.answer(text, 3) == "Stalin Dzhugashvili and [Trotsky]"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Lenin died in {{c1::1924", "'{{c1::' is never closed with '}}'"),
        ("Lenin died in 1924", "no deletion: mark what to ask as {{c1::…}}"),
        ("{{c0::x}} y", "'{{c0::': cloze numbers start at 1 ({{c1::…}})"),
        ("{{c1::  }} y", "deletion c1 is empty"),
    ],
)
def test_a_cloze_a_deck_file_may_not_hold_says_why(text: str, problem: str) -> None:
    assert cloze.problems(text) == [problem]
    assert cloze.problems("a {{c1::b}} {{c2::c::hint}}") == []


# The TOML deck file
# ---------------------------------------------------------------------------------------------


def test_a_cloze_table_gives_a_card_per_number_with_its_own_id() -> None:
    deck = parse_deck(DECK, "soviet.toml")
    first, second, plain = deck.cards
    assert (first.key, second.key, plain.key) == ("lenin-death-c1", "lenin-death-c2", "testament")
    assert first.question == "Lenin died in [...]; Stalin spoke at his funeral."
    assert first.answer == "Lenin died in [January 1924]; Stalin spoke at his funeral."
    assert second.question == "Lenin died in January 1924; [who?] spoke at his funeral."
    assert (first.cloze_ord, second.cloze_ord, plain.cloze_ord) == (1, 2, None)
    assert first.cloze == second.cloze and plain.cloze is None
    assert first.note == second.note == "Trotsky was away in the Caucasus."
    assert first.tags == ("dates",)


def with_cards(*tables: str) -> str:
    head = '[deck]\nid = "d"\ntitle = "D"\n\n[[sections]]\nid = "s"\ntitle = "S"\n'
    return head + "".join(f"\n[[sections.cards]]\n{table}" for table in tables)


def problems(text: str) -> list[str]:
    with pytest.raises(DeckFileError) as caught:
        parse_deck(text, "d.toml")
    return caught.value.problems


def test_a_malformed_cloze_is_refused_with_its_line() -> None:
    text = with_cards(
        'id = "open"\ncloze = "Lenin died in {{c1::1924"\n',
        'id = "none"\nnote = "n"\ncloze = "Lenin died in 1924"\n',
        'id = "both"\ncloze = "{{c1::a}}"\nanswer = "a"\n',
    )
    assert problems(text) == [
        "d.toml:11: card 'open': field 'cloze': '{{c1::' is never closed with '}}'",
        "d.toml:16: card 'none': field 'cloze': no deletion: mark what to ask as {{c1::…}}",
        "d.toml:21: card 'both': a cloze card has no 'answer': its cloze gives it",
    ]


def test_a_cloze_card_id_another_card_has_is_refused_whichever_comes_first() -> None:
    cloze_first = with_cards(
        'id = "death"\ncloze = "{{c1::a}} {{c2::b}}"\n',
        'id = "death-c2"\nquestion = "q"\nanswer = "a"\n',
    )
    assert problems(cloze_first) == [
        "d.toml:14: card 'death-c2': duplicate card id (a card of the cloze at line 10)"
    ]
    card_first = with_cards(
        'id = "death-c1"\nquestion = "q"\nanswer = "a"\n', 'id = "death"\ncloze = "{{c1::a}}"\n'
    )
    assert problems(card_first) == [
        "d.toml:15: card 'death': its cloze c1 would be card 'death-c1', an id the deck has "
        "already at line 10; rename one of them"
    ]
    too_long = with_cards(f'id = "{"x" * 63}"\ncloze = "{{{{c1::a}}}}"\n')
    assert problems(too_long) == [
        f"d.toml:10: card '{'x' * 63}': id too long for its cloze cards ('{'x' * 63}-c1' is over "
        "64 characters)"
    ]


def test_the_toml_writer_writes_a_cloze_once_and_reads_back_the_same_deck() -> None:
    deck = parse_deck(DECK, "soviet.toml")
    text = write_toml(deck)
    assert text.count("cloze = ") == 1
    assert 'id = "lenin-death"\ncloze = ' in text
    assert parse_deck(text, "soviet.toml") == deck


def test_a_cloze_card_that_no_longer_is_its_clozes_text_is_written_as_a_card() -> None:
    deck = parse_deck(DECK, "soviet.toml")
    section = deck.sections[0]
    reworded = (replace(section.cards[0], answer="1924"),)
    changed = DeckSpec(
        deck.key,
        deck.title,
        (SectionSpec(section.key, section.title, reworded + section.cards[1:]),),
    )
    text = write_toml(changed)
    assert 'id = "lenin-death-c1"\nquestion = ' in text and 'id = "lenin-death-c2"' in text
    assert "cloze = " not in text
    read = parse_deck(text, "x")
    assert [(card.key, card.question, card.answer) for card in read.cards] == [
        (card.key, card.question, card.answer) for card in changed.cards
    ]


# CSV
# ---------------------------------------------------------------------------------------------


def test_a_csv_cloze_row_gives_the_same_cards_as_toml(tmp_path: Path) -> None:
    deck = parse_deck(DECK, "soviet.toml")
    path = tmp_path / "soviet.csv"
    path.write_text(write_csv([deck]), encoding="utf-8", newline="")
    header, row, _plain = path.read_text(encoding="utf-8").splitlines()
    assert header.endswith(",cloze") and row.startswith(",,lenin,dates,")
    [back], skipped = read_csv(path)
    assert skipped == []
    assert list(back.cards) == list(deck.cards)


def test_a_hand_made_csv_of_clozes_needs_no_question_column(tmp_path: Path) -> None:
    path = tmp_path / "clozes.csv"
    path.write_text(
        "id,cloze\n"
        "nep,The {{c1::NEP}} began in {{c2::1921}}.\n"
        ',"{{c1::Kamenev}} and {{c2::Zinoviev}}"\n'
        "bad,The {{c1::NEP\n",
        encoding="utf-8",
    )
    with pytest.raises(DeckFileError) as caught:
        read_csv(path)
    assert caught.value.problems == [f"{path}:4: cloze: '{{{{c1::' is never closed with '}}}}'"]
    path.write_text(path.read_text(encoding="utf-8").rsplit("bad,", 1)[0], encoding="utf-8")
    [deck], _ = read_csv(path)
    keys = [card.key for card in deck.cards]
    assert keys[:2] == ["nep-c1", "nep-c2"]
    assert keys[2].startswith("q-") and keys[2].endswith("-c1") and keys[3].endswith("-c2")
    assert deck.cards[1].question == "The NEP began in [...]."


# The round trip through the collection
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".csv", ".apkg"])
def test_clozes_come_back_unchanged_with_their_ids_and_histories(
    tmp_path: Path, db_path: Path, suffix: str
) -> None:
    source = tmp_path / "soviet.toml"
    source.write_text(DECK, encoding="utf-8")
    recall("import", str(source))
    study(db_path, "lenin-death-c2", [Rating.Good, Rating.Again, Rating.Good])
    before = cards_in(db_path), answers_in(db_path)
    assert [row[6] is not None for row in before[0]] == [True, True, False]

    exported = tmp_path / f"again{suffix}"
    recall("export", "--deck", "soviet", "-o", str(exported))
    out = recall("import", str(exported))
    assert summary(out)["cards unchanged"] == [3]
    assert (cards_in(db_path), answers_in(db_path)) == before

    if suffix == ".apkg":  # into a fresh collection: the same cards, memory and answers
        fresh = tmp_path / "fresh.db"
        recall("--db", str(fresh), "import", str(exported))
        assert cards_in(fresh) == before[0]
        assert answers_in(fresh) == before[1]


def test_editing_a_cloze_keeps_the_numbers_that_remain(tmp_path: Path, db_path: Path) -> None:
    source = tmp_path / "soviet.toml"
    source.write_text(DECK, encoding="utf-8")
    recall("import", str(source))
    study(db_path, "lenin-death-c1", [Rating.Good, Rating.Good])
    kept = [row for row in cards_in(db_path) if row[0] == "lenin-death-c1"][0]

    # c2 goes, c3 comes, c1 is reworded
    source.write_text(
        DECK.replace(
            "{{c1::January 1924}}; {{c2::Stalin::who?}} spoke at his funeral.",
            "{{c1::January 1924}}, aged {{c3::53}}.",
        ),
        encoding="utf-8",
    )
    out = recall("import", str(source))
    rows = summary(out)
    assert (rows["cards added"], rows["cards updated"], rows["cards not in file"]) == (
        [1],
        [1],
        [1],
    )
    assert "no longer in file, kept (use --prune to delete): lenin-death-c2" in out
    now = {row[0]: row for row in cards_in(db_path)}
    assert now["lenin-death-c1"][2] == "Lenin died in [...], aged 53."
    assert now["lenin-death-c1"][8:] == kept[8:]  # the same memory state
    assert now["lenin-death-c3"][7] == 3
    assert [row[0] for row in answers_in(db_path)] == ["lenin-death-c1"] * 2

    recall("import", "--prune", str(source))
    assert "lenin-death-c2" not in {row[0] for row in cards_in(db_path)}


def test_a_cloze_from_a_spreadsheet_with_other_ids_stays_cards(tmp_path: Path) -> None:
    # a cloze card whose id names no cloze (a CSV's own id for one card) leaves as a card
    card = CardSpec(
        "my-own-id",
        "Lenin died in [...].",
        "Lenin died in [1924].",
        cloze="Lenin died in {{c1::1924}}.",
        cloze_ord=1,
    )
    deck = DeckSpec("d", "D", (SectionSpec("s", "S", (card,)),))
    assert "cloze" not in write_toml(deck)
    assert write_csv([deck]).splitlines()[0].endswith("deck_title")
    assert b"Cloze (recall)" not in apkg_bytes([deck], now=NOW)


# Review: what the screen shows, and the typed answer
# ---------------------------------------------------------------------------------------------


def test_a_typed_answer_to_a_cloze_card_is_checked_against_its_deletion() -> None:
    card = parse_deck(DECK, "soviet.toml").cards[0]
    expected = checked_answer(
        card.answer, question=card.question, cloze=card.cloze, cloze_ord=card.cloze_ord
    )
    assert expected == "January 1924"
    typed = compare("january 1924", expected, question=card.question)
    assert suggest(typed) is Rating.Good
    assert [point.point for point in typed.points] == ["January 1924"]
    # against the whole answer, the rest of the sentence would be missed
    assert suggest(compare("january 1924", card.answer, question="")) is not Rating.Good
    assert checked_answer("plain", cloze=None, cloze_ord=None) == "plain"
    # reworded by the student: their answer is the one to check
    reworded = checked_answer("1924", question=card.question, cloze=card.cloze, cloze_ord=1)
    assert reworded == "1924"


def test_the_screen_marks_the_asked_deletion_and_reveals_it() -> None:
    from recall1924.ui.card import CLOZE_STYLE, cloze_side

    spec = parse_deck(DECK, "soviet.toml").cards[1]
    card = type("Card", (), {})()
    card.cloze, card.cloze_ord = spec.cloze, spec.cloze_ord
    card.question, card.answer = spec.question, spec.answer
    question = cloze_side(card, asking=True, limit=1000)
    answer_side = cloze_side(card, asking=False, limit=1000)
    assert question is not None and answer_side is not None
    assert question.plain == spec.question
    assert answer_side.plain == spec.answer
    marked = [question.plain[span.start : span.end] for span in question.spans]
    assert marked == ["[who?]"] and question.spans[0].style == CLOZE_STYLE
    assert [answer_side.plain[span.start : span.end] for span in answer_side.spans] == ["[Stalin]"]
    console = Console(file=io.StringIO(), width=80)
    console.print(question)
    assert "[who?] spoke" in console.file.getvalue()  # type: ignore[attr-defined]
    card.answer = "Reworded by the student."
    assert cloze_side(card, asking=True, limit=1000) is None  # shown as it is


@pytest.mark.postgres
def test_clozes_round_trip_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "soviet.toml"
    source.write_text(DECK, encoding="utf-8")
    where = ("--database-url", postgres_url)
    recall("import", str(source), *where)
    exported = tmp_path / "again.csv"
    recall("export", "--deck", "soviet", "-o", str(exported), *where)
    assert summary(recall("import", str(exported), *where))["cards unchanged"] == [3]
    listing = recall("cards", "--deck", "soviet", "--json", *where)
    assert "Lenin died in [...]; Stalin spoke at his funeral." in listing


def test_editing_one_deletion_in_the_file_says_to_change_the_cloze_text(tmp_path: Path) -> None:
    # Tried by hand: `recall edit lenin-death-c1` said "no card 'lenin-death-c1' in deck 'd';
    # did you mean 'lenin-death-c1'?". The file holds the cloze, not its cards.
    from recall1924.deckedit import edit_card
    from recall1924.errors import DeckFileError

    path = tmp_path / "d.toml"
    text = (
        '[deck]\nid = "d"\ntitle = "D"\n\n[[sections]]\nid = "s"\ntitle = "S"\n\n'
        '[[sections.cards]]\nid = "lenin-death"\ncloze = "Lenin died in {{c1::1924}}"\n'
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeckFileError, match="is deletion c1 of the cloze card 'lenin-death'"):
        edit_card(path, "lenin-death-c1", CardSpec("lenin-death-c1", "Q?", "A"))
    assert path.read_text(encoding="utf-8") == text
