"""recall draft's notes reader: sections from each shape of notes, items, and what is left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from recall1924.drafting.notes import Item, Shape, read_notes

SEED = Path(__file__).resolve().parents[2] / "shared" / "notes" / "000_366f268b3d129378.txt"
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="the seed notes are not there")


def texts(items: tuple[Item, ...]) -> list[str]:
    return [item.text for item in items]


def test_markdown_lone_title_and_sections() -> None:
    notes = read_notes("# Biology\n\n## Cells\n- a\n\n### Parts\n- b\n## Genes\n- c\n", "n")
    assert notes.shape is Shape.MARKDOWN and notes.title == "Biology"
    assert [(s.title, s.line) for s in notes.sections] == [("Cells", 3), ("Genes", 8)]
    cells = notes.sections[0].items
    assert [(i.text, i.heading) for i in cells] == [("a", None), ("b", "Parts")]


def test_markdown_one_heading_is_the_title_and_the_section() -> None:
    notes = read_notes("# Cells\n- a\n", "n")
    assert notes.title == "Cells" and [s.title for s in notes.sections] == ["Cells"]


def test_markdown_several_top_headings_are_all_sections() -> None:
    notes = read_notes("# One\n- a\n# Two\n- b\n", "n")
    assert notes.title is None
    assert [s.title for s in notes.sections] == ["One", "Two"]


def test_markdown_text_before_the_first_heading_is_a_section_of_its_own() -> None:
    notes = read_notes("- early\n## Later\n- b\n", "notes")
    assert [s.title for s in notes.sections] == ["notes", "Later"]


def test_markers_shape_title_header_sections_and_footer() -> None:
    text = (
        "Revision cards\n0.0 / 5\n- Created by: someone\nFirst\nSUB\n- fact one\n1 of 3\n"
        "Second\nhttps://example.org/x\n2 of 3\nThird\n- fact two\n3 of 3\n"
        "Similar History resources:\n4.0 / 5 based on 1 rating\nComments\n- a stray bullet\n"
    )
    notes = read_notes(text, "n")
    assert notes.shape is Shape.MARKERS and notes.title == "Revision cards"
    assert [(s.title, texts(s.items)) for s in notes.sections] == [
        ("First", ["fact one"]),
        ("Second", []),
        ("Third", ["fact two"]),
    ]
    assert notes.sections[0].items[0].heading == "SUB"
    left = {one.line: (one.why, one.site) for one in notes.left_out}
    assert left[2] == ("the site's header: a rating", True)
    assert left[3] == ("the site's header: the page's author or date", True)
    assert left[9] == ("a link", False)
    # Everything after the last marker is the site's, a bullet too.
    assert {line for line, (why, _) in left.items() if "footer" in why} == {14, 15, 16, 17}


def test_created_by_with_no_colon_is_a_fact_not_the_sites() -> None:
    notes = read_notes("Topic\n- Created by Lenin 1921 as a temporary measure\n1 of 1\n", "n")
    assert texts(notes.sections[0].items) == ["Created by Lenin 1921 as a temporary measure"]
    assert notes.left_out == ()


def test_markers_cut_short_keep_what_follows_the_last_marker() -> None:
    notes = read_notes("One\n- a\n1 of 3\nTwo\n- b\n", "n")
    assert [(s.title, texts(s.items)) for s in notes.sections] == [("One", ["a"]), ("Two", ["b"])]


def test_caps_shape() -> None:
    notes = read_notes("My notes\nCAUSES\n- one\nEFFECTS\n- two\n", "n")
    assert notes.shape is Shape.CAPS and notes.title == "My notes"
    assert [s.title for s in notes.sections] == ["Causes", "Effects"]


def test_no_headings_is_one_section_named_after_the_file() -> None:
    notes = read_notes("- a\n- b\n", "history")
    assert notes.shape is Shape.NONE
    assert [(s.title, texts(s.items)) for s in notes.sections] == [("history", ["a", "b"])]


def test_a_bare_year_is_a_sub_heading() -> None:
    notes = read_notes("# T\n## S\n1925\n- fact\n", "n")
    assert notes.sections[0].items[0].heading == "1925"


def test_nesting_wrapping_and_answers() -> None:
    text = (
        "- parent\n  - child\n    - grandchild\n- wrapped\n  on two lines\n"
        "Question?\n    answer one\n    answer two\n"
        "Fenced?\n```\ncode answer\n```\n"
        "A paragraph\nthat goes on.\n"
    )
    items = read_notes(text, "n").sections[0].items
    assert texts(items) == [
        "parent",
        "wrapped on two lines",
        "Question?",
        "Fenced?",
        "A paragraph that goes on.",
    ]
    assert texts(items[0].children) == ["child"]
    assert texts(items[0].children[0].children) == ["grandchild"]
    assert texts(items[2].children) == ["answer one", "answer two"]
    assert items[3].fence == "code answer"


def test_card_lines_are_never_joined_into_a_paragraph() -> None:
    items = read_notes("a :: b\nc :: d\n", "n").sections[0].items
    assert texts(items) == ["a :: b", "c :: d"]


def test_a_code_block_with_no_question_is_left_out() -> None:
    notes = read_notes("- a\n\n```\nx = 1\n```\n", "n")
    assert [(one.line, one.why) for one in notes.left_out] == [(3, "a code block with no question")]


@needs_seed
def test_seed_notes_six_sections_in_order_the_second_empty() -> None:
    notes = read_notes(SEED.read_text(encoding="utf-8"), SEED.stem)
    assert notes.title == "Why did Stalin gain power from 1924?"
    assert [(s.title, len(s.items)) for s in notes.sections] == [
        ("Lenin's legacy", 7),
        ("Stalin's position", 0),
        ("Leon Trotsky", 9),
        ("New Economic Policy dispute", 10),
        ("Stalin's defeat of the Left", 10),
        ("Stalin's defeat of the Right", 9),
    ]
    site = sorted(one.line for one in notes.left_out if one.site)
    assert site == [2, 3, 4, *range(76, 88)]
