"""Where media come from besides the files the cards name: the files Anki keeps for a note
type (``_font.ttf`` in its CSS, names starting with ``_``), carried back by an export; and a
bare collection's ``collection.media`` folder, taken on the same checked path as a package's."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import collection_sql
from conftest import NOW, SHARED_TESTDATA
from recall1924.cli import app
from recall1924.importers import read_decks
from recall1924.importing import import_decks
from recall1924.media import forget_unnamed, import_media, is_static
from recall1924.store import Store
from test_media import BEAT, HEART, legacy_package, media_rows, one_card, png, sha, stored_files

FONT = b"\x00\x01\x00\x00 a font, as far as the test cares"
LOGO = png(colour=(250, 200, 0))


def recall(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def package_members(path: Path) -> dict[str, str]:
    """A legacy package's media list: member -> name."""
    with zipfile.ZipFile(path) as archive:
        listing: dict[str, str] = json.loads(archive.read("media"))
    return listing


# The files Anki keeps for note types
# ---------------------------------------------------------------------------------------------


def test_names_anki_keeps_whatever_the_cards_name() -> None:
    assert is_static("_arial.ttf") and is_static("_") and is_static("latex-3f2a.png")
    assert not is_static("arial.ttf") and not is_static("a_b.png") and not is_static("Latex-x")


def test_a_packages_underscored_files_come_with_its_decks(store: Store, db_path: Path) -> None:
    path = legacy_package(
        db_path.parent / "styled.apkg",
        {"_arial.ttf": FONT, "heart.png": HEART, "unused.png": LOGO},
        question="[image: heart.png]",
    )
    read = read_decks(path)
    import_decks(store, read.decks, now=NOW)
    report = import_media(store, path, read.decks)

    assert [(name, file) for _deck, name, file, _size in media_rows(db_path)] == [
        ("_arial.ttf", f"{sha(FONT)}.ttf"),
        ("heart.png", f"{sha(HEART)}.png"),
    ]
    assert (
        report.notice() == "Media: 1 file for the cards and 1 file for the note types (_arial.ttf)"
    )
    # a re-import from a file that carries no media (TOML, CSV) keeps the font with its deck
    forget_unnamed(store, ["demo"])
    import_decks(store, [one_card("demo", "no picture")], now=NOW)
    assert [name for _deck, name, *_ in media_rows(db_path)] == ["_arial.ttf"]
    assert stored_files(collection_sql.media_folder(db_path)) == [f"{sha(FONT)}.ttf"]


def test_a_note_types_font_goes_to_anki_and_back(tmp_path: Path, db_path: Path) -> None:
    pytest.importorskip("anki")
    from anki.collection import ExportAnkiPackageOptions

    from anki_fixtures import BASIC, anki_collection

    with anki_collection(tmp_path / "anki") as anki:
        models = anki.col.models
        basic = models.by_name(BASIC)
        # what Anki's own export gathers for a note type: url() in its CSS, "_…" in a template
        basic["css"] += '\n@font-face { font-family: arial; src: url("_arial.ttf"); }'
        basic["tmpls"][0]["qfmt"] = '<img src="_logo.png">{{Front}}'
        models.save(basic)
        anki.col.media.write_data("_arial.ttf", FONT)
        anki.col.media.write_data("_logo.png", LOGO)
        anki.col.media.write_data("heart.png", HEART)
        anki.add(BASIC, ['<img src="heart.png"> Which organ?', "Heart"], deck="Anatomy")
        package = tmp_path / "styled.apkg"
        anki.col.export_anki_package(
            out_path=str(package),
            options=ExportAnkiPackageOptions(
                with_scheduling=False, with_deck_configs=False, with_media=True, legacy=True
            ),
            limit=None,
        )
    assert sorted(package_members(package).values()) == ["_arial.ttf", "_logo.png", "heart.png"]

    code, out = recall("import", str(package))
    assert code == 0, out
    assert "Media: 2 files for the cards and 1 file for the note types (_arial.ttf)" in out
    back = tmp_path / "back.apkg"
    assert recall("export", "--format", "apkg", "-o", str(back))[0] == 0
    assert sorted(package_members(back).values()) == ["_arial.ttf", "_logo.png", "heart.png"]

    with anki_collection(tmp_path / "anki-back") as anki:
        anki.import_package(back)
        folder = Path(anki.col.media.dir())
        assert (folder / "_arial.ttf").read_bytes() == FONT
        assert (folder / "_logo.png").read_bytes() == LOGO
        assert (folder / "heart.png").read_bytes() == HEART


