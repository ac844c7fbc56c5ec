"""Anki packages (``.apkg``, ``.colpkg``) and bare Anki collections (``.anki2``, ``.anki21``).

Holds :func:`read_apkg`, which turns one Anki file into an :class:`AnkiFile`: recall decks, one
card per Anki card with its text rendered from the note type's templates, its review history
and whether it is suspended; the cards Anki had buried; a whole collection's day rollover hour;
and, one line each, the cards skipped and the answers left out, with why. What recall itself
exported comes back as it left (:mod:`recall1924.identity`): deck and section ids and the deck's
version from the marks ending the Anki decks' descriptions, and the text of recall's note types
read from their fields, not rendered. The cards of a Cloze note keep its cloze text and number
(``CardSpec.cloze``) when they show just that cloze, so that they can leave as a Cloze note.
Inside, in the order the data flows:

- opening (:mod:`.anki_package`): the package is a zip archive holding an SQLite collection,
  plain (``collection.anki2`` and ``.anki21``, schema 11) or zstd-compressed
  (``collection.anki21b``, schema 18). Sizes and ratios are checked before anything is
  inflated, media names are checked, and the collection (a package's, or a bare one) is copied
  into a temporary folder and opened read-only;
- the collection: every column checked to hold the type Anki writes there (SQLite stores
  whatever it is given), then note types, decks, notes, cards, revlog and the two settings that
  say what the revlog means (the scheduler version and the rollover hour), from schema 11's
  JSON or schema 18's tables (whose config columns are protobuf, read by a small decoder);
- rendering: Anki's templates and cloze deletions (:mod:`.anki_templates`), then
  :func:`~recall1924.importers.html.html_to_text`;
- history: every answer Anki keeps (its revlog rows with a button), numbered as Anki's current
  scheduler numbers them, cramming marked as cram, and a reset wherever Anki's own FSRS starts
  the card's memory state again (see :func:`_answers`); and a count, by reason, of the few
  answers that cannot come (damaged times, impossible buttons, cards not imported).

The names inside follow Anki's (``nid``, ``did``, ``ord``, ``revlog``): they are the source's.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from recall1924 import cloze
from recall1924.clock import LAST_YEAR
from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec, make_key
from recall1924.identity import (
    RecallMark,
    anki_card_key,
    anki_source_id,
    field_text,
    hashed_card_key,
    is_recall_cloze,
    read_mark,
    recall_card_key,
    recall_cloze_key,
    recall_note_type_cards,
)
from recall1924.importers.anki_package import (
    collection_file,
    fail,
    proto,
    proto_text,
    whole_collection,
)
from recall1924.importers.anki_templates import (
    ANSWER_RULE,
    EMPTY_FIELD,
    Context,
    Node,
    is_empty,
    parse,
    render,
)
from recall1924.importers.html import html_to_text
from recall1924.scheduling import ReviewKind
from recall1924.words import plural

__all__ = ["AnkiFile", "read_apkg"]

LEARNING, REVIEW, RELEARNING, FILTERED, MANUAL, RESCHEDULED = range(6)
SUSPENDED_QUEUE = -1
BURIED_QUEUES = frozenset({-2, -3})  # buried by the scheduler (a sibling was answered), by hand
DEFAULT_ROLLOVER = 4  # Anki's; a v1 collection has none, and its upgrade sets this one

# Anki was first released in 2006, so no answer in its review log is older: an id before that
# is damage, most often seconds written where milliseconds belong (1.7e9 ms is January 1970).
FIRST_ANSWER_MS = int(datetime(2006, 1, 1, tzinfo=UTC).timestamp() * 1000)
# The other end is where recall's date arithmetic stops working (clock.LAST_YEAR: a card may
# fall due a century after an answer); past it lie ids no datetime holds (10**17 ms). Answers
# dated after "now" are the import's to refuse: only it is told the time.
LAST_ANSWER_MS = int(datetime(LAST_YEAR, 1, 1, tzinfo=UTC).timestamp() * 1000)

# Why answers (revlog rows with an ease) are left out; the summary lists them in this order.
NO_SUCH_BUTTON, CARD_SKIPPED, CARD_DELETED, TOO_EARLY, TOO_LATE = range(5)
_LEFT_OUT = {
    NO_SUCH_BUTTON: ("answer", "with a button Anki does not have (an ease other than 1 to 4)"),
    CARD_SKIPPED: ("answer", "to cards recall skipped (listed as skipped)"),
    CARD_DELETED: ("answer", "to cards no longer in the file (deleted in Anki)"),
    TOO_EARLY: (
        "review-log row",
        "dated before 2006, when there was no Anki: a damaged time (often seconds written "
        "for milliseconds)",
    ),
    TOO_LATE: ("review-log row", f"dated after the year {LAST_YEAR}: a damaged time"),
}
EMPTY_CARD = "an empty card (Anki's Empty Cards would delete it)"


@dataclass(frozen=True)
class AnkiFile:
    """What an Anki file holds for recall, and what it does not bring.

    Attributes:
        decks: the decks, ordered by title.
        skipped: the Anki cards not imported, one line each, saying why.
        left_out: the answers not imported, one line per reason, with their count.
        buried: ``(deck key, card key)`` of the cards Anki had buried (until its next day).
        day_starts_at: a whole collection's rollover hour (the hour its review days start);
            None for a package of decks, whose cards follow the destination's day, in Anki too.
    """

    decks: list[DeckSpec]
    skipped: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    buried: frozenset[tuple[str, str]] = frozenset()
    day_starts_at: int | None = None


def read_apkg(path: Path, *, deck_key: str | None = None) -> AnkiFile:
    """Read an Anki package or collection into recall decks.

    Each top-level Anki deck that holds cards becomes one deck; its subdecks become sections.
    With ``deck_key``, every card goes into one deck of that key instead, in sections named by
    the full Anki deck paths.

    Args:
        path: an ``.apkg`` / ``.colpkg`` package, or a bare ``.anki2`` / ``.anki21`` collection.
        deck_key: put every card into one deck with this key.

    Returns:
        The decks, and what did not come along.

    Raises:
        DeckFileError: if the file is not an Anki package or collection, is damaged, or is
            unsafe to unpack (too large, an absurd compression ratio, media names that leave
            their folder).
    """
    with tempfile.TemporaryDirectory(prefix="recall-apkg-") as scratch:
        database = collection_file(path, Path(scratch))
        collection = _read_collection(path, database)
    gathered = _gather(collection)
    marks = {deck.parts: deck.mark for deck in collection.decks.values() if deck.mark}
    decks, buried = _decks(path, gathered.cards, marks, deck_key)
    counts = gathered.left_out + collection.left_out
    return AnkiFile(
        decks,
        skipped=tuple(gathered.skipped),
        left_out=tuple(
            f"{plural(counts[reason], noun)} {why}"
            for reason, (noun, why) in _LEFT_OUT.items()
            if counts[reason]
        ),
        buried=buried,
        day_starts_at=collection.rollover if whole_collection(path) else None,
    )


# The collection
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    ord: int
    name: str
    question: str
    answer: str


@dataclass(frozen=True)
class _NoteType:
    name: str
    is_cloze: bool
    fields: tuple[str, ...]
    templates: dict[int, _Template]
    recall_cards: int | None = None
    """For a note type recall wrote, how many cards' text its fields hold."""
    recall_cloze: bool = False
    """Whether it is recall's cloze note type, whose fields hold a cloze as recall wrote it."""


