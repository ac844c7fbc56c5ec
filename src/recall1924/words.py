"""How recall words counts in its messages; pure, for the services and the UI alike."""

from __future__ import annotations


def plural(number: int, noun: str) -> str:
    """``1 card``, ``2 cards``: a number with its noun, plural when it is not one."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
