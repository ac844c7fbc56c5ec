"""recall optimize: training items in review days, srs-benchmark metrics (the prepared
training set's the very floats of the definition), a deterministic fit that beats the defaults
on a real history, stored states equal to a replay afterwards, too little history refused,
per-deck settings, and the CLI."""

from __future__ import annotations

import csv
import json
import math
import os
import random
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fsrs_rs_python
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import recall1924.optimize as optimizing
import recall1924.store.history as stored_history
from conftest import SHARED_TESTDATA, make_deck
from recall1924.cli import app
from recall1924.deck import PastAnswer
from recall1924.history import replay
from recall1924.importing import import_deck
from recall1924.models import ReviewKind
from recall1924.optimize import (
    MIN_TRAINING_ITEMS,
    Metrics,
    Review,
    TrainingSet,
    evaluate,
    fit,
    optimize,
    review_sequence,
    review_sequences,
    training_items,
)
from recall1924.rescheduling import with_schedule_of
from recall1924.scheduling import MemoryState, Rating, answer, build_scheduler, retrievability
from recall1924.settings import Settings
from recall1924.store import Store

JOSH = SHARED_TESTDATA / "revlog" / "py-fsrs_review_logs_josh_1711744352250_to_1728234780857.csv"
DEFAULT = Settings.from_stored({})
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def at(day: int, clock: str = "10:00") -> datetime:
    hour, minute = map(int, clock.split(":"))
    return START + timedelta(days=day, hours=hour - 9, minutes=minute)


# Training items and metrics
# ---------------------------------------------------------------------------------------------


def test_delta_t_counts_review_days_with_the_day_start() -> None:
    # 22:00 then 08:00 the next morning: a day apart; 03:00 still belongs to the day before
    answers = [(3, at(0, "22:00")), (3, at(1, "08:00")), (3, at(2, "03:00")), (3, at(2, "05:00"))]
    assert review_sequences([answers], day_starts_at=4) == [[(3, 0), (3, 1), (3, 0), (3, 1)]]


def test_review_sequence_from_review_days() -> None:
    assert review_sequence([(3, 700), (1, 700), (3, 702), (4, 709)]) == [
        (3, 0),
        (1, 0),
        (3, 2),
        (4, 7),
    ]
    assert review_sequence([]) == []


def test_training_items_end_at_each_answer_on_a_later_day() -> None:
    sequence = [(3, 0), (1, 0), (3, 2), (3, 0), (4, 5)]
    assert training_items([sequence]) == [sequence[:3], sequence]


def test_fsrs_items_are_the_training_items_made_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # fsrs-rs's reviews cannot be read back: made here as tuples and lists instead
    monkeypatch.setattr(fsrs_rs_python, "FSRSReview", lambda rating, delta_t: (rating, delta_t))
    monkeypatch.setattr(fsrs_rs_python, "FSRSItem", list)
    sequences = [[(3, 0), (1, 0), (3, 2), (3, 0), (4, 5)], [(2, 0)], [], [(1, 0), (3, 1), (3, 1)]]
    training = TrainingSet.of(sequences)
    items = training.fsrs_items()
    assert len(items) == training.items == 4
    assert list(items) == training_items(sequences) == list(items)  # and again: not used up
    assert items[3] == sequences[3] and items[-1] == sequences[3]
    assert training.answers == 9


