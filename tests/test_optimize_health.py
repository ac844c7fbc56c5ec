"""recall optimize's health check (too few answers, no Again at all, Hard used as a fail, and
Anki's own time-series check with --health-check) and --evaluate (the parameters in use scored,
nothing fitted or saved)."""

from __future__ import annotations

import csv
import json
import math
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS
from typer.testing import CliRunner

from conftest import SHARED_TESTDATA
from recall1924.cli import app
from recall1924.fitness import SPLIT_CHECK_MIN_ITEMS, check_health, split_check
from recall1924.optimize import (
    MIN_TRAINING_ITEMS,
    TrainingSet,
    evaluate_current,
    review_sequences,
)
from recall1924.scheduling import MemoryState, Rating, answer, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store
from test_optimize import DEFAULT, START, fill, generated_history


def codes(training: TrainingSet, *, split: bool = False) -> set[str]:
    return {finding.code for finding in check_health(training, split=split).findings}


def training_of(histories: list[list[tuple[int, datetime]]]) -> TrainingSet:
    return TrainingSet.of(review_sequences(histories, day_starts_at=4))


def history(
    cards: int,
    *,
    seed: int,
    forgot: tuple[int, ...],
    recalled_as: tuple[int, ...] = (2, 3, 3, 3, 4),
) -> list[list[tuple[int, datetime]]]:
    """Answers to ``cards`` cards on schedule with the default parameters: recalled with the
    chance of recall of the card's real stability, rated from ``recalled_as`` then; when
    forgotten, from ``forgot`` (Again for an honest student, Hard for one who uses Hard as a
    fail, whose card is forgotten all the same)."""
    rng = random.Random(seed)
    scheduler = build_scheduler(DEFAULT)
    decay = -DEFAULT_PARAMETERS[20]
    factor = 0.9 ** (1 / decay) - 1
    histories = []
    for card in range(cards):
        memory = MemoryState.new(START)
        moment = START + timedelta(hours=rng.uniform(0, 48))
        answers: list[tuple[int, datetime]] = []
        truth = 0.0  # the card's real stability, which a Hard for a fail does not raise
        for _ in range(rng.randint(4, 10)):
            if memory.last_review is None:
                rating = 3
                truth = 3.0
            else:
                days = (moment - memory.last_review).days
                recalled = rng.random() < (1 + factor * days / truth) ** decay
                rating = rng.choice(recalled_as if recalled else forgot)
                truth = truth * 2.5 if recalled else 1.0
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


def test_an_honest_history_is_healthy() -> None:
    training = training_of(history(300, seed=2, forgot=(1,)))
    assert training.items >= MIN_TRAINING_ITEMS
    assert codes(training) == set()


def test_hard_pressed_for_a_fail_is_found() -> None:
    honest = check_health(training_of(history(300, seed=2, forgot=(1,))))
    misused = check_health(
        training_of(history(300, seed=2, forgot=(2, 2, 2, 1), recalled_as=(3, 3, 3, 4)))
    )
    assert "hard_as_fail" in {finding.code for finding in misused.findings}
    after_hard, after_good = misused.recall_after(2), misused.recall_after(3)
    assert after_hard is not None and after_good is not None
    assert 1 - after_hard >= 2 * (1 - after_good)
    assert misused.rated[1] >= misused.rated[0]  # Hard at least as often as Again
    assert honest.recall_after(2) is not None
    assert "hard_as_fail" not in {finding.code for finding in honest.findings}


def test_no_again_at_all_is_found() -> None:
    training = training_of(history(200, seed=4, forgot=(2,)))
    assert check_health(training).rated[0] == 0
    assert "no_again" in codes(training)


def test_too_few_answers_are_found() -> None:
    training = training_of(history(10, seed=1, forgot=(1,)))
    assert training.items < MIN_TRAINING_ITEMS
    assert "too_few_answers" in codes(training)


def test_the_counts_are_the_scored_answers_by_rating_and_by_the_one_before() -> None:
    # Days 0, 0, 3, 10 then 0, 5: the scored answers are those on days 3, 10 and 5.
    training = TrainingSet()
    training.add_days([(1, 0), (3, 0), (2, 3), (1, 10)])
    training.add_days([(4, 0), (3, 5)])
    health = check_health(training)
    assert health.items == 3
    assert health.rated == (1, 1, 1, 0)
    # before the day-3 Hard a Good (recalled); before the day-10 Again a Hard (not recalled);
    # before the day-5 Good an Easy (recalled)
    assert health.after == ((0, 0), (1, 0), (1, 1), (1, 1))
    same = TrainingSet.of([[(1, 0), (3, 0), (2, 3), (1, 7)], [(4, 0), (3, 5)]])
    assert (same.rated, same.follows) == (training.rated, training.follows)


def test_the_time_ordered_items_follow_the_day_of_their_last_answer() -> None:
    training = TrainingSet(days=True)
    training.add_days([(3, 100), (3, 110), (4, 120)])  # scored on days 110 and 120
    training.add_days([(3, 100), (2, 105), (3, 115)])  # scored on days 105 and 115
    items = [
        [tuple(map(int, pair)) for pair in re.findall(r"rating: (\d+), delta_t: (\d+)", repr(i))]
        for i in training.time_ordered_items()
    ]
    assert items == [
        [(3, 0), (2, 5)],
        [(3, 0), (3, 10)],
        [(3, 0), (2, 5), (3, 10)],
        [(3, 0), (3, 10), (4, 10)],
    ]