@dataclass(frozen=True)
class _Deck:
    parts: tuple[str, ...]
    mark: RecallMark | None = None
    """The recall ids ending its description, if recall exported it."""


# a note and a card are tuples, as sqlite3 returns their rows: thousands of each are read, and
# a frozen dataclass took three times as long to build
class _Note(NamedTuple):
    guid: str
    mid: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]


class _Card(NamedTuple):
    id: int
    nid: int
    did: int
    ord: int
    queue: int
    flags: int


# cid, id (the answer's time in ms), ease, ivl, factor, time (the answer's duration in ms), type
_Revlog = tuple[int, int, int, int, int, int, int]


@dataclass(frozen=True)
class _Collection:
    note_types: dict[int, _NoteType]
    decks: dict[int, _Deck]
    notes: dict[int, _Note]
    cards: list[_Card]
    revlog: dict[int, list[_Revlog]]
    rollover: int = DEFAULT_ROLLOVER
    left_out: Counter[int] = field(default_factory=Counter)
    """Review-log rows not read at all (dated outside time), by reason."""


class _Damaged(Exception):
    """Something in the collection that Anki does not write; the message says what, in the
    file's own terms, for the one line the user sees."""


def _read_collection(path: Path, database: Path) -> _Collection:
    uri = database.resolve().as_uri() + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        fail(path, f"cannot open the collection ({exc})")
    try:
        # schema 18 declares its name columns with Anki's own collation
        connection.create_collation("unicase", _unicase)
        tables = {
            row[0]
            for row in connection.execute("select name from sqlite_master where type = 'table'")
        }
        if not {"col", "notes", "cards", "revlog"} <= tables:
            fail(path, "not an Anki collection (no notes, cards and revlog tables)")
        schema18 = "notetypes" in tables
        _check_types(connection, tables, schema18=schema18)
        if connection.execute("select count(*) from col").fetchone() == (0,):
            raise _Damaged("its col table, the collection's header, is empty")
        v2, rollover = _scheduling(connection, tables)
        note_types, decks = _schema18(connection) if schema18 else _schema11(connection)
        notes = {
            nid: _Note(guid, mid, tuple(tags.split()), tuple(flds.split("\x1f")))
            for nid, guid, mid, tags, flds in connection.execute(
                "select id, guid, mid, tags, flds from notes order by id"
            )
        }
        cards = [
            _Card(cid, nid, odid or did, ord_, queue, flags)
            for cid, nid, did, odid, ord_, queue, flags in connection.execute(
                "select id, nid, did, odid, ord, queue, flags from cards order by nid, ord"
            )
        ]
        # in time order, which is the table's own (its id is the row id): sorting by card
        # first read the table through the card index, a third slower
        rows = connection.execute(
            "select cid, id, ease, ivl, factor, time, type from revlog order by id"
        ).fetchall()
    except sqlite3.Error as exc:
        fail(path, f"damaged collection ({exc})")
    except _Damaged as exc:
        fail(path, f"damaged collection: {exc}")
    finally:
        connection.close()
    revlog, left_out = _revlog(rows, v2=v2)
    return _Collection(note_types, decks, notes, cards, revlog, rollover, left_out)


