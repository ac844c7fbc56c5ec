"""Damaged Anki files: whatever is wrong in one, recall says so in one line about the file,
never with Python's words for it (``KeyError: 'flds'``, ``'NoneType' object ...``), and never
with a traceback. Real packages are damaged with SQL, by hand and by Hypothesis."""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anki_fixtures import BASIC, CLOZE, anki_collection, rewrite_package
from recall1924.errors import DeckFileError
from recall1924.importers import read_decks
from recall1924.importers.apkg import read_apkg

pytest.importorskip("anki")

PYTHON_WORDS = re.compile(
    r"Error\b|Exception|NoneType|object has no|not subscriptable|unsupported operand|"
    r"Traceback|invalid literal|positional argument|"
    r"'(?:str|int|float|bytes|dict|list|tuple)'"
)


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A legacy (schema 11) and a current (schema 18) package with a little of everything."""
    folder = tmp_path_factory.mktemp("damaged")
    found = {}
    for name, legacy in (("legacy", True), ("current", False)):
        with anki_collection(folder / name) as anki:
            [card] = anki.add(BASIC, ["perro", "dog"], deck="Lang::Spanish", tags=["animal"])
            anki.add(CLOZE, ["{{c1::Paris}} is in {{c2::France}}", ""])
            for rating in (3, 3, 1, 3):
                anki.answer(card, rating)
            found[name] = anki.export(folder / f"{name}.apkg", legacy=legacy)
    return found


def outcome(path: Path) -> str | None:
    """None if the file reads; else the one line recall gives, checked for Python's words."""
    try:
        read_apkg(path)
    except DeckFileError as exc:
        [line] = exc.problems
        assert line.startswith(f"{path}: ") and "\n" not in line
        assert not PYTHON_WORDS.search(line.removeprefix(f"{path}: ")), line
        return line.removeprefix(f"{path}: ")
    return None


def sql(*statements: str) -> Callable[[sqlite3.Connection], None]:
    def run(connection: sqlite3.Connection) -> None:
        for statement in statements:
            connection.execute(statement)

    return run


def json_column(column: str, change: Callable[[Any], Any]) -> Callable[[sqlite3.Connection], None]:
    """An edit of one of ``col``'s JSON columns (``models``, ``decks``, ``conf``)."""

    def run(connection: sqlite3.Connection) -> None:
        (text,) = connection.execute(f"SELECT {column} FROM col").fetchone()
        connection.execute(f"UPDATE col SET {column} = ?", (json.dumps(change(json.loads(text))),))

    return run


