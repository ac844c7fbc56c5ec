"""An Anki package's review history: what each answer meant (a v1 collection numbered its
learning buttons differently), which rows cannot be right (dated outside time), and what the
import summary says about every answer it did not bring."""

from __future__ import annotations

import io
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import collection_sql
from anki_fixtures import BASIC, AnkiBuilder, anki_collection, rewrite_package, v1_package
from anki_memory import package_memory_states
from conftest import NOW
from recall1924.cli import app
from recall1924.identity import anki_card_key
from recall1924.importers import read_decks
from recall1924.models import ReviewKind
from test_apkg_collection import import_file

pytest.importorskip("anki")

START = datetime(2026, 6, 1, 10, tzinfo=UTC)
DAY_MS = 86_400_000


@pytest.fixture
def anki(tmp_path: Path) -> Iterator[AnkiBuilder]:
    with anki_collection(tmp_path / "anki") as builder:
        yield builder


def history_of(path: Path) -> dict[str, list[int]]:
    """Each card's ratings, by source id."""
    return {
        str(card.source_id): [answer.rating for answer in card.history]
        for deck in read_decks(path).decks
        for card in deck.cards
    }


# v1 collections
# ---------------------------------------------------------------------------------------------

# (rating, days after START) per card: Again, Good and Easy through learning and relearning
# (v1 had three buttons there), and Hard on a review (four buttons there in v1 too)
PLANS: dict[str, list[tuple[int, float]]] = {
    "good": [(3, 0), (3, 0.01), (3, 3), (3, 10)],
    "easy": [(4, 0), (3, 6), (3, 21)],
    "lapse": [(1, 0), (3, 0.01), (3, 0.02), (3, 4), (1, 12), (3, 12.01), (3, 20)],
    "hard_review": [(3, 0), (3, 0.01), (2, 3), (3, 9)],
    "relearn_easy": [(3, 0), (3, 0.01), (1, 5), (4, 5.01), (3, 14)],
}


def answer_plans(anki: AnkiBuilder) -> None:
    for name, plan in PLANS.items():
        [card] = anki.add(BASIC, [name, "a"])
        for rating, days in plan:
            anki.answer(card, rating, at=START + timedelta(days=days))


def test_a_v1_collections_learning_answers_mean_what_anki_upgrades_them_to(
    anki: AnkiBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_plans(anki)
    v2 = anki.export(tmp_path / "v2.apkg", legacy=True)
    v1 = v1_package(v2, tmp_path / "v1.apkg")
    with zipfile_collection(v1) as connection:  # the rewrite did renumber: Good is 2 there
        assert connection.execute("SELECT COUNT(*) FROM revlog WHERE ease = 2").fetchone()[0] > 5

    assert history_of(v1) == history_of(v2)

    # ... and every reviewed card's memory state is the official backend's, which upgrades the
    # scheduler (rslib storage/revlog/v2_upgrade.sql) whenever a package carries scheduling
    anki_states = package_memory_states(v1, folder=tmp_path / "check")
    expected = {
        anki_card_key(*anki_states.notes[card_id]): state
        for card_id, state in anki_states.states.items()
        if state is not None
    }
    assert len(expected) == len(PLANS)
    monkeypatch.setenv("RECALL_NOW", NOW.isoformat())
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(v1)], catch_exceptions=False).exit_code == 0
    listing = runner.invoke(app, ["cards", "--json"], catch_exceptions=False).stdout
    shown = {row["key"]: (row["stability"], row["difficulty"]) for row in json.loads(listing)}
    assert {
        key: shown[key] == pytest.approx(state, rel=0.01) for key, state in expected.items()
    } == (dict.fromkeys(expected, True))


class zipfile_collection:  # noqa: N801 - used as a context manager, like open()
    """The collection inside a package, opened read-only from a scratch copy."""

    def __init__(self, package: Path) -> None:
        import tempfile
        import zipfile

        self._scratch = tempfile.TemporaryDirectory()
        with zipfile.ZipFile(package) as archive:
            name = next(
                n for n in ("collection.anki21", "collection.anki2") if n in archive.namelist()
            )
            self._path = Path(self._scratch.name) / "c.sqlite"
            self._path.write_bytes(archive.read(name))

    def __enter__(self) -> sqlite3.Connection:
        self._connection = sqlite3.connect(self._path)
        return self._connection

    def __exit__(self, *exc: object) -> None:
        self._connection.close()
        self._scratch.cleanup()


# Rows from outside time
# ---------------------------------------------------------------------------------------------


def redate(package: Path, target: Path, moves: dict[int, int]) -> Path:
    """``package`` with the review-log rows of ``moves`` (old id -> new id) re-dated."""

    def move(connection: sqlite3.Connection) -> None:
        for old, new in moves.items():
            connection.execute("UPDATE revlog SET id = ? WHERE id = ?", (new, old))

    return rewrite_package(package, target, move)


def four_answers(anki: AnkiBuilder) -> tuple[int, list[int]]:
    [card] = anki.add(BASIC, ["q", "a"])
    return card, [anki.answer(card, 3, at=START + timedelta(days=days)) for days in (0, 1, 4, 9)]