def reference_metrics(
    parameters: Sequence[float], sequences: Sequence[Sequence[Review]]
) -> Metrics:
    """The metrics as the module docstring defines them, summed bin by bin from scratch, with
    fsrs-rs's states of all cards at once."""
    model = fsrs_rs_python.FSRS(list(parameters))
    states = model.historical_memory_state_batch(
        [
            fsrs_rs_python.FSRSItem([fsrs_rs_python.FSRSReview(*review) for review in sequence])
            for sequence in sequences
        ]
    )
    decay = -parameters[20]
    eps = sys.float_info.epsilon
    loss = 0.0
    count = 0
    bins: dict[tuple[float, float, float], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])

    def binned(value: float, scale: float, base: float, digits: int) -> float:
        return round(scale * base ** math.floor(math.log(value) / math.log(base)), digits)

    for sequence, after in zip(sequences, states, strict=True):
        long_term = 0
        lapses = 0
        for index, (rating, delta_t) in enumerate(sequence):
            if index > 0 and delta_t > 0:
                long_term += 1
                predicted = retrievability(delta_t, after[index - 1].stability, decay)
                recalled = 1.0 if rating > 1 else 0.0
                clipped = min(1 - eps, max(eps, predicted))
                loss -= recalled * math.log(clipped) + (1 - recalled) * math.log(1 - clipped)
                count += 1
                key = (
                    binned(delta_t, 2.48, 3.62, 2),
                    binned(long_term + 1, 1.99, 1.89, 0),
                    0.0 if lapses == 0 else binned(lapses, 1.65, 1.73, 0),
                )
                cell = bins[key]
                cell[0] += recalled
                cell[1] += predicted
                cell[2] += 1
            if rating == 1 and delta_t > 0:
                lapses += 1
    if count == 0:
        return Metrics(math.nan, math.nan, 0)
    squared = sum(n * (r / n - p / n) ** 2 for r, p, n in bins.values())
    return Metrics(loss / count, math.sqrt(squared / count), count)


