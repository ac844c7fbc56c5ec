"""benchmarks/run.py at its small size runs to the end and reports every figure.

Only that: the times on a shared CI machine say nothing about recall, so the targets are not
checked here (``run.py --check`` does that, by hand, on a quiet machine). What this catches is
the script rotting: a command's output or options changing under a figure, or the generated
collection no longer importing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from run import FIGURES  # noqa: E402


def test_small_run_reports_every_figure(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run.py"),
            "--size",
            "small",
            "--work",
            str(tmp_path / "work"),
            # one of everything: this checks that each figure runs, not how fast
            "--runs",
            "1",
            "--heavy-runs",
            "1",
            "--samples",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for figure in FIGURES:
        for what, target in figure.rows:
            row = next((line for line in lines if line.startswith(f"{what}  ")), None)
            assert row is not None, f"no row for {what!r} in:\n{done.stdout}"
            assert "error:" not in row, row
            assert target in row, row
            assert row.endswith(("  ok", "  FAIL", "  skip")), row
    assert not (tmp_path / "work" / "scratch").exists()  # the copies are cleaned up


@pytest.mark.postgres
def test_two_machines_answering_one_deck_on_postgres_keep_every_answer(postgres_url: str) -> None:
    """benchmarks/two_machines.py for a few seconds: it runs, both workers answer, and its
    checks (every answer kept, none from a stale state, each card its history's replay) hold."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "two_machines.py"), "--url", postgres_url]
        + ["--seconds", "2", "--cards", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "ok", done.stdout
    for worker in ("worker 1: ", "worker 2: "):
        row = next(line for line in lines if line.startswith(worker))
        assert not row.startswith(f"{worker}0 answers saved"), row
    assert "answers from a stale state: 0" in lines, done.stdout
