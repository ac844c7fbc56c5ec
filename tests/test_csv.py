"""The CSV reader: Anki's plain-text exports, header-less files and hand-made spreadsheets."""

from __future__ import annotations

import csv
import hashlib
import io
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED_TESTDATA
from recall1924.deck import DeckSpec
from recall1924.errors import DeckFileError
from recall1924.importers.csv import question_key, read_csv

CORPUS = SHARED_TESTDATA / "csv"

# What the official Anki backend imports into a fresh collection (testdata/README.md), except
# where recall says why it differs.
EXPECTED_CARDS = {
    "anki_cards_export_Alexuspo_Literatura_Test_karticky.txt": 25,
    "anki_notes_export_Alexuspo_Abstraktni_umeni.txt": 40,
    "anki_notes_export_JohnLayne_Croatian_Meat_and_Fish.txt": 22,
    "anki_notes_export_JohnLayne_Croatian_Spices.txt": 18,
    "anki_notes_export_pedscoffee_Example_Deck.txt": 4,
    # Anki: 8. Line 6 repeats line 3 word for word; Anki adds it twice because it looks for
    # duplicates only among the notes the collection held before the import. In recall both
    # rows are the same card (same question, same key), so the second is skipped. Line 7 has a
    # third field where the first row has two, and line 8 one field: today's Anki drops the
    # third and imports the single field with an empty answer; recall skips both and says why,
    # as Anki's own legacy importer did ("too many & too few fields": 5 notes, in
    # pylib/tests/test_importing.py).
    "anki_tests_text-2fields.txt": 5,
    "anki_tests_text-tags.txt": 2,
    "anki_tests_text-update.txt": 1,
}


def write(tmp_path: Path, text: str, name: str = "words.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def read_one(path: Path, **kwargs: str) -> tuple[DeckSpec, list[str]]:
    decks, skipped = read_csv(path, **kwargs)
    assert len(decks) == 1
    return decks[0], skipped


def pairs(deck: DeckSpec) -> list[tuple[str, str]]:
    return [(card.question, card.answer) for card in deck.cards]


def problems(path: Path, **kwargs: str) -> list[str]:
    with pytest.raises(DeckFileError) as caught:
        read_csv(path, **kwargs)
    return caught.value.problems


# --- the real files -------------------------------------------------------------------------


@pytest.mark.corpus
def test_corpus_card_counts() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent")
    counts = {}
    for path in sorted(CORPUS.iterdir()):
        decks, _ = read_csv(path)
        counts[path.name] = sum(len(deck.cards) for deck in decks)
    assert counts == EXPECTED_CARDS


@pytest.mark.corpus
def test_corpus_reasons_and_places() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent")
    _, skipped = read_csv(CORPUS / "anki_tests_text-2fields.txt")
    assert skipped == [
        "line 6: duplicate of line 3",
        "line 7: 3 fields, but this file's rows have 2 (question, answer)",
        "line 8: one field, no answer",
        "line 10: empty question",
    ]

    spices, skipped = read_csv(CORPUS / "anki_notes_export_JohnLayne_Croatian_Spices.txt")
    assert skipped == []
    [deck] = spices
    assert (deck.key, deck.title) == ("croatian-johns", "Croatian Johns")
    assert [section.title for section in deck.sections] == [
        "Vocabulary :: Food :: Spices - začinima"
    ]
    first = deck.cards[0]
    guid = "v,Cc7]K_>Z"
    assert first.key == "a-" + hashlib.sha1(guid.encode()).hexdigest()[:14] + "-1"
    assert first.source_id == f"anki:{guid}:0"
    assert (first.question, first.answer) == ("(mr) bosiljak", "basil")
    assert first.note == "[sound: bosiljak.mp3]"

    cards, _ = read_csv(CORPUS / "anki_cards_export_Alexuspo_Literatura_Test_karticky.txt")
    assert pairs(cards[0])[0] == ("Májovci tvořili v", "v 2 polovině 19.století")

    notes, _ = read_csv(CORPUS / "anki_notes_export_Alexuspo_Abstraktni_umeni.txt")
    assert notes[0].title == "Abstraktní umění"
    assert notes[0].cards[0].question == "[image: Improvisation-No-5.jpg]"


# --- Anki's header lines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "delimiter"),
    [
        ("tab", "\t"),
        ("comma", ","),
        ("semicolon", ";"),
        ("pipe", "|"),
        ("space", " "),
        ("colon", ":"),
        ("Tab", "\t"),
        ("!", "!"),
        (";", ";"),
    ],
)
def test_separator(tmp_path: Path, declared: str, delimiter: str) -> None:
    path = write(tmp_path, f"#separator:{declared}\nfront{delimiter}back\nuno{delimiter}one\n")
    deck, skipped = read_one(path)
    assert pairs(deck) == [("front", "back"), ("uno", "one")]
    assert skipped == []


