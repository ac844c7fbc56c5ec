"""``recall draft``: the preview, the deck file it writes, and re-runs that keep the student's
edits while the notes change."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recall1924.cli import app
from recall1924.deckfile import parse_deck, read_deck_file
from recall1924.drafting.writer import RECORD_INTRO
from recall1924.errors import DeckFileError

runner = CliRunner()
SEED = Path(__file__).resolve().parents[2] / "shared" / "notes" / "000_366f268b3d129378.txt"
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="the seed notes are not there")


def recall(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def cards_of(path: Path) -> dict[str, dict[str, object]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {card["id"]: card for section in data["sections"] for card in section.get("cards", [])}


NOTES = """\
# Biology

## Cells

The nucleus :: holds the cell's DNA
Mitochondria ::: the powerhouse of the cell

- Organelles of a plant cell
  - chloroplast
  - vacuole

## Genetics

- Mendel bred peas in 1856
- Watson and Crick described the helix in 1953
- Franklin took Photo 51 in 1952
"""


def test_preview_then_the_file_which_imports(tmp_path: Path) -> None:
    notes = tmp_path / "bio.md"
    notes.write_text(NOTES, encoding="utf-8")
    deck = tmp_path / "bio.toml"
    code, out, err = recall("draft", notes, "-o", deck)
    assert (code, err) == (0, "")
    assert out.splitlines()[:5] == [
        f"{notes}: 2 sections (Markdown headings), deck 'biology'",
        "  section   q :: a  q ::: a  outline  draft  reviews",
        "  Cells          1        2        1      0        4",
        "  Genetics       0        0        0      3        5",
        "  total          1        2        1      3        9",
    ]
    assert out.splitlines()[-1].startswith(f"Wrote {deck}.")
    text = deck.read_text(encoding="utf-8")
    assert text.startswith("# Drafted by recall draft from bio.md.")
    cards = cards_of(deck)
    assert cards["franklin-took-photo-51-337eb9"] == {
        "id": "franklin-took-photo-51-337eb9",
        "cloze": "Franklin took {{c1::Photo 51}} in {{c2::1952}}",
        "tags": ["draft"],
        "source": "bio.md:16",
    }
    assert len(read_deck_file(deck).cards) == 9  # each cloze number its own card
    code, out, _ = recall("import", deck)
    assert code == 0 and re.search(r"cards added +9\b", out)


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    notes = tmp_path / "bio.md"
    notes.write_text(NOTES, encoding="utf-8")
    code, out, _ = recall("draft", notes, "-o", tmp_path / "bio.toml", "--dry-run")
    assert code == 0 and out.splitlines()[-1].startswith("Nothing written (--dry-run)")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bio.md"]


def test_the_deck_goes_to_the_current_folder_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "notes" / "bio.md"
    notes.parent.mkdir()
    notes.write_text(NOTES, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert recall("draft", notes)[0] == 0
    assert [path.name for path in work.iterdir()] == ["bio.toml"]
    assert sorted(path.name for path in notes.parent.iterdir()) == ["bio.md"]


@needs_seed
def test_seed_notes_draft_six_sections_and_import_at_once(tmp_path: Path) -> None:
    deck = tmp_path / "seed.toml"
    code, out, err = recall("draft", SEED, "-o", deck)
    assert (code, err) == (0, "")
    assert out.splitlines()[1:9] == [
        "  section                       draft  reviews",
        "  Lenin's legacy                    7       12",
        "  Stalin's position                 0        0",
        "  Leon Trotsky                      9       13",
        "  New Economic Policy dispute      10       17",
        "  Stalin's defeat of the Left      10       23",
        "  Stalin's defeat of the Right      9       14",
        "  total                            45       79",
    ]
    assert "  lines 76-87: the site's footer, after '6 of 6'" in out.splitlines()
    data = tomllib.loads(deck.read_text(encoding="utf-8"))
    assert [(s["title"], len(s.get("cards", []))) for s in data["sections"]] == [
        ("Lenin's legacy", 7),
        ("Stalin's position", 0),
        ("Leon Trotsky", 9),
        ("New Economic Policy dispute", 10),
        ("Stalin's defeat of the Left", 10),
        ("Stalin's defeat of the Right", 9),
    ]
    sources = [int(card["source"].rpartition(":")[2]) for card in cards_of(deck).values()]
    assert max(sources) < 76 and min(sources) > 4  # nothing from the site's header or footer
    code, out, err = recall("import", deck)
    assert code == 0 and re.search(r"cards added +79\b", out)


# --- re-runs ---------------------------------------------------------------------------------


def first_draft(tmp_path: Path) -> tuple[Path, Path]:
    notes = tmp_path / "bio.md"
    notes.write_text(NOTES, encoding="utf-8")
    deck = tmp_path / "bio.toml"
    assert recall("draft", notes, "-o", deck)[0] == 0
    return notes, deck


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_rerun_keeps_every_edit_in_the_toml(tmp_path: Path) -> None:
    notes, deck = first_draft(tmp_path)
    # The student edits the deck file: the title, an answer, a draft cloze kept and changed,
    # a comment, the reverse card deleted, a card of their own ...
    edit(deck, 'title = "Biology"', 'title = "Biology for the exam"  # mine')
    edit(
        deck, 'answer = "holds the cell\'s DNA"', "answer = '''\nholds the DNA,\nin chromosomes'''"
    )
    edit(
        deck,
        'cloze = "Franklin took {{c1::Photo 51}} in {{c2::1952}}"\ntags = ["draft"]',
        'cloze = "Franklin took Photo 51 in {{c1::1952}}"\nnote = "King\'s College"',
    )
    edit(
        deck,
        '[[sections.cards]]\nid = "mendel',
        '# Mendel: ask about peas\n[[sections.cards]]\nid = "mendel',
    )
    edit(
        deck,
        '[[sections.cards]]\nid = "powerhouse-cell-fabb7a"\n'
        'question = "the powerhouse of the cell"\nanswer = "Mitochondria"\nsource = "bio.md:6"\n\n',
        "",
    )
    with deck.open("a", encoding="utf-8") as out:
        out.write('\n[[sections.cards]]\nid = "my-own"\nquestion = "Mine?"\nanswer = "Yes"\n')
    edited = deck.read_text(encoding="utf-8")
    # ... and the notes change: a card above the others, one bullet edited, one gone, one new.
    changed = NOTES.replace(
        "## Cells\n\n", "## Cells\n\nCells are the units of life :: all living things have them\n"
    )
    changed = changed.replace("described the helix", "described the double helix")
    changed = changed.replace("- Mendel bred peas in 1856\n", "")
    changed += "- Meselson and Stahl showed copying is semi-conservative in 1958\n"
    notes.write_text(changed, encoding="utf-8")

    code, out, err = recall("draft", notes, "-o", deck)
    assert (code, err) == (0, "")
    assert out.splitlines()[-4:] == [
        f"{deck}: 3 new cards added, 4 found again (kept as the file has them), 1 you deleted "
        "not drafted again",
        f"2 cards of {deck} no longer in the notes (kept; delete them there if you no longer "
        "want them):",
        "  mendel-bred-peas-1856-b07dd1  (was bio.md:14)",
        "  watson-crick-described-helix-565f87  (was bio.md:15)",
    ]
    after = deck.read_text(encoding="utf-8")
    assert "\n\n\n" not in after  # where the record was, no gap of two blank lines is left
    # Every line the student left or wrote is there, in the same order; what changed is only
    # new cards, moved line numbers and the record at the end.
    ignored = ("source = ", "# drafted:", *RECORD_INTRO)
    kept = [line for line in edited.splitlines() if line and not line.startswith(ignored)]
    after_lines = after.splitlines()
    at = [after_lines.index(line) for line in kept if kept.count(line) == 1]
    assert at == sorted(at) and all(line in after_lines for line in kept)
    cards = cards_of(deck)
    before = cards_of_text(edited)
    assert {key: card for key, card in cards.items() if key in before} == {
        key: dict(card, source=cards[key].get("source", "")) if "source" in card else card
        for key, card in before.items()
    }
    assert cards["nucleus-2e03c9"]["answer"] == "holds the DNA,\nin chromosomes"
    assert cards["nucleus-2e03c9"]["source"] == "bio.md:6"  # a line further down now
    assert (
        cards["franklin-took-photo-51-337eb9"]["cloze"] == "Franklin took Photo 51 in {{c1::1952}}"
    )
    assert "powerhouse-cell-fabb7a" not in cards
    new = {key: card["source"] for key, card in cards.items() if key not in before}
    assert list(new.values()) == ["bio.md:5", "bio.md:15", "bio.md:17"]
    assert recall("import", deck)[0] == 0
    # Run again with nothing changed: nothing written.
    code, out, _ = recall("draft", notes, "-o", deck)
    assert (
        code == 0
        and out.splitlines()[-1] == f"{deck} is up to date with the notes: nothing written."
    )
    assert deck.read_text(encoding="utf-8") == after


def test_a_dry_rerun_shows_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    notes, deck = first_draft(tmp_path)
    before = deck.read_bytes()
    notes.write_text(NOTES + "- Darwin sailed on the Beagle in 1831\n", encoding="utf-8")
    code, out, _ = recall("draft", notes, "-o", deck, "--dry-run")
    assert code == 0 and deck.read_bytes() == before
    assert f"--- {deck} (now)" in out and f"+++ {deck} (drafted again)" in out
    assert '+cloze = "Darwin sailed on the {{c1::Beagle}} in {{c2::1831}}"' in out
    assert out.splitlines()[-1] == "Nothing written (--dry-run)."


def test_a_rerun_keeps_windows_line_ends(tmp_path: Path) -> None:
    notes, deck = first_draft(tmp_path)
    deck.write_bytes(deck.read_bytes().replace(b"\n", b"\r\n"))
    notes.write_text(NOTES + "- Darwin sailed on the Beagle in 1831\n", encoding="utf-8")
    assert recall("draft", notes, "-o", deck)[0] == 0
    raw = deck.read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n") and b"Beagle" in raw


def test_a_section_new_in_the_notes_is_added_at_the_end(tmp_path: Path) -> None:
    notes, deck = first_draft(tmp_path)
    notes.write_text(
        NOTES.replace(
            "## Genetics", "## Evolution\n- Darwin sailed on the Beagle in 1831\n## Genetics"
        ),
        encoding="utf-8",
    )
    assert recall("draft", notes, "-o", deck)[0] == 0
    data = tomllib.loads(deck.read_text(encoding="utf-8"))
    assert [section["id"] for section in data["sections"]] == ["cells", "genetics", "evolution"]
    assert recall("import", deck)[0] == 0


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read: No such file or directory"),
        (b"\xff\xfe notes", "not UTF-8 text (byte 0); save the notes as UTF-8"),
        (b"  \n\n", "nothing to draft: the notes are empty"),
    ],
)
def test_notes_that_cannot_be_drafted(tmp_path: Path, content: bytes | None, message: str) -> None:
    notes = tmp_path / "notes.txt"
    if content is not None:
        notes.write_bytes(content)
    code, out, err = recall("draft", notes, "-o", tmp_path / "deck.toml")
    assert (code, out, err) == (1, "", f"recall: {notes}: {message}\n")
    assert not (tmp_path / "deck.toml").exists()


def test_an_output_that_is_not_a_deck_is_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "bio.md"
    notes.write_text(NOTES, encoding="utf-8")
    other = tmp_path / "settings.toml"
    other.write_text('name = "mine"\n', encoding="utf-8")
    code, _, err = recall("draft", notes, "-o", other)
    assert code == 1
    assert err == (
        f"recall: {other}: not changed: not a recall deck (no [deck] id, or no [[sections]])\n"
    )
    assert other.read_text(encoding="utf-8") == 'name = "mine"\n'


def test_another_decks_file_is_left_alone(tmp_path: Path) -> None:
    notes, deck = first_draft(tmp_path)
    before = deck.read_bytes()
    code, _, err = recall("draft", notes, "-o", deck, "--deck", "physics")
    assert (code, err) == (
        1,
        f"recall: {deck}: not changed: it holds deck 'biology', not 'physics'\n",
    )
    assert deck.read_bytes() == before


def test_what_would_not_read_back_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recall1924.drafting import writer

    real = writer.toml_value

    def shouting(value: str | tuple[str, ...]) -> str:
        # An encoder bug: the TOML written says something else than the text.
        return real(value.upper() if isinstance(value, str) and "{{" in value else value)

    monkeypatch.setattr(writer, "toml_value", shouting)
    notes = tmp_path / "bio.md"
    notes.write_text(NOTES, encoding="utf-8")
    code, _, err = recall("draft", notes, "-o", tmp_path / "bio.toml")
    assert (code, err) == (
        1,
        f"recall: {tmp_path / 'bio.toml'}: not written: it would not read back as drafted\n",
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bio.md"]


def cards_of_text(text: str) -> dict[str, dict[str, object]]:
    data = tomllib.loads(text)
    return {card["id"]: card for section in data["sections"] for card in section.get("cards", [])}


def test_the_deck_reader_takes_a_source_which_must_be_text() -> None:
    deck = '[deck]\nid = "d"\ntitle = "D"\n[[sections]]\nid = "s"\ntitle = "S"\n'
    card = '[[sections.cards]]\nid = "c"\nquestion = "Q"\nanswer = "A"\n'
    assert [c.key for c in parse_deck(deck + card + 'source = "n.md:3"\n').cards] == ["c"]
    with pytest.raises(DeckFileError) as error:
        parse_deck(deck + card + "source = 3\n", "d.toml")
    assert error.value.problems == ["d.toml:11: card 'c': field 'source' must be a string"]
