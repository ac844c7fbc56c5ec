"""e and f in the real ``recall review``, in a pseudo-terminal (issue 16): the editor gets the
terminal and gives it back, the session goes on on the edited card; a flag takes a reason."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

import collection_sql
from recall1924.deckfile import read_deck_file
from recall1924.paths import bundled_deck_path
from test_pty import Screen, spawn

pytestmark = pytest.mark.pty


def test_edit_and_flag_in_review(db_path: Path, tmp_path: Path) -> None:
    first = read_deck_file(bundled_deck_path()).sections[0].cards[0]
    editor = tmp_path / "editor.sh"
    # Prints what it was given (a terminal is its own), then rewords the answer.
    editor.write_text(
        "#!/bin/sh\n"
        'test -t 0 && echo "editor has the terminal"\n'
        'sed -i \'s/^answer = .*/answer = "Edited in review"/\' "$1"\n'
    )
    editor.chmod(0o755)
    child = spawn(db_path, environ={"EDITOR": str(editor), "VISUAL": None})
    screen = Screen(child)
    screen.expect("Space show answer")
    child.send(" ")
    screen.expect("Good")
    child.send("e")
    screen.expect("editor has the terminal")
    rows = screen.frame("Saved as your own wording; u undoes")
    assert any("Edited in review" in row for row in rows)
    child.send("f")
    screen.expect("Why?")
    child.send("ask in")
    child.send(" class\r")
    screen.frame("Flagged (ask in class); u undoes")
    child.send("u")
    screen.expect("Undid the flag")
    child.send("f")
    screen.expect("Why?")
    child.send("\r")
    header = screen.frame("Flagged; u undoes")[0]
    assert "flagged · done 0" in header
    child.send("?")
    screen.expect("edit the card; flag it")
    child.send("x")
    screen.expect("Flagged")
    child.send("3")  # Good, on the edited card: the session went on
    screen.expect("done 1")
    child.send("q")
    screen.expect("Session: 1 answer on 1 card")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    with collection_sql.connect(db_path) as connection:
        row = connection.execute(
            "SELECT answer, edited_at IS NOT NULL, flag, flag_reason, "
            "(SELECT COUNT(*) FROM review_log WHERE card_id = card.id) FROM card WHERE key = ?",
            (first.key,),
        ).fetchone()
    assert row == ("Edited in review", 1, 1, None, 1)