@pytest.mark.corpus
def test_the_latex2anki_font_survives_a_round_trip(tmp_path: Path, db_path: Path) -> None:
    source = SHARED_TESTDATA / "apkg" / "latex2anki_example.apkg"
    if not source.is_file():
        pytest.skip("shared test data not available")
    code, out = recall("import", str(source))
    assert code == 0, out
    assert "1 file for the note types (_cmunrm.ttf)" in out
    back = tmp_path / "back.apkg"
    assert recall("export", "--format", "apkg", "-o", str(back))[0] == 0
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(back) as exported:
        import zstandard

        font = zstandard.ZstdDecompressor().stream_reader(original.read("0")).read()
        [(member, name)] = package_members(back).items()
        assert name == "_cmunrm.ttf" and exported.read(member) == font


# A bare collection and its collection.media folder
# ---------------------------------------------------------------------------------------------


def anki_profile(folder: Path) -> Path:
    """A collection as Anki keeps it in a profile folder: collection.anki2, and beside it
    collection.media holding two of the three files its cards name."""
    from anki_fixtures import BASIC, anki_collection

    with anki_collection(folder) as anki:
        anki.col.media.write_data("heart.png", HEART)
        anki.col.media.write_data("beat.mp3", BEAT)
        anki.col.media.write_data("_arial.ttf", FONT)
        anki.add(BASIC, ['<img src="heart.png"> Which organ?', "Heart [sound:beat.mp3]"])
        anki.add(BASIC, ['<img src="gone.jpg"> Painted by?', "?"])
    assert (folder / "collection.media" / "heart.png").is_file()
    return folder / "collection.anki2"


def test_a_bare_collection_takes_its_media_from_the_folder_beside_it(
    tmp_path: Path, db_path: Path
) -> None:
    pytest.importorskip("anki")
    collection = anki_profile(tmp_path / "profile")

    code, out = recall("import", str(collection))
    assert code == 0, out
    assert (
        "Media: 2 files for the cards and 1 file for the note types (_arial.ttf); "
        "1 file the cards name is not in collection.media (gone.jpg)"
    ) in " ".join(out.split())
    assert sorted(name for _deck, name, *_ in media_rows(db_path)) == [
        "_arial.ttf",
        "beat.mp3",
        "heart.png",
    ]
    assert (collection_sql.media_folder(db_path) / f"{sha(HEART)}.png").read_bytes() == HEART


def test_a_bare_collection_without_its_folder_says_so(tmp_path: Path, db_path: Path) -> None:
    pytest.importorskip("anki")
    collection = anki_profile(tmp_path / "profile")
    alone = tmp_path / "alone" / "collection.anki2"
    alone.parent.mkdir()
    shutil.copyfile(collection, alone)

    code, out = recall("import", str(alone))
    assert code == 0, out
    assert (
        "3 files the cards name are not in collection.media (beat.mp3, gone.jpg, heart.png): "
        "there is no collection.media folder beside collection.anki2"
    ) in " ".join(out.split())
    assert media_rows(db_path) == []


def test_only_plain_files_are_taken_from_the_folder(
    tmp_path: Path, store: Store, db_path: Path
) -> None:
    pytest.importorskip("anki")
    collection = anki_profile(tmp_path / "profile")
    folder = collection.with_suffix(".media")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not for the collection")
    # a link (even to a picture elsewhere) and a pipe are not files of the folder's own
    (folder / "heart.png").unlink()
    (folder / "heart.png").symlink_to(secret)
    (folder / "beat.mp3").unlink()
    os.mkfifo(folder / "beat.mp3")
    (folder / "beat.mp3").chmod(0o600)
    (folder / "_arial.ttf").unlink()

    read = read_decks(collection)
    import_decks(store, read.decks, now=NOW)
    report = import_media(store, collection, read.decks)

    assert report.problem is None and report.linked == 0
    assert report.missing == ("beat.mp3", "gone.jpg", "heart.png")
    assert (
        not collection_sql.media_folder(db_path).exists()
        or stored_files(collection_sql.media_folder(db_path)) == []
    )
