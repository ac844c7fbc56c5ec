"""The preview ``recall draft`` shows before it writes: cards per section, by kind. Pure.

Holds :func:`preview_rows` (the counts), :func:`preview_table` (them as aligned lines of plain
text) and :func:`left_out_lines` (what no card was drafted from, as ranges of lines with why).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from recall1924.drafting.draft import Draft, DraftCard
from recall1924.drafting.finders import CLOZE, Kind
from recall1924.drafting.notes import LeftOut

__all__ = ["PreviewRow", "left_out_lines", "preview_rows", "preview_table", "reviews"]


def reviews(card: DraftCard) -> int:
    """How many cards recall reviews for it: one per cloze number, else one."""
    if card.found.back is not None:
        return 1
    return len({match[1] for match in CLOZE.finditer(card.found.front)})


@dataclass(frozen=True)
class PreviewRow:
    title: str
    kinds: Counter[Kind]
    reviews: int


def preview_rows(draft: Draft) -> list[PreviewRow]:
    """One row per section, in order, and a last one for the whole deck titled "total"."""
    rows = [
        PreviewRow(
            section.title,
            Counter(card.found.kind for card in section.cards),
            sum(reviews(card) for card in section.cards),
        )
        for section in draft.sections
    ]
    total: Counter[Kind] = Counter()
    for row in rows:
        total.update(row.kinds)
    rows.append(PreviewRow("total", total, sum(row.reviews for row in rows)))
    return rows


def preview_table(draft: Draft, width: int = 78) -> list[str]:
    """The rows as lines of at most ``width`` characters: a column for each kind of card the
    notes have, then how many cards recall will review; the titles cut to fit."""
    rows = preview_rows(draft)
    kinds = [kind for kind in Kind if rows[-1].kinds[kind]]
    headers = [kind.value for kind in kinds] + ["reviews"]
    cells = [[str(row.kinds[kind]) for kind in kinds] + [str(row.reviews)] for row in rows]
    widths = [max(len(header), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]
    room = min(width - sum(widths) - 2 * len(widths), max(len(row.title) for row in rows))
    room = max(room, len("section"))

    def line(title: str, values: list[str]) -> str:
        shown = title if len(title) <= room else title[: room - 1] + "…"
        return shown.ljust(room) + "".join(
            "  " + value.rjust(size) for value, size in zip(values, widths, strict=True)
        )

    return [line("section", headers)] + [
        line(row.title, values) for row, values in zip(rows, cells, strict=True)
    ]


def left_out_lines(left_out: tuple[LeftOut, ...]) -> list[str]:
    """What no card was drafted from, grouped: ``lines 76-87: the site's footer, …``."""
    groups: list[tuple[int, int, str]] = []
    for one in left_out:
        if groups and groups[-1][2] == one.why and one.line <= groups[-1][1] + 2:
            groups[-1] = (groups[-1][0], one.line, one.why)
        else:
            groups.append((one.line, one.line, one.why))
    return [
        f"line {first}: {why}" if first == last else f"lines {first}-{last}: {why}"
        for first, last, why in groups
    ]
