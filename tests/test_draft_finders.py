"""recall draft's card finders: Markdown notes in each notation give the cards expected of them."""

from __future__ import annotations

import pytest

from recall1924.drafting.draft import Draft, draft_deck
from recall1924.drafting.finders import Kind
from recall1924.drafting.notes import read_notes


def drafted(text: str) -> Draft:
    return draft_deck(read_notes(text, "notes"), name="notes")


def cards(text: str) -> list[tuple[Kind, int, str, str | None]]:
    return [(c.found.kind, c.found.line, c.found.front, c.found.back) for c in drafted(text).cards]


def test_pair() -> None:
    assert cards("- The nucleus :: holds the cell's DNA\n") == [
        (Kind.PAIR, 1, "The nucleus", "holds the cell's DNA")
    ]


def test_pair_with_a_space_on_one_side() -> None:
    assert cards("Capital of France:: Paris\n") == [(Kind.PAIR, 1, "Capital of France", "Paris")]


def test_double_colon_between_two_words_is_no_pair() -> None:
    assert [kind for kind, *_ in cards("- Use std::vector in C++ 2011\n")] == [Kind.CANDIDATE]


def test_both_directions() -> None:
    assert cards("Mitochondria ::: the powerhouse of the cell\n") == [
        (Kind.BOTH, 1, "Mitochondria", "the powerhouse of the cell"),
        (Kind.BOTH, 1, "the powerhouse of the cell", "Mitochondria"),
    ]


def test_question_with_an_indented_answer() -> None:
    text = "What does the membrane do?\n    It controls what enters\n    and what leaves.\n"
    assert cards(text) == [
        (
            Kind.QUESTION,
            1,
            "What does the membrane do?",
            "It controls what enters\nand what leaves.",
        )
    ]


def test_question_with_a_fenced_answer() -> None:
    text = "What is osmosis?\n```text\nWater crossing a membrane,\n  dilute to concentrated.\n```\n"
    assert cards(text) == [
        (
            Kind.QUESTION,
            1,
            "What is osmosis?",
            "Water crossing a membrane,\n  dilute to concentrated.",
        )
    ]


def test_bullet_with_sub_bullets() -> None:
    text = "- Organelles of a plant cell\n  - chloroplast\n  - cell wall\n    - cellulose\n"
    assert cards(text) == [
        (
            Kind.OUTLINE,
            1,
            "Organelles of a plant cell",
            "- chloroplast\n- cell wall\n  - cellulose",
        )
    ]


def test_bullet_question_with_sub_bullets_is_an_outline() -> None:
    text = "- Why did NEP end?\n  - grain crisis\n  - industrial plans\n"
    assert cards(text) == [
        (Kind.OUTLINE, 1, "Why did NEP end?", "- grain crisis\n- industrial plans")
    ]


def test_anki_clozes_with_and_without_hint() -> None:
    text = "The {{c1::ribosome}} makes {{c2::proteins::what molecules?}}.\n"
    assert cards(text) == [
        (Kind.CLOZE, 1, "The {{c1::ribosome}} makes {{c2::proteins::what molecules?}}.", None)
    ]


def test_highlights_become_clozes_numbered_after_those_there() -> None:
    assert cards("==Photosynthesis== happens in the ==chloroplast==.\n") == [
        (Kind.CLOZE, 1, "{{c1::Photosynthesis}} happens in the {{c2::chloroplast}}.", None)
    ]
    assert cards("The {{c1::cell}} has a ==nucleus==.\n") == [
        (Kind.CLOZE, 1, "The {{c1::cell}} has a {{c2::nucleus}}.", None)
    ]


def test_a_pair_with_a_highlight_stays_a_pair() -> None:
    assert cards("Osmosis :: ==water== crossing a membrane\n")[0][0] is Kind.PAIR


def test_bold_marks_are_taken_off() -> None:
    assert cards("**Nucleus** :: holds the DNA\n") == [(Kind.PAIR, 1, "Nucleus", "holds the DNA")]


