"""The Anki package importer: cards rendered from templates, decks from the deck tree, history
from the revlog, every on-disk format, hostile files refused, and the real packages' counts."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from anki_fixtures import (
    BASIC,
    CLOZE,
    REVERSED,
    TYPE_IN,
    AnkiBuilder,
    anki_collection,
    rewrite_package,
)
from anki_memory import package_memory_states
from conftest import NOW, SHARED_TESTDATA
from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec, hint_line, read_hint
from recall1924.errors import DeckFileError
from recall1924.exporters import write_apkg
from recall1924.history import last_life
from recall1924.identity import NOTETYPE_ID, anki_card_key, deck_mark
from recall1924.importers import read_decks
from recall1924.importers.anki_templates import Context, parse, render
from recall1924.importers.apkg import _answers, read_apkg
from recall1924.models import ReviewKind


@pytest.fixture
def anki(tmp_path: Path) -> Iterator[AnkiBuilder]:
    pytest.importorskip("anki")
    with anki_collection(tmp_path / "anki") as builder:
        yield builder


def only_deck(path: Path) -> DeckSpec:
    decks = read_apkg(path).decks
    assert len(decks) == 1
    return decks[0]


def cards(path: Path) -> dict[str, CardSpec]:
    """Every card of the package by its source id (``anki:<guid>:<ord>``)."""
    found = {}
    for deck in read_apkg(path).decks:
        for card in deck.cards:
            assert card.source_id is not None
            found[card.source_id] = card
    return found


def source(anki: AnkiBuilder, card_id: int) -> str:
    return f"anki:{anki.note_guid(card_id)}:{anki.col.get_card(card_id).ord}"


# Cards
# ---------------------------------------------------------------------------------------------


def test_basic_note_gives_one_card_with_identity_and_tags(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    [card_id] = anki.add(BASIC, ["What is <b>2+2</b>?", "4"], tags=["maths", "easy"])
    guid = anki.note_guid(card_id)

    [card] = only_deck(anki.export(tmp_path / "basic.apkg")).cards

    assert (card.question, card.answer) == ("What is *2+2*?", "4")
    assert card.key == f"a-{hashlib.sha1(guid.encode()).hexdigest()[:14]}-1"
    assert card.source_id == f"anki:{guid}:0"
    assert card.tags == ("easy", "maths")
    assert card.note is None and card.history == () and not card.suspended


def test_reversed_note_gives_a_card_per_template_without_repeating_the_front(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    forward, backward = anki.add(REVERSED, ["perro", "dog"])

    found = cards(anki.export(tmp_path / "reversed.apkg"))

    assert (found[source(anki, forward)].question, found[source(anki, forward)].answer) == (
        "perro",
        "dog",
    )
    assert (found[source(anki, backward)].question, found[source(anki, backward)].answer) == (
        "dog",
        "perro",
    )
    assert found[source(anki, backward)].key.endswith("-2")


def test_type_in_answer_drops_the_box_and_shows_the_expected_answer(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    anki.add(TYPE_IN, ["Capital of France?", "Paris"])

    [card] = only_deck(anki.export(tmp_path / "typed.apkg")).cards

    assert (card.question, card.answer) == ("Capital of France?", "Paris")


def test_cloze_note_gives_a_card_per_deletion_with_hint(anki: AnkiBuilder, tmp_path: Path) -> None:
    first, second = anki.add(
        CLOZE, ["{{c1::Paris}} is the capital of {{c2::France::a country}}.", "Geography"]
    )

    found = cards(anki.export(tmp_path / "cloze.apkg"))

    one, two = found[source(anki, first)], found[source(anki, second)]
    assert one.question == "[...] is the capital of France."
    assert one.answer == "[Paris] is the capital of France.\nGeography"
    assert two.question == "Paris is the capital of [a country]."
    assert two.answer.startswith("Paris is the capital of [France].")
    assert (one.key[-2:], two.key[-2:]) == ("-1", "-2")


def test_a_hint_becomes_a_line_of_its_own_that_the_review_can_keep_hidden(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    # Anki shows {{hint:Field}} as a link that reveals the field when clicked
    hinted = anki.note_type(
        "Hinted", ["Front", "Back", "Extra"], ["{{Front}}{{hint:Extra}}<hr id=answer>{{Back}}"]
    )
    anki.add(hinted, ["Capital of <b>Peru</b>?", "Lima", "It starts with <i>L</i>,<br>by the sea"])
    anki.add(hinted, ["No hint?", "None", ""])

    found = {card.answer: card for card in only_deck(anki.export(tmp_path / "hint.apkg")).cards}

    assert found["Lima"].question == "Capital of *Peru*?\n[hint: It starts with *L*, / by the sea]"
    assert [read_hint(line) for line in found["Lima"].question.splitlines()] == [
        None,
        "It starts with *L*, / by the sea",
    ]
    assert found["None"].question == "No hint?"  # an empty hint leaves nothing to reveal


def test_a_hint_line_reads_back_whole() -> None:
    assert hint_line("one\n\n  two ") == "[hint: one / two]"
    assert read_hint("  [hint: see [image: a.png]] ") == "see [image: a.png]"
    for line in ["[hint: ]", "hint: x", "[hint: x] and more", "[image: a.png]", "[...]"]:
        assert read_hint(line) is None, line


def test_html_fields_become_readable_text(anki: AnkiBuilder, tmp_path: Path) -> None:
    anki.add(
        BASIC,
        [
            "Name&nbsp;them:<ul><li>one</li><li>two</li></ul>",
            '<div><img src="cat.png"></div><div>[sound:miau.mp3]</div><i>gato</i>',
        ],
    )

    [card] = only_deck(anki.export(tmp_path / "html.apkg")).cards

    assert card.question.splitlines()[0] == "Name them:"
    assert "one" in card.question.splitlines()[1] and "two" in card.question.splitlines()[2]
    assert card.answer.splitlines() == ["[image: cat.png]", "[sound: miau.mp3]", "*gato*"]


def test_mathjax_is_kept_as_its_source(anki: AnkiBuilder, tmp_path: Path) -> None:
    anki.add(CLOZE, [r"Euler: \(e^{i\pi} + 1 = {{c1::0}}\)", ""])

    [card] = only_deck(anki.export(tmp_path / "math.apkg")).cards

    assert card.question == r"Euler: \(e^{i\pi} + 1 = [...]\)"
    assert card.answer == r"Euler: \(e^{i\pi} + 1 = [0]\)"


def test_cards_anki_would_not_generate_are_skipped(anki: AnkiBuilder, tmp_path: Path) -> None:
    forward, _ = anki.add(REVERSED, ["perro", "dog"])
    note = anki.col.get_card(forward).note()
    note["Back"] = ""  # Anki keeps the reverse card, now empty, until "Empty Cards"
    anki.col.update_note(note)

    read = read_decks(anki.export(tmp_path / "empty.apkg"))

    [card] = read.decks[0].cards
    assert card.source_id == source(anki, forward)
    [line] = read.skipped  # Anki imports it, so the summary says why recall does not
    assert line == (
        "Default: note 'perro' (Basic (and reversed card), Card 2): an empty card (Anki's "
        "Empty Cards would delete it)"
    )


def test_a_front_that_shows_no_text_is_listed_as_skipped(anki: AnkiBuilder, tmp_path: Path) -> None:
    # Anki counts the field as filled (only <br> and <div> count as empty) and imports the card
    anki.add(BASIC, ["<pre><br></pre>", "only an answer"])
    anki.add(BASIC, ["q", "a"])

    read = read_decks(anki.export(tmp_path / "blank.apkg"))

    assert [card.question for card in read.decks[0].cards] == ["q"]
    assert read.skipped == (
        "Default: note 'only an answer' (Basic, Card 1): its front shows no text",
    )


def test_notes_sharing_a_guid_each_give_their_cards(anki: AnkiBuilder, tmp_path: Path) -> None:
    # genanki derives a GUID from the fields it is told to, so two notes may share one; Anki
    # imports both
    first, second = (
        anki.add(BASIC, [front, back])[0] for front, back in (("uno", "one"), ("dos", "two"))
    )
    guid = anki.note_guid(first)
    anki.col.db.execute(
        "UPDATE notes SET guid = ? WHERE id = ?", guid, anki.col.get_card(second).nid
    )
    package = anki.export(tmp_path / "genanki.apkg")

    read = read_decks(package)

    by_question = {card.question: card for card in read.decks[0].cards}
    assert sorted(by_question) == ["dos", "uno"] and read.skipped == ()
    assert by_question["uno"].key == anki_card_key(guid, 0)  # the older note keeps the key
    assert by_question["dos"].key != by_question["uno"].key
    assert [card.key for card in read_decks(package).decks[0].cards] == [
        card.key for card in read.decks[0].cards
    ]
    official = package_memory_states(package, folder=tmp_path / "official")
    assert len(official.notes) == 2


# What recall exported
# ---------------------------------------------------------------------------------------------

RECALL_CARD = CardSpec("c", "Q <b>raw</b> &\n  indented", "A", "A note.\nTwo lines", ("t",))


def recall_package(tmp_path: Path, *cards: CardSpec) -> Path:
    path = tmp_path / "recall.apkg"
    write_apkg([DeckSpec("d", "D", (SectionSpec("s", "S", cards),))], path, now=NOW)
    return path


def test_recall_note_types_are_read_from_their_fields_not_rendered(tmp_path: Path) -> None:
    # rendered, the answer template would put the note under the answer
    [card] = only_deck(recall_package(tmp_path, RECALL_CARD)).cards

    assert card == RECALL_CARD  # the text exactly as it left, the note apart
    assert card.source_id is None  # recall's own card, come back: from nowhere else


def edit_models(connection: sqlite3.Connection, change: dict[str, object]) -> None:
    """Change recall's note type in a schema 11 package (its id too, notes following)."""
    (text,) = connection.execute("SELECT models FROM col").fetchone()
    models = json.loads(text)
    model = models.pop(str(NOTETYPE_ID)) | change
    models[str(model["id"])] = model
    connection.execute("UPDATE col SET models = ?", (json.dumps(models),))
    connection.execute("UPDATE notes SET mid = ?", (model["id"],))


