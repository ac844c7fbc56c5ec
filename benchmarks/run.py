"""Time the real recall commands on a large collection and compare them with their targets.

Builds (or finds in --work) a generated collection (see synthetic.py: 100,000 cards and
1,000,000 answers by default, every card state, four decks), then times each figure as fresh
processes, each beside the floor -- ``python -c "import sqlmodel, fsrs, rich"``, what any
command costs before it does anything -- measured in turn with it, and prints one row per
figure: what was measured, the target, ok or FAIL.

    python benchmarks/run.py                       # full size: about 6 minutes on 2 cores
    python benchmarks/run.py --size small          # half a minute; CI runs it smaller still
    python benchmarks/run.py --only keys,stats --work /tmp/bench   # reuse a built collection
    python benchmarks/run.py --list                # the figures' names

Times are medians of --runs runs (the interactive keys: of --samples keypresses, with p95);
peak memory is the child's own maximum RSS. Nothing asserts unless --check, which exits 1 when
a figure misses its target. Commands run with RECALL_NOW pinned, TZ=UTC and a HOME of their
own, on copies of the cached collection, so a run never changes the cache.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from measure import (
    ANKI_IMPORT,
    FLOOR,
    CommandError,
    Paired,
    Pty,
    Run,
    median,
    own_peak_mb,
    p95,
    paired,
    run_process,
)
from synthetic import (
    SEARCH_WORD,
    SIZES,
    Built,
    Shape,
    build_apart,
    card_states,
    environment,
    recall_command,
)

APKG = (
    Path(__file__).resolve().parents[2]
    / "shared/testdata/apkg/pedscoffee_SpanishAnkiExportReal.apkg"
)
CARD_SCREEN = re.compile(r"Space show answer")
"""On the last line of a question's screen."""
ANSWER_SCREEN = re.compile(r"Again[\s\S]*Easy")
"""The rating keys, on the last line of an answer's screen."""
RATINGS = "3331323334"
"""The keys answered with, in turn: mostly Good, as a student mostly remembers."""


