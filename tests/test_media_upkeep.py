"""The media folder kept tidy: a stored file goes once nothing names it (neither a deck nor a
backup), only after the rows that named it are committed; ``recall doctor`` reports unused
files, names whose file is missing and scratch folders of stopped imports, and its repair
removes what nothing names."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import collection_sql
from conftest import NOW
from recall1924.cli import app
from recall1924.importers import read_decks
from recall1924.importing import import_decks
from recall1924.media_check import STALE_SECONDS, check_media, media_lock, remove_unused
from recall1924.store import Store, StoredMedia
from test_media import HEART, legacy_package, media_rows, one_card, png, sha, stored_files

OTHER = png(colour=(0, 90, 200))
THIRD = png(colour=(10, 200, 10))


def recall(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def doctor(*args: str) -> dict[str, Any]:
    _code, out = recall("doctor", "--json", *args)
    report: dict[str, Any] = json.loads(out)
    return report


def media_check(report: dict[str, Any]) -> dict[str, Any]:
    (found,) = [item for item in report["checks"] if item["check"] == "media"]
    return found  # type: ignore[no-any-return]


def package(folder: Path, name: str, files: dict[str, bytes], deck: str = "demo") -> Path:
    """A package of deck ``deck``, one card naming every file of ``files``."""
    question = " ".join(f"[image: {file}]" for file in files) or "no picture"
    return legacy_package(folder / name, files, question=question, deck=deck)


def imported(store: Store, path: Path) -> None:
    """As ``recall import`` does, without its backup."""
    read = read_decks(path)
    import_decks(store, read.decks, now=NOW, media_from=path)


def forget_backups(db_path: Path) -> None:
    """As if the backups had been thinned out."""
    shutil.rmtree(db_path.parent / "backups", ignore_errors=True)


# Unused files removed
# ---------------------------------------------------------------------------------------------


def test_a_reimport_that_no_longer_names_a_file_forgets_it_and_removes_the_copy(
    store: Store, db_path: Path
) -> None:
    imported(store, package(db_path.parent, "v1.apkg", {"old.png": OTHER, "kept.png": HEART}))
    imported(store, package(db_path.parent, "v2.apkg", {"new.png": THIRD, "kept.png": HEART}))

    assert [(name, file) for _deck, name, file, _size in media_rows(db_path)] == [
        ("kept.png", f"{sha(HEART)}.png"),
        ("new.png", f"{sha(THIRD)}.png"),
    ]
    assert stored_files(collection_sql.media_folder(db_path)) == sorted(
        [f"{sha(HEART)}.png", f"{sha(THIRD)}.png"]
    )


def test_a_name_given_another_file_removes_the_old_copy(store: Store, db_path: Path) -> None:
    imported(store, package(db_path.parent, "v1.apkg", {"x.png": HEART}))
    imported(store, package(db_path.parent, "v2.apkg", {"x.png": OTHER}))
    assert stored_files(collection_sql.media_folder(db_path)) == [f"{sha(OTHER)}.png"]


def test_a_file_another_deck_still_names_stays(store: Store, db_path: Path) -> None:
    imported(store, package(db_path.parent, "a.apkg", {"x.png": HEART}, deck="left"))
    imported(store, package(db_path.parent, "b.apkg", {"x.png": HEART}, deck="right"))
    imported(store, package(db_path.parent, "a2.apkg", {}, deck="left"))
    assert [deck for deck, *_ in media_rows(db_path)] == ["right"]
    assert stored_files(collection_sql.media_folder(db_path)) == [f"{sha(HEART)}.png"]


def test_a_deck_file_without_media_keeps_the_files_its_cards_still_name(
    store: Store, db_path: Path
) -> None:
    imported(store, package(db_path.parent, "v1.apkg", {"x.png": HEART}))
    # the same card from a TOML or CSV file (which carries no files): still named, still kept
    import_decks(store, [one_card("demo", "[image: x.png] again")], now=NOW)
    assert len(media_rows(db_path)) == 1
    assert stored_files(collection_sql.media_folder(db_path)) == [f"{sha(HEART)}.png"]
    # and reworded so that it no longer names it: forgotten, and the copy removed
    import_decks(store, [one_card("demo", "no picture now")], now=NOW)
    assert media_rows(db_path) == []
    assert stored_files(collection_sql.media_folder(db_path)) == []


def test_a_removed_deck_takes_its_files_with_it(store: Store, db_path: Path) -> None:
    imported(store, package(db_path.parent, "a.apkg", {"x.png": HEART, "s.png": OTHER}, "left"))
    imported(store, package(db_path.parent, "b.apkg", {"s.png": OTHER}, deck="right"))
    store.remove_deck("left")
    remove_unused(store)
    assert stored_files(collection_sql.media_folder(db_path)) == [f"{sha(OTHER)}.png"]


@pytest.mark.sqlite_only  # backups are of a SQLite file
def test_files_a_backup_names_stay_until_it_is_thinned_out(db_path: Path) -> None:
    folder = db_path.parent
    assert recall("import", str(package(folder, "a.apkg", {"x.png": HEART}, "left")))[0] == 0
    assert recall("import", str(package(folder, "b.apkg", {"y.png": OTHER}, "right")))[0] == 0

    code, out = recall("decks", "remove", "left", "--yes")
    assert code == 0, out
    # the backup taken before the removal names it: recall restore would find its picture
    assert stored_files(collection_sql.media_folder(db_path)) == sorted(
        [f"{sha(HEART)}.png", f"{sha(OTHER)}.png"]
    )
    found = media_check(doctor())
    assert found["ok"] and found["details"]["for_backups"] == 1
    assert found["summary"] == "ok (1 file for 1 name; 1 more kept for backups)"

    forget_backups(db_path)
    assert recall("decks", "remove", "right", "--yes")[0] == 0
    # no backup names x.png any more; y.png is named by the backup just taken
    assert stored_files(collection_sql.media_folder(db_path)) == [f"{sha(OTHER)}.png"]


def test_a_crash_after_the_commit_leaves_a_file_too_many_which_doctor_removes(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = db_path.parent
    assert recall("import", str(package(folder, "v1.apkg", {"old.png": OTHER})))[0] == 0

    def crash(_store: Store) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as patched:
        patched.setattr("recall1924.media_check.remove_unused", crash)
        with pytest.raises(RuntimeError, match="killed"):
            recall("import", str(package(folder, "v2.apkg", {"new.png": THIRD})))
    # the new names are committed and every name's file is there; the old copy is left over
    [(_deck, name, file, _size)] = media_rows(db_path)
    assert name == "new.png" and (collection_sql.media_folder(db_path) / file).is_file()
    assert f"{sha(OTHER)}.png" in stored_files(collection_sql.media_folder(db_path))

    forget_backups(db_path)
    found = media_check(doctor())
    assert not found["ok"] and found["repairable"]
    assert found["summary"].startswith(f"1 stored file nothing names, {len(OTHER):,} bytes (")
    report = doctor("--repair")
    [action] = [action for action in report["repair"]["done"] if action["check"] == "media"]
    assert action["summary"].startswith("Media folder: removed 1 unused file")
    assert media_check(report)["ok"]
    assert stored_files(collection_sql.media_folder(db_path)) == [f"{sha(THIRD)}.png"]


def test_a_file_an_import_is_putting_in_place_is_not_removed_under_it(
    store: Store, db_path: Path
) -> None:
    import_decks(store, [one_card("demo", "[image: x.png]")], now=NOW)
    folder = collection_sql.media_folder(db_path)
    folder.mkdir(parents=True)
    with media_lock(folder):  # as import_media holds it from moving a file in to naming it
        (folder / "ab.png").write_bytes(HEART)
        sweeper = threading.Thread(target=remove_unused, args=(store,))
        sweeper.start()
        sweeper.join(timeout=0.3)
        assert sweeper.is_alive()  # it waits for the lock
        store.link_media([StoredMedia("demo", "x.png", "ab.png", len(HEART))])
    sweeper.join(timeout=10)
    assert (folder / "ab.png").is_file()


def test_a_failed_import_removes_nothing(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported(store, package(db_path.parent, "v1.apkg", {"old.png": OTHER}))
    before = stored_files(collection_sql.media_folder(db_path))

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(Store, "save_decks", refuse)
    with pytest.raises(RuntimeError):
        imported(store, package(db_path.parent, "v2.apkg", {"new.png": THIRD}))
    assert stored_files(collection_sql.media_folder(db_path)) == before
    assert [name for _deck, name, *_ in media_rows(db_path)] == ["old.png"]


# recall doctor
# ---------------------------------------------------------------------------------------------


def test_doctor_reports_a_name_whose_file_is_missing_and_a_stopped_import(db_path: Path) -> None:
    path = package(db_path.parent, "a.apkg", {"x.png": HEART, "y.png": OTHER})
    assert recall("import", str(path))[0] == 0
    folder = collection_sql.media_folder(db_path)
    (folder / f"{sha(HEART)}.png").unlink()
    (folder / f"{sha(OTHER)}.png").write_bytes(b"cut short")
    stopped = folder / ".incoming-abc123"
    stopped.mkdir()
    (stopped / "0").write_bytes(b"half a picture")
    long_ago = time.time() - STALE_SECONDS - 60
    os.utime(stopped, (long_ago, long_ago))
    (folder / ".incoming-running").mkdir()  # an import still writing: not touched

    found = media_check(doctor())
    assert found["problems"] == 3 and found["repairable"]
    assert found["details"]["missing"] == [
        {"deck": "demo", "name": "x.png"},
        {"deck": "demo", "name": "y.png"},
    ]
    assert "2 files the cards name are missing from the folder or damaged" in found["summary"]
    assert "1 scratch folder of imports that stopped" in found["summary"]
    assert "import the deck's Anki package again" in found["remedy"]

    report = doctor("--repair")
    assert not stopped.exists() and (folder / ".incoming-running").is_dir()
    assert media_check(report)["problems"] == 2  # the missing files it cannot bring back
    # importing the package again brings them back
    assert recall("import", str(path))[0] == 0
    assert media_check(doctor())["ok"]


@pytest.mark.sqlite_only  # a deck deleted with SQLite's foreign keys off
def test_doctor_forgets_names_kept_for_a_deck_that_is_gone(db_path: Path) -> None:
    assert recall("import", str(package(db_path.parent, "a.apkg", {"x.png": HEART})))[0] == 0
    forget_backups(db_path)
    with collection_sql.connect(db_path) as connection:  # a deck deleted with foreign keys off
        connection.execute("DELETE FROM deck")
    found = media_check(doctor())
    assert found["details"]["deckless"] == 1 and found["repairable"]
    report = doctor("--repair")
    [action] = [action for action in report["repair"]["done"] if action["check"] == "media"]
    assert "forgot 1 name kept for decks that are gone" in action["summary"]
    assert media_check(report)["ok"]
    assert stored_files(collection_sql.media_folder(db_path)) == []


def test_doctor_without_repair_changes_nothing_in_the_folder(store: Store, db_path: Path) -> None:
    import_decks(store, [one_card("demo", "[image: x.png]")], now=NOW)
    folder = collection_sql.media_folder(db_path)
    folder.mkdir(parents=True)
    (folder / "stray.png").write_bytes(HEART)
    store.link_media([StoredMedia("demo", "x.png", "gone.png", 3)])
    found = check_media(store)
    assert found.unused == (("stray.png", len(HEART)),)
    assert found.missing == (("demo", "x.png"),)
    assert sorted(path.name for path in folder.iterdir()) == ["stray.png"]  # no lock file made
