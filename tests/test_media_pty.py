"""The real ``recall review`` in a pseudo-terminal, on a card that names a picture: the name
shows where the terminal cannot draw, ``o`` starts the system's opener, and a terminal that
claims to draw but never answers a query does not hang the session."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pexpect
import pytest

import collection_sql
from conftest import NOW
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.store import Store, StoredMedia
from test_media import HEART, sha
from test_pty import Screen
from test_pty import spawn as pty_spawn

pytestmark = pytest.mark.pty


def picture_collection(db_path: Path) -> Path:
    """A collection of one card naming a stored picture; returns the stored file."""
    store = Store.open(collection_sql.location(db_path), NOW)
    try:
        card = CardSpec("heart", "[image: heart.png] Which organ?", "The heart")
        deck = DeckSpec("anatomy", "Anatomy", (SectionSpec("s", "S", (card,)),))
        import_deck(store, deck, now=NOW)
        folder = collection_sql.media_folder(db_path)
        folder.mkdir(parents=True)
        stored = folder / f"{sha(HEART)}.png"
        stored.write_bytes(HEART)
        store.link_media([StoredMedia("anatomy", "heart.png", stored.name, len(HEART))])
    finally:
        store.close()
    return stored


def fake_opener(folder: Path) -> Path:
    """An ``xdg-open`` that writes what it was asked to open into a file; returns that file."""
    folder.mkdir(parents=True)
    said = folder / "opened.txt"
    script = folder / "xdg-open"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{said}.part" && mv "{said}.part" "{said}"\n')
    script.chmod(0o755)
    return said


def spawn(db_path: Path, **environ: str) -> pexpect.spawn:
    # Colour on unless a test says otherwise: kitty's placeholders are told apart by it.
    wanted: dict[str, str | None] = {"NO_COLOR": None, **environ}
    return pty_spawn(db_path, dimensions=(30, 90), environ=wanted)


def answers(db_path: Path) -> int:
    with collection_sql.connect(db_path) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM review_log").fetchone()[0])


@pytest.mark.parametrize("term", ["dumb", "xterm-256color"])
def test_the_name_shows_and_o_opens_the_picture(db_path: Path, tmp_path: Path, term: str) -> None:
    stored = picture_collection(db_path)
    said = fake_opener(tmp_path / "bin")
    child = spawn(
        db_path,
        TERM=term,
        DISPLAY=":99",
        PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    screen = Screen(child)
    before = screen.expect("q quit")
    assert "[image: heart.png] Which organ?" in before
    child.send("o")
    screen.expect("Opened heart.png")
    deadline = time.monotonic() + 10
    while not said.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert said.read_text() == str(stored)
    child.send(" ")
    screen.expect("Easy")
    child.send("3")
    screen.expect("done 1")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert answers(db_path) == 1


def test_without_an_opener_o_says_so_and_the_session_goes_on(db_path: Path) -> None:
    picture_collection(db_path)
    child = spawn(db_path, TERM="xterm-256color", PATH="/nonexistent")
    screen = Screen(child)
    screen.expect("q quit")
    child.send("o")
    screen.expect("Cannot open heart.png: neither xdg-open nor open is installed")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_terminal_that_claims_kitty_but_never_answers_does_not_hang(db_path: Path) -> None:
    pytest.importorskip("textual_image")
    picture_collection(db_path)
    child = spawn(db_path, TERM="xterm-kitty", COLORTERM="truecolor")
    screen = Screen(child)
    started = time.monotonic()
    before = screen.expect("q quit")
    assert "Which organ?" in before
    child.send(" ")
    screen.expect("Easy")
    child.send("4")
    screen.expect("done 1")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert time.monotonic() - started < 15
    assert answers(db_path) == 1
