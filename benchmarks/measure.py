"""How the benchmarks time things: fresh processes with their peak memory, the floor they are
compared with, and screens drawn in a pseudo-terminal.

Holds :func:`run_process` (wall time and peak RSS of one child, from ``os.wait4``),
:func:`paired` (a command and the floor, run in turn), :class:`Pty` (a child in a pty, read
until a screen is complete), :func:`median` and :func:`p95`, and the official Anki backend's
import as a script (:data:`ANKI_IMPORT`).
"""

from __future__ import annotations

import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

FLOOR = [sys.executable, "-c", "import sqlmodel, fsrs, rich"]
"""What any recall command costs before it does anything: Python and the three libraries."""

ANKI_IMPORT = """
import sys, tempfile
from pathlib import Path
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
col = Collection(str(Path(tempfile.mkdtemp()) / "collection.anki2"))
col.import_anki_package(ImportAnkiPackageRequest(
    package_path=sys.argv[1], options=ImportAnkiPackageOptions(with_scheduling=True)))
col.close()
"""
"""The official backend importing a package into a fresh collection, scheduling included."""

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class CommandError(RuntimeError):
    """A measured command failed: its figure is reported as an error, the others still run."""


@dataclass(frozen=True)
class Run:
    """One finished child process."""

    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0
    """User and system time: less swayed than wall time by others' work on a shared machine."""

    def check(self, what: str) -> Run:
        if self.returncode != 0:
            last = (self.stderr.strip() or self.stdout.strip() or "no output").splitlines()[-1]
            raise CommandError(f"{what} exited {self.returncode}: {last[:200]}")
        return self


def run_process(
    argv: Sequence[str], env: dict[str, str], *, cwd: Path | None = None, keep_output: bool = True
) -> Run:
    """Run ``argv`` to the end; its wall time and its own peak RSS (``wait4`` reports the
    child's, where ``RUSAGE_CHILDREN`` would give the largest child so far)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(
            list(argv), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        text = ""
        if keep_output:
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        err.seek(0)
        errors = err.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode, text, errors, cpu)


@dataclass
class Paired:
    """Runs of a command and of the floor, taken in turn in the same stretch of time."""

    command: list[Run] = field(default_factory=list)
    floor: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return median([run.seconds for run in self.command])

    @property
    def floor_seconds(self) -> float:
        return median([run.seconds for run in self.floor])

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds

    @property
    def cpu_ratio(self) -> float | None:
        """Median CPU time over the floor's; None when not measured (in a pty)."""
        floor = median([run.cpu_seconds for run in self.floor])
        if not floor:
            return None
        return median([run.cpu_seconds for run in self.command]) / floor

    @property
    def peak_mb(self) -> float:
        return max(run.peak_mb for run in self.command)

    @property
    def floor_mb(self) -> float:
        return max(run.peak_mb for run in self.floor)


def paired(
    argv: Sequence[str],
    env: dict[str, str],
    *,
    runs: int,
    what: str,
    warmup: int = 1,
    keep_output: bool = False,
) -> Paired:
    """Run ``argv`` and the floor ``runs`` times each, alternating which goes first (so that a
    slow stretch of a shared machine falls on both), after ``warmup`` unmeasured rounds that
    fill the page cache."""
    result = Paired()
    for index in range(warmup + runs):
        order = [(argv, result.command), (FLOOR, result.floor)]
        if index % 2:
            order.reverse()
        for args, into in order:
            done = run_process(args, env, keep_output=keep_output)
            done.check(what if args is argv else "the floor")
            if index >= warmup:
                into.append(done)
    return result


def own_peak_mb() -> float:
    """This process's peak RSS. A child's peak as ``wait4`` reports it is never below it:
    Linux counts the pages the child shared with its parent before ``exec``, so the benchmark
    keeps itself small (it builds collections in another process)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """The 95th percentile by nearest rank: with fewer than 20 samples, the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def plain(text: str) -> str:
    """Terminal output without its control sequences."""
    return ANSI.sub("", text)


class Pty:
    """A child in a pseudo-terminal, read a screen at a time."""

    def __init__(
        self, argv: Sequence[str], env: dict[str, str], *, dimensions: tuple[int, int] = (40, 110)
    ) -> None:
        import pexpect

        self._pexpect = pexpect
        self.began = time.perf_counter()
        self.child = pexpect.spawn(
            argv[0],
            list(argv[1:]),
            env=env,
            encoding="utf-8",
            codec_errors="replace",
            dimensions=dimensions,
        )
        # pexpect sleeps 50 ms before every send by default (for programs that are slow to
        # turn echo off); a key timed through it would carry those 50 ms.
        self.child.delaybeforesend = None

    def send(self, key: str) -> float:
        """Send ``key``; returns the time it was sent."""
        sent = time.perf_counter()
        self.child.send(key)
        return sent

    def screen(
        self, marker: re.Pattern[str], *, quiet: float = 0.05, timeout: float = 30.0
    ) -> tuple[float, str]:
        """Read until the output since the last call matches ``marker`` and then nothing more
        comes for ``quiet`` seconds. Returns when the last byte of it arrived, and the text.

        The marker is on the screen's last line, so that a match means the screen is drawn;
        the quiet wait catches anything written after it, which belongs to the same screen.
        """
        text, last, found = "", 0.0, False
        deadline = time.perf_counter() + timeout
        while True:
            wait = quiet if found else max(0.0, deadline - time.perf_counter())
            try:
                chunk = self.child.read_nonblocking(1 << 16, timeout=wait)
            except self._pexpect.TIMEOUT:
                if found:
                    return last, text
                raise CommandError(
                    f"no screen matching {marker.pattern!r} in {timeout:.0f} s; last output "
                    f"{plain(text)[-300:]!r}"
                ) from None
            except self._pexpect.EOF:
                raise CommandError(
                    f"ended before a screen matching {marker.pattern!r}; last output "
                    f"{plain(text)[-300:]!r}"
                ) from None
            last = time.perf_counter()
            text += chunk
            found = found or bool(marker.search(plain(text)))

    def until_exit(self, timeout: float = 30.0) -> float:
        """Wait for the child to end; returns when its output closed."""
        deadline = time.perf_counter() + timeout
        while True:
            try:
                self.child.read_nonblocking(
                    1 << 16, timeout=max(0.0, deadline - time.perf_counter())
                )
            except self._pexpect.EOF:
                return time.perf_counter()
            except self._pexpect.TIMEOUT:
                raise CommandError(f"still running after {timeout:.0f} s") from None

    def kill(self) -> None:
        """End the child at once: a review session's closing backup is no part of a figure."""
        if self.child.isalive():
            self.child.kill(9)
        self.child.close(force=True)
