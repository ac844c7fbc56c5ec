"""Time the real ``recall optimize`` on the imported Spanish Anki package.

Imports ../shared/testdata/apkg/pedscoffee_SpanishAnkiExportReal.apkg (31,361 answers) into a
fresh collection once, then runs ``recall optimize --dry-run --json`` and ``recall optimize
--json`` (each on a fresh copy of the collection) in new processes, and prints wall and CPU
time, the fitting time and log loss / RMSE(bins) before and after.

    python benchmarks/bench_optimize.py [--runs 3]

Nothing here asserts: the target is under 5 s per command.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "testdata"
    / "apkg"
    / "pedscoffee_SpanishAnkiExportReal.apkg"
)
RECALL = [sys.executable, "-m", "recall1924"]


def run(args: list[str], db: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of one ``recall`` process, and its output."""
    env = os.environ | {"RECALL_DB": str(db), "TZ": os.environ.get("TZ", "UTC")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(RECALL + args, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    if not PACKAGE.exists():
        sys.exit(f"missing {PACKAGE}")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base.db"
        wall, _cpu, _out = run(["import", str(PACKAGE)], base)
        print(f"import: {wall:.2f} s")
        for label, args in (
            ("optimize --dry-run", ["optimize", "--dry-run", "--json"]),
            ("optimize", ["optimize", "--json"]),
        ):
            walls, cpus, report = [], [], {}
            for index in range(options.runs):
                db = Path(folder) / f"run{index}.db"
                shutil.copy(base, db)
                wall, cpu, out = run(args, db)
                walls.append(wall)
                cpus.append(cpu)
                report = json.loads(out)
            before, after = report["before"], report["after"]
            print(
                f"{label}: wall median {statistics.median(walls):.2f} s (worst {max(walls):.2f}), "
                f"CPU median {statistics.median(cpus):.2f} s; fit {report['fit_seconds']:.2f} s "
                f"on {report['training_items']} items; log loss {before['log_loss']:.4f} -> "
                f"{after['log_loss']:.4f}; RMSE(bins) {before['rmse_bins']:.4f} -> "
                f"{after['rmse_bins']:.4f}; saved {report['saved']}"
            )


if __name__ == "__main__":
    main()
