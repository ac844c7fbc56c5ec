"""Decks as an Anki package (``.apkg``) that Anki opens with the cards, the deck tree and the
review history.

Holds :func:`apkg_bytes` and :func:`write_apkg`. The package is Anki's legacy layout: a zip with
``collection.anki2`` (an SQLite database in Anki's schema 11, the one every Anki and AnkiDroid
still imports) and the package's media (:func:`_media_members`: an empty ``media`` list for
now). A recall deck becomes a top-level Anki deck and each section a subdeck ``Deck::Section``
(the ``main`` section an Anki package's own cards came in goes back into the deck itself). The
deck's id and version, and each section's id, end the Anki deck's description as an HTML
comment (:func:`~recall1924.identity.deck_mark`), which Anki keeps and does not show.

Every card of recall's own is a note of "Basic (recall)": the fields Front and Back, plus Note
for recall's note, shown under the answer when there is one. The cards that came from one Anki
note (their ``source_id`` names its GUID and template) leave as that one note again, with its
GUID and each card in its template's place, in a note type of as many templates: recall keeps
each card's text, not the note's fields, so template *n* shows Front_n and Back_n (see
:func:`~recall1924.identity.recall_note_type`). A cloze's cards (a deck file's ``cloze``, or an
Anki Cloze note's) leave as one note of "Cloze (recall)", Anki's Cloze note type: its text in
Text, what its answers show below the cloze in Back Extra, recall's note in Note, each card in
its number's place (see :mod:`recall1924.exporters.clozes`). Anki's own names (``nid``,
``did``, ``ivl``, ``revlog``) are used here, as they are the format's.

Each card answered before gets one revlog row per answer, cram answers and resets included (as
Anki writes them: a filtered deck's answer without rescheduling, and Forget's manual row), so
that recall importing the package replays the memory state it had. A card that comes with its
memory state and its deck's settings (an export of the collection: :func:`_placement`) keeps
its place in recall's schedule: a learning or relearning card stays one, on its step, due when
recall has it due; a review card keeps its due day and interval; its FSRS stability and
difficulty, desired retention and decay go into the card's ``data``, where Anki's FSRS reads
them. The ease factor, and the whole schedule of a card without its memory state, are a simple
SM-2 estimate from the answers and the time between them (:func:`_schedule`).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from recall1924.deck import CardSpec, DeckSpec, PastAnswer
from recall1924.exporters.atomic import write_atomically
from recall1924.exporters.clozes import ClozeNote, cloze_notes
from recall1924.identity import (
    CLOZE_FIELDS,
    CLOZE_NOTETYPE_ID,
    CLOZE_NOTETYPE_NAME,
    MAX_CARDS_PER_NOTE,
    NOTETYPE_ID,
    NOTETYPE_NAME,
    RecallMark,
    anki_card_key,
    anki_identity,
    deck_mark,
    field_html,
    hashed_card_key,
    read_mark,
    recall_guid,
    recall_note_type,
    section_mark,
)
from recall1924.scheduling import CardStatus, MemoryState, ReviewKind
from recall1924.settings import Settings

__all__ = [
    "NOTETYPE_ID",
    "NOTETYPE_NAME",
    "RecallMark",
    "anki_identity",
    "apkg_bytes",
    "deck_mark",
    "field_html",
    "read_mark",
    "section_mark",
    "write_apkg",
]

MAIN_SECTION = "main"  # the key the Anki package reader gives an Anki deck's own cards
DECK_CONFIG_ID = 1
DEFAULT_DECK_ID = 1
MAX_ANSWER_MS = 60_000
GUID_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)

# Card types and queues in Anki's cards table, and revlog entry types.
NEW, LEARNING, REVIEW, RELEARNING = 0, 1, 2, 3
QUEUE_SUSPENDED, QUEUE_NEW, QUEUE_LEARNING, QUEUE_REVIEW, QUEUE_DAY_LEARNING = -1, 0, 1, 2, 3
_ANKI_TYPES = {
    CardStatus.New: NEW,
    CardStatus.Learning: LEARNING,
    CardStatus.Review: REVIEW,
    CardStatus.Relearning: RELEARNING,
}
REVLOG_LEARN, REVLOG_REVIEW, REVLOG_RELEARN, REVLOG_FILTERED, REVLOG_MANUAL = range(5)
AGAIN, HARD, EASY = 1, 2, 4

_SCHEMA = """
CREATE TABLE col (
  id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, scm integer NOT NULL,
  ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, ls integer NOT NULL,
  conf text NOT NULL, models text NOT NULL, decks text NOT NULL, dconf text NOT NULL,
  tags text NOT NULL
);
CREATE TABLE notes (
  id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL,
  usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL,
  csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL
);
CREATE TABLE cards (
  id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL,
  due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL,
  lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL, odid integer NOT NULL,
  flags integer NOT NULL, data text NOT NULL
);
CREATE TABLE revlog (
  id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL,
  ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL, time integer NOT NULL,
  type integer NOT NULL
);
CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL);
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
"""

_CSS = """.card {
    font-family: arial;
    font-size: 20px;
    line-height: 1.5;
    text-align: center;
    color: black;
    background-color: white;
}
.note {
    font-size: 16px;
    color: grey;
}
"""


def anki_tag(tag: str) -> str:
    """A tag as Anki stores it: one word, so inner whitespace becomes ``_``."""
    return re.sub(r"\s+", "_", tag.strip())


def stable_guid(*parts: str) -> str:
    """A note GUID in Anki's style (base-91 of 64 bits), the same for the same parts."""
    digest = hashlib.sha256("\x1f".join(("recall", *parts)).encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    while number:
        number, digit = divmod(number, len(GUID_CHARS))
        chars.append(GUID_CHARS[digit])
    return "".join(reversed(chars)) or GUID_CHARS[0]


@dataclass(frozen=True)
class _Schedule:
    """A card's Anki scheduling columns and its revlog rows, from its past answers."""

    ctype: int
    due_at: datetime | None
    ivl: int
    factor: int
    lapses: int
    revlog: tuple[tuple[int, int, int, int, int, int], ...]  # ease ivl lastIvl factor time type
    last_review: int | None = None
    """Which revlog row is the card's last review (``None``: a new card, never or since reset)."""

    @property
    def reps(self) -> int:
        """The answers Anki counts (every row with a button)."""
        return sum(1 for row in self.revlog if row[0])


def _schedule(history: Sequence[PastAnswer]) -> _Schedule:
    """Replay ``history`` with SM-2-like rules: the first answer (of the card, or since a
    reset) is learning, an Again on a review card is a lapse and the answers after it
    relearning, until one passes. A reset is Anki's own Forget row (Manual, ease 0, factor 0)
    and makes the card new; a cram answer is a filtered deck's with rescheduling off (factor 0)
    and changes nothing: Anki reads both back as they were meant."""
    ivl, factor, lapses = 0, 2500, 0
    rows = []
    previous: PastAnswer | None = None  # the last review since the last reset
    last_review: int | None = None
    relearning = False
    for index, answer in enumerate(sorted(history, key=lambda past: past.at)):
        time_ms = min(MAX_ANSWER_MS, max(0, answer.duration_ms or 0))
        if answer.kind == ReviewKind.Reset:
            rows.append((0, 0, ivl, 0, 0, REVLOG_MANUAL))
            ivl, factor, previous, last_review, relearning = 0, 2500, None, None, False
            continue
        if answer.kind != ReviewKind.Review:
            rows.append((answer.rating, ivl, ivl, 0, time_ms, REVLOG_FILTERED))
            continue
        if previous is None:
            kind = REVLOG_LEARN
        elif relearning:
            kind = REVLOG_RELEARN
        else:
            kind = REVLOG_REVIEW
        waited = 0 if previous is None else max(0, (answer.at - previous.at).days)
        base = max(1, ivl, waited)
        last_ivl = ivl
        if answer.rating == AGAIN:
            if kind == REVLOG_REVIEW:
                lapses += 1
                factor = max(1300, factor - 200)
            relearning = previous is not None
            ivl = 1
        else:
            relearning = False
            if previous is None:
                ivl = {HARD: 1, EASY: 4}.get(answer.rating, 1)
            elif answer.rating == HARD:
                factor = max(1300, factor - 150)
                ivl = max(1, round(base * 1.2))
            elif answer.rating == EASY:
                factor += 150
                ivl = max(2, round(base * factor / 1000 * 1.3))
            else:
                ivl = max(1, round(base * factor / 1000))
        rows.append((answer.rating, ivl, last_ivl, factor, time_ms, kind))
        previous, last_review = answer, index
    if previous is None:
        return _Schedule(NEW, None, 0, 0, lapses, tuple(rows))
    due_at = previous.at + timedelta(days=ivl)
    return _Schedule(REVIEW, due_at, ivl, factor, lapses, tuple(rows), last_review)


@dataclass(frozen=True)
class _Placement:
    """Where a card stands in Anki's scheduling columns: its type, queue (before suspension),
    due (a new card's position, a review day counted from the collection's creation, or a
    learning step's moment in seconds), interval in days, the learning steps left, and the
    FSRS memory state for the card's ``data``."""

    ctype: int
    queue: int
    due: int
    ivl: int
    left: int = 0
    data: dict[str, Any] = field(default_factory=dict)


def _placement(
    plan: _Schedule, memory: MemoryState | None, settings: Settings | None, created: datetime
) -> _Placement:
    """The card's place in Anki's schedule: recall's own where the card comes with its memory
    state and its deck's settings (a learning or relearning card stays one, on its step, due
    when recall has it due, its FSRS stability and difficulty in ``data``); else the SM-2
    estimate of ``plan``. A new card's ``due`` is left for its position (0 here)."""

    def day(moment: datetime) -> int:
        return (moment.astimezone(UTC).date() - created.date()).days

    if memory is None or settings is None or memory.status is CardStatus.New:
        if plan.due_at is None:
            return _Placement(NEW, QUEUE_NEW, 0, 0)
        return _Placement(plan.ctype, plan.ctype, day(plan.due_at), plan.ivl)
    data: dict[str, Any] = {}
    if memory.stability is not None and memory.difficulty is not None:
        # Anki keeps them to these digits (rslib's card data)
        data = {
            "s": round(memory.stability, 4),
            "d": round(memory.difficulty, 3),
            "dr": settings.desired_retention,
            "decay": settings.model_parameters[20],
        }
    last = memory.last_review or memory.due
    ctype = _ANKI_TYPES[memory.status]
    if ctype == REVIEW:
        return _Placement(
            REVIEW, QUEUE_REVIEW, day(memory.due), max(1, day(memory.due) - day(last)), data=data
        )
    steps = settings.learning_steps if ctype == LEARNING else settings.relearning_steps
    left = max(1, len(steps) - (memory.step or 0))
    ivl = plan.ivl if ctype == RELEARNING else 0
    if memory.due - last < timedelta(days=1):  # a step within the day: due to the second
        return _Placement(ctype, QUEUE_LEARNING, int(memory.due.timestamp()), ivl, left, data)
    return _Placement(ctype, QUEUE_DAY_LEARNING, day(memory.due), ivl, left, data)


def _unique_names(names: Sequence[str], keys: Sequence[str], *, levels: bool = False) -> list[str]:
    """Anki deck names, unique: a title loses its ``::`` (which would make a level of its own,
    or two decks of one name, which would merge), and a repeated name gets its key.

    With ``levels``, `` :: `` in a title separates levels (the Anki package reader titles a
    section from a subdeck's path so, as in ``HSC :: Chemistry``): it leaves as that path."""

    def clean(name: str, key: str) -> str:
        parts = name.split(" :: ") if levels else [name]
        kept = [part for part in (re.sub(":{2,}", ":", part).strip() for part in parts) if part]
        return "::".join(kept) or key

    cleaned = [clean(name, key) for name, key in zip(names, keys, strict=True)]
    counts: dict[str, int] = {}
    for name in cleaned:
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    return [
        f"{name} ({key})" if counts[name.casefold()] > 1 else name
        for name, key in zip(cleaned, keys, strict=True)
    ]


def _deck_json(deck_id: int, name: str, mod: int, description: str = "") -> dict[str, Any]:
    return {
        "id": deck_id,
        "mod": mod,
        "name": name,
        "usn": -1,
        "lrnToday": [0, 0],
        "revToday": [0, 0],
        "newToday": [0, 0],
        "timeToday": [0, 0],
        "collapsed": False,
        "browserCollapsed": False,
        "desc": description,
        "dyn": 0,
        "conf": DECK_CONFIG_ID,
        "extendNew": 0,
        "extendRev": 0,
    }


def _notetype_json(cards: int, mod: int) -> dict[str, Any]:
    """recall's note type of ``cards`` templates, template *n* asking Front_n (Front alone for
    one): Anki makes a note's card *n* only when that field has text."""
    note_type = recall_note_type(cards)

    def template(ordinal: int) -> dict[str, Any]:
        front, back, note = note_type.fields[3 * ordinal : 3 * ordinal + 3]
        answer = "{{FrontSide}}\n\n<hr id=answer>\n\n{{" + back + "}}"
        answer += "\n\n{{#" + note + '}}<div class="note">{{' + note + "}}</div>{{/" + note + "}}"
        return {
            "name": f"Card {ordinal + 1}",
            "ord": ordinal,
            "qfmt": "{{" + front + "}}",
            "afmt": answer,
            "bqfmt": "",
            "bafmt": "",
            "did": None,
            "bfont": "",
            "bsize": 0,
        }

    return _model_json(
        note_type.id,
        note_type.name,
        mod,
        fields=[_field_json(name, ordinal) for ordinal, name in enumerate(note_type.fields)],
        templates=[template(ordinal) for ordinal in range(cards)],
        req=[[ordinal, "any", [3 * ordinal]] for ordinal in range(cards)],
    )


def _field_json(name: str, ordinal: int) -> dict[str, Any]:
    return {
        "name": name,
        "ord": ordinal,
        "sticky": False,
        "rtl": False,
        "font": "Arial",
        "size": 20,
        "media": [],
    }


def _cloze_notetype_json(mod: int) -> dict[str, Any]:
    """recall's cloze note type: Anki's Cloze (one template, a card per cloze number, Text
    then Back Extra on the answer), and recall's note below."""
    text, extra, note = CLOZE_FIELDS
    answer = "{{cloze:" + text + "}}<br>\n{{" + extra + "}}"
    answer += "\n\n{{#" + note + '}}<div class="note">{{' + note + "}}</div>{{/" + note + "}}"
    template = {
        "name": "Cloze",
        "ord": 0,
        "qfmt": "{{cloze:" + text + "}}",
        "afmt": answer,
        "bqfmt": "",
        "bafmt": "",
        "did": None,
        "bfont": "",
        "bsize": 0,
    }
    return _model_json(
        CLOZE_NOTETYPE_ID,
        CLOZE_NOTETYPE_NAME,
        mod,
        fields=[_field_json(name, ordinal) for ordinal, name in enumerate(CLOZE_FIELDS)],
        templates=[template],
        req=[[0, "any", [0]]],
        cloze=True,
    )


def _model_json(
    ntid: int,
    name: str,
    mod: int,
    *,
    fields: list[dict[str, Any]],
    templates: list[dict[str, Any]],
    req: list[list[Any]],
    cloze: bool = False,
) -> dict[str, Any]:
    return {
        "id": ntid,
        "name": name,
        "type": 1 if cloze else 0,
        "mod": mod,
        "usn": -1,
        "sortf": 0,
        "did": None,
        "tmpls": templates,
        "flds": fields,
        "css": _CSS,
        "latexPre": "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n"
        "\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n"
        "\\setlength{\\parindent}{0in}\n\\begin{document}\n",
        "latexPost": "\\end{document}",
        "latexsvg": False,
        "req": req,
        "tags": [],
        "vers": [],
    }


def _deck_config_json() -> dict[str, Any]:
    return {
        "id": DECK_CONFIG_ID,
        "mod": 0,
        "name": "Default",
        "usn": 0,
        "maxTaken": 60,
        "autoplay": True,
        "timer": 0,
        "replayq": True,
        "dyn": False,
        "new": {
            "bury": False,
            "delays": [1.0, 10.0],
            "initialFactor": 2500,
            "ints": [1, 4, 0],
            "order": 1,
            "perDay": 20,
        },
        "rev": {
            "bury": False,
            "ease4": 1.3,
            "ivlFct": 1.0,
            "maxIvl": 36500,
            "perDay": 200,
            "hardFactor": 1.2,
        },
        "lapse": {"delays": [10.0], "leechAction": 1, "leechFails": 8, "minInt": 1, "mult": 0.0},
    }


def _ids(start: int) -> Iterator[int]:
    value = start
    while True:
        yield value
        value += 1


@dataclass(frozen=True)
class _Placed:
    """A card on its way into the package: the Anki deck of its section, and which note
    (GUID, and its place among the notes sharing that GUID) and template it becomes."""

    card: CardSpec
    did: int
    guid: str
    ordinal: int
    copy: int | None  # None: the card's key names no place, so it takes the first free one
    cloze: ClozeNote | None = None
    """The cloze whose note (of recall's cloze note type) the card goes into, if it is one."""
    deck_key: str = field(kw_only=True)
    """The recall deck the card is in: its settings place it in Anki's schedule."""


@dataclass
class _Note:
    guid: str
    cards: dict[int, _Placed] = field(default_factory=dict)  # by template ordinal
    cloze: ClozeNote | None = None


def _place(deck: DeckSpec, card: CardSpec, did: int) -> _Placed:
    """Where ``card`` goes: back into its Anki note when it came from one, else a note of its
    own with a GUID that brings it back to recall as the same card."""
    identity = anki_identity(card.source_id)
    if identity is None:
        return _Placed(card, did, recall_guid(deck.key, card.key), 0, 0, deck_key=deck.key)
    guid, ordinal = identity
    if ordinal >= MAX_CARDS_PER_NOTE:
        return _Placed(card, did, stable_guid(guid, str(ordinal)), 0, 0, deck_key=deck.key)
    return _Placed(card, did, guid, ordinal, None, deck_key=deck.key)


def _notes(placed: Sequence[_Placed]) -> list[_Note]:
    """The notes the cards make: one per GUID, its cards by template ordinal, in the order the
    GUIDs first appear.

    Notes of one GUID are several only when the source had several (genanki's duplicates), so
    two cards claim one template of it: the package holds them as the source did, oldest first,
    as the Anki package reader numbers them (see :func:`~recall1924.identity.anki_card_key`);
    each card goes to the note its key was made from, so every key comes back.
    """
    sharing: dict[tuple[str, int], int] = {}
    for item in placed:
        sharing[item.guid, item.ordinal] = sharing.get((item.guid, item.ordinal), 0) + 1
    by_guid: dict[str, list[_Note]] = {}
    unplaced = []
    for item in placed:
        notes = by_guid.setdefault(item.guid, [])
        if item.cloze is not None:  # a cloze's GUID is its own (see _cloze_places)
            if not notes:
                notes.append(_Note(item.guid, cloze=item.cloze))
            notes[0].cards[item.ordinal] = item
            continue
        copy = item.copy
        if copy is None:
            copy = _copy_named(item, sharing[item.guid, item.ordinal])
        if copy is None:
            unplaced.append(item)
            continue
        while len(notes) <= copy:
            notes.append(_Note(item.guid))
        if item.ordinal in notes[copy].cards:
            unplaced.append(item)
        else:
            notes[copy].cards[item.ordinal] = item
    for item in unplaced:
        notes = by_guid[item.guid]
        free = next((note for note in notes if item.ordinal not in note.cards), None)
        if free is None:
            free = _Note(item.guid)
            notes.append(free)
        free.cards[item.ordinal] = item
    # a copy the collection no longer has leaves no empty note behind
    return [note for notes in by_guid.values() for note in notes if note.cards]


def _copy_named(item: _Placed, copies: int) -> int | None:
    """Which of ``copies`` notes of the card's GUID its key was made from, if any: the Anki
    package reader keys a card by GUID, template and note (and by hash when that key is taken)."""
    for copy in range(copies):
        made = anki_card_key(item.guid, item.ordinal, copy=copy)
        hashed = hashed_card_key(item.guid, item.ordinal, copy=copy)
        if item.card.key in (made, hashed):
            return copy
    return None


def _deck_tree(
    decks: Sequence[DeckSpec], deck_ids: Iterator[int], mod: int
) -> tuple[dict[str, Any], list[_Placed]]:
    """The Anki decks (``col.decks``: a top-level deck per recall deck, a subdeck per section,
    with recall's ids in their descriptions), and the cards placed in them."""
    table = {str(DEFAULT_DECK_ID): _deck_json(DEFAULT_DECK_ID, "Default", 0)}
    placed: list[_Placed] = []
    for deck, deck_name in zip(
        decks, _unique_names([d.title for d in decks], [d.key for d in decks]), strict=True
    ):
        deck_id = next(deck_ids)
        description = field_html(deck.description or "") + deck_mark(deck.key, deck.version)
        table[str(deck_id)] = _deck_json(deck_id, deck_name, mod, description)
        section_names = _unique_names(
            [s.title for s in deck.sections], [s.key for s in deck.sections], levels=True
        )
        for section, section_name in zip(deck.sections, section_names, strict=True):
            if section.key == MAIN_SECTION and section.title == deck.title:
                # what an Anki deck's own cards became: back there, not a level below
                section_id = deck_id
            else:
                section_id = next(deck_ids)
                table[str(section_id)] = _deck_json(
                    section_id, f"{deck_name}::{section_name}", mod, section_mark(section.key)
                )
            placed.extend(_place(deck, card, section_id) for card in section.cards)
    return table, _cloze_places(decks, placed)


def _cloze_places(decks: Sequence[DeckSpec], placed: list[_Placed]) -> list[_Placed]:
    """``placed`` with each card of a cloze in its cloze's note, the card of cloze number *n*
    in template place *n - 1*: a cloze recall gave an id gets a GUID that brings its cards
    back with their ids, one from an Anki note that note's GUID. A cloze whose GUID another
    note of the package has too leaves as cards (two notes of one GUID would be one in Anki)."""
    clozes: dict[tuple[str, str | None, str | None], ClozeNote] = {}
    for deck in decks:
        for note in cloze_notes(deck, package=True, from_anki=True).values():
            clozes[deck.key, note.key, note.guid] = note
    if not clozes:
        return placed

    def guid_of(deck_key: str, note: ClozeNote) -> str:
        if note.key is not None:
            return recall_guid(deck_key, note.key)
        assert note.guid is not None  # a cloze without an id of its own came from Anki
        return note.guid

    by_card: dict[tuple[str, str], tuple[str, ClozeNote]] = {
        (deck_key, card.key): (guid_of(deck_key, note), note)
        for (deck_key, _key, _guid), note in clozes.items()
        for card in note.cards
    }
    # placed holds the decks' cards in their order: each with its deck's key
    owners = [(deck.key, card.key) for deck in decks for card in deck.cards]
    taken = Counter(
        item.guid for item, owner in zip(placed, owners, strict=True) if owner not in by_card
    )
    taken.update(guid_of(deck_key, note) for (deck_key, _key, _guid), note in clozes.items())
    out = []
    for item, owner in zip(placed, owners, strict=True):
        found = by_card.get(owner)
        if found is None or taken[found[0]] > 1:
            out.append(item)
            continue
        guid, note = found
        assert item.card.cloze_ord is not None
        out.append(
            _Placed(
                item.card, item.did, guid, item.card.cloze_ord - 1, 0, note, deck_key=item.deck_key
            )
        )
    return out


def _fill(
    db: sqlite3.Connection,
    decks: Sequence[DeckSpec],
    now: datetime,
    media: Mapping[str, Path],
    settings: Mapping[str, Settings],
) -> None:
    now_ms = int(now.timestamp() * 1000)
    now_s = now_ms // 1000
    # The collection starts at the UTC midnight of the export: review due dates count days from
    # it, and Anki shifts them by the days between this and the importing collection.
    created = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    total = sum(len(deck.cards) for deck in decks)
    # Note and card ids are creation times in ms; Anki refuses ids in the future.
    note_ids = _ids(now_ms - total)
    card_ids = _ids(now_ms - total)
    deck_ids = _ids(now_ms - total - sum(1 + len(deck.sections) for deck in decks))
    deck_table, placed = _deck_tree(decks, deck_ids, now_s)
    used_revlog_ids: set[int] = set()
    new_position = 0
    # the one-card type always, as Anki's "Add" starts with it (conf's curModel)
    sizes = {1}
    clozes = False
    for note in _notes(placed):
        nid = next(note_ids)
        if note.cloze is not None:
            clozes = True
            _insert_cloze_note(db, nid, note, note.cloze, now_s, media)
        else:
            cards = max(note.cards) + 1
            sizes.add(cards)
            _insert_note(db, nid, note, cards, now_s, media)
        for ordinal, item in sorted(note.cards.items()):
            cid, card = next(card_ids), item.card
            plan = _schedule(card.history)
            place = _placement(plan, card.memory, settings.get(item.deck_key), created)
            due = place.due
            if place.ctype == NEW:
                new_position += 1
                due = new_position
            queue = QUEUE_SUSPENDED if card.suspended else place.queue
            answers = sorted(card.history, key=lambda past: past.at)
            revlog_ids = _revlog_ids(answers, used_revlog_ids)
            # Anki keeps the last review's time with the card (Check Database sets it when it
            # differs); a new card has none
            last = plan.last_review
            data = place.data if last is None else place.data | {"lrt": revlog_ids[last] // 1000}
            db.execute(
                "INSERT INTO cards VALUES (?,?,?,?,?,-1,?,?,?,?,?,?,?,?,0,0,0,?)",
                (
                    cid,
                    nid,
                    item.did,
                    ordinal,
                    now_s,
                    place.ctype,
                    queue,
                    due,
                    place.ivl,
                    plan.factor,
                    plan.reps,
                    plan.lapses,
                    place.left,
                    _dumps(data) if data else "",
                ),
            )
            for revlog_id, row in zip(revlog_ids, plan.revlog, strict=True):
                db.execute(
                    "INSERT INTO revlog VALUES (?,?,-1,?,?,?,?,?,?)",
                    (revlog_id, cid, *row),
                )

    conf = {
        "schedVer": 2,
        "sched2021": True,
        "nextPos": new_position + 1,
        "curModel": NOTETYPE_ID,
        "curDeck": DEFAULT_DECK_ID,
        "activeDecks": [DEFAULT_DECK_ID],
        "addToCur": True,
        "sortType": "noteFld",
        "sortBackwards": False,
        "collapseTime": 1200,
        "timeLim": 0,
        "estTimes": True,
        "dueCounts": True,
        "newSpread": 0,
        "dayLearnFirst": False,
    }
    note_types = {
        str(recall_note_type(cards).id): _notetype_json(cards, now_s) for cards in sorted(sizes)
    }
    if clozes:
        note_types[str(CLOZE_NOTETYPE_ID)] = _cloze_notetype_json(now_s)
    db.execute(
        "INSERT INTO col VALUES (1,?,?,?,11,0,0,0,?,?,?,?,'{}')",
        (
            int(created.timestamp()),
            now_ms,
            now_ms,
            _dumps(conf),
            _dumps(note_types),
            _dumps(deck_table),
            _dumps({str(DECK_CONFIG_ID): _deck_config_json()}),
        ),
    )


def _revlog_ids(answers: Sequence[PastAnswer], used: set[int]) -> list[int]:
    """Revlog ids (answer times in ms) for one card's ``answers``, oldest first: unique, as
    Anki keys revlog rows by them, and in the answers' order.

    A time taken moves the answer a millisecond earlier, never later: an import of the package
    adds only answers later than a card's last, so one moved later would come back twice.
    """
    ids: list[int] = []
    for answer in reversed(answers):
        revlog_id = int(answer.at.timestamp() * 1000)
        if ids:
            revlog_id = min(revlog_id, ids[-1] - 1)
        while revlog_id in used:
            revlog_id -= 1
        used.add(revlog_id)
        ids.append(revlog_id)
    return ids[::-1]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _insert_note(
    db: sqlite3.Connection,
    nid: int,
    note: _Note,
    cards: int,
    mod: int,
    media: Mapping[str, Path],
) -> None:
    """Write ``note`` in recall's note type of ``cards`` templates: each card's question,
    answer and note in its template's fields (the files of ``media`` named as Anki names
    them), the tags of all its cards."""
    from recall1924.media import anki_field

    fields = [""] * (3 * cards)
    for ordinal, item in note.cards.items():
        card = item.card
        fields[3 * ordinal : 3 * ordinal + 3] = (
            anki_field(field_html(card.question), media),
            anki_field(field_html(card.answer), media),
            anki_field(field_html(card.note or ""), media),
        )
    tags = _note_tags(note)
    sort_field = note.cards[0].card.question if 0 in note.cards else ""
    checksum = int(hashlib.sha1(sort_field.encode()).hexdigest()[:8], 16)
    db.execute(
        "INSERT INTO notes VALUES (?,?,?,?,-1,?,?,?,?,0,'')",
        (
            nid,
            note.guid,
            recall_note_type(cards).id,
            mod,
            f" {tags} " if tags else "",
            "\x1f".join(fields),
            sort_field,
            checksum,
        ),
    )


def _note_tags(note: _Note) -> str:
    """The tags of the note's cards, each once, as Anki's tags column holds them."""
    return " ".join(
        dict.fromkeys(
            anki_tag(tag)
            for _, item in sorted(note.cards.items())
            for tag in item.card.tags
            if tag.strip()
        )
    )


def _insert_cloze_note(
    db: sqlite3.Connection,
    nid: int,
    note: _Note,
    cloze: ClozeNote,
    mod: int,
    media: Mapping[str, Path],
) -> None:
    """Write ``note`` in recall's cloze note type: the cloze's text, what its answers show
    below it (Back Extra) and its note, and its cards' tags."""
    from recall1924.media import anki_field

    first = cloze.first
    fields = [
        anki_field(field_html(text), media)
        for text in (cloze.text, cloze.extra(), first.note or "")
    ]
    tags = _note_tags(note)
    checksum = int(hashlib.sha1(cloze.text.encode()).hexdigest()[:8], 16)
    db.execute(
        "INSERT INTO notes VALUES (?,?,?,?,-1,?,?,?,?,0,'')",
        (
            nid,
            note.guid,
            CLOZE_NOTETYPE_ID,
            mod,
            f" {tags} " if tags else "",
            "\x1f".join(fields),
            cloze.text,
            checksum,
        ),
    )


def _media_members(media: Mapping[str, Path]) -> list[tuple[str, bytes]]:
    """The package's media as zip members: the ``media`` list (JSON mapping each member's
    number to a file name, ``{"0": "cat.png"}``) and the numbered files it names. Anki wants
    the list even when it is empty."""
    from recall1924.media import apkg_media

    listing, files = apkg_media(media)
    return [("media", listing), *((member, file.read_bytes()) for member, file in files)]


def apkg_bytes(
    decks: Sequence[DeckSpec],
    *,
    now: datetime,
    media: Mapping[str, Path] | None = None,
    settings: Mapping[str, Settings] | None = None,
) -> bytes:
    """``decks`` as the bytes of an Anki package.

    Args:
        decks: the decks to export; each becomes a top-level Anki deck.
        now: the export time (timezone-aware): note and card ids and review due dates count
            from it. Anki refuses ids more than a day in the future, so pass the real time.
        media: the files the cards name (name -> stored file), carried in the package.
        settings: each deck's settings, by deck key: a card that carries its memory state
            (:attr:`~recall1924.deck.CardSpec.memory`) in a deck given here keeps its place in
            recall's schedule (see :func:`_placement`).
    """
    with tempfile.TemporaryDirectory() as folder:
        collection = Path(folder) / "collection.anki2"
        db = sqlite3.connect(collection)
        try:
            with db:
                db.executescript(_SCHEMA)
                _fill(db, decks, now, media or {}, settings or {})
        finally:
            db.close()
        data = collection.read_bytes()
    utc = now.astimezone(UTC)
    stamp = (max(1980, utc.year), utc.month, utc.day, utc.hour, utc.minute, utc.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, member in (("collection.anki2", data), *_media_members(media or {})):
            package.writestr(zipfile.ZipInfo(name, date_time=stamp), member, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def write_apkg(decks: Sequence[DeckSpec], path: Path, *, now: datetime) -> None:
    """Write ``decks`` to ``path`` as an Anki package (see :func:`apkg_bytes`), replacing any
    file there whole or not at all.

    Raises:
        OSError: if the file cannot be written.
    """
    write_atomically(path, apkg_bytes(decks, now=now), replace=True)
