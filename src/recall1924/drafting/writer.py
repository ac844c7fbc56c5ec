"""Writing a drafted deck as a TOML deck file, and bringing that file up to date with the notes.

Holds :func:`new_deck_text` (a first draft), :func:`plan_update` (pure: which drafted cards the
file has, which are new, which the student deleted, which of its cards the notes no longer
have) and :func:`apply_update`, which changes the file's tomlkit tree only where the plan says
(``recall edit``'s format-preserving writing, :mod:`recall1924.deckedit`): a new card at the end
of its section, a ``source`` line number that moved. Every other byte stays as the student
left it.

A file drafted by recall ends with a comment listing the codes its drafted cards' ids end with
(:data:`RECORD_INTRO`, then ``# drafted: 2169b4 c3472f …``): a re-run reads it to tell a card the
student deleted, which it does not draft again, from one new in the notes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import tomlkit
from tomlkit.items import AoT

from recall1924.deckedit import TomlFile, insert_card, set_text, toml_value
from recall1924.drafting.draft import Draft, DraftCard, DraftSection

__all__ = [
    "RECORD_INTRO",
    "Update",
    "apply_update",
    "new_deck_data",
    "new_deck_text",
    "plan_update",
    "recorded_codes",
]

RECORD_INTRO = (
    "# recall draft reads the codes below, which end the ids of the cards it drafted here, so as",
    "# not to draft again a card you deleted. Leave them at the end of the file.",
)
_RECORD = re.compile(r"^# drafted:((?: [0-9a-f]{6})+)[ \t]*$")
_CODE_IN_ID = re.compile(r"-([0-9a-f]{6})(?:-\d+)?$")
_RECORD_WIDTH = 99


def recorded_codes(text: str) -> frozenset[str]:
    """The codes a drafted file's record lists (none if it has no record)."""
    codes: set[str] = set()
    for line in text.split("\n"):
        found = _RECORD.match(line)
        if found:
            codes.update(found[1].split())
    return frozenset(codes)


def _record(codes: Iterable[str]) -> list[str]:
    lines: list[str] = []
    line = "# drafted:"
    for code in sorted(codes):
        if len(line) + 1 + len(code) > _RECORD_WIDTH:
            lines.append(line)
            line = "# drafted:"
        line += " " + code
    if line != "# drafted:":
        lines.append(line)
    return [*RECORD_INTRO, *lines] if lines else []


def _with_record(text: str, codes: Iterable[str]) -> str:
    """``text`` with its record (wherever it was) replaced by one of ``codes`` at the end."""
    kept: list[str] = []
    removed = False
    for line in text.split("\n"):
        if _RECORD.match(line) or line in RECORD_INTRO:
            removed = True
            continue
        if removed and not line and kept and not kept[-1]:
            continue  # the blank line that set the record apart, where one is left already
        removed = False
        kept.append(line)
    body = "\n".join(kept).rstrip("\n") + "\n"
    record = _record(codes)
    return body + ("\n" + "\n".join(record) + "\n" if record else "")


# --- a first draft ---------------------------------------------------------------------------


def new_deck_text(draft: Draft, *, notes_name: str, file_name: str) -> str:
    """The text of a deck file holding the draft, as a first run writes it."""
    lines = [
        f"# Drafted by recall draft from {notes_name}. Check every card, keep or delete the ones",
        f'# tagged "draft", then: recall import {file_name}',
        "# Run recall draft again when the notes change: it adds their new cards here and leaves",
        "# your edits as they are (see docs/draft.md).",
        "",
        "[deck]",
        f"id = {toml_value(draft.key)}",
        f"title = {toml_value(draft.title)}",
    ]
    for section in draft.sections:
        lines += ["", "[[sections]]"] + _section_lines(section)
        for card in section.cards:
            lines += ["", "[[sections.cards]]"]
            lines += [f"{name} = {toml_value(value)}" for name, value in card.fields(notes_name)]
    return _with_record("\n".join(lines) + "\n", (card.code for card in draft.cards))


def _section_lines(section: DraftSection) -> list[str]:
    return [f"id = {toml_value(section.key)}", f"title = {toml_value(section.title)}"]


def _card_data(card: DraftCard, notes_name: str) -> dict[str, Any]:
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in card.fields(notes_name)
    }