def _unicase(left: str, right: str) -> int:
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


_INTEGER, _TEXT, _BLOB = "integer", "text", "blob"
_IN_WORDS = {
    _INTEGER: "a whole number",
    _TEXT: "text",
    _BLOB: "binary data",
    "real": "a fraction",
    "null": "nothing",
}
# what Anki's column names mean, for the message that names one
_COLUMN_WORDS = {
    "nid": "note id",
    "did": "deck id",
    "odid": "home deck id",
    "ord": "template number",
    "mid": "note type id",
    "ntid": "note type id",
    "flds": "fields",
    "cid": "card id",
    "ivl": "interval",
    "ease": "answer button",
    "factor": "ease factor",
    "time": "answer time",
    "type": "kind",
    "config": "settings",
    "kind": "settings",
}
# table: (how a row is named, in SQL; the type Anki writes in each column recall reads)
_COLUMNS: dict[str, tuple[str, dict[str, str]]] = {
    "notes": (
        "'note ' || quote(id)",
        {"id": _INTEGER, "guid": _TEXT, "mid": _INTEGER, "tags": _TEXT, "flds": _TEXT},
    ),
    "cards": (
        "'card ' || quote(id)",
        dict.fromkeys(("id", "nid", "did", "odid", "ord", "queue", "flags"), _INTEGER),
    ),
    "revlog": (
        "'review-log row ' || quote(id)",
        dict.fromkeys(("id", "cid", "ease", "ivl", "factor", "time", "type"), _INTEGER),
    ),
}
_COLUMNS_11 = {"col": ("'the col row'", {"models": _TEXT, "decks": _TEXT, "conf": _TEXT})}
_COLUMNS_18 = {
    "notetypes": ("'note type ' || quote(id)", {"id": _INTEGER, "name": _TEXT, "config": _BLOB}),
    "fields": (
        "'note type ' || quote(ntid) || ', field ' || quote(ord)",
        {"ntid": _INTEGER, "ord": _INTEGER, "name": _TEXT},
    ),
    "templates": (
        "'note type ' || quote(ntid) || ', template ' || quote(ord)",
        {"ntid": _INTEGER, "ord": _INTEGER, "name": _TEXT, "config": _BLOB},
    ),
    "decks": ("'deck ' || quote(id)", {"id": _INTEGER, "name": _TEXT, "kind": _BLOB}),
}


def _check_types(connection: sqlite3.Connection, tables: set[str], *, schema18: bool) -> None:
    """Refuse a column holding another type than Anki writes there (SQLite keeps any value in
    any column): one scan of each table, so that nothing after this meets a surprise."""
    for table, (name, columns) in (_COLUMNS | (_COLUMNS_18 if schema18 else _COLUMNS_11)).items():
        if table not in tables:
            continue  # reading it then says which table is missing
        kinds = ", ".join(f"typeof({column})" for column in columns)
        wrong = " or ".join(f"typeof({column}) != '{kind}'" for column, kind in columns.items())
        # every name in the query is this module's own, none the file's
        row = connection.execute(
            f"select {name}, {kinds} from {table} where {wrong} limit 1"
        ).fetchone()
        if row is None:
            continue
        for (column, kind), found in zip(columns.items(), row[1:], strict=True):
            if found != kind:
                words = _COLUMN_WORDS.get(column)
                named = f"{words} ({column})" if words else column
                raise _Damaged(
                    f"{row[0]}: its {named} holds {_IN_WORDS.get(found, found)}, where Anki "
                    f"writes {_IN_WORDS[kind]}"
                )


T = TypeVar("T")


