"""Decks as things a user manages: export, re-import, remove; suspend and cram from the CLI."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

import collection_sql
from conftest import ON_SERVER, make_deck
from recall1924.backups import list_backups
from recall1924.cli import app
from recall1924.importing import import_decks
from recall1924.store import Store

NOW = "2026-11-27T09:00:00+00:00"


def recall(*args: str, db: Path | None = None, input: str | None = None) -> tuple[int, str, str]:
    # --db, not RECALL_DB: on the suite's server pass RECALL_DATABASE_URL would win over it.
    given = ["--db", str(collection_sql.location(db)), *args] if db else list(args)
    result = CliRunner().invoke(
        app, given, env={"RECALL_NOW": NOW}, input=input, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_toml_export_round_trips_exactly(tmp_path: Path) -> None:
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    assert recall("export", "--deck", "stalin-1924", "-o", str(first))[0] == 0
    fresh = tmp_path / "fresh.db"
    code, _out, err = recall("import", str(first), db=fresh)
    assert code == 0, err
    assert recall("export", "-o", str(second), db=fresh)[0] == 0
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


def test_export_says_what_it_wrote_and_refuses_what_it_cannot(tmp_path: Path) -> None:
    code, out, _ = recall("export", "-o", str(tmp_path / "deck.csv"))
    assert out == f"Wrote 1 deck (141 cards) to {tmp_path / 'deck.csv'} as csv\n"
    code, out, err = recall("export", "-o", str(tmp_path / "deck.txt"))
    assert code == 2 and "name it .toml, .csv or .apkg" in err
    assert not (tmp_path / "deck.txt").exists()


def test_removing_a_deck_asks_backs_up_and_deletes(db_path: Path) -> None:
    recall("decks")  # the first run brings the bundled deck
    code, _out, err = recall("decks", "remove", "stalin-1924", input="n\n")
    assert code == 1 and "Aborted" in err
    code, out, _ = recall("decks", "remove", "stalin-1924", input="y\n")
    assert code == 0 and "Deleted deck 'stalin-1924' and its 141 cards" in out
    assert bool(list_backups(db_path)) is not ON_SERVER  # a server is backed up by its own tools
    with collection_sql.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM card").fetchone() == (0,)
    code, _out, err = recall("decks", "remove", "nope", "--yes")
    assert code == 2 and err.startswith("recall: no deck 'nope'")


def test_suspend_and_unsuspend_by_key(db_path: Path) -> None:
    code, out, _ = recall("suspend", "testament-what", "trotsky-assassin")
    assert out == "Suspended 2 cards: testament-what, trotsky-assassin\n"
    with collection_sql.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM card WHERE suspended").fetchone() == (2,)
    code, out, _ = recall("unsuspend", "testament-what")
    assert out == "Unsuspended 1 card: testament-what\n"
    code, _out, err = recall("suspend", "no-such-card")
    assert code == 2 and err == "recall: no card 'no-such-card'\n"


@pytest.mark.parametrize("command", ["cram", "suspend", "unsuspend", "export"])
def test_new_commands_have_help(command: str) -> None:
    code, out, _ = recall(command, "--help")
    assert code == 0 and "--db" in out


def test_cram_from_a_pipe_logs_cram_answers_and_changes_no_schedule(db_path: Path) -> None:
    recall("decks")
    with collection_sql.connect(db_path) as conn:
        before = conn.execute("SELECT id, state, due, stability FROM card ORDER BY id").fetchall()
    code, out, _ = recall("cram", "--section", "trotsky", "--limit", "2", input=" 3 1 3 q")
    assert code == 0 and "Cram practice: 3 answers on 2 cards" in out
    with collection_sql.connect(db_path) as conn:
        after = conn.execute("SELECT id, state, due, stability FROM card ORDER BY id").fetchall()
        kinds = conn.execute("SELECT kind, rating FROM review_log").fetchall()
    assert after == before
    assert kinds == [(1, 3), (1, 1), (1, 3)]


def test_decks_json_names_the_id_as_stats_does_and_keeps_the_old_name() -> None:
    import json

    code, out, _ = recall("decks", "--json")
    (deck,) = json.loads(out)
    assert deck["id"] == deck["key"] == "stalin-1924"
    code, out, _ = recall("stats", "--json")
    assert json.loads(out)["decks"][0]["id"] == deck["id"]


@pytest.mark.parametrize("command", ["", "review", "import", "decks remove", "config set"])
def test_dash_h_is_help(command: str) -> None:
    assert recall(*command.split(), "-h") == recall(*command.split(), "--help")


@pytest.mark.parametrize(
    ("columns", "headers"),
    [
        (140, ["Deck", "Title", "Sections", "Cards", "Source"]),
        (100, ["Deck", "Title", "Sections", "Cards", "Source"]),
        (80, ["Deck", "Title", "Sections", "Cards"]),
        (60, ["Deck", "Cards"]),
    ],
)
def test_the_deck_listing_shows_each_key_whole(
    store: Store, columns: int, headers: list[str]
) -> None:
    # A deck's key is what --deck takes; an Anki deck's is made from its long name, and the
    # listing cut it with "…" (openrussian-org-data-aut…), which names no deck.
    long_key = "openrussian-org-data-automatically-converted"
    titled = replace(make_deck(long_key), title="openrussian.org data, converted")
    import_decks(store, [titled, make_deck("short")], now=datetime.fromisoformat(NOW))
    result = CliRunner().invoke(
        app, ["decks"], env={"RECALL_NOW": NOW, "COLUMNS": str(columns)}, catch_exceptions=False
    )
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0].split() == headers
    assert all(cell_len(line) <= columns for line in lines), result.stdout
    keys = [line.split()[0] for line in lines[2:] if not line[:2].isspace()]  # not a wrapped title
    assert keys == [long_key, "short"], result.stdout


def test_the_editor_of_a_review_fed_by_a_pipe_does_not_read_the_keys(
    db_path: Path, tmp_path: Path
) -> None:
    # `e` in a review whose keys come from a pipe ran the editor on that pipe: it took the keys
    # still to come as its own (and vim, given a pipe, could wait on it for ever).
    import os
    import subprocess
    import sys
    import time

    recall("decks")
    started, seen = tmp_path / "started", tmp_path / "seen"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\ntouch "{started}"\ncat > "{seen}"\n')  # reads its input
    editor.chmod(0o755)
    env = {**os.environ, "RECALL_NOW": NOW, "EDITOR": str(editor), "VISUAL": ""}
    review = subprocess.Popen(
        [sys.executable, "-m", "recall1924", "cram", "--section", "trotsky", "--limit", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,  # no controlling terminal: the editor gets nothing to read
    )
    assert review.stdin is not None
    try:
        review.stdin.write(b"e")  # the editor starts on this key...
        review.stdin.flush()
        deadline = time.monotonic() + 30
        while not started.exists():
            assert time.monotonic() < deadline, "the editor never started"
            time.sleep(0.05)
        time.sleep(0.3)
        review.stdin.write(b" 3q")  # ...and these keys, sent while it runs, are the review's
        review.stdin.close()
        assert review.wait(timeout=60) == 0
    finally:
        review.kill()
    assert seen.read_bytes() == b""
    with collection_sql.connect(db_path) as conn:
        assert conn.execute("SELECT kind, rating FROM review_log").fetchall() == [(1, 3)]