def test_recall_note_types_are_known_by_their_fields_and_their_id_or_name(
    tmp_path: Path,
) -> None:
    package = recall_package(tmp_path, RECALL_CARD)

    def read(change: dict[str, object]) -> CardSpec:
        edited = tmp_path / f"edited-{len(list(tmp_path.iterdir()))}.apkg"
        rewrite_package(package, edited, lambda db: edit_models(db, change))
        return only_deck(edited).cards[0]

    # Anki gives a note type a new id when the collection has another of that id; a person
    # may rename it; both still read as recall's
    assert read({"id": 1_600_000_000_000}) == RECALL_CARD
    assert read({"name": "My cards"}) == RECALL_CARD
    # someone else's note type of that name, with other fields, is rendered like any other:
    # the note comes under the answer
    other = read({"id": 1_600_000_000_000, "flds": [{"name": "Front"}, {"name": "Back"}]})
    assert (other.question, other.answer, other.note) == ("Q <b>raw</b> &\nindented", "A", None)


def test_a_recall_field_edited_in_anki_is_read_as_html(tmp_path: Path) -> None:
    package = recall_package(tmp_path, RECALL_CARD)
    edited = rewrite_package(
        package,
        tmp_path / "edited.apkg",
        lambda db: db.execute("UPDATE notes SET flds = '<b>Q</b>&nbsp;2\x1f<div>A</div>\x1f<br>'"),
    )

    [card] = only_deck(edited).cards

    assert (card.question, card.answer, card.note) == ("*Q* 2", "A", None)