def test_anki_split_check_divides_by_what_is_typical() -> None:
    histories = history(300, seed=2, forgot=(1,))
    training = TrainingSet(days=True)
    for sequence in review_sequences(histories, day_starts_at=4):
        days, day = [], 0
        for rating, delta_t in sequence:
            day += delta_t
            days.append((rating, day))
        training.add_days(days)
    assert training.items > SPLIT_CHECK_MIN_ITEMS
    found = split_check(training)
    assert found is not None
    r = training.recalled_share
    typical_loss = 0.623 * (4 * r * (1 - r)) ** 0.738
    n = training.items
    typical_rmse = 0.0135 / (r**0.504 - 1.14) + 0.176 / ((n / 1000) ** 0.825 + 2.22) + 0.101
    assert found.adjusted_log_loss == pytest.approx(found.log_loss / typical_loss)
    assert found.adjusted_rmse == pytest.approx(found.rmse_bins / typical_rmse)
    assert math.isfinite(found.log_loss) and found.passed
    health = check_health(training, split=True)
    # fsrs-rs fits in threads, so a second fit agrees to float precision, not to the bit.
    assert health.split is not None
    again = (health.split.log_loss, health.split.rmse_bins, health.split.adjusted_rmse)
    assert again == pytest.approx((found.log_loss, found.rmse_bins, found.adjusted_rmse), rel=1e-4)
    assert "hard_to_predict" not in codes(training, split=True)


def test_the_split_check_needs_enough_answers() -> None:
    training = training_of(history(20, seed=1, forgot=(1,)))
    assert split_check(training) is None
    assert "no_split_check" in codes(training, split=True)


# --evaluate and the command
# ---------------------------------------------------------------------------------------------


def test_evaluate_scores_the_parameters_in_use_and_saves_nothing(store: Store) -> None:
    fill(store, generated_history(50, seed=3))
    before = store.card_histories(["gen"])
    report = evaluate_current(
        store, deck_key="gen", global_settings=DEFAULT, settings_for=lambda _key: DEFAULT
    )
    assert report.evaluate_only and report.fitted is None and report.after is None
    assert report.before is not None and report.before.reviews == report.items > 0
    training = training_of([[(row.rating, row.at) for row in h.rows] for h in before])
    expected = training.evaluate(DEFAULT_PARAMETERS)
    assert report.before.log_loss == pytest.approx(expected.log_loss)
    assert report.before.rmse_bins == pytest.approx(expected.rmse_bins)
    assert store.card_histories(["gen"]) == before and store.settings("gen") == {}
    own = Settings.from_stored({"parameters": " ".join(map(str, (*DEFAULT_PARAMETERS[:20], 0.3)))})
    other = evaluate_current(
        store, deck_key="gen", global_settings=DEFAULT, settings_for=lambda _key: own
    )
    assert other.before is not None and other.before.log_loss != report.before.log_loss


JOSH = SHARED_TESTDATA / "revlog" / "py-fsrs_review_logs_josh_1711744352250_to_1728234780857.csv"
SPANISH = SHARED_TESTDATA / "revlog" / "derived_pedscoffee_spanish_revlog.csv"


def _revlog(path: Path, card: str, rating: str, at: str) -> list[list[tuple[int, datetime]]]:
    by_card: dict[str, list[tuple[int, datetime]]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            text = row[at]
            moment = (
                datetime.fromtimestamp(int(text) / 1000, UTC)
                if text.isdigit()
                else datetime.fromisoformat(text).astimezone(UTC)
            )
            by_card.setdefault(row[card], []).append((int(row[rating]), moment))
    return [sorted(answers, key=lambda pair: pair[1]) for answers in by_card.values()]


@pytest.mark.corpus
@pytest.mark.skipif(not SPANISH.exists(), reason="shared test data absent")
def test_real_histories_that_press_hard_as_a_pass_are_not_warned() -> None:
    spanish = check_health(training_of(_revlog(SPANISH, "card_id", "review_rating", "review_time")))
    josh = check_health(training_of(_revlog(JOSH, "card_id", "review_rating", "review_time")))
    assert spanish.rated[1] > 1000 and josh.rated[1] < 10  # Spanish uses Hard, Josh not
    assert spanish.findings == [] and josh.findings == []


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_command_evaluates_and_reports_health(db_location: Path | str) -> None:
    store = Store.open(db_location, START)
    try:
        fill(store, history(80, seed=1, forgot=(1,)))
    finally:
        store.close()
    evaluated = json.loads(run("optimize", "--evaluate", "--json"))
    assert evaluated["evaluate_only"] and evaluated["after"] is None and not evaluated["saved"]
    assert evaluated["training_items"] >= MIN_TRAINING_ITEMS
    assert evaluated["before"]["reviews"] == evaluated["health"]["scored"]
    assert evaluated["health"]["findings"] == []
    text = run("optimize", "--evaluate")
    assert "Scored the collection's parameters on" in text
    assert f"log loss {evaluated['before']['log_loss']:.4f}" in text
    assert "Health check: nothing wrong found" in text
    dry = json.loads(run("optimize", "--dry-run", "--json"))
    assert dry["before"] == evaluated["before"] and dry["health"] == evaluated["health"]


def test_the_command_says_what_the_health_check_found(db_location: Path | str) -> None:
    store = Store.open(db_location, START)
    try:
        fill(store, history(10, seed=1, forgot=(2,)))
    finally:
        store.close()
    out = run("optimize", "--evaluate")
    assert "Health check: Too few answers" in out and "Health check: No Again at all" in out
    found = json.loads(run("optimize", "--json"))
    assert {f["code"] for f in found["health"]["findings"]} == {"too_few_answers", "no_again"}


def test_evaluate_with_no_answers_says_so(db_location: Path | str) -> None:
    run("import", "--bundled")
    out = run("optimize", "--evaluate")
    assert out.startswith("Nothing to score for the collection's parameters")
    result = CliRunner().invoke(app, ["optimize", "--evaluate", "--dry-run"])
    assert result.exit_code == 2 and "--evaluate never saves" in result.stderr
