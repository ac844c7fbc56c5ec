"""What happens around the database file: backups that never overwrite each other, a full
disk, two recalls creating one collection, a file replaced under a running review, a
read-only folder, and restoring a backup."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pexpect
import pytest
from typer.testing import CliRunner

from conftest import NOW
from recall1924.backups import (
    KEEP_DAILY,
    KEEP_MONTHLY,
    KEEP_RECENT,
    KEEP_WEEKLY,
    backup_folder,
    list_backups,
    take_backup,
)
from recall1924.cli import app
from test_pty import Screen, spawn

pytestmark = pytest.mark.sqlite_only  # backups, locks and faults of the SQLite file

DECK = """\
[deck]
id = "extra"
title = "Extra"

[[sections]]
id = "one"
title = "One"

[[sections.cards]]
id = "a"
question = "Q a?"
answer = "A a"
"""
PINNED = "2026-11-27T09:00:00+00:00"


def recall(*args: str, now: str = PINNED, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """The real command, as a fresh process."""
    env = {**os.environ, "RECALL_NOW": now}
    return subprocess.run(
        [sys.executable, "-m", "recall1924", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        **kwargs,  # type: ignore[call-overload]
    )


def rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in ("deck", "section", "card", "review_log", "setting")
        }


def answered(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return int(connection.execute("SELECT count(*) FROM review_log").fetchone()[0])


# Backups


def test_two_backups_in_one_second_are_two_files(db_path: Path) -> None:
    assert CliRunner().invoke(app, ["decks"]).exit_code == 0
    first = take_backup(db_path, NOW)
    second = take_backup(db_path, NOW)
    assert first != second and first.exists() and second.exists()
    assert [backup.path for backup in list_backups(db_path)][:2] == [second, first]


def test_an_import_then_a_removal_in_one_second_keep_both_states(
    db_path: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "extra.toml"
    deck.write_text(DECK)
    assert recall("decks").returncode == 0
    assert recall("import", str(deck)).returncode == 0
    assert recall("decks", "remove", "extra", "--yes").returncode == 0
    held = sorted({row[1] for row in rows(backup.path)["deck"]} for backup in list_backups(db_path))
    # Before the import: the bundled deck only; before the removal: both.
    assert held == [{"stalin-1924"}, {"extra", "stalin-1924"}]


def test_backups_are_thinned_as_anki_keeps_them(db_path: Path) -> None:
    assert CliRunner().invoke(app, ["decks"]).exit_code == 0
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    # Two a day for a year and a half, then prune once at the end.
    times = [start + timedelta(hours=12 * n) for n in range(2 * 540)]
    folder = backup_folder(db_path)
    folder.mkdir()
    source = take_backup(db_path, start - timedelta(days=1))
    for moment in times:
        shutil.copy(source, folder / f"recall.db.{moment.strftime('%Y%m%dT%H%M%S.%fZ')}.bak")
    source.unlink()
    newest = take_backup(db_path, times[-1] + timedelta(hours=1))

    kept = [backup.taken_at for backup in list_backups(db_path)]
    assert newest.exists()
    rest = kept[KEEP_RECENT:]
    daily, weekly, monthly = (
        rest[:KEEP_DAILY],
        rest[KEEP_DAILY : KEEP_DAILY + KEEP_WEEKLY],
        rest[KEEP_DAILY + KEEP_WEEKLY :],
    )
    assert len(monthly) == KEEP_MONTHLY
    assert len({at.date() for at in daily}) == KEEP_DAILY
    assert daily[0].date() - daily[-1].date() == timedelta(days=KEEP_DAILY - 1)
    assert len({at.isocalendar()[:2] for at in weekly + daily[-1:]}) == KEEP_WEEKLY + 1
    assert len({(at.year, at.month) for at in monthly + weekly[-1:]}) == KEEP_MONTHLY + 1
    # About a year back in all: 12 days, 10 weeks and 9 months.
    assert timedelta(days=320) < kept[0] - kept[-1] < timedelta(days=366)


def _limit_file_size(limit: int) -> None:
    # A full disk for one process: writes past ``limit`` bytes fail with EFBIG.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_during_an_imports_backup_is_one_line_and_changes_nothing(
    db_path: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "extra.toml"
    deck.write_text(DECK)
    assert recall("decks").returncode == 0
    before = rows(db_path)
    size = db_path.stat().st_size

    done = recall("import", str(deck), preexec_fn=lambda: _limit_file_size(size // 2))

    assert done.returncode == 1, done
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"recall: could not back up {db_path}")
    assert "the disk is full" in done.stderr and done.stderr.endswith("nothing was changed\n")
    assert rows(db_path) == before
    assert list_backups(db_path) == []
    assert [path.name for path in backup_folder(db_path).iterdir()] == []


# Two recalls at once


def test_two_recalls_creating_a_new_collection_together_both_succeed(tmp_path: Path) -> None:
    deck = tmp_path / "extra.toml"
    deck.write_text(DECK)
    env = {**os.environ, "RECALL_NOW": PINNED}
    for attempt in range(5):
        db = tmp_path / f"fresh{attempt}" / "recall.db"
        env["RECALL_DB"] = str(db)
        commands = (["decks"], ["import", str(deck)])
        running = [
            subprocess.Popen(
                [sys.executable, "-m", "recall1924", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for args in commands
        ]
        results = [(process.wait(60), process.stderr.read()) for process in running]  # type: ignore[union-attr]
        for process in running:
            process.stdout.close()  # type: ignore[union-attr]
            process.stderr.close()  # type: ignore[union-attr]
        assert [code for code, _err in results] == [0, 0], results
        assert {row[1] for row in rows(db)["deck"]} >= {"extra"}


# The file under a running review


@pytest.fixture
def review_under_way(db_path: Path) -> Iterator[tuple[pexpect.spawn, Screen]]:
    child = spawn(db_path)
    screen = Screen(child)
    screen.expect("Space show answer")
    child.send(" ")
    screen.expect("Good 10m")
    child.send("3")
    screen.expect("done 1")
    yield child, screen
    child.close(force=True)


@pytest.mark.pty
@pytest.mark.parametrize("how", ["replaced", "deleted", "renamed"])
def test_a_database_file_swapped_under_a_review_is_noticed_before_claiming_a_save(
    db_path: Path, tmp_path: Path, review_under_way: tuple[pexpect.spawn, Screen], how: str
) -> None:
    child, screen = review_under_way
    if how == "replaced":
        copy = tmp_path / "copy.db"
        with contextlib.closing(sqlite3.connect(db_path)) as source:
            with contextlib.closing(sqlite3.connect(copy)) as target:
                source.backup(target)
        os.replace(copy, db_path)
    elif how == "deleted":
        db_path.unlink()
    else:
        db_path.rename(tmp_path / "moved.db")

    child.send(" ")
    screen.expect("Good")
    child.send("3")
    child.expect(pexpect.EOF)
    child.close()
    out = screen.plain() + (child.before or "")
    expected = "replaced by another file" if how == "replaced" else "deleted or moved away"
    assert expected in out
    assert "Every answer is saved" not in out
    assert child.exitstatus == 1
    if how == "replaced":
        with contextlib.closing(sqlite3.connect(db_path)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            # The copy holds the first answer, given before it was made; nothing else.
            assert answered(db_path) == 1


# A read-only folder


@pytest.fixture
def read_only_collection(tmp_path: Path, db_path: Path) -> Iterator[Path]:
    """The collection in a folder nobody can write to: a read-only bind mount when run as
    root (root ignores permissions), else the folder's permissions."""
    assert recall("decks").returncode == 0
    with contextlib.closing(sqlite3.connect(db_path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    view = tmp_path / "read-only"
    view.mkdir()
    if os.geteuid() == 0:
        made = subprocess.run(["mount", "--bind", str(db_path.parent), str(view)], check=False)
        if made.returncode != 0:
            pytest.skip("running as root without the right to mount a read-only folder")
        subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], check=True)
        try:
            yield view / db_path.name
        finally:
            subprocess.run(["umount", str(view)], check=True)
    else:
        view.rmdir()
        os.chmod(db_path.parent, 0o555)
        try:
            yield db_path
        finally:
            os.chmod(db_path.parent, 0o755)


