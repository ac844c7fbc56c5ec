"""Time the everyday recall commands on a large generated collection: run.py's command figures.

Kept for the command lines written before run.py; run.py builds the collection (synthetic.py)
and times the commands beside the floor.

    python benchmarks/bench_commands.py --cards 100000 --reviews 1000000

is ``python benchmarks/run.py --cards 100000 --answers 1000000 --only glance,stats,...``.
"""

from __future__ import annotations

import argparse
import sys

import run

FIGURES = "review-start,glance,stats,stats-json,cards,cards-json,cards-search,reimport"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    return run.main(
        [
            "--cards",
            str(options.cards),
            "--answers",
            str(options.reviews),
            "--runs",
            str(options.repeat),
            "--only",
            FIGURES,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
