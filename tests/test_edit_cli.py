"""recall add, edit, flag, unflag and flagged through typer's CliRunner (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import collection_sql
from recall1924.cli import app
from recall1924.deckfile import read_deck_file
from test_editing import DECK
from test_storage_faults import read_only_collection, recall  # noqa: F401 - a fixture

runner = CliRunner()
NOW = "2026-11-27T09:00:00+00:00"


def run(*args: str, **env: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"RECALL_NOW": NOW, **env}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def rows(db: Path) -> list[tuple[Any, ...]]:
    with collection_sql.connect(db) as connection:
        return connection.execute("SELECT * FROM card ORDER BY id").fetchall()


def card(db: Path, key: str) -> dict[str, Any]:
    with collection_sql.connect(db, dicts=True) as connection:
        return dict(connection.execute("SELECT * FROM card WHERE key = ?", (key,)).fetchone())


@pytest.fixture
def deck_path(tmp_path: Path, db_path: Path) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(DECK, encoding="utf-8")
    code, _out, err = run("import", str(path))
    assert code == 0, err
    return path


def editor(tmp_path: Path, *steps: str) -> str:
    """An EDITOR that, on its n-th run, runs the n-th shell step on the file ($1) and keeps a
    copy of what it was shown (shown.N)."""
    script = tmp_path / "editor.sh"
    cases = "\n".join(f"  {n}) {step} ;;" for n, step in enumerate(steps, start=1))
    script.write_text(
        "#!/bin/sh\n"
        f'count="{tmp_path}/count"\n'
        'n=$(( $(cat "$count" 2>/dev/null || echo 0) + 1 )); echo $n > "$count"\n'
        f'cp "$1" "{tmp_path}/shown.$n"\n'
        f"case $n in\n{cases}\nesac\n"
    )
    script.chmod(0o755)
    return str(script)


def test_add_from_options_writes_into_the_students_file(deck_path: Path, db_path: Path) -> None:
    code, out, err = run(
        "add", "--deck", "mine", "--section", "two", "--question", "What was NEP?",
        "--answer", "The New Economic Policy", "--tag", "economy",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out == (
        f"Added card 'nep' to deck 'mine', section 'two': written into {deck_path.resolve()}\n"
    )
    text = deck_path.read_text(encoding="utf-8")
    assert text.startswith(DECK)
    assert text[len(DECK) :] == (
        '\n[[sections.cards]]\nid = "nep"\nquestion = "What was NEP?"\n'
        'answer = "The New Economic Policy"\ntags = ["economy"]\n'
    )
    assert card(db_path, "nep")["edited_at"] is None
    code, out, _ = run("import", str(deck_path))
    assert "cards unchanged        4" in out and "cards updated          0" in out


def test_add_to_the_bundled_deck_keeps_the_card_in_the_collection(db_path: Path) -> None:
    assert run("decks")[0] == 0  # the first run, which imports the bundled deck
    code, out, err = run(
        "add", "--section", "trotsky", "--id", "my-card", "--question", "Mine?", "--answer", "Yes"
    )
    assert (code, err) == (0, "")
    assert out == (
        "Added card 'my-card' to deck 'stalin-1924', section 'trotsky': kept in the collection "
        "as your own wording\n"
    )
    assert card(db_path, "my-card")["edited_at"] is not None


def test_edit_with_options_keeps_id_history_and_memory(deck_path: Path, db_path: Path) -> None:
    before = card(db_path, "a")
    code, out, err = run("edit", "a", "--answer", "A, better.", "--note", "Said so.")
    assert (code, err) == (0, "")
    assert out == (
        f"Changed card 'a' in deck 'mine', section 'one': written into {deck_path.resolve()}\n"
    )
    after = card(db_path, "a")
    assert (after["answer"], after["note"]) == ("A, better.", "Said so.")
    for name in ("id", "state", "due", "stability", "last_review", "position", "created_at"):
        assert after[name] == before[name], name
    assert 'answer = "A, better."\nnote = "Said so."' in deck_path.read_text(encoding="utf-8")
    assert run("edit", "a", "--answer", "A, better.") == (
        0,
        "Card 'a' is unchanged; nothing was written\n",
        "",
    )


def test_the_editor_reopens_with_the_problem_on_top_and_the_text_kept(
    deck_path: Path, db_path: Path, tmp_path: Path
) -> None:
    command = editor(
        tmp_path,
        'sed -i \'s/^answer = .*/answer = ""/; s/^note = .*/note = "my note"/\' "$1"',
        'sed -i \'s/^answer = .*/answer = "Fixed"/\' "$1"',
    )
    code, out, err = run("edit", "a", EDITOR=command, VISUAL="")
    assert (code, err) == (0, ""), err
    assert out.startswith("Changed card 'a'")
    first = (tmp_path / "shown.1").read_text(encoding="utf-8")
    assert first == (
        'id = "a"\nsection = "one"\nquestion = "What is A?"\nanswer = "A."\nnote = ""\ntags = []\n'
    )
    second = (tmp_path / "shown.2").read_text(encoding="utf-8")
    assert second.startswith("# recall: Not saved.")
    assert "# recall:   line 4: the answer must not be empty" in second
    assert 'note = "my note"' in second  # the student's text, not the card as it was
    assert (card(db_path, "a")["answer"], card(db_path, "a")["note"]) == ("Fixed", "my note")


def test_giving_up_in_the_editor_writes_nothing(
    deck_path: Path, db_path: Path, tmp_path: Path
) -> None:
    before = rows(db_path)
    # Quit without saving at once: nothing to do.
    code, out, err = run("edit", "a", EDITOR=editor(tmp_path, "true"))
    assert (code, out, err) == (0, "Card 'a' is unchanged; nothing was written\n", "")
    # Save a broken card, then quit without fixing it: the problem, exit 1, nothing written.
    (tmp_path / "count").unlink()
    command = editor(tmp_path, "sed -i 's/^answer = .*/answer = 3/' \"$1\"", "true")
    code, out, err = run("edit", "a", EDITOR=command)
    assert (code, out) == (1, "")
    assert err == "recall: not saved: line 4: 'answer' must be a string in quotes\n"
    assert rows(db_path) == before
    assert deck_path.read_text(encoding="utf-8") == DECK


def test_add_in_the_editor_makes_the_id_from_the_question(
    deck_path: Path, db_path: Path, tmp_path: Path
) -> None:
    command = editor(
        tmp_path,
        'sed -i \'s/^question = .*/question = "Who was Kamenev?"/; '
        's/^answer = .*/answer = "A triumvir"/; s/^section = .*/section = "two"/\' "$1"',
    )
    code, out, err = run("add", "--deck", "mine", EDITOR=command)
    assert (code, err) == (0, ""), err
    assert out.startswith("Added card 'kamenev' to deck 'mine', section 'two': written into")
    shown = (tmp_path / "shown.1").read_text(encoding="utf-8")
    assert shown.startswith("# A new card for deck 'mine'.")
    assert "# Sections: one, two" in shown
    held = read_deck_file(deck_path)
    assert [spec.key for spec in held.sections[1].cards] == ["c", "kamenev"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["edit", "nope", "--answer", "x"], "recall: no card 'nope'\n"),
        (["edit", "a", "--deck", "nope"], "recall: no deck 'nope' (decks: mine)\n"),
        (["edit", "a", "--answer", " "], "recall: card: the answer must not be empty\n"),
        (
            ["add", "--question", "Q?"],
            "recall: give both --question and --answer (or neither, to write the card in your "
            "editor)\n",
        ),
        (
            ["add", "--section", "nine", "--question", "Q?", "--answer", "A"],
            "recall: no section 'nine' in deck 'mine' (sections: one, two)\n",
        ),
        (["add", "--id", "a", "--question", "Q?", "--answer", "A"],
         "recall: id 'a' is already used in deck 'mine'\n"),
        (["add", "--id", "Bad Id", "--question", "Q?", "--answer", "A"],
         "recall: card: id 'Bad Id' is not valid (lowercase letters, digits and '-', starting "
         "with a letter or digit, at most 64)\n"),
        (["flag", "nope"], "recall: no card 'nope'\n"),
        # named as a section is (deck/section): the way to name it said
        (["edit", "mine/a", "--answer", "x"],
         "recall: no card 'mine/a'; a card's id has no '/': give a --deck mine\n"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_1_and_nothing_written(
    deck_path: Path, db_path: Path, args: list[str], line: str
) -> None:
    before = rows(db_path)
    # A name that is not there is a usage error, exit 2, as for recall card and suspend.
    code = 2 if line.startswith("recall: no ") else 1
    assert run(*args) == (code, "", line)
    assert rows(db_path) == before
    assert deck_path.read_text(encoding="utf-8") == DECK


def test_a_card_edited_into_the_students_file_is_found_by_edited(deck_path: Path) -> None:
    # Anki's edited:N is "text changed in the last N days", wherever the edit was kept: here
    # it went into the student's TOML file, so the collection's own-wording mark stays unset.
    later = "2026-12-02T09:00:00+00:00"  # the deck came in five days before
    assert run("edit", "a", "--answer", "A, reworded", RECALL_NOW=later)[0] == 0
    code, out, err = run("cards", "--json", "edited:1", RECALL_NOW=later)
    assert code == 0, err
    assert [row["key"] for row in json.loads(out)] == ["a"]
    code, out, err = run("cards", "--json", "edited:6", RECALL_NOW=later)
    assert len(json.loads(out)) > 1  # the import five days ago wrote every card's text


def test_no_editor_is_one_line_before_anything(deck_path: Path, tmp_path: Path) -> None:
    code, out, err = run("edit", "a", EDITOR="", VISUAL="", PATH=str(tmp_path / "none"))
    assert (code, out) == (1, "")
    assert err.startswith("recall: no text editor: set VISUAL or EDITOR")
    assert err.count("\n") == 1


def test_flag_unflag_and_the_list(deck_path: Path, db_path: Path) -> None:
    assert run("flagged") == (0, "No flagged cards\n", "")
    assert run("flag", "b", "--reason", "split this") == (
        0,
        "Flagged card 'b': split this\n",
        "",
    )
    assert run("flag", "c") == (0, "Flagged card 'c'\n", "")
    assert run("flagged") == (0, "mine b (split this): Multi line\nmine c: What is C?\n", "")
    code, out, _ = run("flagged", "--json")
    assert json.loads(out) == [
        {"deck": "mine", "key": "b", "question": "Multi\nline", "reason": "split this"},
        {"deck": "mine", "key": "c", "question": "What is C?", "reason": None},
    ]
    code, out, _ = run("card", "b")
    assert "Flagged" in out and "split this" in out
    assert run("unflag", "b") == (0, "Unflagged card 'b'\n", "")
    assert (card(db_path, "b")["flag"], card(db_path, "b")["flag_reason"]) == (0, None)
    assert deck_path.read_text(encoding="utf-8") == DECK  # a flag is not the deck's


def test_every_new_command_has_help() -> None:
    for command in ("add", "edit", "flag", "unflag", "flagged"):
        code, out, _ = run(command, "--help")
        assert code == 0 and "Usage: recall" in out, command


@pytest.mark.sqlite_only  # a SQLite file in a read-only folder
def test_a_read_only_collection_refuses_every_change(
    read_only_collection: Path,  # noqa: F811 - the fixture
    db_path: Path,
) -> None:
    db = str(read_only_collection)
    before = rows(db_path)
    for writing in (
        ["add", "--question", "Q?", "--answer", "A"],
        ["edit", "testament-what", "--answer", "x"],
        ["flag", "testament-what"],
    ):
        done = recall("--db", db, *writing)
        assert done.returncode == 1, (writing, done.stderr)
        assert done.stderr.count("\n") == 1, (writing, done.stderr)
        assert done.stderr.startswith(f"recall: {db} is read-only"), (writing, done.stderr)
    assert rows(db_path) == before