def test_html_true_converts_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "#separator:tab\n#html:true\n<b>bold</b> &amp; more\tline<br>two\n")
    deck, _ = read_one(path)
    assert pairs(deck) == [("*bold* & more", "line\ntwo")]


def test_html_false_keeps_text(tmp_path: Path) -> None:
    path = write(tmp_path, "#separator:tab\n#html:false\na <b> tag\t&amp; is how to write &\n")
    deck, _ = read_one(path)
    assert pairs(deck) == [("a <b> tag", "&amp; is how to write &")]


def test_html_detected_when_undeclared(tmp_path: Path) -> None:
    html = write(tmp_path, "one<br>two\tplain\nx\ty &lt; z\n", "html.txt")
    assert pairs(read_one(html)[0]) == [("one\ntwo", "plain"), ("x", "y < z")]
    plain = write(tmp_path, "a < b\tb > a\nAT&T\tphone\n", "plain.txt")
    assert pairs(read_one(plain)[0]) == [("a < b", "b > a"), ("AT&T", "phone")]


def test_guid_notetype_deck_and_tags_columns(tmp_path: Path) -> None:
    text = (
        "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n"
        "#tags column:7\n"
        "g1\tBasic\tSpanish::Verbs\tcomer\tto eat\t[sound:comer.mp3]\tverb food\n"
        "g2\tBasic\tSpanish\thola\thi\t\t\n"
        "g3\tBasic\tFrench::Verbs::Irregular\têtre\tto be\t\tverb\n"
    )
    decks, skipped = read_csv(write(tmp_path, text, "export.txt"))
    assert skipped == []
    spanish, french = decks
    assert (spanish.key, spanish.title) == ("spanish", "Spanish")
    assert [(s.key, s.title) for s in spanish.sections] == [
        ("verbs", "Verbs"),
        ("main", "Spanish"),
    ]
    comer = spanish.cards[0]
    assert (comer.question, comer.answer, comer.note) == ("comer", "to eat", "[sound: comer.mp3]")
    assert comer.tags == ("verb", "food")
    assert comer.key == "a-" + hashlib.sha1(b"g1").hexdigest()[:14] + "-1"
    assert comer.source_id == "anki:g1:0"
    assert spanish.cards[1].note is None
    assert (french.key, [s.title for s in french.sections]) == ("french", ["Verbs :: Irregular"])


def test_deck_tags_notetype_and_unknown_lines(tmp_path: Path) -> None:
    text = (
        "#separator:comma\n#notetype:Basic (and reversed card)\n#deck:Geo::Capitals\n"
        "#tags:geo capital\n#colour:blue\n# a comment\n"
        "France,Paris\n"
    )
    deck, _ = read_one(write(tmp_path, text))
    assert (deck.key, deck.title) == ("geo", "Geo")
    assert [(s.key, s.title) for s in deck.sections] == [("capitals", "Capitals")]
    assert deck.cards[0].tags == ("geo", "capital")


def test_legacy_tags_first_line(tmp_path: Path) -> None:
    deck, _ = read_one(write(tmp_path, "tags:a b\nq\tans\n"))
    assert pairs(deck) == [("q", "ans")]
    assert deck.cards[0].tags == ("a", "b")


def test_columns_line_naming_recall_columns(tmp_path: Path) -> None:
    text = "#separator:semicolon\n#columns:Answer;Question;Tags\nParis;France;geo\n"
    deck, _ = read_one(write(tmp_path, text))
    assert pairs(deck) == [("France", "Paris")]
    assert deck.cards[0].tags == ("geo",)


def test_columns_line_naming_anki_fields_keeps_order(tmp_path: Path) -> None:
    deck, _ = read_one(write(tmp_path, "#separator:tab\n#columns:Front\tBack\nq\ta\n"))
    assert pairs(deck) == [("q", "a")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("#separator:tabs", "unknown separator 'tabs'"),
        ('#separator:"', "unknown separator"),
        ("#html:yes", "#html must be true or false, not 'yes'"),
        ("#deck column:0", "#deck column must be a column number from 1, not '0'"),
        ("#guid column:x", "#guid column must be a column number from 1, not 'x'"),
    ],
)
def test_bad_header_values(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, f"#separator:tab\n{line}\nq\ta\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:2: {message}")