def test_children_of_a_pair_are_cards_of_their_own() -> None:
    text = "- Cell :: the unit of life\n  - Nucleus :: holds the DNA\n"
    assert [(kind, line) for kind, line, *_ in cards(text)] == [(Kind.PAIR, 1), (Kind.PAIR, 2)]


NOTES = """\
# Biology revision

## Cells

The nucleus :: holds the cell's DNA
Mitochondria ::: the powerhouse of the cell

What does the cell membrane do?
    It controls what enters and leaves the cell.

- Organelles of a plant cell
  - chloroplast
  - vacuole

The {{c1::ribosome}} makes {{c2::proteins::what molecules?}}.
==Photosynthesis== happens in the chloroplast.

## Genetics

- Watson and Crick described the double helix in 1953
"""


def test_markdown_notes_of_every_notation() -> None:
    draft = drafted(NOTES)
    assert (draft.key, draft.title) == ("biology-revision", "Biology revision")
    assert [(s.key, s.title) for s in draft.sections] == [
        ("cells", "Cells"),
        ("genetics", "Genetics"),
    ]
    assert [(c.key, c.fields("notes.md")) for c in draft.cards] == [
        (
            "nucleus-2e03c9",
            [
                ("id", "nucleus-2e03c9"),
                ("question", "The nucleus"),
                ("answer", "holds the cell's DNA"),
                ("source", "notes.md:5"),
            ],
        ),
        (
            "mitochondria-aa43dc",
            [
                ("id", "mitochondria-aa43dc"),
                ("question", "Mitochondria"),
                ("answer", "the powerhouse of the cell"),
                ("source", "notes.md:6"),
            ],
        ),
        (
            "powerhouse-cell-fabb7a",
            [
                ("id", "powerhouse-cell-fabb7a"),
                ("question", "the powerhouse of the cell"),
                ("answer", "Mitochondria"),
                ("source", "notes.md:6"),
            ],
        ),
        (
            "cell-membrane-8a788d",
            [
                ("id", "cell-membrane-8a788d"),
                ("question", "What does the cell membrane do?"),
                ("answer", "It controls what enters and leaves the cell."),
                ("source", "notes.md:8"),
            ],
        ),
        (
            "organelles-plant-cell-9a4bf6",
            [
                ("id", "organelles-plant-cell-9a4bf6"),
                ("question", "Organelles of a plant cell"),
                ("answer", "- chloroplast\n- vacuole"),
                ("source", "notes.md:11"),
            ],
        ),
        (
            "ribosome-makes-proteins-b0757d",
            [
                ("id", "ribosome-makes-proteins-b0757d"),
                ("cloze", "The {{c1::ribosome}} makes {{c2::proteins::what molecules?}}."),
                ("source", "notes.md:15"),
            ],
        ),
        (
            "photosynthesis-happens-chloroplast-5e3df0",
            [
                ("id", "photosynthesis-happens-chloroplast-5e3df0"),
                ("cloze", "{{c1::Photosynthesis}} happens in the chloroplast."),
                ("source", "notes.md:16"),
            ],
        ),
        (
            "watson-crick-described-double-2a6877",
            [
                ("id", "watson-crick-described-double-2a6877"),
                ("cloze", "{{c1::Watson and Crick}} described the double helix in {{c2::1953}}"),
                ("tags", ("draft",)),
                ("source", "notes.md:20"),
            ],
        ),
    ]


def test_ids_are_the_same_whatever_is_added_around_a_line() -> None:
    before = {c.found.front: c.key for c in drafted(NOTES).cards}
    after = {
        c.found.front: c.key
        for c in drafted(
            "- New first line :: here\n\n" + NOTES.replace("## Genetics", "## Genes")
        ).cards
    }
    assert all(after[front] == key for front, key in before.items())


@pytest.mark.parametrize("text", ["- Same fact in 1917\n- Same fact in 1917\n"])
def test_the_same_text_twice_gets_two_ids(text: str) -> None:
    keys = [c.key for c in drafted(text).cards]
    assert len(keys) == 2 and keys[1] == keys[0] + "-2"
