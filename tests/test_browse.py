"""The card browser: ``recall cards`` (filters, search, sorting, states, JSON, the table at 60,
80 and 120 columns) and ``recall card KEY`` (text, memory state, history)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fsrs import Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from typer.testing import CliRunner

from conftest import NOW, make_deck
from recall1924.browse import (
    LEECH_THRESHOLD,
    TABLE_ROWS,
    Listing,
    SortKey,
    StateFilter,
    iso,
    list_cards,
)
from recall1924.cli import app
from recall1924.cli.collection import CARD_SORTS, CARD_STATES
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.models import ReviewKind
from recall1924.scheduling import Rating, State, answer, decay_of
from recall1924.store import Store
from recall1924.ui.text import fit_widths

runner = CliRunner()
SCHEDULER = Scheduler(enable_fuzzing=False)
ROW_KEYS = [
    "deck",
    "section",
    "key",
    "question",
    "state",
    "suspended",
    "stability",
    "difficulty",
    "retrievability",
    "due",
    "last_review",
    "reviews",
    "lapses",
]


def recall(*args: str, at: datetime = NOW, columns: int = 80) -> tuple[int, str, str]:
    env = {"RECALL_NOW": at.isoformat(), "COLUMNS": str(columns)}
    result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def cards_json(*args: str, at: datetime = NOW) -> list[dict[str, Any]]:
    code, out, err = recall("cards", "--json", *args, at=at)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def by_key(*args: str, at: datetime = NOW) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in cards_json(*args, at=at)}


def give(
    store: Store,
    key: str,
    rating: Rating,
    at: datetime,
    *,
    deck: str = "demo",
    kind: ReviewKind = ReviewKind.Review,
    duration_ms: int | None = None,
) -> None:
    card_id = store.card_ids([key], deck)[key]
    before = store.card(card_id).memory
    after = answer(SCHEDULER, card_id=card_id, memory=before, rating=rating, at=at)
    store.record_answer(
        card_id, before=before, after=after, rating=rating, at=at, duration_ms=duration_ms,
        kind=kind,
    )  # fmt: skip


def lapse(store: Store, key: str, at: datetime) -> datetime:
    """Answer Again to a card in the Review state, then bring it back to Review. Returns a
    time after both."""
    give(store, key, Rating.Again, at)
    give(store, key, Rating.Good, at + timedelta(minutes=10))
    return at + timedelta(hours=1)


def expected_r(days: int, stability: float) -> float:
    # The FSRS-6 power forgetting curve, written out here rather than taken from recall.
    decay = DEFAULT_PARAMETERS[20]
    factor = 0.9 ** (1 / -decay) - 1
    return float((1 + factor * days / stability) ** -decay)


def test_the_choices_on_the_command_line_are_the_services() -> None:
    assert CARD_STATES == tuple(StateFilter)
    assert CARD_SORTS == tuple(SortKey)


@pytest.mark.parametrize("command", ["cards", "card"])
def test_commands_have_help(command: str) -> None:
    code, out, _ = recall(command, "--help")
    assert code == 0 and "--db" in out and "--json" in out
    assert out.split("\n\n")[1].strip()


def test_json_rows_have_exactly_the_documented_keys(demo_store: Store) -> None:
    rows = cards_json()
    assert [row["key"] for row in rows] == ["a", "b", "c", "d", "e"]  # deck order
    for row in rows:
        assert list(row) == ROW_KEYS
    a = rows[0]
    assert a == {
        "deck": "demo",
        "section": "one",
        "key": "a",
        "question": "Question a?",
        "state": "new",
        "suspended": False,
        "stability": None,
        "difficulty": None,
        "retrievability": None,
        "due": "2026-11-27T09:00:00Z",
        "last_review": None,
        "reviews": 0,
        "lapses": 0,
    }


def test_memory_state_and_retrievability_now(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Easy, NOW)
    memory = demo_store.card(demo_store.card_ids(["a"])["a"]).memory
    assert memory.state is State.Review and memory.stability and memory.difficulty
    later = NOW + timedelta(days=3, hours=2)
    a = by_key(at=later)["a"]
    assert a["state"] == "review"
    assert a["stability"] == pytest.approx(memory.stability)
    assert a["difficulty"] == pytest.approx(memory.difficulty)
    assert a["last_review"] == "2026-11-27T09:00:00Z"
    assert a["due"] == iso(memory.due)
    assert a["reviews"] == 1 and a["lapses"] == 0
    assert a["retrievability"] == pytest.approx(expected_r(3, memory.stability))
    assert 0 < a["retrievability"] < 1


def test_retrievability_counts_review_days(demo_store: Store) -> None:
    late = NOW.replace(hour=23)  # TZ is UTC; a review day starts at 04:00
    give(demo_store, "a", Rating.Easy, late)
    stability = demo_store.card(demo_store.card_ids(["a"])["a"]).memory.stability
    assert stability is not None
    # 03:00 the next morning is still the same review day; 05:00 is the next one, though
    # only six hours have passed.
    assert by_key(at=late + timedelta(hours=4))["a"]["retrievability"] == 1.0
    next_day = by_key(at=late + timedelta(hours=6))["a"]["retrievability"]
    assert next_day == pytest.approx(expected_r(1, stability))


def test_reviews_and_lapses_count_scheduled_answers_only(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Again, NOW)  # Again while learning: not a lapse
    give(demo_store, "a", Rating.Easy, NOW + timedelta(minutes=1))
    at = lapse(demo_store, "a", NOW + timedelta(days=9))
    give(demo_store, "a", Rating.Again, at + timedelta(days=1), kind=ReviewKind.Cram)
    a = by_key(at=at + timedelta(days=2))["a"]
    assert (a["reviews"], a["lapses"]) == (4, 1)
    assert by_key()["b"]["reviews"] == 0


def test_states_filters_and_suspended(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Good, NOW)  # learning
    give(demo_store, "b", Rating.Easy, NOW)  # review
    give(demo_store, "c", Rating.Easy, NOW)
    give(demo_store, "c", Rating.Again, NOW + timedelta(days=10))  # relearning
    demo_store.set_suspended(demo_store.card_ids(["b", "d"]).values(), True)
    at = NOW + timedelta(days=10, minutes=1)
    states = {key: row["state"] for key, row in by_key(at=at).items()}
    assert states == {"a": "learning", "b": "review", "c": "relearning", "d": "new", "e": "new"}

    def keys(state: str) -> list[str]:
        return [row["key"] for row in cards_json("--state", state, at=at)]

    assert keys("new") == ["d", "e"]
    assert keys("learning") == ["a", "c"]  # relearning counts as learning, as in stats
    assert keys("relearning") == ["c"]
    assert keys("review") == ["b"]
    assert keys("suspended") == ["b", "d"]
    assert keys("leech") == []
    assert by_key(at=at)["b"]["suspended"] is True
    code, _, err = recall("cards", "--state", "lost")
    assert code == 2 and "'lost' is not one of new, learning" in err


def test_leech_threshold(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Easy, NOW)
    give(demo_store, "b", Rating.Easy, NOW)
    at = NOW + timedelta(days=10)
    for _ in range(LEECH_THRESHOLD):
        at = lapse(demo_store, "a", at + timedelta(days=5))
    at = lapse(demo_store, "b", at + timedelta(days=5))
    assert [row["key"] for row in cards_json("--state", "leech", at=at)] == ["a"]
    assert by_key(at=at)["a"]["lapses"] == LEECH_THRESHOLD

    def leeches(threshold: int) -> list[str]:
        listing = list_cards(
            demo_store,
            Listing(
                now=at,
                day_starts_at=4,
                decay=decay_of(SCHEDULER),
                state=StateFilter.Leech,
                leech_threshold=threshold,
            ),
        )
        return [row.key for row in listing.rows]

    assert leeches(1) == ["a", "b"]
    assert leeches(LEECH_THRESHOLD + 1) == []
    # The setting decides for the commands; recall leeches lists them, most lapses first.
    assert recall("config", "set", "leech_threshold", "1")[0] == 0
    code, out, _ = recall("leeches", "--json", at=at)
    assert [row["key"] for row in json.loads(out)] == ["a", "b"]


def test_deck_section_and_search(demo_store: Store) -> None:
    import_deck(
        demo_store,
        DeckSpec(
            key="other",
            title="Other",
            sections=(
                SectionSpec(
                    "s",
                    "S",
                    (
                        CardSpec("x", "Who was ÉMILE?", "Nobody"),
                        CardSpec("y", "Why?", "Because of the Answer B question"),
                    ),
                ),
            ),
        ),
        now=NOW,
    )
    assert [row["key"] for row in cards_json("--deck", "other")] == ["x", "y"]
    assert [row["key"] for row in cards_json("--section", "two")] == ["d", "e"]
    assert [row["key"] for row in cards_json("--deck", "demo", "--section", "one")] == [
        "a",
        "b",
        "c",
    ]
    # in the question or the answer, in any case (not only ASCII)
    assert [row["key"] for row in cards_json("--search", "ANSWER b")] == ["b", "y"]
    assert [row["key"] for row in cards_json("--search", "émile")] == ["x"]
    assert [row["key"] for row in cards_json("--search", "question", "--deck", "demo")] == list(
        "abcde"
    )
    assert cards_json("--search", "nothing like it") == []
    code, _, err = recall("cards", "--deck", "nope")
    assert code == 2 and err == "recall: no deck 'nope' (decks: demo, other)\n"


def test_sorting(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Easy, NOW)
    give(demo_store, "b", Rating.Easy, NOW + timedelta(days=2))
    give(demo_store, "d", Rating.Good, NOW + timedelta(days=2))
    at = lapse(demo_store, "a", NOW + timedelta(days=10))
    now = at + timedelta(days=3)
    rows = cards_json("--sort", "due", at=now)
    # soonest due first (d is learning, due minutes after its answer), new cards last
    assert [row["key"] for row in rows] == ["d", "b", "a", "c", "e"]
    dues = [row["due"] for row in rows[:3]]
    assert dues == sorted(dues)
    rows = cards_json("--sort", "retrievability", at=now)
    assert [row["key"] for row in rows][-2:] == ["c", "e"]
    chances = [row["retrievability"] for row in rows[:3]]
    assert chances == sorted(chances) and chances[0] < 1
    assert [row["key"] for row in cards_json("--sort", "lapses", at=now)] == list("abcde")
    code, _, err = recall("cards", "--sort", "size")
    assert code == 2 and "'size' is not one of due, retrievability, lapses" in err


def test_limit(store: Store) -> None:
    import_deck(
        store, make_deck(sections={"s": [f"k{n:03}" for n in range(TABLE_ROWS + 50)]}), now=NOW
    )
    assert len(cards_json()) == TABLE_ROWS + 50  # JSON: all by default
    assert [row["key"] for row in cards_json("--limit", "2")] == ["k000", "k001"]
    assert len(cards_json("--limit", "0")) == TABLE_ROWS + 50
    code, out, _ = recall("cards")
    lines = out.splitlines()
    assert sum(line.startswith("s ") for line in lines) == TABLE_ROWS
    assert lines[-1] == f"Showing {TABLE_ROWS} of {TABLE_ROWS + 50} cards (--limit 0 for all)"
    code, out, _ = recall("cards", "--limit", "0")
    assert sum(line.startswith("s ") for line in out.splitlines()) == TABLE_ROWS + 50
    assert "Showing" not in out
    code, out, _ = recall("cards", "--search", "nothing like it")
    assert out == "No cards match.\n"


LONG = (
    "[bold]Which[/bold] of these very long questions, written over two lines\n"
    "and with an escape \x1b[2J in it, still fits on one line of the list?"
)


@pytest.fixture
def varied_store(store: Store) -> Store:
    """Cards with long text, long keys, every state, and one suspended."""
    import_deck(
        store,
        DeckSpec(
            key="a-deck-with-a-rather-long-id",
            title="Long",
            sections=(
                SectionSpec(
                    "a-section-with-a-long-id",
                    "Section",
                    (
                        CardSpec("long-question-card", LONG, "Yes"),
                        CardSpec("card-in-review-with-a-long-key", "Short?", "Yes"),
                        CardSpec("relearning", "Short?", "Yes"),
                        CardSpec("new", "Short?", "Yes"),
                    ),
                ),
            ),
        ),
        now=NOW,
    )
    deck = "a-deck-with-a-rather-long-id"
    give(store, "long-question-card", Rating.Good, NOW, deck=deck)
    give(store, "card-in-review-with-a-long-key", Rating.Easy, NOW, deck=deck)
    give(store, "relearning", Rating.Easy, NOW, deck=deck)
    give(store, "relearning", Rating.Again, NOW + timedelta(days=9), deck=deck)
    store.set_suspended(store.card_ids(["new"], deck).values(), True)
    return store


@pytest.mark.parametrize(
    ("columns", "headers"),
    [
        (60, ["Key", "State", "R", "Due"]),
        (80, ["Section", "Key", "Question", "State", "R", "Due"]),
        (
            140,  # every column, and the 30-character key whole (see the next test)
            ["Deck", "Section", "Key", "Question", "State", "Susp", "Stab.", "Diff.", "R"]
            + ["Due", "Reviewed", "Revs", "Lapses"],
        ),
    ],
)
def test_the_table_fits_the_terminal_one_line_per_card(
    varied_store: Store, columns: int, headers: list[str]
) -> None:
    at = NOW + timedelta(days=9, minutes=1)
    code, out, _ = recall("cards", at=at, columns=columns)
    assert code == 0
    lines = out.splitlines()
    assert all(cell_len(line) <= columns for line in lines), out
    assert lines[0].split() == headers
    assert set(lines[1]) == {"─"}
    body = lines[2:6]
    assert len(body) == 4 and len(lines) == 6 + (columns < 140)  # one line per card
    assert "\x1b" not in out  # deck text is data: the escape is shown, never sent
    states = ["learning", "review", "relearning", "new"]
    if columns < 140:
        states[3] = "new*"  # suspended, marked where there is no column for it
        assert lines[6] == "* suspended"
    for line, state in zip(body, states, strict=True):
        assert state in line.split()
    first = body[0]
    if columns >= 80:
        assert "[bold]Whic" in first and "…" in first  # shown as text, cut to fit
    if columns >= 140:
        assert "yes" in body[3].split() and body[3].split()[-2:] == ["0", "0"]
    # the learning card answered nine days ago: R shown as a percentage, due as how long ago
    assert "9d ago" in first and "%" in first


@pytest.mark.parametrize(
    ("columns", "headers"),
    [
        (60, ["Key", "State", "R", "Due"]),
        (80, ["Section", "Key", "Question", "State", "R", "Due"]),
        # every column would leave the key 12 cells: the columns of 80 instead
        (120, ["Section", "Key", "Question", "State", "R", "Due"]),
    ],
)
def test_the_table_shows_each_key_whole(
    varied_store: Store, columns: int, headers: list[str]
) -> None:
    # A key is what recall card, edit, forget and suspend take: one cut with "…" cannot be
    # copied from the listing (an Anki card's key ends "-1", the part that was cut).
    code, out, _ = recall("cards", at=NOW + timedelta(days=9, minutes=1), columns=columns)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == headers
    assert all(cell_len(line) <= columns for line in lines), out
    at = headers.index("Key")
    keys = {line.split()[at] for line in lines[2:6]}
    assert keys == {"long-question-card", "card-in-review-with-a-long-key", "relearning", "new"}
    assert lines[6] == "* suspended"  # no Susp column: the state says it


def test_table_shows_dashes_for_new_cards(demo_store: Store) -> None:
    code, out, _ = recall("cards", columns=120)
    assert code == 0
    row = out.splitlines()[2].split()
    assert row[:4] == ["demo", "one", "a", "Question"]
    assert row[-8:] == ["new", "–", "–", "–", "–", "–", "0", "0"]


def test_fit_widths_shares_by_weight_above_floors() -> None:
    assert fit_widths([5, 10], [1, 1], [0, 0], 20) == [5, 10]
    assert fit_widths([5, 30], [1, 1], [0, 0], 20) == [5, 15]  # the narrow one leaves room
    assert fit_widths([30, 30], [1, 3], [0, 0], 20) == [5, 15]
    assert fit_widths([30, 30], [1, 9], [8, 8], 20) == [8, 12]
    assert sum(fit_widths([7, 50, 9, 80], [1, 2, 3, 6], [8, 8, 8, 8], 40)) <= 40


@given(
    st.lists(st.tuples(st.integers(1, 200), st.integers(1, 9), st.integers(1, 10)), min_size=1),
    st.integers(0, 300),
)
def test_fit_widths_never_overflows(columns: list[tuple[int, int, int]], available: int) -> None:
    natural, weights, floors = (list(values) for values in zip(*columns, strict=True))
    widths = fit_widths(natural, weights, floors, available)
    assert all(1 <= width <= want for width, want in zip(widths, natural, strict=True))
    floored = sum(min(want, floor) for want, floor in zip(natural, floors, strict=True))
    assert sum(widths) <= max(available, floored)
    if sum(natural) <= available:
        assert widths == natural


def test_card_shows_text_memory_and_history(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Good, NOW, duration_ms=4200)
    give(demo_store, "a", Rating.Good, NOW + timedelta(minutes=10), duration_ms=3000)
    give(demo_store, "a", Rating.Again, NOW + timedelta(days=3), duration_ms=9000)
    give(demo_store, "a", Rating.Easy, NOW + timedelta(days=3, minutes=5), kind=ReviewKind.Cram)
    memory = demo_store.card(demo_store.card_ids(["a"])["a"]).memory
    at = NOW + timedelta(days=4)
    code, out, err = recall("card", "a", "--json", at=at)
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == [
        "deck",
        "deck_title",
        "section",
        "section_title",
        "key",
        "question",
        "answer",
        "note",
        "tags",
        "source_id",
        "suspended",
        "buried_until",
        "state",
        "stability",
        "difficulty",
        "retrievability",
        "due",
        "last_review",
        "reviews",
        "lapses",
        "flagged",
        "flag_reason",
        "edited_at",
        "upstream",
        "history",
    ]
    assert data["deck"] == "demo" and data["section"] == "one" and data["key"] == "a"
    assert data["question"] == "Question a?" and data["answer"] == "Answer a"
    assert data["state"] == "review" and data["stability"] == pytest.approx(memory.stability)
    assert data["last_review"] == iso(memory.last_review)
    assert data["reviews"] == 3 and data["lapses"] == 1
    history = data["history"]
    assert [(h["rating"], h["kind"], h["state_before"]) for h in history] == [
        ("good", "review", "new"),
        ("good", "review", "learning"),
        ("again", "review", "review"),
        ("easy", "cram", "relearning"),
    ]
    assert history[0]["reviewed_at"] == "2026-11-27T09:00:00Z"
    assert history[0]["due"] == "2026-11-27T09:10:00Z"
    assert history[0]["interval_days"] == pytest.approx(10 / 1440)
    assert history[0]["duration_ms"] == 4200
    assert list(history[0]) == [
        "reviewed_at",
        "kind",
        "rating",
        "state_before",
        "due",
        "interval_days",
        "stability",
        "difficulty",
        "duration_ms",
    ]

    code, out, _ = recall("card", "a", at=at)
    assert code == 0
    assert "Deck demo › Section one" in out
    assert "Question    Question a?" in out and "Answer      Answer a" in out
    assert "3 reviews, 1 lapse" in out
    lines = out.splitlines()
    header = next(index for index, line in enumerate(lines) if line.startswith("When"))
    rows = lines[header + 2 :]
    assert len(rows) == 4
    assert rows[0].split() == [
        "2026-11-27",
        "09:00",
        "review",
        "new",
        "Good",
        "10m",
        "2.3d",
        "4.2s",
    ]
    assert rows[2].split()[2:5] == ["review", "review", "Again"]
    assert rows[3].split()[2] == "cram"


def test_a_new_card_has_no_history(demo_store: Store) -> None:
    code, out, _ = recall("card", "b")
    assert code == 0 and "new: not answered yet" in out and "No answers yet." in out
    data = json.loads(recall("card", "b", "--json")[1])
    assert data["history"] == [] and data["retrievability"] is None
    assert data["stability"] is None and data["last_review"] is None


def test_card_errors_are_one_line(demo_store: Store) -> None:
    import_deck(demo_store, make_deck("other"), now=NOW)
    code, out, err = recall("card", "zz")
    assert (code, out, err) == (2, "", "recall: no card 'zz'\n")
    code, _, err = recall("card", "a")
    assert (code, err) == (
        2,
        "recall: card 'a' is in several decks (demo, other); name one with --deck\n",
    )
    code, out, _ = recall("card", "a", "--deck", "other", "--json")
    assert code == 0 and json.loads(out)["deck"] == "other"
    code, _, err = recall("card", "a", "--deck", "third")
    assert (code, err) == (2, "recall: no deck 'third' (decks: demo, other)\n")


def test_card_text_is_data(store: Store) -> None:
    deck = DeckSpec(
        key="d",
        title="[red]Deck[/red]",
        sections=(
            SectionSpec("s", "Sec", (CardSpec("k", LONG, "[link=x]A[/link]", "\x1b]0;t\x07"),)),
        ),
    )
    import_deck(store, deck, now=NOW)
    code, out, _ = recall("card", "k")
    assert code == 0
    assert "[red]Deck[/red] › Sec" in out and "[link=x]A[/link]" in out
    assert "\x1b" not in out and "\\x1b]0;t\\x07" in out