YEAR_9999 = int(datetime(9999, 6, 1, tzinfo=UTC).timestamp() * 1000)
BEYOND_PYTHON = 10**17  # some three million years after 1970: no datetime holds it
BEFORE_ANKI = 1_700_000_000  # seconds written where milliseconds belong: January 1970


def test_review_log_rows_dated_outside_time_are_left_out_and_counted(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    _, ids = four_answers(anki)
    package = anki.export(tmp_path / "clean.apkg", legacy=True)
    damaged = redate(
        package,
        tmp_path / "damaged.apkg",
        {ids[0]: BEFORE_ANKI, ids[2]: YEAR_9999, ids[3]: BEYOND_PYTHON},
    )

    read = read_decks(damaged)

    [card] = read.decks[0].cards
    assert [round(a.at.timestamp() * 1000) for a in card.history] == [ids[1]]
    assert any("1 review-log row" in line and "before 2006" in line for line in read.left_out)
    assert any("2 review-log rows" in line and "after the year" in line for line in read.left_out)


def test_a_card_answered_in_9999_stays_in_the_queue(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    _, ids = four_answers(anki)
    package = anki.export(tmp_path / "clean.apkg", legacy=True)
    damaged = redate(package, tmp_path / "damaged.apkg", {ids[3]: YEAR_9999})

    import_file(damaged, db_path)

    with collection_sql.connect(db_path) as connection:
        [(due, last_review)] = connection.execute("SELECT due, last_review FROM card").fetchall()
    connection.close()
    assert collection_sql.moment(last_review).date().isoformat() == "2026-06-05"
    assert collection_sql.moment(due).year < 2027


def test_answers_from_the_future_are_left_out_by_the_import(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    _, ids = four_answers(anki)
    package = anki.export(tmp_path / "clean.apkg", legacy=True)
    tomorrow_and_more = int((NOW + timedelta(days=1, hours=1)).timestamp() * 1000)
    damaged = redate(package, tmp_path / "future.apkg", {ids[3]: tomorrow_and_more})

    report = import_file(damaged, db_path)

    assert report.decks[0].answers_added == 3
    [line] = [line for line in report.left_out if "future" in line]
    assert line.startswith("1 answer dated more than a day after now")
    with collection_sql.connect(db_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM review_log").fetchone() == (3,)
    connection.close()


# What the summary says was left out
# ---------------------------------------------------------------------------------------------


def test_every_answer_anki_keeps_is_kept_with_its_resets(anki: AnkiBuilder, tmp_path: Path) -> None:
    reset, crammed, untouched = (anki.add(BASIC, [f"q{n}", "a"])[0] for n in range(3))
    for rating in (3, 3, 1, 3):
        anki.answer(reset, rating)
    anki.reset([reset])
    anki.answer(reset, 3)
    anki.answer(crammed, 3)
    anki.cram(crammed, 4)
    answers = anki.col.db.scalar("SELECT COUNT(*) FROM revlog WHERE ease > 0")

    read = read_decks(anki.export(tmp_path / "history.apkg"))

    history = {str(card.source_id): card.history for deck in read.decks for card in deck.cards}
    kinds = {
        source: [answer.kind.name for answer in answers] for source, answers in history.items()
    }
    assert answers == 7 and read.left_out == ()
    assert kinds[f"anki:{anki.note_guid(reset)}:0"] == [*["Review"] * 4, "Reset", "Review"]
    assert kinds[f"anki:{anki.note_guid(crammed)}:0"] == ["Review", "Cram"]
    assert kinds[f"anki:{anki.note_guid(untouched)}:0"] == []


def test_what_cannot_come_is_counted_with_its_reason(anki: AnkiBuilder, tmp_path: Path) -> None:
    kept, deleted = (anki.add(BASIC, [f"q{n}", "a"])[0] for n in range(2))
    ids = [anki.answer(kept, rating) for rating in (3, 3, 3)]
    anki.answer(deleted, 3)
    package = anki.export(tmp_path / "clean.apkg", legacy=True)

    def damage(connection: sqlite3.Connection) -> None:
        connection.execute("UPDATE revlog SET ease = 5 WHERE id = ?", (ids[1],))
        connection.execute("DELETE FROM cards WHERE id = ?", (deleted,))

    read = read_decks(rewrite_package(package, tmp_path / "damaged.apkg", damage))

    [card] = read.decks[0].cards
    assert [round(answer.at.timestamp() * 1000) for answer in card.history] == [ids[0], ids[2]]
    assert sorted(read.left_out) == [
        "1 answer to cards no longer in the file (deleted in Anki)",
        "1 answer with a button Anki does not have (an ease other than 1 to 4)",
    ]


def test_the_import_says_what_it_kept_and_where_memory_states_start(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    reset, plain = (anki.add(BASIC, [f"q{n}", "a"])[0] for n in range(2))
    for rating in (3, 3, 1, 3):
        anki.answer(reset, rating)
    anki.reset([reset])
    anki.answer(reset, 3)
    last = anki.answer(plain, 3)
    # Anki stamps its rows with the real clock: the import runs just after them
    now = datetime.fromtimestamp(last / 1000, UTC) + timedelta(hours=1)

    report = import_file(anki.export(tmp_path / "history.apkg"), db_path, now=now)

    assert report.left_out == ()
    assert report.notices == (
        "Kept 6 answers; the memory state of 1 card starts at its last reset, as in Anki (the "
        "answers before it are kept as history)",
    )
    assert report.decks[0].answers_added == 6 and report.decks[0].resets_added == 1


# a card's first life, and after a break the answers of a second (or more of the first)
FIRST_LIFE = [(3, 0), (3, 0.01), (3, 3), (1, 10), (3, 10.01), (3, 20)]
SECOND_LIFE = [(1, 30), (3, 30.01), (3, 30.02), (4, 33), (3, 45)]


def test_memory_states_after_a_reset_or_a_new_learning_run_are_ankis(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forgotten (Anki's Forget row before its second life), relearnt (a second run of learning
    # rows and no reset row, as old Anki wrote) and plain (the same answers, one life).
    names = ("forgotten", "relearnt", "plain")
    cards = {name: anki.add(BASIC, [name, "a"])[0] for name in names}
    for minutes, card in enumerate(cards.values()):  # a revlog id is one answer's time
        for rating, days in FIRST_LIFE + SECOND_LIFE:
            anki.answer(card, rating, at=START + timedelta(days=days, minutes=minutes))
    reset_at = int((START + timedelta(days=25)).timestamp() * 1000)

    def second_lives(connection: sqlite3.Connection) -> None:
        for name in ("forgotten", "relearnt"):
            # the first three answers of the second life are learning steps
            connection.execute(
                "UPDATE revlog SET type = 0 WHERE id IN (SELECT id FROM revlog WHERE cid = ? "
                "AND id >= ? ORDER BY id LIMIT 3)",
                (cards[name], reset_at),
            )
        connection.execute(
            "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
            "VALUES (?, ?, -1, 0, 0, 10, 0, 0, 4)",
            (reset_at, cards["forgotten"]),
        )

    package = rewrite_package(
        anki.export(tmp_path / "lives.apkg", legacy=True), tmp_path / "rewritten.apkg", second_lives
    )
    anki_states = package_memory_states(package, folder=tmp_path / "check")
    expected = {
        anki_card_key(*anki_states.notes[card_id]): state
        for card_id, state in anki_states.states.items()
    }
    monkeypatch.setenv("RECALL_NOW", NOW.isoformat())
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(package)], catch_exceptions=False).exit_code == 0
    listing = runner.invoke(app, ["cards", "--json"], catch_exceptions=False).stdout
    shown = {row["key"]: (row["stability"], row["difficulty"]) for row in json.loads(listing)}
    assert len(expected) == 3 and None not in expected.values()
    assert {
        key: shown[key] == pytest.approx(state, rel=0.01) for key, state in expected.items()
    } == (dict.fromkeys(expected, True))
    # every answer kept, and the two lives told apart by a reset
    with collection_sql.connect(db_path) as connection:
        kinds = connection.execute(
            "SELECT card.key, count(*), sum(CASE WHEN kind = 3 THEN 1 ELSE 0 END) "
            "FROM review_log JOIN card ON card.id = card_id "
            "GROUP BY card.key ORDER BY min(review_log.id)"
        ).fetchall()
    connection.close()
    lives = len(FIRST_LIFE) + len(SECOND_LIFE)
    assert sorted((count, resets) for _key, count, resets in kinds) == [
        (lives, 0),
        (lives + 1, 1),
        (lives + 1, 1),
    ]


def test_the_summary_shows_what_was_left_out(db_path: Path, tmp_path: Path) -> None:
    from recall1924.importing import ImportPlan, ImportReport
    from recall1924.ui.reports import print_import

    plan = ImportPlan("d", "D", True, ("a",), (), (), (), False, 1, 0)
    report = ImportReport(
        (plan,),
        left_out=("2 answers given while cramming (why)",),
        notices=("Review days now start at 12:00",),
    )
    out = io.StringIO()
    print_import(Console(file=out, width=80), report, dry_run=False)
    text = out.getvalue()
    assert "Left out:\n  2 answers given while cramming (why)\n" in text
    assert "Review days now start at 12:00" in text


@pytest.mark.corpus
def test_the_spanish_packages_two_cramming_answers_are_kept_as_cram() -> None:
    from conftest import SHARED_TESTDATA

    path = SHARED_TESTDATA / "apkg" / "pedscoffee_SpanishAnkiExportReal.apkg"
    if not path.is_file():
        pytest.skip("../shared/testdata is absent")
    read = read_decks(path)
    kinds = Counter(
        answer.kind for deck in read.decks for card in deck.cards for answer in card.history
    )
    assert kinds == {ReviewKind.Review: 31_361, ReviewKind.Cram: 2}
    assert read.left_out == ()
