"""What the ``recall`` command spares Python's cycle collector: its last collection at exit,
over every module's objects (``cli.leave_to_exit``: 0.13 s of a glance's CPU), and the passes
over the modules and rows the glance and the card listing build (40-70 ms). What a command
wrote is on disk all the same, its output whole, and the collector runs again afterwards."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import recall1924.cli.collection as collection_cli
import recall1924.readiness as readiness
from conftest import NOW
from recall1924.cli import app

# Reports, after the command, how many objects the collector was told to leave alone.
_RUN = """
import atexit, gc, sys
atexit.register(lambda: print("frozen", gc.get_freeze_count(), file=sys.stderr))
sys.argv = ["recall", *sys.argv[1:]]
from recall1924.cli import main
main()
"""


def _recall(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECALL_NOW": NOW.isoformat()}
    return subprocess.run(
        [sys.executable, "-c", _RUN, *args], env=env, capture_output=True, text=True, check=True
    )


def _frozen(done: subprocess.CompletedProcess[str]) -> int:
    line = next(line for line in done.stderr.splitlines() if line.startswith("frozen "))
    return int(line.split()[1])


def test_a_command_leaves_its_objects_to_the_exit() -> None:
    done = _recall("--version")  # typer ends it with SystemExit: the objects are left all the same
    assert done.stdout.startswith("recall ")
    assert _frozen(done) > 10_000


def test_what_a_command_wrote_is_kept_and_its_output_whole(db_location: Path | str) -> None:
    written = _recall("config", "set", "new_per_day", "7")
    assert _frozen(written) > 10_000
    assert written.stdout == "new_per_day = 7\n"
    shown = _recall("config", "--json")
    assert json.loads(shown.stdout)["new_per_day"] == 7
    if isinstance(db_location, Path):
        # Closed before the exit: SQLite removed its write-ahead log.
        assert not db_location.with_name(f"{db_location.name}-wal").exists()


def _watching(patch: pytest.MonkeyPatch, owner: object, name: str) -> list[bool]:
    """Patch ``owner.name`` to note whether the collector is on each time it is called."""
    seen: list[bool] = []
    real = getattr(owner, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    patch.setattr(owner, name, watched)
    return seen


@pytest.mark.parametrize(
    ("args", "owner", "name"),
    [
        ([], readiness, "glance"),
        (["cards"], collection_cli, "query_scope"),
        (["cards", "--json", "--limit", "0"], collection_cli, "query_scope"),
        # the whole command, its lazy imports included, not only its reading and its writing
        (["import", "--bundled"], collection_cli, "app_for"),
    ],
    ids=["glance", "cards", "cards-json", "import"],
)
def test_the_glance_the_listing_and_an_import_pause_the_collector(
    db_location: Path | str,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    owner: object,
    name: str,
) -> None:
    assert gc.isenabled()
    seen = _watching(monkeypatch, owner, name)
    done = CliRunner().invoke(app, args, env={"RECALL_NOW": NOW.isoformat()})
    assert done.exit_code == 0, done.output
    assert seen == [False]
    assert gc.isenabled()  # on again once the command is done


def test_a_review_sets_up_with_the_collector_paused_and_runs_with_it(
    db_location: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import recall1924.review as review
    import recall1924.review.service as service

    set_up = _watching(monkeypatch, service, "start_review")
    during: list[tuple[bool, int]] = []
    real_run = review.run

    def run(*args: Any, **kwargs: Any) -> Any:
        during.append((gc.isenabled(), gc.get_freeze_count()))
        return real_run(*args, **kwargs)

    monkeypatch.setattr(review, "run", run)
    done = CliRunner().invoke(app, ["review"], input=" 3q", env={"RECALL_NOW": NOW.isoformat()})
    assert done.exit_code == 0, done.output
    assert "Session: 1 answer on 1 card" in done.output
    assert set_up == [False]
    [(enabled, frozen)] = during
    assert enabled and frozen > 10_000  # what the set-up built is out of the collector's way
    assert gc.isenabled() and gc.get_freeze_count() == 0  # and given back after