@dataclass
class Context:
    """What every figure is measured with."""

    built: Built
    work: Path
    runs: int
    heavy_runs: int
    samples: int
    apkg: Path
    server: str | None = None
    """A PostgreSQL database the figures read instead (``--database-url``): the cached
    collection is moved into it once (``recall migrate-store``), and every command run with
    ``RECALL_DATABASE_URL`` naming it."""
    recall: list[str] = field(default_factory=recall_command)
    _copies: dict[str, Path] = field(default_factory=dict)
    _moved: bool = False

    @property
    def scratch(self) -> Path:
        return self.work / "scratch"

    def copy(self, name: str) -> Path:
        """A copy of the cached collection, one per ``name`` (made on first use)."""
        if name not in self._copies:
            folder = self.scratch / name
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            self._copies[name] = Path(shutil.copy(self.built.db, folder / "collection.db"))
        return self._copies[name]

    def env(self, db: Path) -> dict[str, str]:
        env = environment(db.parent, db)
        if self.server is not None:
            self.move_to_server()
            env["RECALL_DATABASE_URL"] = self.server  # wins over RECALL_DB
        return env

    def move_to_server(self) -> None:
        """The cached collection, copied into the server's empty database once."""
        if self.server is None or self._moved:
            return
        self._moved = True
        source = self.copy("source")
        done = subprocess.run(
            [*self.recall, "migrate-store", "--db", str(source), "--to", self.server],
            env=environment(source.parent, source),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise CommandError(f"migrate-store into {self.server}: {done.stderr.strip()}")

    def pty_env(self, db: Path) -> dict[str, str]:
        """A terminal's environment: colour on, and the size the pty says, not COLUMNS."""
        env = self.env(db)
        for name in ("NO_COLOR", "COLUMNS", "LINES"):
            env.pop(name)
        return env | {"TERM": "xterm-256color"}

    def fresh_db(self, name: str) -> Path:
        folder = self.scratch / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder / "collection.db"


@dataclass(frozen=True)
class Result:
    """One figure's measurement: ``ok`` None when it was not measured."""

    measured: str
    ok: bool | None
    error: str = ""
    """Why it could not be measured, printed below the table (it would not fit a cell)."""


@dataclass(frozen=True)
class Figure:
    name: str
    rows: tuple[tuple[str, str], ...]
    """(what, target) of each row it reports, in order."""
    measure: Callable[[Context], list[Result]]


# --- figures -------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio_result(times: Paired, limit: float) -> Result:
    """Median wall time over the floor's, the figure; the CPU times' ratio beside it, as a
    check on a busy machine (it leaves out waiting for a core, and for the disk)."""
    cpu = "" if times.cpu_ratio is None else f"; CPU {times.cpu_ratio:.2f}×"
    return Result(
        f"{times.ratio:.2f}× floor ({times.seconds:.3f} s; floor {times.floor_seconds:.3f} s{cpu})",
        times.ratio <= limit,
    )


def keys(ctx: Context) -> list[Result]:
    """Keypress to screen drawn, in one review session in a 40x110 pty."""
    db = ctx.copy("review")
    session = Pty([*ctx.recall, "review"], ctx.pty_env(db))
    space, rate = [], []
    try:
        session.screen(CARD_SCREEN)
        for index in range(ctx.samples):
            sent = session.send(" ")
            drawn, _ = session.screen(ANSWER_SCREEN)
            space.append(drawn - sent)
            sent = session.send(RATINGS[index % len(RATINGS)])
            drawn, _ = session.screen(CARD_SCREEN)
            rate.append(drawn - sent)
    finally:
        session.kill()
    detail = f" (n={len(rate)})"
    return [
        Result(ms(median(rate)) + detail, median(rate) < 0.015),
        Result(ms(p95(rate)) + detail, p95(rate) < 0.030),
        Result(ms(median(space)) + detail, median(space) < 0.015),
    ]


def review_start(ctx: Context) -> list[Result]:
    """From starting ``recall review`` to its first card drawn, beside the floor run in a pty
    too (to its exit)."""
    db = ctx.copy("review")
    times = Paired()
    for index in range(1 + ctx.runs):
        for which in ("floor", "review") if index % 2 else ("review", "floor"):
            if which == "floor":
                session = Pty(FLOOR, ctx.pty_env(db))
                seconds = session.until_exit() - session.began
                session.kill()
                into = times.floor
            else:
                session = Pty([*ctx.recall, "review"], ctx.pty_env(db))
                try:
                    drawn, _ = session.screen(CARD_SCREEN)
                finally:
                    session.kill()
                seconds = drawn - session.began
                into = times.command
            if index:  # the first round fills the page cache
                into.append(Run(seconds, 0.0, 0, "", ""))
    return [ratio_result(times, 1.3)]


def command(
    args: Sequence[str], limit: float, *, memory: Callable[[Paired], Result] | None = None
) -> Callable[[Context], list[Result]]:
    """A figure for ``recall ARGS`` beside the floor, at most ``limit`` times it."""

    def measure(ctx: Context) -> list[Result]:
        db = ctx.copy("read")
        times = paired(
            [*ctx.recall, *args], ctx.env(db), runs=ctx.runs, what=f"recall {' '.join(args)}"
        )
        results = [ratio_result(times, limit)]
        if memory is not None:
            results.append(memory(times))
        return results

    return measure


def peak(megabytes: float, limit: float, *, detail: str = "") -> Result:
    """A peak memory under ``limit``; unknown if it may be this script's own (see
    :func:`measure.own_peak_mb`)."""
    own = own_peak_mb()
    if megabytes <= own:
        return Result(f"≤ {own:.0f} MB, this script's own peak: unknown", None)
    return Result(f"{megabytes:.0f} MB{detail}", megabytes < limit)


def under_mb(limit: float) -> Callable[[Paired], Result]:
    def check(times: Paired) -> Result:
        return peak(times.peak_mb, limit)

    return check


def flat_memory(times: Paired) -> Result:
    """As the floor's, give or take: a search holds the matches, not the collection."""
    detail = f" (floor {times.floor_mb:.0f} MB)"
    return peak(times.peak_mb, times.floor_mb + FLAT_MB + 0.5, detail=detail)


FLAT_MB = 40
"""How far above the floor's peak memory still counts as flat: recall's own modules and a
page of results, not the collection."""

QUERY = f"{SEARCH_WORD} -is:suspended (is:due or prop:r<0.9) -tag:none"
"""A query of every kind of term the language has but names: a word, states, retrievability
(a function per card), tags, negation and a group (``recall cards QUERY``, docs/search.md)."""

FITTED = re.compile(r"Fitted .*? in ([0-9.]+) s")


def optimize(ctx: Context) -> list[Result]:
    db = ctx.copy("read")
    walls, fits, peaks = [], [], []
    for _ in range(ctx.heavy_runs):
        done = run_process([*ctx.recall, "optimize", "--dry-run"], ctx.env(db))
        done.check("recall optimize --dry-run")
        found = FITTED.search(" ".join(done.stdout.split()))
        if found is None:
            raise CommandError(f"no 'Fitted ... in X s' in: {done.stdout.strip()[:200]!r}")
        walls.append(done.seconds)
        fits.append(float(found.group(1)))
        peaks.append(done.peak_mb)
    ratio = median([wall / max(fit, 0.005) for wall, fit in zip(walls, fits, strict=True)])
    return [
        Result(f"{ratio:.2f}× ({median(walls):.2f} s; fit {median(fits):.2f} s)", ratio <= 1.5),
        peak(max(peaks), 400),
    ]


def reimport(ctx: Context) -> list[Result]:
    db = ctx.copy("reimport")
    backups = db.parent / "backups"

    def listed() -> set[str]:
        return {path.name for path in backups.iterdir()} if backups.is_dir() else set()

    before = listed()
    walls = []
    for _ in range(ctx.heavy_runs):
        done = run_process([*ctx.recall, "import", str(ctx.built.main_deck)], ctx.env(db))
        walls.append(done.check("recall import (unchanged)").seconds)
    made = len(listed() - before)
    cards = sum(1 for line in ctx.built.main_deck.open() if line.startswith("[[sections.cards"))
    return [
        Result(f"{median(walls):.2f} s ({cards:,} cards)", median(walls) < 2),
        Result(f"{made} in {len(walls)} imports", made == 0),
    ]


def csv_import(ctx: Context) -> list[Result]:
    walls, peaks = [], []
    for index in range(ctx.heavy_runs):
        db = ctx.fresh_db(f"csv{index}")
        done = run_process(
            [*ctx.recall, "import", str(ctx.built.csv)], ctx.env(db), keep_output=False
        )
        done.check("recall import cards.csv")
        walls.append(done.seconds)
        peaks.append(done.peak_mb)
        shutil.rmtree(db.parent)
    return [
        Result(f"{median(walls):.2f} s", median(walls) < 20),
        peak(max(peaks), 400),
    ]


def apkg(ctx: Context) -> list[Result]:
    if not ctx.apkg.exists():
        return [Result(f"skipped: no {ctx.apkg}", None)]
    if importlib.util.find_spec("anki") is None:
        return [Result("skipped: the anki package is not installed", None)]
    ours, theirs = [], []
    for index in range(1 + ctx.heavy_runs):
        db = ctx.fresh_db(f"apkg{index}")
        env = ctx.env(db)
        mine = run_process([*ctx.recall, "import", str(ctx.apkg)], env, keep_output=False)
        anki = run_process([sys.executable, "-c", ANKI_IMPORT, str(ctx.apkg)], env)
        mine.check("recall import (apkg)")
        anki.check("the anki backend's import")
        shutil.rmtree(db.parent)
        if index:
            ours.append(mine.seconds)
            theirs.append(anki.seconds)
    ratio = median(ours) / median(theirs)
    return [Result(f"{ratio:.2f}× ({median(ours):.2f} s; Anki {median(theirs):.2f} s)", ratio <= 2)]


def disk(ctx: Context) -> list[Result]:
    """The review log's pages and its indexes' pages (dbstat), over its rows; where SQLite
    has no dbstat, the file's size with them less its size without (both vacuumed)."""
    with closing(sqlite3.connect(f"file:{ctx.built.db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT count(*) FROM review_log").fetchone()[0]
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE tbl_name = 'review_log' "
                "AND type IN ('table', 'index')"
            )
        ]
        marks = ", ".join("?" for _ in names)
        try:
            size = conn.execute(
                f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({marks})", names
            ).fetchone()[0]
            how = "dbstat"
        except sqlite3.OperationalError:  # no such table: dbstat
            size, how = _size_without_review_log(ctx), "file sizes"
    per_answer = size / max(rows, 1)
    return [
        Result(f"{per_answer:.0f} B ({size / 1e6:.0f} MB / {rows:,}, {how})", per_answer <= 150)
    ]