# --- quoting and encoding ---------------------------------------------------------------------


def test_quoted_newlines_and_doubled_quotes(tmp_path: Path) -> None:
    text = '#separator:tab\n#html:false\n"two\nlines"\t"say ""hi"""\nnext\trow\n'
    deck, _ = read_one(write(tmp_path, text))
    assert pairs(deck) == [("two\nlines", 'say "hi"'), ("next", "row")]


def test_comment_lines_only_between_records(tmp_path: Path) -> None:
    text = 'a\t"multi\n# not a comment"\n# a comment\nb\tc\n'
    deck, _ = read_one(write(tmp_path, text))
    assert pairs(deck) == [("a", "multi\n# not a comment"), ("b", "c")]


def test_crlf_line_endings(tmp_path: Path) -> None:
    text = 'question,answer\r\n"one\r\ntwo",x\r\ny,z\r\n'
    deck, _ = read_one(write(tmp_path, text))
    assert pairs(deck) == [("one\ntwo", "x"), ("y", "z")]


def test_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf#separator:tab\nq\ta\n")
    deck, _ = read_one(path)
    assert pairs(deck) == [("q", "a")]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("question,answer\ncafé,coffee\n".encode("latin-1"))
    assert problems(path) == [
        f"{path}:2: not UTF-8 text (byte 19); save the file as UTF-8",
    ]


def test_unterminated_quote(tmp_path: Path) -> None:
    path = write(tmp_path, 'q,a\n"open,never closed\nx,y\n')
    [problem] = problems(path)
    assert problem.startswith(f"{path}:2: malformed CSV:")


def test_a_bad_byte_late_in_the_file_is_the_problem_reported(tmp_path: Path) -> None:
    # The file is read as a stream, yet what it reports is what reading it whole reported:
    # the bad byte, not a problem on an earlier line.
    path = tmp_path / "late.csv"
    rows = "".join(f"q{n},a{n}\n" for n in range(5000))
    path.write_bytes(f"question,answer,id\nq,a,Bad Id\n{rows}".encode() + b"caf\xe9,x\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:5003: not UTF-8 text (byte ")


def test_a_malformed_record_late_in_the_file_is_the_one_problem(tmp_path: Path) -> None:
    rows = "".join(f"q{n},a{n}\n" for n in range(5000))
    path = write(tmp_path, f'question,answer,id\nq,a,Bad Id\n{rows}"open,never closed\n')
    [problem] = problems(path)
    assert problem.startswith(f"{path}:5003: malformed CSV:")


def test_html_is_told_from_every_row_of_a_headerless_file(tmp_path: Path) -> None:
    # Undeclared: one tag on the last row makes every row HTML (a second pass over the rows).
    # "&amp" without its ";" does not look like HTML, but as HTML it is "&".
    rows = "".join(f"q{n} &amp more\ta{n}\n" for n in range(3000))
    deck, _ = read_one(write(tmp_path, rows + "<b>last</b>\tz\n", "cards.txt"))
    assert (deck.cards[0].question, deck.cards[-1].question) == ("q0 & more", "*last*")


def test_rows_are_read_as_a_stream_of_lines(tmp_path: Path) -> None:
    # A million-row file must never be held as one string, nor as a list of its rows: the
    # reader asks the file for a line at a time.
    import recall1924.importers.csv as reader

    path = write(tmp_path, "question,answer\n" + "".join(f"q{n},a{n}\n" for n in range(100)))
    asked: list[int] = []
    lines = reader._lines

    def counted(path: Path):  # type: ignore[no-untyped-def]
        for number, line in enumerate(lines(path), start=1):
            asked.append(number)
            yield line

    reader._lines = counted  # type: ignore[assignment]
    try:
        deck, _ = read_one(path)
    finally:
        reader._lines = lines  # type: ignore[assignment]
    assert len(deck.cards) == 100
    assert max(asked) == 101


def test_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    assert problems(path) == [f"{path}: cannot read: No such file or directory"]


# --- header-less files as Anki reads them -----------------------------------------------------


