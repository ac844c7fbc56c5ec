"""Issue 16's shape and small faults: the services the commands call, the shared --json, one
line for every refusal, notices wrapped at words, ASCII stand-ins, plurals, shell completion."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import collection_sql
from conftest import NOW, make_deck
from recall1924.cli import app
from recall1924.clock import FixedClock
from recall1924.importing import import_deck
from recall1924.settings import Settings
from recall1924.store import Store

runner = CliRunner()


def recall(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, list(args), env={"RECALL_NOW": NOW.isoformat()}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def two_mains(db_path: Path) -> Path:
    """Two decks that each have a section ``main`` (as Anki packages import), and no other."""
    store = Store.open(collection_sql.location(db_path), NOW)
    try:
        import_deck(store, make_deck("spanish", {"main": ["a"], "verbs": ["b"]}), now=NOW)
        import_deck(store, make_deck("russian", {"main": ["c"]}), now=NOW)
    finally:
        store.close()
    return db_path


def test_an_unknown_section_lists_every_section_with_its_deck(two_mains: Path) -> None:
    code, _, err = recall("review", "--section", "nope")
    assert code == 2
    assert err == (
        "recall: no section 'nope' (sections: spanish/main, spanish/verbs, russian/main)\n"
    )


def test_an_unknown_section_in_a_deck_lists_that_decks_sections(two_mains: Path) -> None:
    code, _, err = recall("cram", "--deck", "spanish", "--section", "nope")
    assert (code, err) == (2, "recall: no section 'nope' (sections: main, verbs)\n")


def test_a_section_in_several_decks_names_them(two_mains: Path) -> None:
    code, _, err = recall("review", "--section", "main")
    assert (code, err) == (
        2,
        "recall: section 'main' is in several decks (spanish, russian); name one with --deck\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("exam", "1999-01-01"), "recall: the exam date 1999-01-01 is not after today"),
        (("exam", "2026-11-27"), "recall: the exam date 2026-11-27 is not after today"),
        (("exam", "2027-01-01", "--clear"), "recall: --clear takes no date or target"),
        (("exam", "--target", "0.8"), "recall: give the exam date with the target"),
    ],
)
def test_every_exam_refusal_is_one_line(args: tuple[str, ...], message: str) -> None:
    code, out, err = recall(*args)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1 and "Usage" not in err


def test_a_refused_exam_date_saves_nothing() -> None:
    recall("exam", "1999-01-01")
    code, out, _ = recall("exam", "--json")
    assert code == 0 and json.loads(out)["date"] is None


def test_exam_json_sets_shows_and_clears() -> None:
    code, out, _ = recall("exam", "2026-11-28", "--json")
    assert code == 0
    assert json.loads(out) == {
        "deck": None,
        "date": "2026-11-28",
        "target": 0.9,
        "days_left": 1,
        "budget": None,
        "follows": None,
    }
    code, out, _ = recall("exam", "--json")
    assert json.loads(out)["date"] == "2026-11-28"
    code, out, _ = recall("exam", "--deck", "stalin-1924", "--json")
    nothing = {"date": None, "target": None, "days_left": None, "budget": None}
    follows = {"date": "2026-11-28", "target": 0.9}  # every deck's, which it follows
    assert json.loads(out) == {"deck": "stalin-1924", **nothing, "follows": follows}
    code, out, _ = recall("exam", "--clear", "--json")
    assert json.loads(out) == {"deck": None, **nothing, "follows": None}


def test_an_exam_tomorrow_is_in_one_day_not_one_days() -> None:
    code, out, _ = recall("exam", "2026-11-28")
    assert code == 0 and out.startswith("Exam for every deck: 2026-11-28 (in 1 day), target 90%.")


def _screen_rows(width: int, height: int, message: str, demo_store: Store) -> list[str]:
    from recall1924.review import scheduled_session
    from recall1924.scheduling import build_scheduler
    from recall1924.ui.review import ReviewScreen

    settings = Settings.from_stored({})
    scheduler = build_scheduler(settings)
    session = scheduled_session(demo_store, lambda _deck: scheduler, settings, FixedClock(NOW))
    session.start()
    session.message = message
    term = Console(file=io.StringIO(), width=width, height=height, no_color=True)
    screen = ReviewScreen().compose(term, session)
    assert len(screen) == height  # the message's second line is taken from the card's room
    return ["".join(segment.text for segment in row).rstrip() for row in screen]


@pytest.mark.parametrize(
    "message",
    [
        "That card was answered in another session meanwhile; moved on",
        "Leech: forgotten 8 times; rewrite or split it, or it costs you every session from now",
    ],
)
def test_a_notice_on_the_review_screen_wraps_at_words_not_cut(
    demo_store: Store, message: str
) -> None:
    shown = _screen_rows(60, 20, message, demo_store)
    notice = [line.strip() for line in shown if line.strip() and line.strip() in message]
    assert " ".join(notice) == message
    assert not any("…" in line for line in shown)


def ascii_console(width: int) -> tuple[Console, io.BytesIO]:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", write_through=True)
    return Console(file=stream, width=width, no_color=True, highlight=False), raw


def test_a_title_cut_on_an_ascii_output_ends_in_dots_not_a_question_mark(
    store: Store,
) -> None:
    from recall1924.scheduling import build_scheduler, decay_of
    from recall1924.stats import build_report
    from recall1924.ui.stats import print_stats

    long_titles = make_deck("d", {"left": ["a"], "right": ["b"]})
    sections = tuple(
        replace(section, title=f"Stalin's defeat of the United Opposition: the {section.key}")
        for section in long_titles.sections
    )
    import_deck(store, replace(long_titles, sections=sections), now=NOW)
    report = build_report(
        store, now=NOW, day_start=NOW, decay=decay_of(build_scheduler(Settings.from_stored({})))
    )
    term, raw = ascii_console(60)
    print_stats(term, report)
    text = raw.getvalue().decode("ascii")
    rows = [line for line in text.splitlines() if line.startswith("Stalin's")]
    assert len(rows) == 2 and all("..." in row and "?" not in row for row in rows), rows
    assert "the left " in rows[0] and "right " in rows[1]  # cut in the middle, ends kept


def test_answers_per_day_is_said_in_the_singular_for_one(demo_store: Store) -> None:
    from recall1924.review import Action, scheduled_session
    from recall1924.scheduling import build_scheduler, decay_of
    from recall1924.stats import build_report
    from recall1924.ui.stats import print_stats

    settings = Settings.from_stored({})
    scheduler = build_scheduler(settings)
    session = scheduled_session(demo_store, lambda _deck: scheduler, settings, FixedClock(NOW))
    session.start()
    session.apply(Action.REVEAL)
    session.apply(Action.GOOD)
    report = build_report(demo_store, now=NOW, day_start=NOW, decay=decay_of(scheduler), full=True)
    term = Console(file=io.StringIO(), width=100, no_color=True)
    print_stats(term, report)
    out = term.file.getvalue()  # type: ignore[attr-defined]
    assert "per day 1 answer, " in out and "1 answers" not in out


LISTINGS = {
    "backups",
    "card",
    "cards",
    "config",
    "decks",
    "doctor",
    "exam",
    "leeches",
    "optimize",
    "stats",
}
"""The commands that print something a script may want to read."""


def _commands() -> dict[str, object]:
    """Every registered command by its full name ("decks remove"), walked, not listed."""
    import typer.main

    found: dict[str, object] = {}

    def walk(command: object, name: str) -> None:
        found[name] = command
        for sub_name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{name} {sub_name}".strip())

    walk(typer.main.get_command(app), "")
    return found


def test_every_listing_has_the_one_shared_json_option() -> None:
    from recall1924.cli.output import JsonOption

    shared = JsonOption.__metadata__[0].help  # type: ignore[attr-defined]
    with_json = {
        name: option
        for name, command in _commands().items()
        for option in getattr(command, "params", [])
        if "--json" in getattr(option, "opts", [])
    }
    assert LISTINGS <= set(with_json)
    assert {name: option.help for name, option in with_json.items()} == dict.fromkeys(  # type: ignore[attr-defined]
        with_json, shared
    )


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        f"sys.argv = ['recall', *{list(args)!r}]\n"
        "from recall1924.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = {'sqlalchemy', 'sqlmodel', 'fsrs', 'alembic', 'rich'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}), file=sys.stderr)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    ("shell", "mark"),
    [
        ("bash", "complete -o default -F _recall_completion recall"),
        ("zsh", "#compdef recall"),
        ("fish", "complete --command recall"),
    ],
)
def test_shell_completion_scripts(shell: str, mark: str) -> None:
    done = _run({"_RECALL_COMPLETE": f"source_{shell}"})
    assert mark in done.stdout
    assert done.stderr.strip() == "[]"  # nothing of the database or terminal stack loaded


def test_completion_completes_commands_and_options_without_opening_the_database() -> None:
    done = _run(
        {"_RECALL_COMPLETE": "complete_bash", "COMP_WORDS": "recall rev", "COMP_CWORD": "1"}
    )
    assert done.stdout.split() == ["review"]
    done = _run(
        {"_RECALL_COMPLETE": "complete_bash", "COMP_WORDS": "recall stats --s", "COMP_CWORD": "2"}
    )
    assert done.stdout.split() == ["--sort"]
    assert done.stderr.strip() == "[]"


def test_help_offers_completion() -> None:
    done = _run({}, "--help")
    assert "--install-completion" in done.stdout and "--show-completion" in done.stdout
    assert done.stderr.strip() == "[]"


def test_a_front_end_gets_the_glance_a_review_and_its_outlook_from_the_services(
    db_path: Path,
) -> None:
    from datetime import UTC, date, datetime, timedelta

    from recall1924.context import App
    from recall1924.readiness import glance, set_exam
    from recall1924.review import Action
    from recall1924.review.service import exam_order, finish, start_review
    from recall1924.store import QueueCounts, Scope

    app = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    import_deck(app.store, make_deck(), now=NOW)
    app.store.save_setting("learning_steps", "1d")  # Again: due at this hour tomorrow
    assert glance(app).waiting == QueueCounts(0, 0, 5)
    assert exam_order(app) is None
    set_exam(app, date(2027, 1, 15), None)
    start, decay = exam_order(app) or (None, 0.0)
    assert start == datetime(2027, 1, 15, 4, tzinfo=UTC) and decay < 0
    session = start_review(app, Scope(), limit=1)
    session.start()
    session.apply(Action.REVEAL)
    session.apply(Action.AGAIN)
    outlook = finish(app, session.summary(), Scope())
    assert outlook.next_due == NOW + timedelta(days=1)
    assert outlook.tomorrow == 1  # the card answered Again, due during tomorrow's review day
    assert glance(app).waiting.new == 4
    app.close()


def test_recalls_own_glyphs_on_an_ascii_output_are_never_question_marks(db_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "RECALL_DB": str(db_path)}
    env["RECALL_NOW"] = NOW.isoformat()
    done = subprocess.run(
        [sys.executable, "-m", "recall1924", "card", "testament-what"],
        env=env,
        capture_output=True,
        text=True,
        encoding="ascii",
        check=True,
    )
    assert done.stdout.splitlines()[0] == "Why did Stalin gain power from 1924? > Lenin's legacy"