def _size_without_review_log(ctx: Context) -> int:
    db = ctx.copy("disk")
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("VACUUM")
        full = db.stat().st_size
        conn.execute("DELETE FROM review_log")
        conn.execute("VACUUM")
    return full - db.stat().st_size


FIGURES = [
    Figure(
        "keys",
        (
            ("rating key → next card drawn, median", "< 15 ms"),
            ("rating key → next card drawn, p95", "< 30 ms"),
            ("Space → answer drawn, median", "< 15 ms"),
        ),
        keys,
    ),
    Figure("review-start", (("recall review → first card drawn", "≤ 1.3× floor"),), review_start),
    Figure("glance", (("recall (glance)", "≤ 1.8× floor"),), command([], 1.8)),
    Figure("stats", (("recall stats", "≤ 2.5× floor"),), command(["stats"], 2.5)),
    Figure(
        "stats-json", (("recall stats --json", "≤ 2.5× floor"),), command(["stats", "--json"], 2.5)
    ),
    Figure("cards", (("recall cards (200 rows)", "≤ 2× floor"),), command(["cards"], 2)),
    Figure(
        "cards-json",
        (
            ("recall cards --json --limit 0 (all)", "≤ 3× floor"),
            ("recall cards --json --limit 0, peak memory", "< 150 MB"),
        ),
        command(["cards", "--json", "--limit", "0"], 3, memory=under_mb(150)),
    ),
    Figure(
        "cards-search",
        (
            (f"recall cards --search {SEARCH_WORD}", "≤ 2× floor"),
            (f"recall cards --search {SEARCH_WORD}, peak memory", f"≤ floor + {FLAT_MB} MB"),
        ),
        command(["cards", "--search", SEARCH_WORD], 2, memory=flat_memory),
    ),
    Figure(
        "cards-query",
        (
            (f"recall cards '{QUERY}'", "≤ 2× floor"),
            (f"recall cards '{QUERY}', peak memory", f"≤ floor + {FLAT_MB} MB"),
        ),
        command(["cards", QUERY], 2, memory=flat_memory),
    ),
    Figure(
        "optimize",
        (
            ("recall optimize --dry-run ÷ its fit", "≤ 1.5×"),
            ("recall optimize --dry-run, peak memory", "< 400 MB"),
        ),
        optimize,
    ),
    Figure(
        "reimport",
        (
            ("re-import of the unchanged main deck", "< 2 s"),
            ("backups made by an unchanged re-import", "none"),
        ),
        reimport,
    ),
    Figure(
        "csv-import",
        (
            ("CSV import into a new collection", "< 20 s"),
            ("CSV import, peak memory", "< 400 MB"),
        ),
        csv_import,
    ),
    Figure("apkg", (("Spanish .apkg import ÷ Anki's (whole processes)", "≤ 2×"),), apkg),
    Figure("disk", (("bytes on disk per answer, indexes included", "≤ 150"),), disk),
]
BY_NAME = {figure.name: figure for figure in FIGURES}
ON_SERVER = ("keys", "review-start", "glance", "stats", "stats-json", "cards", "cards-search")
"""The figures ``--database-url`` times on a server: the others measure a file (its bytes, an
import into a new one, a re-import's backup) or are the same code on both stores."""