def test_a_deck_marked_by_recall_keeps_its_ids_version_and_description(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    # as Anki keeps a deck recall exported, in its current format (the description in the
    # deck's protobuf settings)
    anki.add(BASIC, ["own", "card"], deck="Stalin")
    anki.add(BASIC, ["in", "section"], deck="Stalin::Lenin's legacy")
    anki.add(BASIC, ["not", "marked"], deck="Stalin::Other")
    anki.add(BASIC, ["a title", "like the id"], deck="Stalin 1924")
    for name, description in [
        ("Stalin", "About <b>1924</b>" + deck_mark("stalin-1924", 2)),
        ("Stalin::Lenin's legacy", "<!-- recall:section id=lenins-legacy -->"),
    ]:
        deck = anki.col.decks.by_name(name)
        deck["desc"] = description
        anki.col.decks.save(deck)

    decks = {deck.title: deck for deck in read_apkg(anki.export(tmp_path / "marked.apkg")).decks}

    deck = decks["Stalin"]
    assert (deck.key, deck.title, deck.version, deck.description) == (
        "stalin-1924",
        "Stalin",
        2,
        "About *1924*",
    )
    # a deck whose title makes the same id does not take it from the deck recall marked
    assert (decks["Stalin 1924"].key, decks["Stalin 1924"].version) == ("stalin-1924-2", None)
    assert [(s.key, s.title) for s in deck.sections] == [
        ("main", "Stalin"),
        ("lenins-legacy", "Lenin's legacy"),
        ("other", "Other"),
    ]


# Deck tree
# ---------------------------------------------------------------------------------------------


def build_tree(anki: AnkiBuilder) -> None:
    for deck in ("Lang::Spanish::Verbs", "Lang::French", "Lang", "Maths"):
        anki.add(BASIC, [f"Q in {deck}", "A"], deck=deck)
    anki.deck("Empty::Deeper")


def test_each_top_level_deck_becomes_a_deck_with_its_subdecks_as_sections(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    build_tree(anki)

    decks = read_apkg(anki.export(tmp_path / "tree.apkg")).decks

    assert [(deck.key, deck.title) for deck in decks] == [("lang", "Lang"), ("maths", "Maths")]
    lang, maths = decks
    assert [(s.key, s.title, len(s.cards)) for s in lang.sections] == [
        ("main", "Lang", 1),
        ("french", "French", 1),
        ("spanish-verbs", "Spanish :: Verbs", 1),
    ]
    assert lang.sections[2].cards[0].question == "Q in Lang::Spanish::Verbs"
    assert [(s.key, s.title) for s in maths.sections] == [("main", "Maths")]


def test_deck_key_puts_every_card_in_one_deck(anki: AnkiBuilder, tmp_path: Path) -> None:
    build_tree(anki)

    [deck] = read_apkg(anki.export(tmp_path / "tree.apkg"), deck_key="all").decks

    assert (deck.key, deck.title) == ("all", "tree")  # two top-level decks: the file's name
    assert [(s.key, s.title) for s in deck.sections] == [
        ("lang", "Lang"),
        ("lang-french", "Lang :: French"),
        ("lang-spanish-verbs", "Lang :: Spanish :: Verbs"),
        ("maths", "Maths"),
    ]


def test_deck_key_titles_a_single_tree_by_its_top_deck(anki: AnkiBuilder, tmp_path: Path) -> None:
    anki.add(BASIC, ["q", "a"], deck="Lang::French")

    [deck] = read_apkg(anki.export(tmp_path / "french.apkg"), deck_key="fr").decks

    assert (deck.key, deck.title, deck.sections[0].title) == ("fr", "Lang", "Lang :: French")


# State and history
# ---------------------------------------------------------------------------------------------


def test_suspended_cards_are_marked_and_buried_ones_are_not(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    suspended, buried, plain = (anki.add(BASIC, [f"q{n}", "a"])[0] for n in range(3))
    anki.suspend([suspended])
    anki.bury([buried])

    found = cards(anki.export(tmp_path / "state.apkg"))

    assert [found[source(anki, card)].suspended for card in (suspended, buried, plain)] == [
        True,
        False,
        False,
    ]


def test_history_keeps_every_answer_and_marks_where_ankis_memory_state_starts(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    reset, due_set, crammed, plain = (anki.add(BASIC, [f"q{n}", "a"])[0] for n in range(4))
    earlier = [anki.answer(reset, rating) for rating in (3, 3, 1, 3)]
    anki.reset([reset])  # the answers before this belong to the card's earlier life
    reset_at = anki.col.db.scalar("select max(id) from revlog where cid = ?", reset)
    after_reset = [anki.answer(reset, 3), anki.answer(reset, 4)]
    anki.set_due_date([due_set])  # a manual row, no answer
    after_due_set = anki.answer(due_set, 3)
    crammed_at = anki.answer(crammed, 3)
    anki.cram(crammed, 3)  # a filtered deck without rescheduling: no effect on scheduling
    cram_at = anki.col.db.scalar("select max(id) from revlog where cid = ?", crammed)
    plain_ids = [anki.answer(plain, rating) for rating in (1, 3, 3)]
    revlog = anki.col.db.all("select cid, type, ease, factor from revlog")
    assert (reset, 4, 0, 0) in [tuple(row) for row in revlog]  # the rows Anki wrote
    assert (due_set, 4, 0, 2500) in [tuple(row) for row in revlog]
    assert (crammed, 3, 3, 0) in [tuple(row) for row in revlog]

    found = cards(anki.export(tmp_path / "history.apkg"))

    def stamps(card_id: int) -> list[tuple[int, int, int | None, ReviewKind]]:
        return [
            (round(answer.at.timestamp() * 1000), answer.rating, answer.duration_ms, answer.kind)
            for answer in found[source(anki, card_id)].history
        ]

    review, cram, reset_kind = ReviewKind.Review, ReviewKind.Cram, ReviewKind.Reset
    assert stamps(reset) == [
        *((at, r, 1500 + r, review) for at, r in zip(earlier, (3, 3, 1, 3), strict=True)),
        (reset_at, 0, None, reset_kind),
        (after_reset[0], 3, 1503, review),
        (after_reset[1], 4, 1504, review),
    ]
    assert stamps(due_set) == [(after_due_set, 3, 1503, review)]  # no row for the due date
    assert stamps(crammed) == [(crammed_at, 3, 1503, review), (cram_at, 3, 1503, cram)]
    assert [s[:2] for s in stamps(plain)] == list(zip(plain_ids, (1, 3, 3), strict=True))
    assert all(a.at.tzinfo is not None for a in found[source(anki, plain)].history)


def rows(*entries: tuple[int, int, int, int]) -> list[tuple[int, int, int, int, int, int, int]]:
    """Revlog rows of one card from ``(type, ease, ivl, factor)``, a day apart."""
    day = 86_400_000
    return [
        (1, 1_700_000_000_000 + n * day, ease, ivl, factor, 2000, kind)
        for n, (kind, ease, ivl, factor) in enumerate(entries)
    ]


LEARN, REVIEW, RELEARN, CRAM, MANUAL = 0, 1, 2, 3, 4
# what _answers makes of row n: its answer (n), a cram answer, Anki's own reset, or a reset
# recall puts in a millisecond before row n ("<n") or after the last answer (">")
Made = int | tuple[str, int] | str


@pytest.mark.parametrize(
    ("history", "memory", "made"),
    [
        # a review card's whole life, relearning included
        (
            [
                (LEARN, 3, -600, 0),
                (LEARN, 3, 1, 2500),
                (REVIEW, 1, -600, 2300),
                (RELEARN, 3, 1, 2300),
            ],
            [0, 1, 2, 3],
            [0, 1, 2, 3],
        ),
        # an early review in a filtered deck that reschedules counts; cramming does not
        (
            [(LEARN, 3, 1, 2500), (CRAM, 3, 3, 2500), (CRAM, 4, 0, 0), (REVIEW, 3, 9, 2500)],
            [0, 1, 3],
            [0, 1, ("cram", 2), 3],
        ),
        # set due date and FSRS rescheduling rows are not answers
        (
            [(LEARN, 3, 1, 2500), (MANUAL, 0, 5, 2500), (5, 0, 7, 2500), (REVIEW, 3, 9, 2500)],
            [0, 3],
            [0, 3],
        ),
        # a reset cuts the earlier life
        (
            [(LEARN, 3, 1, 2500), (REVIEW, 3, 4, 2500), (MANUAL, 0, 0, 0), (LEARN, 1, -60, 0)],
            [3],
            [0, 1, ("reset", 2), 3],
        ),
        # old Anki wrote no reset row: a learning run after reviews starts a new life
        (
            [(LEARN, 3, 1, 2500), (REVIEW, 3, 4, 2500), (LEARN, 3, -600, 0), (LEARN, 3, 1, 2500)],
            [2, 3],
            [0, 1, "<2", 2, 3],
        ),
        # reviews after a reset before a learning run: the run starts the memory state
        (
            [(LEARN, 3, 1, 2500), (MANUAL, 0, 0, 0), (REVIEW, 3, 4, 2500), (LEARN, 3, 1, 2500)],
            [3],
            [0, ("reset", 1), 2, "<3", 3],
        ),
        # no learning run (a truncated history): from the first answer a day or more apart
        (
            [(RELEARN, 1, -600, 2300), (RELEARN, 3, 1, 2300), (REVIEW, 3, 3, 2300)],
            [1, 2],
            [0, "<1", 1, 2],
        ),
        # a truncated history that starts a day or more apart needs no reset
        ([(REVIEW, 3, 3, 2300), (REVIEW, 3, 8, 2300)], [0, 1], [0, 1]),
        # reset and never answered since: nothing
        ([(LEARN, 3, 1, 2500), (MANUAL, 0, 0, 0)], [], [0, ("reset", 1)]),
        # no answer Anki computes a memory state from: the card is new after them all
        ([(RELEARN, 3, -600, 2300), (RELEARN, 3, -60, 2300)], [], [0, 1, ">"]),
        ([(CRAM, 3, 0, 0)], [], [("cram", 0)]),
    ],
)
def test_revlog_rows_kept_follow_anki_fsrs(
    history: list[tuple[int, int, int, int]], memory: list[int], made: list[Made]
) -> None:
    revlog = rows(*history)
    kept = _answers(revlog)[0]

    def moment(n: int) -> datetime:
        return datetime.fromtimestamp(revlog[n][1] / 1000, UTC)

    def expected(item: Made) -> tuple[datetime, int, ReviewKind]:
        gap = timedelta(milliseconds=1)
        if isinstance(item, int):
            return moment(item), revlog[item][2], ReviewKind.Review
        if isinstance(item, tuple):
            kind, n = item
            return moment(n), revlog[n][2], ReviewKind[kind.capitalize()]
        if item == ">":
            return moment(len(revlog) - 1) + gap, 0, ReviewKind.Reset
        return moment(int(item[1:])) - gap, 0, ReviewKind.Reset

    assert [(a.at, a.rating, a.kind) for a in kept] == [expected(item) for item in made]
    # what Anki computes the memory state from: the reviews after the last reset
    life = kept[last_life([a.kind for a in kept]) :]
    assert [(a.at, a.rating) for a in life if a.kind is ReviewKind.Review] == [
        (moment(n), revlog[n][2]) for n in memory
    ]


# Formats
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "legacy", "member"),
    [
        ("current.apkg", False, "collection.anki21b"),
        ("legacy.apkg", True, "collection.anki21"),
        ("current.colpkg", False, "collection.anki21b"),
        ("legacy.colpkg", True, "collection.anki2"),
    ],
)
def test_every_package_format_reads_the_same(
    anki: AnkiBuilder, tmp_path: Path, name: str, legacy: bool, member: str
) -> None:
    anki.add(REVERSED, ["perro", "dog"], deck="Lang::Spanish", tags=["animal"])
    [cloze, _] = anki.add(CLOZE, ["{{c1::a}} {{c2::b::hint}}", ""], deck="Other")
    anki.answer(cloze, 3)
    anki.suspend([cloze])
    reference = read_apkg(anki.export(tmp_path / "reference.apkg")).decks

    path = anki.export(tmp_path / name, legacy=legacy)

    assert member in zipfile.ZipFile(path).namelist()
    decks = read_apkg(path).decks
    assert decks == reference
    assert [c.history for d in decks for c in d.cards] == [
        c.history for d in reference for c in d.cards
    ]
    assert [c.suspended for d in decks for c in d.cards] == [False, False, True, False]


def test_a_bare_collection_is_read_in_place_without_changing_it(tmp_path: Path) -> None:
    pytest.importorskip("anki")
    with anki_collection(tmp_path / "anki") as anki:
        anki.add(BASIC, ["q", "a"], deck="Solo")
    collection = tmp_path / "anki" / "collection.anki2"
    before = collection.read_bytes()
    files = sorted((tmp_path / "anki").iterdir())

    [deck] = read_apkg(collection).decks

    assert (deck.title, deck.cards[0].question) == ("Solo", "q")
    assert collection.read_bytes() == before
    assert sorted((tmp_path / "anki").iterdir()) == files


# Files that are not what they claim, or hostile
# ---------------------------------------------------------------------------------------------


def refused(path: Path) -> str:
    with pytest.raises(DeckFileError) as caught:
        read_apkg(path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}: ") and "\n" not in problem
    return problem


def zip_with(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_file_that_is_not_a_package_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.apkg"
    path.write_text("front,back\n")
    assert "not an Anki package or collection" in refused(path)


def test_a_zip_without_a_collection_is_refused(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "photos.apkg", {"cat.jpg": b"\xff\xd8"})
    assert "no collection" in refused(path)


def test_a_truncated_package_is_refused(tmp_path: Path) -> None:
    whole = zip_with(tmp_path / "whole.apkg", {"collection.anki2": bytes(range(256)) * 400})
    cut = tmp_path / "cut.apkg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert "truncated" in refused(cut)


def test_a_truncated_real_package_is_refused(anki: AnkiBuilder, tmp_path: Path) -> None:
    anki.add(BASIC, ["q", "a"])
    whole = anki.export(tmp_path / "whole.apkg")
    cut = tmp_path / "cut.apkg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size - 40])
    refused(cut)


def test_a_collection_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "junk.apkg", {"collection.anki2": b"junk" * 100})
    assert "damaged collection" in refused(path)


def declare_size(path: Path, member: str, size: int) -> None:
    """Make the zip's local and central headers claim ``size`` bytes for ``member``."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    # (signature, offset of the uncompressed size, of the name's length, of the name)
    for signature, size_at, length_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),
        (b"PK\x01\x02", 24, 28, 46),
    ):
        offset = data.find(signature)
        while offset >= 0:
            length = struct.unpack_from("<H", data, offset + length_at)[0]
            if data[offset + name_at : offset + name_at + length] == name:
                struct.pack_into("<I", data, offset + size_at, size)
            offset = data.find(signature, offset + 4)
    path.write_bytes(bytes(data))


def test_a_zip_bomb_is_refused_before_anything_is_inflated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = zip_with(tmp_path / "bomb.apkg", {"collection.anki2": bytes(4096)})
    declare_size(path, "collection.anki2", 0xFFFF_0000)
    assert zipfile.ZipFile(path).getinfo("collection.anki2").file_size == 0xFFFF_0000

    def no_inflating(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_inflating)
    problem = refused(path)
    assert "refused" in problem and "2 GB" in problem


def test_an_absurd_compression_ratio_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = zip_with(tmp_path / "zeros.apkg", {"collection.anki2": bytes(40 * 1024**2)})

    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("inflated"))
    assert "compression" in refused(path)


def test_a_zstd_bomb_is_stopped_while_inflating(tmp_path: Path) -> None:
    import zstandard

    compressor = zstandard.ZstdCompressor().compressobj()
    packed = b"".join(compressor.compress(bytes(1024**2)) for _ in range(200)) + compressor.flush()
    assert len(packed) < 100_000
    path = tmp_path / "bomb.apkg"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("collection.anki21b", packed)
        archive.writestr("media", zstandard.ZstdCompressor().compress(b""))
    assert "inflates" in refused(path)


@pytest.mark.parametrize("name", ["../evil.sh", "/etc/passwd", "sub/../../x", "C:\\evil.bat"])
def test_a_legacy_media_name_leaving_its_folder_is_refused(tmp_path: Path, name: str) -> None:
    path = zip_with(
        tmp_path / "media.apkg",
        {"collection.anki2": b"", "media": json.dumps({"0": name}).encode(), "0": b"x"},
    )
    assert f"media name {name!r}" in refused(path)


def test_a_current_media_name_leaving_its_folder_is_refused(tmp_path: Path) -> None:
    import zstandard

    name = b"../../.bashrc"
    entry = b"\x0a" + bytes([len(name)]) + name + b"\x10\x01"  # name = 1, size = 2
    entries = b"\x0a" + bytes([len(entry)]) + entry  # MediaEntries.entries = 1
    path = tmp_path / "media.apkg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("collection.anki21b", zstandard.ZstdCompressor().compress(b""))
        archive.writestr("media", zstandard.ZstdCompressor().compress(entries))
    assert "media name '../../.bashrc'" in refused(path)


def test_an_archive_member_outside_its_folder_is_refused(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "slip.apkg", {"collection.anki2": b"", "../../evil": b"x"})
    assert "outside its folder" in refused(path)


def test_nothing_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    database = tmp_path / "c.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("create table t (x)")
    connection.close()
    path = zip_with(tmp_path / "other.apkg", {"collection.anki2": database.read_bytes()})
    assert "not an Anki collection" in refused(path)
    assert list((tmp_path / "tmp").iterdir()) == []


# Templates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{Front}}", "F"),
        ("{{#Extra}}[{{Extra}}]{{/Extra}}{{^Extra}}none{{/Extra}}", "none"),
        ("{{#Front}}<{{Front}}>{{/Front}}", "<F>"),
        ("{{ Front }}{{text:Styled}}", "Fbold &amp; plain"),
        ("{{hint:Front}}", "<div>[hint: F]</div>"),
        ("{{furigana:Ruby}}|{{kanji:Ruby}}|{{kana:Ruby}}", "日本(にほん)|日本|にほん"),
        ("{{type:Front}}!", "!"),
        ("{{tts en_US:Front}}", "F"),
        ("{{Missing}}x{{/Unopened}}", "x"),
        ("<!-- {{Front}} -->", "<!-- {{Front}} -->"),
        ("{{#Front}}unclosed {{Front}}", "unclosed F"),
    ],
)
def test_template_language_on_the_question_side(template: str, expected: str) -> None:
    fields = {
        "Front": "F",
        "Extra": "<br>",
        "Styled": "<b>bold</b> &amp; plain",
        "Ruby": "日本[にほん]",
    }
    nonempty = {"Front", "Styled", "Ruby"}
    assert render(parse(template), Context(fields, nonempty, 1, None)) == expected


def test_frontside_and_type_on_the_answer_side() -> None:
    context = Context({"Front": "F", "Back": "B"}, {"Front", "Back"}, 1, "Q")
    assert render(parse("{{FrontSide}}|{{type:Back}}"), context) == "Q|B"


# Real packages (../shared/testdata/apkg, see its README)
# ---------------------------------------------------------------------------------------------

APKG = SHARED_TESTDATA / "apkg"
# notes, cards, answers, cards with answers, suspended. The answers are the README's, the
# backend's count of revlog rows with ease > 0: every one is kept (the Spanish package's two
# "cram" rows, type 3 with factor 0, as cram answers), and resets are not answers.
EXPECTED = {
    "ankitects_media.apkg": (1, 1, 0, 0, 0),
    "ankitects_update1.apkg": (1, 1, 0, 0, 0),
    "ankitects_update2.apkg": (1, 1, 0, 0, 0),
    "ankitects_diffmodeltemplates-1.apkg": (1, 1, 0, 0, 0),
    "openrussian_test.apkg": (54, 54, 0, 0, 0),
    "clintafk_newly_learned_words.apkg": (19, 19, 0, 0, 0),
    "pedscoffee_Example_Deck.apkg": (4, 4, 0, 0, 0),
    "pedscoffee_SpanishAnkiExportReal.apkg": (2887, 2887, 31363, 2878, 4),
    "latex2anki_example.apkg": (5, 10, 0, 0, 0),
    "skinatro_collection.anki21": (167, 190, 15, 15, 0),
}
corpus = pytest.mark.skipif(not APKG.is_dir(), reason="../shared/testdata is absent")


def answers_of(card: CardSpec) -> list[PastAnswer]:
    """A card's answers: its history without the resets."""
    return [answer for answer in card.history if answer.kind is not ReviewKind.Reset]


@pytest.mark.corpus
@corpus
def test_every_real_package_matches_the_official_backend() -> None:
    assert sorted(p.name for p in APKG.iterdir()) == sorted(EXPECTED)
    for name, expected in EXPECTED.items():
        found = [card for deck in read_apkg(APKG / name).decks for card in deck.cards]
        guids = {card.source_id.removeprefix("anki:").rsplit(":", 1)[0] for card in found}  # type: ignore[union-attr]
        counts = (
            len(guids),
            len(found),
            sum(len(answers_of(card)) for card in found),
            sum(1 for card in found if answers_of(card)),
            sum(card.suspended for card in found),
        )
        assert counts == expected, name
        assert all(card.question for card in found), name


@pytest.mark.corpus
@corpus
def test_a_newer_export_of_a_note_updates_the_same_card() -> None:
    [old] = [
        card for deck in read_apkg(APKG / "ankitects_update1.apkg").decks for card in deck.cards
    ]
    [new] = [
        card for deck in read_apkg(APKG / "ankitects_update2.apkg").decks for card in deck.cards
    ]
    assert old.key == new.key and old.source_id == new.source_id
    assert (old.question, new.question) == ("hello", "goodbye")


@pytest.mark.corpus
@corpus
def test_real_packages_render_as_anki_shows_them() -> None:
    spanish = {
        deck.title: deck for deck in read_apkg(APKG / "pedscoffee_SpanishAnkiExportReal.apkg").decks
    }
    assert sorted(spanish) == ["Example Deck", "Old Decks", "Spanish"]
    assert [s.title for s in spanish["Old Decks"].sections] == ["Board Review 2023"]
    cloze = [c for c in spanish["Old Decks"].cards if "[...]" in c.question]
    assert len(cloze) == 4 and all("[" in c.answer for c in cloze)
    latex = [c for deck in read_apkg(APKG / "latex2anki_example.apkg").decks for c in deck.cards]
    assert any(r"\(b \in B\)" in c.question for c in latex)
    assert any("[hint]" in c.question for c in latex)
    [skinatro] = read_apkg(APKG / "skinatro_collection.anki21").decks
    assert skinatro.title == "Mirage's Deck" and skinatro.key == "mirage-s-deck"


@pytest.mark.corpus
@corpus
def test_the_largest_real_package_reads_quickly() -> None:
    path = APKG / "pedscoffee_SpanishAnkiExportReal.apkg"
    read_apkg(path)  # imports lxml and inscriptis
    # CPU time, not wall time: on a machine shared with others' test runs the wall clock
    # measured 2.8 s for the 0.3 s of work this process did
    started = time.process_time()
    read_apkg(path)
    assert time.process_time() - started < 2.0  # measured about 0.3 s; the import budget is 3 s
