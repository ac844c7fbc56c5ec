"""Time ``recall import`` of a real Anki package beside the official Anki backend's import.

Each run is a fresh process into a fresh collection, so the times include starting Python
and importing recall (what a user waits for). The backend's time is for the same file, with
its scheduling, in a fresh collection, measured inside one process (its import only: the
``anki`` package takes a while to load, which is not the import's cost).

    python benchmarks/bench_import.py [PACKAGE] [--runs 5]

PACKAGE defaults to the 2,887-note, 31,363-review Spanish package in ../shared/testdata.
Nothing here asserts: it prints medians and the worst run for a person to read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = (
    Path(__file__).resolve().parents[2]
    / "shared/testdata/apkg/pedscoffee_SpanishAnkiExportReal.apkg"
)

BACKEND = """
import sys, tempfile, time
from pathlib import Path
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
folder = Path(tempfile.mkdtemp())
col = Collection(str(folder / "collection.anki2"))
began = time.perf_counter()
col.import_anki_package(ImportAnkiPackageRequest(
    package_path=sys.argv[1], options=ImportAnkiPackageOptions(with_scheduling=True)))
print(time.perf_counter() - began)
col.close()
"""


def time_recall(package: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "RECALL_DB": str(Path(folder) / "recall.db")}
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "recall1924", "import", str(package)],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            times.append(time.perf_counter() - began)
    return times


def time_backend(package: Path, runs: int) -> list[float] | None:
    times = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", BACKEND, str(package)], capture_output=True, text=True
        )
        if result.returncode != 0:
            return None  # the anki package is not installed
        times.append(float(result.stdout.strip().splitlines()[-1]))
    return times


def report(name: str, times: list[float] | None) -> None:
    if times is None:
        print(f"{name:<34} (not installed)")
        return
    print(f"{name:<34} median {statistics.median(times):6.2f} s   worst {max(times):6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{args.package.name}, {args.runs} runs, {os.cpu_count()} cores")
    report("recall import (whole command)", time_recall(args.package, args.runs))
    report("Anki backend import (in process)", time_backend(args.package, args.runs))


if __name__ == "__main__":
    main()