def each_model(change: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    def run(models: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for model in models.values():
            change(model)
        return models

    return run


def first_template(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda model: change(model["tmpls"][0])


def first_field(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda model: change(model["flds"][0])


def each_deck(change: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    return each_model(change)  # the same shape: objects by id


LEGACY_DAMAGE: dict[str, Callable[[sqlite3.Connection], None]] = {
    "models not JSON": sql("UPDATE col SET models = '{not json'"),
    "models a list": sql("UPDATE col SET models = '[]'"),
    "models null": sql("UPDATE col SET models = 'null'"),
    "model without fields": json_column("models", each_model(lambda m: m.pop("flds"))),
    "fields a string": json_column("models", each_model(lambda m: m.update(flds="Front"))),
    "field without name": json_column("models", each_model(first_field(lambda f: f.pop("name")))),
    "field name a number": json_column(
        "models", each_model(first_field(lambda f: f.update(name=5)))
    ),
    "field ord text": json_column("models", each_model(first_field(lambda f: f.update(ord="x")))),
    "model without templates": json_column("models", each_model(lambda m: m.pop("tmpls"))),
    "template qfmt null": json_column(
        "models", each_model(first_template(lambda t: t.update(qfmt=None)))
    ),
    "template without ord": json_column(
        "models", each_model(first_template(lambda t: t.pop("ord")))
    ),
    "model id text": json_column("models", each_model(lambda m: m.update(id="abc"))),
    "model name null": json_column("models", each_model(lambda m: m.update(name=None))),
    "model type text": json_column("models", each_model(lambda m: m.update(type="cloze"))),
    "decks not JSON": sql("UPDATE col SET decks = 'decks'"),
    "decks null": sql("UPDATE col SET decks = 'null'"),
    "deck without name": json_column("decks", each_deck(lambda d: d.pop("name"))),
    "deck name a number": json_column("decks", each_deck(lambda d: d.update(name=7))),
    "deck id missing": json_column("decks", each_deck(lambda d: d.pop("id"))),
    "deck name empty": json_column("decks", each_deck(lambda d: d.update(name="::"))),
    "conf not JSON": sql("UPDATE col SET conf = '{'"),
    "conf a list": sql("UPDATE col SET conf = '[1]'"),
    "schedVer text": json_column("conf", lambda c: c | {"schedVer": "two"}),
    "rollover text": json_column("conf", lambda c: c | {"rollover": "noon"}),
    "note fields a blob": sql("UPDATE notes SET flds = x'ff00'"),
    "note guid a blob": sql("UPDATE notes SET guid = x'ff'"),
    "note tags a blob": sql("UPDATE notes SET tags = x'00'"),
    "note type id text": sql("UPDATE notes SET mid = 'abc'"),
    "card ord text": sql("UPDATE cards SET ord = 'x'"),
    "card queue text": sql("UPDATE cards SET queue = 'x'"),
    "card note text": sql("UPDATE cards SET nid = 'x'"),
    "card deck a blob": sql("UPDATE cards SET did = x'01'"),
    "card flags real": sql("UPDATE cards SET flags = 1.5"),
    "revlog ease text": sql("UPDATE revlog SET ease = 'good'"),
    "revlog interval text": sql("UPDATE revlog SET ivl = 'x'"),
    "revlog time text": sql("UPDATE revlog SET time = 'x'"),
    "revlog factor text": sql("UPDATE revlog SET factor = 'x'"),
    "revlog type text": sql("UPDATE revlog SET type = 'x'"),
    "revlog card text": sql("UPDATE revlog SET cid = 'x'"),
    "no col row": sql("DELETE FROM col"),
}

FIRST_NOTETYPE = "ntid = (SELECT MIN(id) FROM notetypes)"  # damage one row: names are unique
CURRENT_DAMAGE: dict[str, Callable[[sqlite3.Connection], None]] = {
    "note type config garbage": sql("UPDATE notetypes SET config = x'ffffffff'"),
    "note type config text": sql("UPDATE notetypes SET config = 'abc'"),
    "template config truncated": sql("UPDATE templates SET config = x'0a05'"),
    "template config not UTF-8": sql("UPDATE templates SET config = x'0a02ffff'"),
    "field name a blob": sql(f"UPDATE fields SET name = x'ff' WHERE {FIRST_NOTETYPE} AND ord = 0"),
    "note type name a blob": sql(
        "UPDATE notetypes SET name = x'ff' WHERE id = (SELECT MIN(id) FROM notetypes)"
    ),
    "deck name a blob": sql("UPDATE decks SET name = x'ff' WHERE id = (SELECT MIN(id) FROM decks)"),
    "template ord text": sql(f"UPDATE templates SET ord = 'x' WHERE {FIRST_NOTETYPE} AND ord = 0"),
    "config schedVer not JSON": sql("UPDATE config SET val = x'7b' WHERE key = 'schedVer'"),
    "config rollover text": sql("INSERT INTO config VALUES ('rollover', 0, 0, x'226e6f6f6e22')"),
    "note fields a blob": sql("UPDATE notes SET flds = x'ff00'"),
    "revlog ease text": sql("UPDATE revlog SET ease = 'good'"),
}


@pytest.mark.parametrize("damage", sorted(LEGACY_DAMAGE))
def test_a_damaged_legacy_collection_is_one_clear_line(
    packages: dict[str, Path], tmp_path: Path, damage: str
) -> None:
    path = rewrite_package(packages["legacy"], tmp_path / "damaged.apkg", LEGACY_DAMAGE[damage])
    line = outcome(path)
    assert line is None or line.startswith("damaged collection: ")


@pytest.mark.parametrize("damage", sorted(CURRENT_DAMAGE))
def test_a_damaged_current_collection_is_one_clear_line(
    packages: dict[str, Path], tmp_path: Path, damage: str
) -> None:
    path = rewrite_package(packages["current"], tmp_path / "damaged.apkg", CURRENT_DAMAGE[damage])
    line = outcome(path)
    assert line is None or line.startswith("damaged collection: ")


def test_what_is_damaged_is_named(packages: dict[str, Path], tmp_path: Path) -> None:
    def damaged(change: Callable[[sqlite3.Connection], None]) -> str | None:
        return outcome(rewrite_package(packages["legacy"], tmp_path / "d.apkg", change))

    def basic(change: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
        return each_model(lambda model: change(model) if model["name"] == "Basic" else None)

    assert damaged(LEGACY_DAMAGE["models not JSON"]) == (
        "damaged collection: col.models (its note types) is not valid JSON"
    )
    assert damaged(json_column("models", basic(first_template(lambda t: t.update(qfmt=1))))) == (
        "damaged collection: note type 'Basic': template 'Card 1' has no question format"
    )
    found = damaged(LEGACY_DAMAGE["card ord text"])
    assert found is not None
    assert re.fullmatch(
        r"damaged collection: card \d+: its template number \(ord\) holds text, where Anki "
        r"writes a whole number",
        found,
    )


# Hypothesis: any value anywhere in the JSON columns
# ---------------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
DELETE = object()


def places(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in a JSON value, depth first."""
    found: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((value, key))
            found.extend(places(item))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((value, index))
            found.extend(places(item))
    return found


@pytest.fixture(scope="module")
def legacy_collection(packages: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "collection.anki21"
    with zipfile.ZipFile(packages["legacy"]) as archive:
        path.write_bytes(archive.read("collection.anki21"))
    return path


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    column=st.sampled_from(["models", "decks", "conf"]),
    where=st.integers(0, 10_000),
    replacement=JSON_VALUES | st.just(DELETE),
)
def test_no_value_in_the_json_configs_leaks_python(
    legacy_collection: Path, column: str, where: int, replacement: Any
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "c.sqlite"
        database.write_bytes(legacy_collection.read_bytes())
        with sqlite3.connect(database) as connection:
            (text,) = connection.execute(f"SELECT {column} FROM col").fetchone()
            value = json.loads(text)
            spots = places(value)
            if spots:
                container, key = spots[where % len(spots)]
                if replacement is DELETE:
                    del container[key]
                else:
                    container[key] = replacement
            else:
                value = replacement
            connection.execute(
                f"UPDATE col SET {column} = ?",
                (json.dumps(None if value is DELETE else value),),
            )
        connection.close()
        path = Path(scratch) / "fuzzed.apkg"
        with zipfile.ZipFile(path, "w") as archive:
            archive.write(database, "collection.anki21")
        outcome(path)


# Empty archives
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.apkg", "empty.colpkg", "empty.zip"])
def test_an_empty_zip_is_called_an_empty_zip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    zipfile.ZipFile(path, "w").close()
    with pytest.raises(DeckFileError) as caught:
        read_decks(path)
    assert caught.value.problems == [f"{path}: an empty zip archive: no Anki collection inside"]
