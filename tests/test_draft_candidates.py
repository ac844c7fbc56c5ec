"""recall draft's cloze candidates: the dates, numbers and names of a plain bullet deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from recall1924.drafting.candidates import MAX_DELETIONS, Lexicon, readable_heading
from recall1924.drafting.draft import draft_deck
from recall1924.drafting.finders import CLOZE, Kind
from recall1924.drafting.notes import read_notes

SEED = Path(__file__).resolve().parents[2] / "shared" / "notes" / "000_366f268b3d129378.txt"


def clozes(text: str) -> list[str]:
    return [card.found.front for card in draft_deck(read_notes(text, "n"), name="n").cards]


def deleted(text: str) -> list[list[str]]:
    return [[match[2] for match in CLOZE.finditer(front)] for front in clozes(text)]


def test_the_issues_example() -> None:
    assert clozes("- Lenin Enrolment: 1923-25 - membership increased 340,000 to 600,000\n") == [
        "{{c1::Lenin Enrolment}}: {{c2::1923-25}} - membership increased {{c3::340,000}} to "
        "{{c4::600,000}}"
    ]


@pytest.mark.parametrize(
    ("bullet", "expected"),
    [
        ("- Expelled from the party in 1927", ["1927"]),
        ("- Famine in the 1930s killed millions", ["1930s"]),
        ("- Died on 21 January 1924 at Gorki", ["21 January 1924", "Gorki"]),
        ("- Only 80% of the harvest came in", ["80%"]),
        ("- Lenin spoke at the 13th congress", ["13th"]),
        ("- Tried to condemn bureaucratisation but failed", ["bureaucratisation"]),
    ],
)
def test_dates_numbers_and_names(bullet: str, expected: list[str]) -> None:
    assert deleted(bullet + "\n") == [expected]


def test_a_list_of_names_is_one_deletion() -> None:
    text = "- Outvoted by the triumvirate of Stalin, Kamenev, and Zinoviev\n"
    assert deleted(text) == [["Stalin, Kamenev, and Zinoviev"]]
    text = "- Right (Bukharin, Tomsky, Rykov) wanted slow change\n- Beaten by the Right\n"
    assert deleted(text) == [["Right", "Bukharin, Tomsky, Rykov"], ["Right"]]


def test_names_joined_by_of_and_in() -> None:
    assert deleted('- He came up with "Socialism in One Country" as a slogan\n') == [
        ["Socialism in One Country"]
    ]
    assert deleted("- Was relieved of his post as Commissar for War\n") == [["Commissar for War"]]


def test_a_capitalised_word_at_a_sentence_start_is_a_name_only_if_written_so_elsewhere() -> None:
    text = "- Created the Red Army. Declined the honour\n- Trotsky was absent\n- It hurt Trotsky\n"
    assert deleted(text) == [["Red Army"], ["Trotsky"], ["Trotsky"]]


def test_a_quotation_starts_a_sentence() -> None:
    assert deleted('- The essay "Why did Stalin win?" was set in 1924\n') == [["Stalin", "1924"]]


def test_no_common_word_is_deleted() -> None:
    for found in deleted("- The party and the state were one in the 1920s under Stalin\n"):
        assert not {"The", "the", "and", "party", "state"} & set(found)


def test_the_topic_is_not_deleted() -> None:
    text = (
        "# Leon Trotsky\n## Trotsky's life\n### PERMANENT REVOLUTION\n"
        "- Trotsky wanted Permanent Revolution in Europe\n"
    )
    assert deleted(text) == [["Europe"]]


def test_a_term_that_is_the_whole_sub_heading_is_not_deleted_but_one_of_two_is() -> None:
    text = (
        "# T\n## S\n### TROTSKY\n- Trotsky: exiled in 1929\n"
        "### COLLECTIVISATION AND MORE\n- Collectivisation: pooling land\n"
    )
    assert deleted(text) == [["1929"], ["Collectivisation"]]


def test_at_most_four_deletions_dates_first_then_the_rarest_names() -> None:
    text = (
        "- Trotsky = left. Supported Lenin 1921, but 1923 criticised Gosplan over NEPmen\n"
        "- Lenin again\n- Trotsky again\n"
    )
    assert deleted(text)[0] == ["1921", "1923", "Gosplan", "NEPmen"]
    assert MAX_DELETIONS == 4


def test_the_sub_heading_leads_the_cloze() -> None:
    text = "# T\n## S\n### LENIN'S FUNERAL\n- Stalin gave the oration for the Politburo\n- Lenin\n"
    assert clozes(text)[0] == "Lenin's funeral › Stalin gave the oration for the {{c1::Politburo}}"


def test_readable_heading_keeps_the_names_as_the_notes_write_them() -> None:
    notes = read_notes("- met Socialism in One Country and Lenin\n", "n")
    lexicon = Lexicon.of(notes)
    assert readable_heading("SOCIALISM IN ONE COUNTRY", lexicon) == "Socialism in One Country"
    assert readable_heading("LENIN'S FUNERAL", lexicon) == "Lenin's funeral"
    assert readable_heading("Already written", lexicon) == "Already written"


def test_a_bullet_with_nothing_to_ask_gets_no_card_and_is_listed() -> None:
    draft = draft_deck(read_notes("- it was so\n", "n"), name="n")
    assert draft.cards == ()
    assert [(one.line, one.why) for one in draft.left_out] == [(1, "nothing in it to ask")]


@pytest.mark.skipif(not SEED.exists(), reason="the seed notes are not there")
def test_seed_notes_every_bullet_of_fact_has_a_card() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    draft = draft_deck(read_notes("\n".join(lines), SEED.stem), name=SEED.stem)
    site = {one.line for one in draft.left_out if one.site}
    bullets = {n for n, line in enumerate(lines, 1) if line.startswith("- ") and n not in site}
    assert len(bullets) == 45
    by_line = {card.found.line: card for card in draft.cards}
    assert set(by_line) == bullets  # a card for each, and none from the site's lines
    assert all(
        card.found.kind is Kind.CANDIDATE and card.tags == ("draft",) for card in draft.cards
    )
    stopwords = {"the", "a", "an", "of", "to", "and", "in", "was", "he", "it"}
    for card in draft.cards:
        words = [match[2] for match in CLOZE.finditer(card.found.front)]
        assert 1 <= len(words) <= MAX_DELETIONS
        assert not {word.lower() for word in words} & stopwords, card.found.front
    assert by_line[14].found.front == (
        "Key policies › {{c1::Lenin Enrolment}}: {{c2::1923-25}} - membership increased "
        "{{c3::340,000}} to {{c4::600,000}}. New members= unsophisticated, but aware that "
        "membership depended on loyalty. Stalin used it to increase power, gaining a reliable "
        "body of votes"
    )
    assert by_line[61].found.front == (
        "Trotsky › {{c1::1929}}- exiled from {{c2::USSR}}, went to {{c3::South America}}"
    )