def test_header_less_rows(tmp_path: Path) -> None:
    text = (
        "# this is a test file\n"
        "taberu\tto eat\n"
        "nomu\tto drink\n"
        "ooi\ttoo many\tfields\textra\n"
        "not, enough, fields\n"
        "asobu\t\n"
        "\tto play\n"
        "nomu\tto drink\n"
        "iru\tto be\t\t\n"
        "\n"
    )
    deck, skipped = read_one(write(tmp_path, text, "fixture.txt"))
    assert pairs(deck) == [
        ("taberu", "to eat"),
        ("nomu", "to drink"),
        # A row with an answer field kept empty is a card, as Anki keeps it.
        ("asobu", ""),
        # Empty fields past the answer hold nothing to lose.
        ("iru", "to be"),
    ]
    assert skipped == [
        "line 4: 4 fields, but this file's rows have 2 (question, answer)",
        "line 5: one field, no answer",
        "line 7: empty question",
        "line 8: duplicate of line 3",
    ]
    assert (deck.key, deck.title) == ("fixture", "fixture")
    assert [(s.key, s.title) for s in deck.sections] == [("main", "fixture")]


def test_third_column_is_tags_when_first_row_has_one(tmp_path: Path) -> None:
    deck, _ = read_one(write(tmp_path, "foo\tbar\tbaz qux\nfoo2\tbar2\tbaz2\nfoo3\tbar3\n"))
    assert [card.tags for card in deck.cards] == [("baz", "qux"), ("baz2",), ()]
    # The first row has no third column, so a later row's third is nobody's: not tags (Anki
    # drops it), and not silently lost either.
    two, skipped = read_one(write(tmp_path, "foo\tbar\nfoo2\tbar2\tnot tags\n", "two.txt"))
    assert pairs(two) == [("foo", "bar")]
    assert skipped == ["line 2: 3 fields, but this file's rows have 2 (question, answer)"]
    four, skipped = read_one(write(tmp_path, "a\tb\tt\nc\td\tt\tmore\n", "four.txt"))
    assert pairs(four) == [("a", "b")]
    assert skipped == ["line 2: 4 fields, but this file's rows have 3 (question, answer, tags)"]


def test_rows_with_only_a_question_are_skipped(tmp_path: Path) -> None:
    text = "#separator:comma\nFrance,Paris\nGermany\nSpain,Madrid\n"
    deck, skipped = read_one(write(tmp_path, text))
    assert pairs(deck) == [("France", "Paris"), ("Spain", "Madrid")]
    assert skipped == ["line 3: one field, no answer"]


def test_anki_fields_past_the_answer_go_into_the_note(tmp_path: Path) -> None:
    # "Basic (and extra)" exported without its notetype column: Anki writes every field, so
    # the third is the note type's own, declared by the export, not stray text.
    text = (
        "#separator:tab\n#html:false\n#deck column:1\n#tags column:5\n"
        "Geo\tFrance\tParis\tOn the Seine\tcapital\n"
        "Geo\tSpain\tMadrid\t\t\n"
    )
    deck, skipped = read_one(write(tmp_path, text))
    assert skipped == []
    assert [(c.question, c.answer, c.note, c.tags) for c in deck.cards] == [
        ("France", "Paris", "On the Seine", ("capital",)),
        ("Spain", "Madrid", None, ()),
    ]


def test_anki_columns_without_tags_or_notetype_read_as_header_less(tmp_path: Path) -> None:
    text = "#separator:tab\n#deck column:1\nGeo\tFrance\tParis\nGeo\tSpain\tMadrid\tstray\n"
    deck, skipped = read_one(write(tmp_path, text))
    assert pairs(deck) == [("France", "Paris")]
    assert skipped == ["line 4: 3 fields, but this file's rows have 2 (question, answer)"]


def test_cards_export_drops_the_repeated_question(tmp_path: Path) -> None:
    text = (
        "#separator:tab\n#html:true\n"
        'Capital of France?\t"Capital of France?\n\n<hr id=""answer"">\n\nParis"\n'
    )
    deck, _ = read_one(write(tmp_path, text))
    assert pairs(deck) == [("Capital of France?", "Paris")]


# --- hand-made files with a header row --------------------------------------------------------