def _json(text: str, what: str) -> dict[str, Any]:
    """One of schema 11's JSON columns, which hold an object."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise _Damaged(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise _Damaged(f"{what} is not a JSON object")
    return value


def _whole(value: object) -> int | None:
    """``value`` if it is a JSON whole number (not a boolean, which Python counts as one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _get(item: Mapping[str, Any], key: str, kind: type[T], owner: str, what: str) -> T:
    value = item.get(key)
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    raise _Damaged(f"{owner} has no {what}")


def _object(value: object, owner: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Damaged(f"{owner} is not a JSON object")
    return value


def _id(value: object, owner: str) -> int:
    """An id as schema 11 writes it: a number, or (Anki reads both) a number in a string."""
    if (number := _whole(value)) is not None:
        return number
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value):
        return int(value)
    raise _Damaged(f"{owner} has no id")


def _ord(item: Mapping[str, Any], position: int, owner: str) -> int:
    """A field's or template's ordinal: absent or null means its place, as in Anki."""
    value = item.get("ord")
    if value is None:
        return position
    if (number := _whole(value)) is None:
        raise _Damaged(f"{owner} has an ord that is not a whole number")
    return number


def _scheduling(connection: sqlite3.Connection, tables: set[str]) -> tuple[bool, int]:
    """Whether the collection is on Anki's v2 scheduler or later, and its rollover hour.

    Read as Anki reads them (rslib config/mod.rs): a setting that is absent or unreadable takes
    its default, which for the scheduler version is v1; the hour is capped at 23.
    """
    if "config" in tables:  # schema 14 on: one row per key, each value JSON
        values: dict[str, Any] = {}
        for key, value in connection.execute(
            "select key, val from config where key in ('schedVer', 'rollover')"
        ):
            try:
                values[key] = json.loads(value)
            except (ValueError, TypeError, RecursionError):
                pass  # unreadable: Anki takes the default
    else:
        (conf,) = connection.execute("select conf from col").fetchone()
        values = _json(conf, "col.conf (its configuration)") if conf.strip() else {}
    hour = _whole(values.get("rollover"))
    rollover = min(hour, 23) if hour is not None and 0 <= hour <= 255 else DEFAULT_ROLLOVER
    return _whole(values.get("schedVer")) == 2, rollover


def _schema11(connection: sqlite3.Connection) -> tuple[dict[int, _NoteType], dict[int, _Deck]]:
    """Note types and decks as JSON in the ``col`` row (Anki before 2.1.28, and legacy exports).

    What must be there follows Anki's own reader (rslib notetype/schema11.rs, decks/schema11.rs):
    ids (numbers, or numbers in strings), names, fields, templates and their question formats;
    an ``ord`` may be absent, and a template's answer format defaults to empty.
    """
    models_json, decks_json = connection.execute("select models, decks from col").fetchone()
    note_types = {}
    for key, model in _json(models_json, "col.models (its note types)").items():
        model = _object(model, f"note type {key}")
        name = _get(model, "name", str, f"note type {key}", "name")
        owner = f"note type {name!r}"
        ntid = _id(model.get("id"), owner)
        fields = []
        for position, item in enumerate(_get(model, "flds", list, owner, "field list")):
            item = _object(item, f"{owner}: field {position + 1}")
            field_name = _get(item, "name", str, f"{owner}: field {position + 1}", "name")
            fields.append((_ord(item, position, f"{owner}: field {field_name!r}"), field_name))
        templates = {}
        for position, item in enumerate(_get(model, "tmpls", list, owner, "template list")):
            item = _object(item, f"{owner}: template {position + 1}")
            label = f"{owner}: template {position + 1}"
            template_name = _get(item, "name", str, label, "name")
            label = f"{owner}: template {template_name!r}"
            ord_ = _ord(item, position, label)
            question = _get(item, "qfmt", str, label, "question format")
            answer = _get({"afmt": ""} | item, "afmt", str, label, "answer format")
            templates[ord_] = _Template(ord_, template_name, question, answer)
        field_names = tuple(field_name for _, field_name in sorted(fields, key=itemgetter(0)))
        is_cloze = _whole(model.get("type")) == 1
        note_types[ntid] = _NoteType(
            name,
            is_cloze,
            field_names,
            templates,
            recall_note_type_cards(ntid, name, field_names),
            is_cloze and is_recall_cloze(ntid, name, field_names),
        )
    decks = {}
    for key, deck in _json(decks_json, "col.decks (its decks)").items():
        deck = _object(deck, f"deck {key}")
        did = _id(deck.get("id"), f"deck {key}")
        parts = _deck_parts(_get(deck, "name", str, f"deck {did}", "name").split("::"))
        description = deck.get("desc")  # Anki reads a missing or odd one as none
        decks[did] = _Deck(parts, read_mark(description) if isinstance(description, str) else None)
    return note_types, decks


def _deck_parts(parts: Iterable[str]) -> tuple[str, ...]:
    """A deck path as Anki normalises one (rslib decks/name.rs): an empty level is "blank"."""
    return tuple(part.strip() or "blank" for part in parts)


def _schema18(connection: sqlite3.Connection) -> tuple[dict[int, _NoteType], dict[int, _Deck]]:
    """Note types, fields, templates and decks as tables (Anki 2.1.28+), configs as protobuf.

    Field numbers from Anki's proto/anki/notetypes.proto: ``Notetype.Config.kind`` is 1
    (0 normal, 1 cloze); ``Notetype.Template.Config.q_format`` 1 and ``a_format`` 2. From
    decks.proto: a deck's ``kind`` column is ``Deck.KindContainer``, whose ``normal`` (1) holds
    ``Deck.Normal.description`` (4); a filtered deck (2) has none.
    """
    fields: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for ntid, ord_, name in connection.execute("select ntid, ord, name from fields"):
        fields[ntid].append((ord_, name))
    templates: dict[int, dict[int, _Template]] = defaultdict(dict)
    for ntid, ord_, name, config in connection.execute(
        "select ntid, ord, name, config from templates"
    ):
        try:
            message = proto(config)
            question, answer = (proto_text(message, number) for number in (1, 2))
        except ValueError:  # a UnicodeDecodeError too
            raise _Damaged(f"note type {ntid}: template {name!r} has damaged settings") from None
        templates[ntid][ord_] = _Template(ord_, name, question, answer)
    note_types = {}
    for ntid, name, config in connection.execute("select id, name, config from notetypes"):
        try:
            kind = proto(config).get(1, [0])[-1]
        except ValueError:
            raise _Damaged(f"note type {name!r} has damaged settings") from None
        field_names = tuple(name for _, name in sorted(fields[ntid]))
        note_types[ntid] = _NoteType(
            name,
            kind == 1,
            field_names,
            templates[ntid],
            recall_note_type_cards(ntid, name, field_names),
            kind == 1 and is_recall_cloze(ntid, name, field_names),
        )
    decks = {}
    for did, name, kind_container in connection.execute("select id, name, kind from decks"):
        try:
            normal = proto(kind_container).get(1, [b""])[-1]
            description = proto_text(proto(normal), 4) if isinstance(normal, bytes) else ""
        except ValueError:  # a UnicodeDecodeError too
            raise _Damaged(f"deck {name!r} has damaged settings") from None
        decks[did] = _Deck(_deck_parts(name.split("\x1f")), read_mark(description))
    return note_types, decks


# History
# ---------------------------------------------------------------------------------------------


def _revlog(rows: Sequence[_Revlog], *, v2: bool) -> tuple[dict[int, list[_Revlog]], Counter[int]]:
    """The review log by card, each card's rows in the order of ``rows`` (time), without rows
    dated outside time, each ease as the v2 and later schedulers number it.

    On v1, learning and relearning answers (types 0 and 2) had three buttons: 2 was Good and 3
    Easy. Anki renumbers them when it upgrades the scheduler (rslib
    storage/revlog/v2_upgrade.sql), which its importer does for every package that carries
    scheduling; read raw, every Good would be a Hard.
    """
    left_out: Counter[int] = Counter()
    by_card: defaultdict[int, list[_Revlog]] = defaultdict(list)
    for row in rows:
        cid, revlog_id, ease, interval, factor, duration, kind = row
        if revlog_id < FIRST_ANSWER_MS:
            left_out[TOO_EARLY] += 1
        elif revlog_id >= LAST_ANSWER_MS:
            left_out[TOO_LATE] += 1
        elif not v2 and kind in (LEARNING, RELEARNING) and ease in (2, 3):
            by_card[cid].append((cid, revlog_id, ease + 1, interval, factor, duration, kind))
        else:
            by_card[cid].append(row)
    return dict(by_card), left_out


def _memory_start(rows: Sequence[_Revlog]) -> int:
    """Where the answers Anki computes the card's FSRS memory state from begin: an index into
    ``rows`` (one card's, sorted by time), ``len(rows)`` when Anki computes it from none.

    The rule is Anki's ``reviews_for_fsrs`` (rslib/src/scheduler/fsrs/params.rs) as used for
    memory states (``fsrs_item_for_memory_state`` in memory_state.rs: not training, no "ignore
    before" date), with the row kinds of rslib/src/revlog/mod.rs:

    - "cramming", a review in a filtered deck with rescheduling off (type 3 with factor 0,
      ``is_cramming``), does not affect scheduling and is passed over;
    - working back from the newest row, the memory state starts at the last run of learning
      (type 0) answers, or after a reset ("Forget": type 4, Manual, with factor 0): what came
      before belonged to an earlier life of the card (old Anki versions wrote no reset row,
      hence the learning-run rule);
    - a card with no learning run starts at the first graded answer whose interval is at least
      a day (a truncated history; Anki then seeds the state from SM-2);
    - a reset with no grade after it leaves the card new.
    """
    first_learning: int | None = None
    first_graded: int | None = None
    for index in range(len(rows) - 1, -1, -1):
        _, _, ease, interval, factor, _, kind = rows[index]
        if kind == FILTERED and factor == 0:
            continue
        graded = 1 <= ease <= 4
        if graded and (interval >= 1 or interval <= -86_400):
            first_graded = index
        if graded and kind == LEARNING:
            first_learning = index
        elif kind == MANUAL and factor == 0:
            if first_learning is None and first_graded is None:
                return len(rows)  # nothing after the reset
            break
        elif first_learning is not None:
            break
    start = first_learning if first_learning is not None else first_graded
    return len(rows) if start is None else start


_RESET_GAP = timedelta(milliseconds=1)
"""How far a reset recall puts in lies before the answer it precedes (or after the last one):
a revlog id's unit, so that it leaves in the Anki package recall writes and comes back at the
same moment."""

_REVIEW, _CRAM, _RESET = ReviewKind.Review, ReviewKind.Cram, ReviewKind.Reset


def _answers(rows: Sequence[_Revlog]) -> tuple[tuple[PastAnswer, ...], int]:
    """Every answer of the card that Anki keeps, marked so that the answers after the last
    reset are the ones Anki computes its FSRS memory state from; and how many answers cannot
    be kept (their ease is no button Anki has).

    Rows are one card's, sorted by time. A row with ease 0 is not an answer: Anki's own reset
    ("Forget", type 4 with factor 0) comes as a reset, "set due date" (type 4 with a factor)
    and FSRS rescheduling (type 5) are left out, as Anki's answer count leaves them. Cramming
    (type 3 with factor 0) comes as cram, which changes no memory state. Where Anki starts the
    memory state again without a reset row of its own (at a new learning run, at a truncated
    history's first day-or-more answer, or after the last answer when it starts from none; see
    :func:`_memory_start`), a reset is put in, a millisecond before that answer (or after the
    last one), so that the answers before it are kept as the card's earlier life.
    """
    # a package's history is tens of thousands of rows, each a PastAnswer: the loop keeps to
    # locals, and the time of a row is found only for one that is kept
    start = _memory_start(rows)
    no_such_button = 0
    kept: list[PastAnswer] = []
    keep = kept.append
    moment = datetime.fromtimestamp
    since_reset = False  # a review kept since the last reset (or the first row)
    for index, (_, revlog_id, ease, _, factor, duration, kind) in enumerate(rows):
        if index == start and since_reset:
            at = moment(revlog_id / 1000, UTC)
            keep(PastAnswer(at - _RESET_GAP, 0, kind=_RESET))
            since_reset = False
        if ease == 0:
            if kind == MANUAL and factor == 0:
                keep(PastAnswer(moment(revlog_id / 1000, UTC), 0, kind=_RESET))
                since_reset = False
            continue
        if not 1 <= ease <= 4:
            no_such_button += 1
            continue
        cramming = kind == FILTERED and factor == 0
        at = moment(revlog_id / 1000, UTC)
        keep(
            PastAnswer(at, ease, duration if duration > 0 else None, _CRAM if cramming else _REVIEW)
        )
        since_reset = since_reset or not cramming
    if start == len(rows) and since_reset:
        keep(PastAnswer(kept[-1].at + _RESET_GAP, 0, kind=_RESET))
    return tuple(kept), no_such_button


# ---------------------------------------------------------------------------------------------


class _Skip(Exception):
    """A card recall does not import; the message says why, for the summary."""


class _Renderer:
    """Renders cards, parsing each template once."""

    def __init__(self) -> None:
        self._parsed: dict[str, tuple[Node, ...]] = {}
        self._text: dict[str, str] = {}

    def parsed(self, template: str) -> tuple[Node, ...]:
        nodes = self._parsed.get(template)
        if nodes is None:
            nodes = self._parsed[template] = parse(template)
        return nodes

    def text(self, html: str) -> str:
        text = self._text.get(html)
        if text is None:
            text = self._text[html] = html_to_text(html)
        return text

    def recall_card(self, note: _Note, card: _Card) -> tuple[str, str, str | None]:
        """The question, answer and note of a card of recall's own note type, from its fields:
        the text recall wrote there, or the field's HTML as text if it was edited in Anki (the
        answer template would merge the note into the answer).

        Raises:
            _Skip: for a card whose question field is empty (Anki would not generate it).
        """
        start = 3 * card.ord
        values = (*note.fields[start : start + 3], "", "", "")[:3]
        question, answer, note_text = (
            self.text(value).strip() if (text := field_text(value)) is None else text
            for value in values
        )
        if not question.strip():
            raise _Skip(EMPTY_CARD)
        return question, answer, note_text if note_text.strip() else None

    def recall_cloze(self, note: _Note, card: _Card) -> tuple[str, str, str | None, str]:
        """The question, answer, note and cloze text of a card of recall's cloze note type,
        from its fields as :meth:`recall_card` reads them: the question and answer the cloze
        makes (see :mod:`recall1924.cloze`), Back Extra below the answer.

        Raises:
            _Skip: for a card whose number the cloze does not have (Anki would not make it).
        """
        text, extra, note_text = (
            self.text(value).strip() if (plain := field_text(value)) is None else plain
            for value in (*note.fields[:3], "", "", "")[:3]
        )
        number = card.ord + 1
        if number not in cloze.numbers(text):
            raise _Skip(EMPTY_CARD)
        answer = cloze.answer(text, number) + (f"\n{extra}" if extra else "")
        return cloze.question(text, number), answer, note_text or None, text

    def cloze_text(self, note: _Note, card: _Card, question: str, answer: str) -> str | None:
        """The text of the field holding the cloze of ``card`` of an Anki Cloze note (the
        first that has its number), if the card shows just that cloze (Anki's stock Cloze
        does: ``{{cloze:Text}}``, then Back Extra below the answer): then it can leave as a
        Cloze note again. A template that shows more (a title field above the cloze, say)
        gives a card of its text alone."""
        number = card.ord + 1
        for value in note.fields:
            if number in cloze.numbers(value):
                text = self.text(value)
                return text if cloze.shows(text, number, question, answer) else None
        return None

    def preview(self, note: _Note) -> str:
        """The note as a person would recognise it: its first field with text, shortened."""
        for value in note.fields:
            line = self.text(value).partition("\n")[0].strip()
            if line:
                return line if len(line) <= 40 else line[:39] + "…"
        return ""

    def card(
        self, note: _Note, note_type: _NoteType, template: _Template, card: _Card, deck: _Deck
    ) -> tuple[str, str]:
        """The question and answer text.

        Raises:
            _Skip: for a card Anki would not generate, or whose front shows no text.
        """
        fields = dict(zip(note_type.fields, note.fields, strict=False))
        for name in note_type.fields[len(note.fields) :]:
            fields[name] = ""
        fields.update(
            {
                "Tags": " ".join(note.tags),
                "Type": note_type.name,
                "Deck": "::".join(deck.parts),
                "Subdeck": deck.parts[-1],
                "Card": template.name,
                "CardFlag": f"flag{card.flags & 7}" if card.flags & 7 else "",
                "CardID": str(card.id),
            }
        )
        fields.setdefault(f"c{card.ord + 1}", "1")
        nonempty = {name for name, value in fields.items() if not EMPTY_FIELD.match(value)}
        question_nodes = self.parsed(template.question)
        if note_type.is_cloze:
            if card.ord + 1 not in set().union(*map(cloze.numbers, note.fields)):
                raise _Skip(EMPTY_CARD)
        elif is_empty(question_nodes, nonempty):
            raise _Skip(EMPTY_CARD)
        context = Context(fields, nonempty, card.ord + 1, None)
        question = render(question_nodes, context)
        context.front = question
        # recall shows the question above the answer: drop the back's copy of the front, the
        # leading {{FrontSide}} and whatever precedes <hr id=answer> (Anki's own card export
        # drops the latter the same way)
        back = template.answer.lstrip()
        if back.startswith("{{FrontSide}}"):
            back = back[len("{{FrontSide}}") :]
        answer = ANSWER_RULE.sub("", render(self.parsed(back), context))
        question_text, answer_text = self.text(question), self.text(answer)
        if not question_text:
            # Anki counts only <br> and <div> as empty, so it imports a front of, say,
            # <pre><br></pre>; recall has nothing to ask with it
            raise _Skip("its front shows no text")
        if not answer_text:  # a back that only repeats the front: show it whole
            answer_text = self.text(render(self.parsed(template.answer), context))
        return question_text, answer_text


@dataclass
class _Gathered:
    """The cards of a collection as recall cards (with their Anki deck and whether they are
    buried), the ones skipped, and the answers left out by reason."""

    cards: list[tuple[_Deck, CardSpec, bool]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    left_out: Counter[int] = field(default_factory=Counter)


def _copies(notes: Mapping[int, _Note]) -> dict[int, int]:
    """Each note's place among the notes sharing its GUID, oldest first (0 for most)."""
    seen: Counter[str] = Counter()
    copies = {}
    for nid in sorted(notes):
        guid = notes[nid].guid
        copies[nid] = seen[guid]
        seen[guid] += 1
    return copies


def _gather(collection: _Collection) -> _Gathered:
    """Every card Anki would import, or a line saying why it is not; every answer kept, or
    counted with why not (Anki imports the review log of every card it imports)."""
    renderer = _Renderer()
    gathered = _Gathered()
    seen: set[str] = set()
    imported: set[int] = set()
    copies = _copies(collection.notes)
    fallback = _Deck(("Default",))
    for card in collection.cards:
        note = collection.notes.get(card.nid)
        if note is None:  # an orphan card: Anki's "check database" would delete it
            gathered.skipped.append(f"card {card.id}: its note {card.nid} is not in the file")
            continue
        deck = collection.decks.get(card.did, fallback)
        note_type = collection.note_types.get(note.mid)
        # a cloze note type has one template for every cloze number
        template = None
        if note_type is not None:
            template = note_type.templates.get(0 if note_type.is_cloze else card.ord)
        if note_type is None:
            why = f"its note type {note.mid} is not in the file"
            gathered.skipped.append(_skipped(renderer, note, deck, why))
            continue
        if template is None:
            why = f"its note type has no template {card.ord + 1}"
            gathered.skipped.append(_skipped(renderer, note, deck, why, note_type.name))
            continue
        label = f"cloze {card.ord + 1}" if note_type.is_cloze else template.name
        kind = f"{note_type.name}, {label}"
        note_text = cloze_text = None
        try:
            if note_type.recall_cloze:
                question, answer, note_text, cloze_text = renderer.recall_cloze(note, card)
            elif note_type.recall_cards is not None and card.ord < note_type.recall_cards:
                question, answer, note_text = renderer.recall_card(note, card)
            else:
                question, answer = renderer.card(note, note_type, template, card, deck)
                if note_type.is_cloze:
                    cloze_text = renderer.cloze_text(note, card, question, answer)
        except _Skip as skip:
            gathered.skipped.append(_skipped(renderer, note, deck, str(skip), kind))
            continue
        copy = copies[card.nid]
        # a cloze recall gave an id comes back with its cards' ids; any other card by GUID
        own_key = (
            recall_cloze_key(note.guid, card.ord, copy=copy) if note_type.recall_cloze else None
        )
        key = own_key or anki_card_key(note.guid, card.ord, copy=copy)
        if key in seen:  # two recall GUIDs naming the same card key, say
            key = hashed_card_key(note.guid, card.ord, copy=copy)
        if key in seen:
            why = "a second card of the same note and template"
            gathered.skipped.append(_skipped(renderer, note, deck, why, kind))
            continue
        seen.add(key)
        imported.add(card.id)
        # a card recall exported is recall's own come back: it came from nowhere else
        own = key in (own_key, recall_card_key(note.guid, card.ord, copy=copy))
        history, no_such_button = _answers(collection.revlog.get(card.id, ()))
        if no_such_button:
            gathered.left_out[NO_SUCH_BUTTON] += no_such_button
        spec = CardSpec(
            key=key,
            question=question,
            answer=answer,
            note=note_text,
            tags=note.tags,
            source_id=None if own else anki_source_id(note.guid, card.ord),
            history=history,
            suspended=card.queue == SUSPENDED_QUEUE,
            cloze=cloze_text,
            cloze_ord=None if cloze_text is None else card.ord + 1,
        )
        gathered.cards.append((deck, spec, card.queue in BURIED_QUEUES))
    known = {card.id for card in collection.cards}
    for cid, rows in collection.revlog.items():
        if cid not in imported:
            reason = CARD_SKIPPED if cid in known else CARD_DELETED
            gathered.left_out[reason] += sum(1 for row in rows if row[2] != 0)
    return gathered


def _skipped(renderer: _Renderer, note: _Note, deck: _Deck, why: str, kind: str = "") -> str:
    """The line saying a card is skipped: its deck, the note as its owner would know it (found
    only for the few cards skipped), the note type and template, and why."""
    kind = f" ({kind})" if kind else ""
    return f"{'::'.join(deck.parts)}: note {renderer.preview(note)!r}{kind}: {why}"


def _decks(
    path: Path,
    cards: Sequence[tuple[_Deck, CardSpec, bool]],
    marks: Mapping[tuple[str, ...], RecallMark],
    deck_key: str | None,
) -> tuple[list[DeckSpec], frozenset[tuple[str, str]]]:
    """The decks, and ``(deck key, card key)`` of each buried card.

    A top-level Anki deck whose description ends with recall's deck mark (see
    :func:`~recall1924.identity.read_mark`) gets the id, version and description recall gave
    it, and its sections come in the order recall exported them (its first card's); a subdeck
    with a section mark gets that section's id. Other decks take their ids from their titles
    and their sections the order Anki shows them in.
    """
    by_path: dict[tuple[str, ...], list[CardSpec]] = defaultdict(list)
    buried: list[tuple[tuple[str, ...], str]] = []
    for deck, card, is_buried in cards:  # the cards in the package's order, by note
        by_path[deck.parts].append(card)
        if is_buried:
            buried.append((deck.parts, card.key))
    tops = {parts[0]: _deck_mark(marks, parts[0]) for parts in by_path}
    if deck_key is not None:
        single = next(iter(tops)) if len(tops) == 1 else None
        mark = None if single is None else tops[single]
        order = _order(list(by_path), in_package=mark is not None)
        sections = _sections(
            [(" :: ".join(parts), _section_key(marks, parts), by_path[parts]) for parts in order]
        )
        version, description = _from_mark(mark)
        title = path.stem if single is None else single
        spec = DeckSpec(deck_key, title, sections, description, str(path), version)
        return [spec], frozenset((deck_key, key) for _, key in buried)
    grouped: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for parts in by_path:
        grouped[parts[0]].append(parts)
    asked = [(top, None if mark is None else mark.key) for top, mark in tops.items()]
    keys = dict(zip(tops, _unique_keys(asked), strict=True))
    decks = []
    for top in sorted(grouped, key=str.casefold):
        mark = tops[top]
        order = _order(grouped[top], in_package=mark is not None)
        groups = [
            (
                " :: ".join(parts[1:]) or top,
                "main" if len(parts) == 1 else _section_key(marks, parts),
                by_path[parts],
            )
            for parts in order
        ]
        version, description = _from_mark(mark)
        decks.append(DeckSpec(keys[top], top, _sections(groups), description, str(path), version))
    return decks, frozenset((keys[parts[0]], key) for parts, key in buried)


def _deck_mark(marks: Mapping[tuple[str, ...], RecallMark], top: str) -> RecallMark | None:
    """The deck mark ending the description of the top-level deck ``top``, if there is one."""
    mark = marks.get((top,))
    return mark if mark is not None and mark.kind == "deck" else None


def _section_key(marks: Mapping[tuple[str, ...], RecallMark], parts: tuple[str, ...]) -> str | None:
    """The id a section mark gives the subdeck at ``parts`` (None: none, or a top-level deck)."""
    mark = marks.get(parts)
    return mark.key if mark is not None and mark.kind == "section" and len(parts) > 1 else None


def _order(paths: list[tuple[str, ...]], *, in_package: bool) -> list[tuple[str, ...]]:
    """Deck paths in the package's order (as recall wrote them), or as Anki lists them."""
    if in_package:
        return paths
    return sorted(paths, key=lambda parts: tuple(part.casefold() for part in parts))


def _from_mark(mark: RecallMark | None) -> tuple[int | None, str | None]:
    """A marked deck's version and description (recall's plain text, or Anki's HTML as text:
    edited there, say); none for a deck recall did not write."""
    if mark is None:
        return None, None
    description = field_text(mark.description)
    if description is None:
        description = html_to_text(mark.description).strip()
    return mark.version, description or None


def _unique_keys(wanted: Sequence[tuple[str, str | None]]) -> list[str]:
    """A unique key for each ``(title, key it asks for or None)``: the one asked for (recall's
    id, from a mark), else one made from the title. Asked-for keys are taken first, so that a
    title that makes another's id does not take it; a key already taken is numbered (``-2``,
    ``-3``...): two decks may claim one id (a recall deck copied in Anki, marks and all), and
    "A B" and "A-B" make one."""
    keys = [""] * len(wanted)
    taken: set[str] = set()
    # asked-for first, each kind in its order (the sort is stable)
    for index in sorted(range(len(wanted)), key=lambda index: wanted[index][1] is None):
        title, asked = wanted[index]
        key = base = asked or make_key(title)
        number = 2
        while key in taken:
            key, number = f"{base[:60]}-{number}", number + 1
        keys[index] = key
        taken.add(key)
    return keys


def _sections(
    groups: Sequence[tuple[str, str | None, Sequence[CardSpec]]],
) -> tuple[SectionSpec, ...]:
    """Sections from ``(title, key or None to make one from the title, cards)``, with unique
    keys (see :func:`_unique_keys`)."""
    keys = _unique_keys([(title, wanted) for title, wanted, _ in groups])
    return tuple(
        SectionSpec(key, title, tuple(cards))
        for key, (title, _, cards) in zip(keys, groups, strict=True)
    )