def test_a_read_only_folder_can_be_read_and_writes_say_why(
    read_only_collection: Path, db_path: Path, tmp_path: Path
) -> None:
    db = str(read_only_collection)
    before = rows(db_path)
    for reading in (["stats"], [], ["cards", "--limit", "3"], ["decks"], ["backups"]):
        done = recall("--db", db, *reading)
        assert done.returncode == 0, (reading, done.stderr)
    deck = tmp_path / "extra.toml"
    deck.write_text(DECK)
    for writing in (
        ["import", str(deck)],
        ["config", "set", "new_per_day", "5"],
        ["exam", "2027-01-15"],
        ["suspend", "testament-what"],
    ):
        done = recall("--db", db, *writing)
        assert done.returncode != 0, writing
        assert done.stderr.count("\n") == 1, (writing, done.stderr)
        assert done.stderr.startswith(f"recall: {db} is read-only"), (writing, done.stderr)
    assert rows(db_path) == before


# Restoring


def test_restore_is_refused_while_another_recall_has_the_collection_open(
    db_path: Path,
) -> None:
    child = spawn(db_path)
    screen = Screen(child)
    screen.expect("Space show answer")
    child.send(" ")
    screen.expect("Good 10m")
    child.send("3")
    screen.expect("done 1")
    take_backup(db_path, NOW - timedelta(days=1))

    refused = recall("restore", "latest", "--yes")

    assert refused.returncode == 1
    assert "another recall has" in refused.stderr and "open" in refused.stderr
    child.send(" ")
    screen.expect("Good")
    child.send("3")  # the review goes on and saves
    screen.expect("done 2")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert answered(db_path) == 2

    # Once the review has ended, the restore goes ahead and keeps what it replaces.
    done = recall("restore", "latest", "--yes")
    assert done.returncode == 0, done.stderr
    assert answered(db_path) in (1, 2)  # the backup the review made at its end, or the older
    replaced = done.stdout.split("kept at ")[-1].strip()
    assert answered(Path(replaced)) == 2