@pytest.mark.parametrize("chunk", [3, 4096])
def test_scoring_gives_the_very_floats_of_the_definition(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # scored a few cards at a time or all at once, in any order of bins met
    monkeypatch.setattr(optimizing, "_SCORED_CHUNK", chunk)
    sequences = review_sequences(generated_history(60, seed=11), day_starts_at=4)
    sequences += [[(1, 0), (1, 3), (1, 2), (3, 9), (4, 30)], [(3, 0)], [(3, 0), (3, 0)]]
    training = TrainingSet.of(sequences)
    steeper = (*build_scheduler(DEFAULT).parameters[:20], 0.6)
    for parameters in (build_scheduler(DEFAULT).parameters, steeper):
        assert training.evaluate(parameters) == reference_metrics(parameters, sequences)
    nothing = TrainingSet.of([[(3, 0), (2, 0)]]).evaluate(steeper)
    assert math.isnan(nothing.log_loss) and math.isnan(nothing.rmse_bins) and nothing.reviews == 0
    # scored again, and again after more answers (the bins' tallies are counted once per set
    # of answers, whatever the parameters)
    current = build_scheduler(DEFAULT).parameters
    assert training.evaluate(current) == reference_metrics(current, sequences)
    training.add(sequences[0])
    assert training.evaluate(steeper) == reference_metrics(steeper, [*sequences, sequences[0]])


def test_scored_in_halves_the_figures_are_the_wholes_within_rounding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sequences = review_sequences(generated_history(60, seed=5), day_starts_at=4)
    training = TrainingSet.of(sequences)
    middle = training._middle_card()
    scored = training._scored
    assert 0 < middle < len(scored)
    assert sum(scored[: middle - 1]) < training.items / 2 <= sum(scored[:middle])
    steeper = (*build_scheduler(DEFAULT).parameters[:20], 0.6)
    for parameters in (build_scheduler(DEFAULT).parameters, steeper):
        whole = training.evaluate(parameters)
        halved = training.evaluate(parameters, halves=True)
        assert halved.reviews == whole.reviews
        assert halved.log_loss == pytest.approx(whole.log_loss, rel=1e-12)
        assert halved.rmse_bins == pytest.approx(whole.rmse_bins, rel=1e-9)
        # where there is no fork the halves are added the same way: the same floats
        monkeypatch.delattr(os, "fork")
        assert repr(training.evaluate(parameters, halves=True)) == repr(halved)
        monkeypatch.undo()
    one_card = TrainingSet.of(sequences[:1])
    assert repr(one_card.evaluate(steeper, halves=True)) == repr(one_card.evaluate(steeper))


# Review days as answer_days gives them: same-day answers, gaps, and a day that goes back (the
# clocks turned back across the day start)
card_days = st.lists(
    st.tuples(st.integers(1, 4), st.integers(-1, 40)), min_size=0, max_size=12
).map(
    lambda steps: [
        (rating, 738_000 + sum(step for _, step in steps[: i + 1]))
        for i, (rating, _) in enumerate(steps)
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(card_days, max_size=6))
def test_a_cards_review_days_added_at_once_are_its_review_sequence_added(
    histories: list[list[tuple[int, int]]],
) -> None:
    by_days, by_sequence = TrainingSet(), TrainingSet()
    for days in histories:
        by_days.add_days(days)
        by_sequence.add(review_sequence(days))
    assert (by_days.answers, by_days.items) == (by_sequence.answers, by_sequence.items)
    assert [repr(item) for item in by_days.fsrs_items()] == [
        repr(item) for item in by_sequence.fsrs_items()
    ]
    steeper = (*build_scheduler(DEFAULT).parameters[:20], 0.6)
    for parameters in (build_scheduler(DEFAULT).parameters, steeper):
        assert repr(by_days.evaluate(parameters)) == repr(by_sequence.evaluate(parameters))


def test_metrics_follow_srs_benchmark_by_hand() -> None:
    parameters = list(build_scheduler(DEFAULT).parameters)
    # one card, Good then Again 3 days later: one scored answer, predicted R of S0(Good) at t=3
    metrics = evaluate(parameters, [[(3, 0), (1, 3)]])
    decay = -parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    predicted = (1 + factor * 3 / parameters[2]) ** decay
    assert metrics.reviews == 1
    assert metrics.log_loss == pytest.approx(-math.log(1 - predicted), rel=1e-5)
    # a single bin: |mean outcome - mean prediction|
    assert metrics.rmse_bins == pytest.approx(predicted, rel=1e-5)


def test_rmse_bins_weighs_bins_by_their_answers() -> None:
    parameters = list(build_scheduler(DEFAULT).parameters)
    # same first bin (t=1, i=2, no lapse) twice, recalled once: the bin's errors cancel
    one = evaluate(parameters, [[(3, 0), (3, 1)], [(3, 0), (1, 1)]])
    decay = -parameters[20]
    predicted = (1 + (0.9 ** (1 / decay) - 1) / parameters[2]) ** decay
    assert one.rmse_bins == pytest.approx(abs(0.5 - predicted), rel=1e-5)


# Fitting
# ---------------------------------------------------------------------------------------------


def generated_history(cards: int, seed: int) -> list[list[tuple[int, datetime]]]:
    """Answers simulated with the default FSRS model: each card reviewed when due."""
    rng = random.Random(seed)
    scheduler = build_scheduler(DEFAULT)
    histories = []
    for card in range(cards):
        memory = MemoryState.new(START)
        moment = START + timedelta(hours=rng.uniform(0, 48))
        answers: list[tuple[int, datetime]] = []
        for _ in range(rng.randint(3, 9)):
            recalled = memory.stability is None or rng.random() < 0.85
            rating = rng.choice((2, 3, 3, 3, 4)) if recalled else 1
            answers.append((rating, moment))
            memory = answer(
                scheduler,
                card_id=card + 1,
                memory=memory,
                rating=Rating(rating),
                at=moment,
                day_starts_at=4,
            )
            moment = memory.due + timedelta(hours=rng.uniform(0, 30))
        histories.append(answers)
    return histories


def test_fit_is_deterministic_on_a_generated_history() -> None:
    sequences = review_sequences(generated_history(300, seed=7), day_starts_at=4)
    assert len(training_items(sequences)) >= 400
    first = fit(sequences)
    assert fit(sequences) == first
    assert len(first) == 21
    Settings.from_stored({"parameters": " ".join(map(repr, first))})  # within bounds


@pytest.mark.corpus
@pytest.mark.skipif(not JOSH.exists(), reason="shared test data absent")
def test_fitted_parameters_beat_the_defaults_on_a_real_history() -> None:
    by_card: dict[str, list[tuple[int, datetime]]] = {}
    with JOSH.open(newline="") as handle:
        for row in csv.DictReader(handle):
            moment = datetime.fromisoformat(row["review_time"]).astimezone(UTC)
            by_card.setdefault(row["card_id"], []).append((int(row["review_rating"]), moment))
    histories = [sorted(answers, key=lambda pair: pair[1]) for answers in by_card.values()]
    sequences = review_sequences(histories, day_starts_at=4)
    fitted = fit(sequences)
    before = evaluate(build_scheduler(DEFAULT).parameters, sequences)
    after = evaluate(fitted, sequences)
    assert after.reviews == before.reviews > MIN_TRAINING_ITEMS
    assert after.log_loss < before.log_loss
    assert after.rmse_bins < before.rmse_bins


# The command's service, on a store
# ---------------------------------------------------------------------------------------------


def fill(store: Store, histories: list[list[tuple[int, datetime]]]) -> None:
    """A deck whose cards have ``histories`` as their logged answers (default parameters)."""
    keys = [f"c{index}" for index in range(len(histories))]
    import_deck(store, make_deck("gen", {"all": keys}), now=START - timedelta(days=1))
    scheduler = build_scheduler(DEFAULT)
    ids = {card.key: card.id for card in (store.existing_cards("gen") or {}).values()}
    for key, answers in zip(keys, histories, strict=True):
        current = (store.existing_cards("gen") or {})[key].memory
        pairs = replay(
            [PastAnswer(moment, rating) for rating, moment in answers],
            card_id=ids[key],
            scheduler=scheduler,
            day_starts_at=4,
            start=current,
        )
        for (rating, moment), (before, after) in zip(answers, pairs, strict=True):
            store.record_answer(
                ids[key],
                before=before,
                after=after,
                rating=Rating(rating),
                at=moment,
                duration_ms=None,
            )


@pytest.fixture
def trained_store(store: Store) -> Store:
    fill(store, generated_history(120, seed=3))
    return store


@pytest.mark.parametrize("chunk", [7, 500])
def test_optimize_saves_and_stored_states_equal_a_replay(
    trained_store: Store, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(stored_history, "_CHUNK", chunk)  # rewritten a few cards at a time
    store = trained_store
    logged = {card.card_id: card for card in store.card_histories(["gen"])}
    report = optimize(
        store,
        deck_key="gen",
        global_settings=DEFAULT,
        settings_for=lambda _key: DEFAULT,
    )
    assert report.fitted is not None and report.improved and report.saved
    assert store.settings("gen")["parameters"] == " ".join(map(repr, report.fitted))
    assert "parameters" not in store.settings()
    scheduler = build_scheduler(
        Settings.from_stored({"parameters": store.settings("gen")["parameters"]})
    )
    for card in store.card_histories(["gen"]):
        reviews = [row for row in card.rows if row.kind == ReviewKind.Review]
        pairs = replay(
            [PastAnswer(row.at, row.rating) for row in reviews],
            card_id=card.card_id,
            scheduler=scheduler,
            day_starts_at=4,
            start=MemoryState.new(card.created_at),
        )
        # the replay's memory states, on the schedule each had: no due date moves
        # (recall optimize --reschedule moves them, tests/test_reschedule.py)
        was = logged[card.card_id]
        assert card.memory == with_schedule_of(pairs[-1][1], was.memory)
        kept = [(row.before, row.after) for row in was.rows if row.kind == ReviewKind.Review]
        expected = [
            (with_schedule_of(before, old_before), with_schedule_of(after, old_after))
            for (before, after), (old_before, old_after) in zip(pairs, kept, strict=True)
        ]
        assert [(row.before, row.after) for row in reviews][1:] == expected[1:]
        assert reviews[0].after == expected[0][1]


def test_dry_run_changes_nothing(trained_store: Store) -> None:
    before = trained_store.card_histories(["gen"])
    report = optimize(
        trained_store,
        deck_key="gen",
        global_settings=DEFAULT,
        settings_for=lambda _k: DEFAULT,
        dry_run=True,
    )
    assert report.fitted is not None and not report.saved
    assert trained_store.card_histories(["gen"]) == before
    assert trained_store.settings("gen") == {}


def test_too_little_history_says_how_much_more(store: Store) -> None:
    fill(store, generated_history(10, seed=1))
    report = optimize(
        store, deck_key="gen", global_settings=DEFAULT, settings_for=lambda _k: DEFAULT
    )
    assert report.fitted is None and not report.saved
    assert report.needed == MIN_TRAINING_ITEMS - report.items > 0


# Per-deck settings and the CLI
# ---------------------------------------------------------------------------------------------


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_deck_settings_override_the_global_ones(db_path: Path) -> None:
    invoke("config", "set", "desired_retention", "0.85")
    invoke("config", "set", "--deck", "stalin-1924", "new_per_day", "5")
    shown = json.loads(invoke("config", "--deck", "stalin-1924", "--json"))
    assert shown["settings"]["new_per_day"] == 5
    assert shown["settings"]["desired_retention"] == 0.85
    assert shown["own"] == ["new_per_day"]
    assert json.loads(invoke("config", "--json"))["new_per_day"] == 20
    assert "(deck stalin-1924 follows" in invoke(
        "config", "reset", "--deck", "stalin-1924", "new_per_day"
    )
    assert json.loads(invoke("config", "--deck", "stalin-1924", "--json"))["own"] == []


def test_day_start_is_for_the_whole_collection(db_path: Path) -> None:
    result = CliRunner().invoke(app, ["config", "set", "--deck", "x", "day_starts_at", "3"])
    assert result.exit_code == 2
    assert "applies to every deck" in result.output


def test_optimize_command_reports_too_little_history(db_path: Path) -> None:
    invoke("import", "--bundled")
    out = invoke("optimize", "--json")
    assert json.loads(out)["needed"] == MIN_TRAINING_ITEMS


def test_the_report_names_the_collection_apart_from_a_deck_called_global(
    db_path: Path, tmp_path: Path
) -> None:
    invoke("import", "--bundled")
    deck_file = tmp_path / "global.toml"
    deck_file.write_text(
        '[deck]\nid = "global"\ntitle = "Global"\n\n[[sections]]\nid = "s"\ntitle = "S"\n\n'
        '[[sections.cards]]\nid = "c"\nquestion = "Q?"\nanswer = "A"\n'
    )
    invoke("import", str(deck_file))
    collection = json.loads(invoke("optimize", "--dry-run", "--json"))
    deck = json.loads(invoke("optimize", "--dry-run", "--deck", "global", "--json"))
    assert (collection["deck"], collection["scope"]) == (None, "global")
    assert (deck["deck"], deck["scope"]) == ("global", "global")  # "scope": the older name
    assert "deck global" in invoke("optimize", "--dry-run", "--deck", "global")
    assert "the collection's parameters" in invoke("optimize", "--dry-run")


@pytest.mark.corpus
@pytest.mark.skipif(not SHARED_TESTDATA.exists(), reason="shared test data absent")
def test_optimize_command_on_the_spanish_package(db_path: Path) -> None:
    package = SHARED_TESTDATA / "apkg" / "pedscoffee_SpanishAnkiExportReal.apkg"
    invoke("import", str(package))
    report = json.loads(invoke("optimize", "--json"))
    assert report["training_items"] > 20000
    assert report["after"]["log_loss"] < report["before"]["log_loss"]
    assert report["saved"]
    again = json.loads(invoke("optimize", "--dry-run", "--json"))
    assert again["before"]["log_loss"] == pytest.approx(report["after"]["log_loss"])


def test_a_decks_own_daily_limit_reaches_the_review(db_path: Path) -> None:
    invoke("config", "set", "--deck", "stalin-1924", "new_per_day", "2")
    result = CliRunner().invoke(app, ["review"], input=" 4 4 4 4 q", catch_exceptions=False)
    assert "Session: 2 answers on 2 cards" in result.output


def test_a_decks_own_parameters_count_in_its_stats(db_path: Path) -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    env = {"RECALL_NOW": "2026-11-27T09:00:00+00:00"}
    CliRunner().invoke(app, ["review"], input=" 4q", env=env, catch_exceptions=False)

    def mastery(*deck: str) -> float:
        later = {"RECALL_NOW": "2026-12-20T09:00:00+00:00"}
        result = CliRunner().invoke(app, ["stats", "--json", *deck], env=later)
        return float(json.loads(result.stdout)["totals"]["mastery"])

    before = mastery("--deck", "stalin-1924")
    steeper = (*DEFAULT_PARAMETERS[:20], 0.8)  # a faster-falling forgetting curve
    invoke("config", "set", "--deck", "stalin-1924", "parameters", " ".join(map(str, steeper)))
    assert mastery("--deck", "stalin-1924") < before
    # The deck's sections count with its own curve in the stats of every deck too.
    assert mastery() == pytest.approx(mastery("--deck", "stalin-1924"))