def _section_data(
    section: DraftSection, cards: Iterable[DraftCard], notes_name: str
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": section.key, "title": section.title}
    listed = [_card_data(card, notes_name) for card in cards]
    if listed:
        data["cards"] = listed
    return data


def new_deck_data(draft: Draft, *, notes_name: str) -> dict[str, Any]:
    """What a TOML reader must read back from :func:`new_deck_text`."""
    return {
        "deck": {"id": draft.key, "title": draft.title},
        "sections": [
            _section_data(section, section.cards, notes_name) for section in draft.sections
        ],
    }


# --- a re-run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    """What a re-run changes in a drafted file, and what it only reports.

    Attributes:
        found: drafted cards the file has (by id): left as they are there.
        renumbered: the new ``source`` of each found card whose line moved in the notes.
        new: drafted cards the file does not have: added at the end of their sections.
        deleted: drafted cards the file had once and the student deleted: not added again.
        gone: the id and ``source`` of each card of the file drafted from these notes whose
            text the notes no longer have: listed, not deleted.
        codes: the record the file is left with.
    """

    found: tuple[DraftCard, ...]
    renumbered: dict[str, str]
    new: tuple[DraftCard, ...]
    deleted: tuple[DraftCard, ...]
    gone: tuple[tuple[str, str], ...]
    codes: frozenset[str]

    @property
    def changes(self) -> bool:
        return bool(self.new or self.renumbered)


def _file_cards(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cards: dict[str, dict[str, Any]] = {}
    sections = data.get("sections")
    for section in sections if isinstance(sections, list) else ():
        listed = section.get("cards") if isinstance(section, dict) else None
        for card in listed if isinstance(listed, list) else ():
            if isinstance(card, dict) and isinstance(card.get("id"), str):
                cards.setdefault(card["id"], card)
    return cards


def _from_notes(source: object, notes_name: str) -> bool:
    return isinstance(source, str) and source.rpartition(":")[0] == notes_name


def plan_update(
    draft: Draft, data: dict[str, Any], *, notes_name: str, recorded: frozenset[str]
) -> Update:
    """Compare a fresh draft with the file drafted before (see :class:`Update`).

    Args:
        draft: the notes drafted now.
        data: the file as a TOML reader reads it.
        notes_name: the notes' file name, as ``source`` keys give it.
        recorded: the codes of the file's record (:func:`recorded_codes`).
    """
    in_file = _file_cards(data)
    found, new, deleted = [], [], []
    renumbered: dict[str, str] = {}
    for card in draft.cards:
        if card.key in in_file:
            found.append(card)
            source = in_file[card.key].get("source")
            wanted = f"{notes_name}:{card.found.line}"
            if _from_notes(source, notes_name) and source != wanted:
                renumbered[card.key] = wanted
        elif card.code in recorded:
            deleted.append(card)
        else:
            new.append(card)
    drafted = {card.key for card in draft.cards}
    gone = tuple(
        (key, card["source"])
        for key, card in in_file.items()
        if key not in drafted and _from_notes(card.get("source"), notes_name)
    )
    present = {match[1] for key in in_file if (match := _CODE_IN_ID.search(key))}
    codes = frozenset(card.code for card in draft.cards) | (recorded & present)
    return Update(tuple(found), renumbered, tuple(new), tuple(deleted), gone, codes)


def apply_update(
    file: TomlFile, data: dict[str, Any], draft: Draft, update: Update, *, notes_name: str
) -> tuple[str, dict[str, Any]]:
    """Make the plan's changes in the file's tree.

    Returns:
        The file's new text, and what a TOML reader must read back from it: ``data`` with the
        same changes.
    """
    expected = copy.deepcopy(data)
    expected_cards = _file_cards(expected)
    for key, source in update.renumbered.items():
        expected_cards[key]["source"] = source
    for _, holder in file.sections():
        cards = file.cards(holder)
        for table in cards.body if cards is not None else ():
            card_key = table.get("id")
            if isinstance(card_key, str) and card_key in update.renumbered:
                set_text(table, "source", update.renumbered[card_key])
    tables = dict(file.sections())
    new_keys = {card.key for card in update.new}
    for section in draft.sections:
        adding = [card for card in section.cards if card.key in new_keys]
        if not adding:
            continue
        if section.key not in tables:
            tables[section.key] = _append_section(file, section)
            expected["sections"].append(_section_data(section, (), notes_name))
        table = tables[section.key]
        listed = next(one for one in expected["sections"] if one.get("id") == section.key)
        for card in adding:
            insert_card(table, file.cards(table), card.fields(notes_name))
            listed.setdefault("cards", []).append(_card_data(card, notes_name))
    return _with_record(tomlkit.dumps(file.doc), update.codes), expected


def _append_section(file: TomlFile, section: DraftSection) -> Any:
    """A new ``[[sections]]`` table at the end of the file, for a section new in the notes."""
    sections = file.doc.get("sections")
    assert isinstance(sections, AoT)  # file.sections() has refused any other layout
    table = tomlkit.table()
    table.add("id", section.key)
    table.add("title", section.title)
    sections.append(table)
    return table