def test_restore_puts_the_old_collection_back_and_keeps_the_current_one(db_path: Path) -> None:
    assert recall("decks").returncode == 0
    saved = take_backup(db_path, NOW)
    done = recall("review", input=" 3 3 3 q")
    assert done.returncode == 0 and answered(db_path) == 3
    # The session's own backup holds its answers; restore the one from before.
    restored = recall("restore", str(saved), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert answered(db_path) == 0
    assert recall("stats").returncode == 0
    kept = Path(restored.stdout.split("kept at ")[-1].strip())
    assert answered(kept) == 3


def test_restore_puts_a_backup_in_place_of_a_damaged_collection(db_path: Path) -> None:
    # The restore a damaged file needs refused, as it backs the collection up first through
    # SQLite: "could not back up …: database disk image is malformed; nothing was changed".
    assert recall("review", input=" 3 3 q").returncode == 0
    saved = take_backup(db_path, NOW)
    with contextlib.closing(sqlite3.connect(db_path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with db_path.open("r+b") as file:  # the schema page's cell pointers, pointing nowhere
        file.seek(108)
        file.write(b"\xff" * 16)
    damaged = db_path.read_bytes()

    done = recall("restore", str(saved), "--yes")

    assert done.returncode == 0, done.stderr
    kept = Path(done.stdout.split("kept, as it was, at ")[-1].strip())
    assert kept.name.endswith(".damaged") and kept.read_bytes() == damaged
    assert answered(db_path) == 2
    assert recall("doctor").returncode == 0
    # the damaged copy is no backup to restore or to thin
    assert kept not in [backup.path for backup in list_backups(db_path)]


@pytest.mark.parametrize("broken", ["damaged", "not-recall", "newer", "empty"])
def test_restore_refuses_a_file_that_is_not_a_sound_recall_backup(
    db_path: Path, tmp_path: Path, broken: str
) -> None:
    assert recall("decks").returncode == 0
    before = rows(db_path)
    candidate = tmp_path / "candidate.db"
    if broken == "damaged":
        shutil.copy(take_backup(db_path, NOW), candidate)
        data = bytearray(candidate.read_bytes())
        data[4096 * 3 : 4096 * 3 + 200] = b"\xff" * 200
        candidate.write_bytes(bytes(data))
    elif broken == "not-recall":
        with contextlib.closing(sqlite3.connect(candidate)) as connection:
            connection.execute("CREATE TABLE notes (x)")
    elif broken == "newer":
        shutil.copy(take_backup(db_path, NOW), candidate)
        with contextlib.closing(sqlite3.connect(candidate)) as connection:
            connection.execute("UPDATE alembic_version SET version_num = '9999'")
            connection.commit()
    else:
        candidate.write_bytes(b"")
    done = recall("restore", str(candidate), "--yes")
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1, done.stderr
    assert str(candidate) in done.stderr
    assert rows(db_path) == before


def test_a_review_with_answers_leaves_a_backup_at_most_every_half_hour(db_path: Path) -> None:
    assert recall("review", input=" 3 q").returncode == 0
    assert len(list_backups(db_path)) == 1
    later = (NOW + timedelta(minutes=10)).isoformat()
    assert recall("review", input=" 3 q", now=later).returncode == 0
    assert len(list_backups(db_path)) == 1
    later = (NOW + timedelta(minutes=41)).isoformat()
    assert recall("review", input=" 3 q", now=later).returncode == 0
    assert len(list_backups(db_path)) == 2
    assert answered(list_backups(db_path)[0].path) == 3


def test_what_a_killed_backup_left_is_removed_by_the_next(db_path: Path) -> None:
    assert CliRunner().invoke(app, ["decks"]).exit_code == 0
    folder = backup_folder(db_path)
    folder.mkdir()
    dead = 2**22 + 12345  # above the kernel's pid limit: no process has it
    left = [
        folder / f".recall.db.20261127T090000.000000Z.{dead}.partial",
        folder / f".recall.db.20261127T090000.000000Z.{dead}.partial-journal",
        db_path.with_name(f".recall.db.restoring.{dead}"),
    ]
    mine = folder / f".recall.db.20261126T090000.000000Z.{os.getpid()}.partial"
    for path in [*left, mine]:
        path.write_bytes(b"half a copy")

    take_backup(db_path, NOW)

    assert [path.exists() for path in left] == [False, False, False]
    assert mine.exists()  # its writer is alive: perhaps still writing


# A recall killed in the middle of a write

_DIES_IMPORTING = """
import os, sys
from recall1924.store import decks
decks._WRITE_CACHE_KIB = 256  # a small cache: the import's pages reach the file before its commit
written = decks._insert_cards
chunks = []

def dies(session, rows):
    written(session, rows)
    chunks.append(rows)
    if len(chunks) == 3:
        os._exit(9)  # as kill -9 would: neither a commit nor a rollback

decks._insert_cards = dies
from recall1924.cli import main
sys.argv = ["recall", "import", sys.argv[1]]
main()
"""


def test_a_first_import_killed_half_way_leaves_a_collection_the_next_command_opens(
    db_path: Path, tmp_path: Path
) -> None:
    # A first import writes through the rollback journal (store.decks._filling_journal); the
    # journal it left beside the file had to be rolled back before anything read the file,
    # and recall read it through a read-only connection first, which cannot: every command
    # then said "attempt to write a readonly database".
    deck = tmp_path / "big.csv"
    lines = [f"Question {n}?,Answer {n}" for n in range(20_000)]
    deck.write_text("question,answer\n" + "\n".join(lines) + "\n", encoding="utf-8")
    died = subprocess.run(
        [sys.executable, "-c", _DIES_IMPORTING, str(deck)],
        capture_output=True,
        text=True,
        env={**os.environ, "RECALL_NOW": PINNED},
        timeout=60,
    )
    assert died.returncode == 9, died.stderr
    journal = db_path.with_name(f"{db_path.name}-journal")
    assert journal.exists() and journal.stat().st_size > 0  # what the killed write left

    glance = recall("decks")
    assert glance.returncode == 0, glance.stderr
    assert "big" not in glance.stdout  # the half-written import is gone, whole
    assert not journal.exists()
    again = recall("import", str(deck))
    assert again.returncode == 0, again.stderr
    with contextlib.closing(sqlite3.connect(db_path)) as connection:
        cards = "SELECT count(*) FROM card JOIN deck ON deck.id = deck_id WHERE deck.key = 'big'"
        assert connection.execute(cards).fetchone() == (20_000,)