# --- running and reporting -----------------------------------------------------------------


def measure_all(
    ctx: Context, figures: Sequence[Figure], *, log: bool
) -> list[tuple[str, str, Result]]:
    rows = []
    for figure in figures:
        began = time.perf_counter()
        try:
            results = figure.measure(ctx)
        except CommandError as exc:
            results = [Result("error: see below", False, error=f"{figure.name}: {exc}")]
        if len(results) == 1 and len(figure.rows) > 1:
            results = results * len(figure.rows)  # one error or skip stands for every row
        for (what, target), result in zip(figure.rows, results, strict=True):
            rows.append((what, target, result))
        if log:
            print(f"  {figure.name}: {time.perf_counter() - began:.1f} s", flush=True)
    return rows


def table(rows: Sequence[tuple[str, str, Result]]) -> str:
    """The rows as a plain-text table: figure, measured, target, ok / FAIL / skip."""

    def mark(result: Result) -> str:
        return "skip" if result.ok is None else "ok" if result.ok else "FAIL"

    lines = [("figure", "measured", "target", "")]
    lines += [(what, result.measured, target, mark(result)) for what, target, result in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(3)]
    lines.insert(1, tuple("-" * width for width in widths) + ("----",))
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True))
        + "  "
        + line[3]
        for line in lines
    )