def test_header_row(tmp_path: Path) -> None:
    text = (
        "Question,ANSWER,Section,Tags,Note,Id\n"
        '#1 hit,a song,Music,"pop, charts",from 1990,hit-1\n'
        "2 + 2,4,Maths,,,\n"
        "3 + 3,6,,,,\n"
    )
    deck, skipped = read_one(write(tmp_path, text, "My Quiz.csv"))
    assert skipped == []
    assert (deck.key, deck.title) == ("my-quiz", "My Quiz")
    assert [(s.key, s.title, len(s.cards)) for s in deck.sections] == [
        ("music", "Music", 1),
        ("maths", "Maths", 1),
        ("main", "My Quiz", 1),
    ]
    hit = deck.cards[0]
    assert (hit.key, hit.question, hit.note, hit.tags) == (
        "hit-1",
        "#1 hit",
        "from 1990",
        ("pop", "charts"),
    )
    assert deck.cards[1].key == question_key("2 + 2")


def test_header_row_in_any_order_with_empty_columns(tmp_path: Path) -> None:
    deck, _ = read_one(write(tmp_path, "answer;;question\nParis;;France\n"))
    assert pairs(deck) == [("France", "Paris")]


def test_header_row_without_answer(tmp_path: Path) -> None:
    path = write(tmp_path, "question,tags\nq,t\n")
    assert problems(path) == [f"{path}:1: the header row has no 'answer' column"]


def test_bad_ids_are_all_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "id,question,answer\nok-1,a,b\nBad Id,c,d\n-x,e,f\n")
    found = problems(path)
    assert [problem.split(": id ")[0] for problem in found] == [f"{path}:3", f"{path}:4"]
    assert "'Bad Id' is not valid" in found[0]


def test_question_key_survives_edits(tmp_path: Path) -> None:
    before, _ = read_one(write(tmp_path, "question,answer\nWhat is  2+2?,four\n", "v1.csv"))
    after, _ = read_one(write(tmp_path, "question,answer\nWhat is 2+2? ,4\n", "v2.csv"))
    assert before.cards[0].key == after.cards[0].key
    assert after.cards[0].answer == "4"


def test_duplicate_questions(tmp_path: Path) -> None:
    deck, skipped = read_one(write(tmp_path, "question,answer\nq,first\nq, second\nr,x\n"))
    assert pairs(deck) == [("q", "first"), ("r", "x")]
    assert skipped == ["line 3: duplicate of line 2"]


# --- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniffed_delimiter(tmp_path: Path, delimiter: str) -> None:
    rows = [["Hello, world", "Hola; mundo"], ["one", "uno"], ["two", "dos"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    deck, _ = read_one(write(tmp_path, buffer.getvalue()))
    assert pairs(deck) == [tuple(row) for row in rows]


def test_sniff_prefers_semicolon_over_decimal_commas(tmp_path: Path) -> None:
    deck, _ = read_one(write(tmp_path, "1,5 + 1;3\n2,5 * 2;5\n"))
    assert pairs(deck) == [("1,5 + 1", "3"), ("2,5 * 2", "5")]


def test_sniff_falls_back(tmp_path: Path) -> None:
    # No delimiter splits these rows: each is one field, a question with no answer.
    path = write(tmp_path, "just one column\nanother\n", "one.csv")
    assert problems(path) == [
        f"{path}: no cards to import",
        f"{path}:1: one field, no answer",
        f"{path}:2: one field, no answer",
    ]


# --- decks and errors -------------------------------------------------------------------------


def test_deck_key(tmp_path: Path) -> None:
    deck, _ = read_one(write(tmp_path, "q\ta\n"), deck_key="vocab")
    assert deck.key == "vocab"
    assert problems(write(tmp_path, "q\ta\n"), deck_key="Not Valid")[0].endswith(
        "deck key 'Not Valid' is not valid: lowercase letters, digits and '-', starting with a "
        "letter or digit, at most 64"
    )


def test_deck_key_puts_every_deck_into_one(tmp_path: Path) -> None:
    path = write(tmp_path, "#deck column:1\nA\tp\ta\nB::x\tq\ta\nB::x\tr\tb\n", "both.txt")
    assert [deck.key for deck in read_csv(path)[0]] == ["a", "b"]
    deck, skipped = read_one(path, deck_key="one")
    assert (deck.key, deck.title) == ("one", "both")
    assert [(s.key, s.title, len(s.cards)) for s in deck.sections] == [
        ("a", "A", 1),
        ("b-x", "B :: x", 2),
    ]
    assert skipped == []
    single = write(tmp_path, "#deck:Spanish\nq\ta\n", "single.txt")
    deck, _ = read_one(single, deck_key="one")
    assert (deck.title, [(s.key, s.title) for s in deck.sections]) == (
        "Spanish",
        [("spanish", "Spanish")],
    )


def test_no_usable_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "#separator:tab\n\tonly an answer\n\n\tanother\n")
    assert problems(path) == [
        f"{path}: no cards to import",
        f"{path}:2: empty question",
        f"{path}:4: empty question",
    ]
    empty = write(tmp_path, "", "empty.csv")
    assert problems(empty) == [f"{empty}: no cards to import"]


# --- round trip and size ----------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    rows=st.lists(
        st.tuples(TEXT.filter(lambda text: _norm(text) != ""), TEXT),
        max_size=20,
        unique_by=lambda row: _norm(row[0]),
    ).filter(bool),
)
def test_round_trip(tmp_path: Path, delimiter: str, rows: list[tuple[str, str]]) -> None:
    buffer = io.StringIO()
    buffer.write(f"#separator:{delimiter}\n#html:false\n")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["question", "answer"])
    writer.writerows(rows)
    deck, skipped = read_one(write(tmp_path, buffer.getvalue()))

    def expected(text: str) -> str:
        return text.replace("\r\n", "\n").replace("\r", "\n").strip()

    assert skipped == []
    assert pairs(deck) == [(expected(q), expected(a)) for q, a in rows]


