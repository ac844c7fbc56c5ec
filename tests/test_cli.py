"""The recall command through typer's CliRunner: output, --json, errors, --db and RECALL_NOW."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import collection_sql
from conftest import ON_SERVER
from recall1924.cli import app

runner = CliRunner()
NOW = "2026-11-27T09:00:00+00:00"
DECK = """\
[deck]
id = "extra"
title = "Extra deck"

[[sections]]
id = "s"
title = "Only section"

[[sections.cards]]
id = "one"
question = "[bold red]One?[/bold red] \\u001b[2J"
answer = "1"
"""


def recall(*args: str, input: str | None = None, now: str | None = NOW) -> tuple[int, str, str]:
    env = {"RECALL_NOW": now} if now else {}
    result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def stats() -> dict:  # type: ignore[type-arg]
    code, out, _ = recall("stats", "--json")
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def test_version_and_help() -> None:
    assert recall("--version") == (0, "recall 0.1.0\n", "")
    code, out, _ = recall("--help")
    assert code == 0 and "Usage: recall" in out
    for command in ("review", "stats", "import", "export", "decks", "config"):
        assert command in out


@pytest.mark.parametrize(
    "command",
    ["review", "stats", "import", "export", "decks", "decks remove", "config", "config set"],
)
def test_every_command_has_help(command: str) -> None:
    code, out, _ = recall(*command.split(), "--help")
    assert code == 0
    assert "--db" in out
    description = out.split("\n\n")[1].strip()
    assert description and not description.startswith("Options")


def test_first_run_imports_the_bundled_deck(db_path: Path) -> None:
    code, out, err = recall()
    assert code == 0
    assert "First run: imported the bundled deck 'Why did Stalin gain power from 1924?'" in err
    assert out.count("Lenin's legacy") == 1 and "recall review" in out
    data = stats()
    assert [s["id"] for s in data["decks"][0]["sections"]] == [
        "lenins-legacy",
        "stalins-position",
        "trotsky",
        "nep-dispute",
        "defeat-of-the-left",
        "defeat-of-the-right",
        "interpretations",
    ]
    assert data["totals"]["new"] == data["totals"]["cards"] >= 60
    assert db_path.exists() is not ON_SERVER
    _, _, again = recall("decks")
    assert again == ""  # only the first run says so


def test_review_from_a_pipe_saves_answers_and_raises_mastery() -> None:
    before = stats()
    code, out, _ = recall("review", "--section", "trotsky", input=" 3 4 1q")
    assert code == 0
    assert "Session: 3 answers on 3 cards" in out
    after = stats()
    sections = {s["id"]: s for s in after["decks"][0]["sections"]}
    assert sections["trotsky"]["mastery"] > 0
    assert sections["trotsky"]["new"] == 14
    assert sections["lenins-legacy"]["mastery"] == 0
    assert after["totals"]["reviews_today"] == 3 and before["totals"]["reviews_today"] == 0


def test_stats_table() -> None:
    code, out, _ = recall("stats")
    assert code == 0
    assert "Why did Stalin gain power from 1924?" in out
    assert "Mastery" in out and "Retention" in out
    assert "Total: 90 cards" in out or "Total:" in out


def test_import_dry_run_then_real_then_update(tmp_path: Path, db_path: Path) -> None:
    deck = tmp_path / "extra.toml"
    deck.write_text(DECK)
    code, out, _ = recall("import", str(deck), "--dry-run")
    assert code == 0
    assert "Would import" in out and "extra (new)" in out and "Dry run" in out
    assert not db_path.exists()  # not even the collection is created
    code, out, err = recall("import", str(deck))
    assert " cards added                   1" in out and "extra: Extra deck" in out
    # Your own deck as a new collection's first command: the bundled one is not pulled in.
    assert "add the bundled deck with: recall import --bundled" in " ".join(err.split())
    deck.write_text(DECK.replace('answer = "1"', 'answer = "one"'))
    code, out, _ = recall("import", str(deck))
    assert re.search(r"cards updated +1 *\n", out)
    # A server is backed up by its own tools (docs/postgres.md).
    assert ("The collection before this import is kept at" in out) is not ON_SERVER
    code, out, _ = recall("decks", "--json")
    assert [d["key"] for d in json.loads(out)] == ["extra"]
    code, out, _ = recall("import", "--bundled")
    code, out, _ = recall("decks", "--json")
    assert [d["key"] for d in json.loads(out)] == ["extra", "stalin-1924"]


def test_card_text_is_never_markup_or_escape(tmp_path: Path) -> None:
    deck = tmp_path / "extra.toml"
    deck.write_text(DECK)
    recall("import", "--bundled")
    recall("import", str(deck))
    code, out, _ = recall("review", "--deck", "extra", input=" q")
    assert "[bold red]One?[/bold red] \\x1b[2J" in out
    assert "\x1b" not in out


def test_a_broken_deck_changes_nothing(tmp_path: Path, db_path: Path) -> None:
    deck = tmp_path / "broken.toml"
    deck.write_text(DECK.replace('answer = "1"', 'anwser = "1"'))
    code, out, err = recall("import", str(deck))
    assert code == 1 and out == ""
    assert err == (
        f"recall: {deck}:12: card 'one': unknown key 'anwser'; did you mean 'answer'?\n"
        f"recall: {deck}:9: card 'one': missing required field 'answer'\n"
    )
    assert not db_path.exists()  # the file is checked before the database is opened


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("import", "nowhere.toml"), "recall: nowhere.toml: cannot read: No such file", 1),
        (("import", "deck.csv"), "recall: deck.csv: cannot read: No such file", 1),
        (("review", "--deck", "nope"), "recall: no deck 'nope' (decks: stalin-1924)", 2),
        (("stats", "--deck", "nope"), "recall: no deck 'nope'", 2),
        (("config", "set", "colour", "red"), "recall: unknown setting 'colour'", 2),
        (
            ("config", "set", "new_per_day", "many"),
            "recall: invalid value 'many' for new_per_day",
            2,
        ),
    ],
)
def test_errors_are_one_line(args: tuple[str, ...], message: str, code: int) -> None:
    result_code, out, err = recall(*args)
    assert result_code == code
    assert err.startswith(message) and err.count("\n") == 1


def test_bad_recall_now() -> None:
    code, _, err = recall("stats", now="next tuesday")
    assert code == 2 and err.startswith("recall: RECALL_NOW='next tuesday' is not an ISO 8601")


def test_config_set_show_reset() -> None:
    assert recall("config", "set", "learning_steps", "1m,5m")[:2] == (0, "learning_steps = 1m 5m\n")
    code, out, _ = recall("config", "--json")
    assert json.loads(out)["learning_steps"] == "1m 5m"
    assert recall("config", "reset", "learning_steps")[1] == "learning_steps = 1m 10m (default)\n"
    code, out, _ = recall("config")
    assert "desired_retention" in out and "0.9" in out


def test_new_per_day_setting_limits_the_review(db_path: Path) -> None:
    recall("config", "set", "new_per_day", "2")
    code, out, _ = recall("review", input=" 4 4 4 4")
    assert "Session: 2 answers on 2 cards" in out
    assert "All done for today" in out


def test_db_option_on_the_command_wins(tmp_path: Path, db_path: Path) -> None:
    other = tmp_path / "elsewhere" / "other.db"
    code, _, _ = recall("decks", "--db", str(other))
    assert code == 0 and other.exists() and not db_path.exists()
    code, _, _ = recall("--db", str(tmp_path / "third.db"), "decks")
    assert code == 0 and (tmp_path / "third.db").exists()


def test_newer_database_is_refused_by_every_command(db_path: Path) -> None:
    recall("decks")
    with collection_sql.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff'")
    code, _, err = recall("stats")
    assert code == 1 and "written by a newer recall (schema ffff)" in err


def test_sqlite_refusals_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3 as sqlite

    from sqlalchemy.exc import OperationalError

    from recall1924.store import Store

    def locked(self: Store) -> None:
        raise OperationalError("SELECT", {}, sqlite.OperationalError("database is locked"))

    recall("decks")
    monkeypatch.setattr(Store, "decks", locked)
    assert recall("decks") == (1, "", "recall: database error: database is locked\n")


# Not `recall review --help`: typer 0.29 builds pydantic adapters for options like --limit.
@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    # In a fresh interpreter: the test process itself has imported everything already.
    code = (
        "import sys\n"
        f"sys.argv = ['recall', *{args!r}]\n"
        "from recall1924.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = {'sqlalchemy', 'sqlmodel', 'pydantic', 'fsrs', 'alembic', 'rich'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "[]"


def test_review_with_nothing_due_says_when_the_next_card_is() -> None:
    recall("config", "set", "new_per_day", "1")
    recall("review", input=" 4")
    code, out, _ = recall("review", input="q")
    assert code == 0
    assert " ".join(out.split()) == "Nothing to review now. Next card due in 6d (Thu 03 Dec 09:00)."