def source_version() -> str:
    """The commit measured, and whether the working tree had changes on top of it."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {commit}" + (" with uncommitted changes" if changed else "")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="figures: " + ", ".join(BY_NAME),
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--cards", type=int, help="cards in the main deck [default: by --size]")
    parser.add_argument("--answers", type=int, help="answers in all [default: by --size]")
    parser.add_argument(
        "--work",
        type=Path,
        help="folder for the built collections, kept [default: a temporary folder, deleted "
        "at the end unless --keep]",
    )
    parser.add_argument("--keep", action="store_true", help="keep the default folder for next time")
    parser.add_argument("--only", help="comma-separated figure names (see --list)")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    parser.add_argument("--runs", type=int, help="runs per quick command [7; small: 3]")
    parser.add_argument("--heavy-runs", type=int, help="runs per slow command [3; small: 2]")
    parser.add_argument("--samples", type=int, help="keypresses timed [30; small: 10]")
    parser.add_argument("--apkg", type=Path, default=APKG, help="the Anki package to import")
    parser.add_argument(
        "--database-url",
        help="time the commands on this empty PostgreSQL database instead (the collection is "
        f"moved into it first); only {', '.join(ON_SERVER)}",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if any figure misses its target"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    if options.list:
        for figure in FIGURES:
            print(f"{figure.name:<14}{'; '.join(what for what, _target in figure.rows)}")
        return 0
    figures = FIGURES
    if options.only:
        names = [name.strip() for name in options.only.split(",") if name.strip()]
        unknown = [name for name in names if name not in BY_NAME]
        if unknown:
            sys.exit(f"unknown figure {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
        figures = [BY_NAME[name] for name in names]
    if options.database_url:
        figures = [figure for figure in figures if figure.name in ON_SERVER]
    small = options.size == "small"
    base = SIZES[options.size]
    shape = Shape(
        options.cards or base.cards,
        options.answers or base.answers,
        sections=base.sections,
        seed=base.seed,
    )
    work = options.work or Path(tempfile.gettempdir()) / "recall-bench"
    discard = options.work is None and not options.keep
    began = time.perf_counter()
    try:
        built = build_apart(work, shape)
        ctx = Context(
            built=built,
            work=work,
            runs=options.runs or (3 if small else 7),
            heavy_runs=options.heavy_runs or (2 if small else 3),
            samples=options.samples or (10 if small else 30),
            apkg=options.apkg,
            server=options.database_url,
        )
        states = card_states(built.db)
        print(
            f"recall benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {source_version()}; "
            f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        print(
            f"collection: {sum(states[k] for k in ('new', 'learning', 'review', 'relearning')):,}"
            f" cards ({', '.join(f'{v:,} {k}' for k, v in states.items())}), "
            f"{built.answers:,} answers; CSV {shape.csv_rows:,} rows; in {built.folder}"
        )
        print(
            f"runs: {ctx.runs} per quick command, {ctx.heavy_runs} per slow one, "
            f"{ctx.samples} keypresses; floor: python -c {FLOOR[-1]!r}; "
            f"store: {ctx.server or 'a SQLite file'}",
            flush=True,
        )
        rows = measure_all(ctx, figures, log=True)
    finally:
        shutil.rmtree(work / "scratch", ignore_errors=True)
        if discard:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(rows))
    for error in dict.fromkeys(result.error for _what, _target, result in rows if result.error):
        print(f"\nerror in {error}")  # once for a figure's rows
    print(f"\n{time.perf_counter() - began:.0f} s in all")
    missed = [what for what, _target, result in rows if result.ok is False]
    return 1 if options.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