def test_hundred_thousand_rows(tmp_path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["question", "answer", "section", "tags"])
    writer.writerows(
        [f"What is {n} squared?", f"{n * n}", f"s{n % 10}", "maths"] for n in range(100_000)
    )
    path = write(tmp_path, buffer.getvalue())
    started = time.perf_counter()
    deck, _ = read_one(path)
    elapsed = time.perf_counter() - started
    assert len(deck.cards) == 100_000
    assert elapsed < 10, f"{elapsed:.1f} s"  # about 1 s on a laptop; the bound catches blow-ups


# --- through recall import --------------------------------------------------------------------


def test_import_lists_the_rows_it_skips_with_the_reason(tmp_path: Path, db_path: Path) -> None:
    from typer.testing import CliRunner

    from recall1924.cli import app

    text = (
        "question,answer,section\n"
        "France,Paris,Capitals\n"
        "Germany\n"
        "Spain,Madrid,Capitals,stray\n"
        ",Rome,Capitals\n"
    )
    path = write(tmp_path, text, "capitals.csv")
    result = CliRunner().invoke(app, ["import", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(
        "Skipped 3 rows:\n"
        "  line 3: one field, no answer\n"
        "  line 4: text in column 4, which the header row does not name\n"
        "  line 5: empty question\n"
    )
    assert "cards added 1 " in " ".join(result.stdout.split())


def test_a_header_row_naming_an_unknown_column_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "question,answer,comment\nFrance,Paris,easy\n")
    assert problems(path) == [
        f"{path}:1: the header row names 'comment', which recall does not read; rename or "
        "delete that column (recall reads question, answer, section, tags, note, id, "
        "section_title, deck, deck_title, deck_description, deck_version, source_id, cloze)"
    ]
    twice = write(tmp_path, "question,answer,answer\nFrance,Paris,Lutetia\n", "twice.csv")
    assert problems(twice) == [f"{twice}:1: the header row names 'answer' twice"]


def test_cells_a_short_row_lacks_read_as_empty_and_unnamed_columns_are_checked(
    tmp_path: Path,
) -> None:
    # The reader reads a row's cells inline, a column the layout lacks as one past the row's
    # end, and skips the check for unnamed columns on a row no wider than the named ones.
    path = tmp_path / "short.csv"
    path.write_text(
        "question,answer,,section,tags,note\n"
        "Q1,A1\n"
        "Q2,A2,,Sec,t1 t2\n"
        'Q3,A3,,,,"a note"\n'
        "Q4,A4,stray\n"
        "Q5\n",
        encoding="utf-8",
    )
    decks, skipped = read_csv(path)
    cards = {
        card.key: (section.key, card.question, card.answer, card.note, card.tags)
        for deck in decks
        for section in deck.sections
        for card in section.cards
    }
    assert sorted(cards.values()) == [
        ("main", "Q1", "A1", None, ()),
        ("main", "Q3", "A3", "a note", ()),
        ("sec", "Q2", "A2", None, ("t1", "t2")),
    ]
    assert skipped == [
        "line 5: text in column 3, which the header row does not name",
        "line 6: one field, no answer",
    ]
