"""``recall export`` through typer's CliRunner: what it refuses (an existing file, a name that
says another format, an unknown format) and that the file appears whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recall1924.cli import app

NOW = "2026-11-27T09:00:00+00:00"


def recall(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"RECALL_NOW": NOW}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", ["deck.csv", "deck.toml", "deck.apkg"])
def test_an_existing_file_is_kept_unless_force(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / name
    target.write_text("my own file\n")
    code, out, err = recall("export", "--deck", "stalin-1924", "-o", str(target))
    assert (code, out) == (2, "")
    assert err == f"recall: {target} exists; give --force to replace it\n"
    assert target.read_text() == "my own file\n"

    code, out, err = recall("export", "--deck", "stalin-1924", "-o", str(target), "--force")
    assert code == 0, err
    assert out.startswith("Wrote 1 deck (141 cards)")
    assert target.read_bytes() != b"my own file\n"
    assert sorted(path.name for path in folder.iterdir()) == [name]


def test_a_refused_export_does_not_create_the_collection(tmp_path: Path, db_path: Path) -> None:
    target = tmp_path / "deck.csv"
    target.write_text("mine\n")
    assert recall("export", "-o", str(target))[0] == 2
    assert not db_path.exists()


@pytest.mark.parametrize(
    ("fmt", "name", "says"),
    [
        ("toml", "x.apkg", "x.apkg is named for an Anki package, but --format toml writes TOML"),
        ("csv", "x.toml", "x.toml is named for TOML, but --format csv writes CSV"),
        ("apkg", "x.csv", "x.csv is named for CSV, but --format apkg writes an Anki package"),
        ("apkg", "x.colpkg", "x.colpkg is named for a whole Anki collection, but --format apkg"),
        ("csv", "x.tsv", "x.tsv is named for tab-separated text, but --format csv writes CSV"),
    ],
)
def test_a_name_that_says_another_format_is_refused_unless_force(
    tmp_path: Path, fmt: str, name: str, says: str
) -> None:
    target = tmp_path / name
    code, out, err = recall("export", "--format", fmt, "-o", str(target))
    assert (code, out) == (2, "")
    assert err.startswith(f"recall: {says}") and err.count("\n") == 1, err
    assert "--force" in err
    assert not target.exists()
    code, out, err = recall("export", "--format", fmt, "-o", str(target), "--force")
    assert code == 0, err
    assert out.endswith(f"as {fmt}\n")
    assert target.exists()


@pytest.mark.parametrize("name", ["deck.txt", "deck", "deck.data"])
def test_a_name_that_says_no_format_takes_the_one_given(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    code, out, err = recall("export", "--format", "csv", "-o", str(target))
    assert code == 0, err
    assert target.read_text(encoding="utf-8").startswith("question,answer,")


def test_an_unknown_format_is_named_with_the_known_ones(tmp_path: Path) -> None:
    code, out, err = recall("export", "--format", "docx", "-o", str(tmp_path / "x.docx"))
    assert (code, out) == (2, "")
    assert err == "recall: unknown format 'docx' (recall exports toml, csv, apkg)\n"
    assert not list(tmp_path.iterdir())


def test_without_format_an_unknown_suffix_asks_for_one(tmp_path: Path) -> None:
    code, _out, err = recall("export", "-o", str(tmp_path / "x.docx"))
    assert code == 2
    assert err == (
        "recall: cannot tell the format of 'x.docx': name it .toml, .csv or .apkg, "
        "or give --format toml|csv|apkg\n"
    )


@pytest.mark.sqlite_only  # the SQLite file as an export's output
def test_the_database_itself_is_never_the_output(db_path: Path) -> None:
    recall("decks")
    before = db_path.read_bytes()
    code, _out, err = recall("export", "--format", "toml", "-o", str(db_path), "--force")
    assert code == 2
    assert err == f"recall: {db_path} is the collection's database; write the export elsewhere\n"
    assert db_path.read_bytes() == before


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("name", ["deck.csv", "deck.toml", "deck.apkg"])
def test_an_interrupted_export_leaves_no_half_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, force: bool
) -> None:
    recall("decks")  # the collection exists before the interrupted export
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / name
    if force:
        target.write_text("the old export\n")

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    # The file is written whole, then moved into place: stop it at the move.
    monkeypatch.setattr(os, "replace", interrupted)
    monkeypatch.setattr(os, "link", interrupted)
    code, _out, err = recall(
        "export", "--deck", "stalin-1924", "-o", str(target), *["--force"] * force
    )
    assert code == 130  # what typer makes of Ctrl-C
    assert sorted(path.name for path in folder.iterdir()) == ([name] if force else [])
    if force:
        assert target.read_text() == "the old export\n"


def test_a_file_beside_the_output_is_never_touched(tmp_path: Path) -> None:
    # The temporary file has a name of its own: not one the user's files may have.
    folder = tmp_path / "out"
    folder.mkdir()
    beside = folder / "deck.csv.partial"
    beside.write_text("mine\n")
    code, _out, err = recall("export", "-o", str(folder / "deck.csv"))
    assert code == 0, err
    assert beside.read_text() == "mine\n"
    assert sorted(path.name for path in folder.iterdir()) == ["deck.csv", "deck.csv.partial"]


def test_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    target = not_a_folder / "deck.csv"
    code, out, err = recall("export", "-o", str(target))
    assert (code, out) == (2, "")
    assert err == f"recall: cannot write {target}: Not a directory\n"


def test_the_written_file_has_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        code, _out, err = recall("export", "-o", str(tmp_path / "deck.toml"))
    finally:
        os.umask(umask)
    assert code == 0, err
    assert (tmp_path / "deck.toml").stat().st_mode & 0o777 == 0o644


def test_the_file_may_be_given_as_import_takes_it(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    by_name, by_option = folder / "named.csv", folder / "option.csv"
    assert recall("export", "--deck", "stalin-1924", str(by_name))[:2] == (
        0,
        f"Wrote 1 deck (141 cards) to {by_name} as csv\n",
    )
    assert recall("export", "--deck", "stalin-1924", "-o", str(by_option))[0] == 0
    assert by_name.read_bytes() == by_option.read_bytes()
    for args in ([], [str(folder / "a.csv"), "-o", str(folder / "b.csv")]):
        code, out, err = recall("export", "--deck", "stalin-1924", *args)
        assert (code, out) == (2, "") and "give the file to write, as PATH or -o" in err
    assert sorted(path.name for path in folder.iterdir()) == ["named.csv", "option.csv"]
