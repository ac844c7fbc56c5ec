"""Everything that talks to the terminal. The only package that imports rich.

Holds :func:`make_console`; the review screen lives in :mod:`recall1924.ui.review`, tables and
reports in :mod:`recall1924.ui.reports`, and the escaping of deck text in
:mod:`recall1924.ui.text`.
"""

from __future__ import annotations

from rich.console import Console


def make_console(*, stderr: bool = False) -> Console:
    """A console that honours NO_COLOR, COLUMNS and whether output is a terminal."""
    return Console(stderr=stderr, highlight=False)
