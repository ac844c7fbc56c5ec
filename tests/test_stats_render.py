"""The stats screen on a collection with a year of history, at 60, 80 and 120 columns; and on
an output that cannot encode Unicode."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from fsrs import Scheduler
from rich.console import Console

from conftest import NOW
from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec
from recall1924.exam import Exam
from recall1924.importing import import_deck
from recall1924.scheduling import decay_of
from recall1924.settings import Settings
from recall1924.stats import StatsReport, build_report
from recall1924.store import Store
from recall1924.ui.stats import print_stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from make_history import build  # noqa: E402

DECAY = decay_of(Scheduler())


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A year of history on the bundled deck and 120 generated cards, built once."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    path = tmp_path_factory.mktemp("year") / "year.db"
    try:
        build(path, now=NOW, days=365, extra_cards=120, sections=4, new_per_day=3)
        yield path
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


def year_report(path: Path, tmp_path: Path, exam: Exam | None = None) -> StatsReport:
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    store = Store.open(copy, NOW)
    try:
        settings = replace(Settings.from_stored({}), new_per_day=3)
        return build_report(store, now=NOW, decay=DECAY, settings=settings, exam=exam, full=True)
    finally:
        store.close()


def render(report: StatsReport, width: int) -> list[str]:
    out = io.StringIO()
    print_stats(Console(file=out, width=width, no_color=True, highlight=False), report)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("width", [60, 80, 120])
def test_a_year_of_history_fits_every_width(year: Path, tmp_path: Path, width: int) -> None:
    report = year_report(year, tmp_path, Exam(date(2027, 1, 15), 0.9))
    shown = render(report, width)
    assert all(len(line) <= width for line in shown)
    text = "\n".join(shown)
    for heading in ("Section", "Mastery", "Due, next 30 days", "Last 12 weeks", "streak"):
        assert heading in text
    for heading in ("Stability", "Difficulty", "Recall at horizon", "Exam 2027-01-15"):
        assert heading in text
    assert "start of exam day" in " ".join(text.split())
    # Every section is one line: its (maybe shortened) title, then its figures, whole.
    for deck in report.decks:
        for section in deck.sections:
            start = section.title[:12]
            rows = [line for line in shown if line.startswith(start)]
            assert rows, section.title
            mastery = f"{section.mastery:.0%}"
            assert any(mastery in row for row in rows), (section.title, rows)
    header = next(line for line in shown if line.startswith("Section "))
    assert "…" not in header  # no header is cut short
    if width >= 120:
        for column in ("Cards", "Learn", "Review", "Young", "Mature", "Stab"):
            assert column in header
    totals = report.totals
    assert totals.review > 0 and totals.retention_mature is not None
    assert report.history is not None and report.history.streak >= 1


def test_sixty_columns_drops_columns_not_words(year: Path, tmp_path: Path) -> None:
    shown = render(year_report(year, tmp_path), 60)
    header = next(line for line in shown if line.startswith("Section "))
    assert header.split() == ["Section", "New", "Due", "Mastery", "Retention"]
    assert "start of the next review day" in " ".join(" ".join(shown).split())


def ascii_console() -> tuple[Console, io.BytesIO]:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", write_through=True)
    return Console(file=stream, width=80, no_color=True, highlight=False), raw


def test_ascii_output_gets_ascii_tables_and_bars(store: Store) -> None:
    deck = DeckSpec(
        "fr",
        "Révolution — 1917",
        (SectionSpec("s", "Lénine", (CardSpec("a", "Q?", "A"),)),),
        "test",
    )
    import_deck(store, deck, now=NOW)
    report = build_report(store, now=NOW, decay=DECAY, full=True)
    term, raw = ascii_console()
    print_stats(term, report)
    text = raw.getvalue().decode("ascii")
    assert "R?volution ? 1917" in text and "L?nine" in text
    assert "-----" in text and "Due, next 30 days" in text


def test_recall_stats_on_an_ascii_only_output(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONIOENCODING": "ascii",
        "RECALL_DB": str(tmp_path / "ascii.db"),
        "RECALL_NOW": NOW.isoformat(),
        "COLUMNS": "60",
    }
    result = subprocess.run(
        [sys.executable, "-m", "recall1924", "stats"],
        env=env,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    result.stdout.decode("ascii")  # nothing but ASCII
    assert b"Mastery" in result.stdout


def test_titles_that_differ_at_the_end_still_read_apart_when_cut() -> None:
    from recall1924.ui.stats import _squeeze

    left, right = (_squeeze(f"Stalin's defeat of the {side}", 23) for side in ("Left", "Right"))
    assert (left, right) == ("Stalin's defea…the Left", "Stalin's defe…the Right")
    assert _squeeze("Lenin's legacy", 23) == "Lenin's legacy"
