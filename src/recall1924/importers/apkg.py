"""Anki packages (``.apkg``, ``.colpkg``) and bare Anki collections (``.anki2``, ``.anki21``).

Holds :func:`read_apkg`, which turns one Anki file into :class:`~recall1924.deck.DeckSpec`\\ s:
one recall card per Anki card, its text rendered from the note type's templates, its review
history and whether it is suspended. Inside, in the order the data flows:

- opening (:mod:`.anki_package`): the package is a zip archive holding an SQLite collection,
  plain (``collection.anki2`` and ``.anki21``, schema 11) or zstd-compressed
  (``collection.anki21b``, schema 18). Sizes and ratios are checked before anything is
  inflated, media names are checked, and the collection (a package's, or a bare one) is copied
  into a temporary folder and opened read-only;
- the collection: note types, decks, notes, cards and revlog, read from schema 11's JSON or
  schema 18's tables (whose config columns are protobuf, read by a small decoder);
- rendering: Anki's templates and cloze deletions (:mod:`.anki_templates`), then
  :func:`~recall1924.importers.html.html_to_text`;
- history: the revlog rows Anki's own FSRS memory state is computed from.

The names inside follow Anki's (``nid``, ``did``, ``ord``, ``revlog``): they are the source's.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec, make_key
from recall1924.importers.anki_package import collection_file, fail, proto, proto_text
from recall1924.importers.anki_templates import (
    ANSWER_RULE,
    EMPTY_FIELD,
    Context,
    Node,
    cloze_numbers,
    is_empty,
    parse,
    render,
)
from recall1924.importers.html import html_to_text
from recall1924.importers.identity import anki_card_key

__all__ = ["read_apkg"]

LEARNING, REVIEW, RELEARNING, FILTERED, MANUAL, RESCHEDULED = range(6)
SUSPENDED_QUEUE = -1


def read_apkg(path: Path, *, deck_key: str | None = None) -> list[DeckSpec]:
    """Read an Anki package or collection into recall decks.

    Each top-level Anki deck that holds cards becomes one deck; its subdecks become sections.
    With ``deck_key``, every card goes into one deck of that key instead, in sections named by
    the full Anki deck paths.

    Args:
        path: an ``.apkg`` / ``.colpkg`` package, or a bare ``.anki2`` / ``.anki21`` collection.
        deck_key: put every card into one deck with this key.

    Returns:
        The decks, ordered by title.

    Raises:
        DeckFileError: if the file is not an Anki package or collection, is damaged, or is
            unsafe to unpack (too large, an absurd compression ratio, media names that leave
            their folder).
    """
    with tempfile.TemporaryDirectory(prefix="recall-apkg-") as scratch:
        database = collection_file(path, Path(scratch))
        collection = _read_collection(path, database)
    return _decks(path, collection, deck_key)


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


@dataclass(frozen=True)
class _Deck:
    parts: tuple[str, ...]


@dataclass(frozen=True)
class _Note:
    guid: str
    mid: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]


@dataclass(frozen=True)
class _Card:
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


def _read_collection(path: Path, database: Path) -> _Collection:
    uri = database.resolve().as_uri() + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        fail(path, f"cannot open the collection ({exc})")
    try:
        # schema 18 declares its name columns with Anki's own collation
        connection.create_collation("unicase", _unicase)
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        if not {"col", "notes", "cards", "revlog"} <= tables:
            fail(path, "not an Anki collection (no notes, cards and revlog tables)")
        if "notetypes" in tables:
            note_types, decks = _schema18(connection)
        else:
            note_types, decks = _schema11(connection)
        notes = {
            nid: _Note(guid, mid, tuple(tags.split()), tuple(flds.split("\x1f")))
            for nid, guid, mid, tags, flds in connection.execute(
                "select id, guid, mid, tags, flds from notes"
            )
        }
        cards = [
            _Card(cid, nid, odid or did, ord_, queue, flags)
            for cid, nid, did, odid, ord_, queue, flags in connection.execute(
                "select id, nid, did, odid, ord, queue, flags from cards order by nid, ord"
            )
        ]
        rows = connection.execute(
            "select cid, id, ease, ivl, factor, time, type from revlog order by cid, id"
        ).fetchall()
        revlog = {cid: list(group) for cid, group in groupby(rows, key=itemgetter(0))}
    except sqlite3.Error as exc:
        fail(path, f"damaged collection ({exc})")
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        fail(path, f"damaged collection ({type(exc).__name__}: {exc})")
    finally:
        connection.close()
    return _Collection(note_types, decks, notes, cards, revlog)


def _unicase(left: str, right: str) -> int:
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


def _schema11(connection: sqlite3.Connection) -> tuple[dict[int, _NoteType], dict[int, _Deck]]:
    """Note types and decks as JSON in the ``col`` row (Anki before 2.1.28, and legacy exports)."""
    models_json, decks_json = connection.execute("select models, decks from col").fetchone()
    note_types = {}
    for model in json.loads(models_json).values():
        fields = sorted(model["flds"], key=lambda field: field["ord"])
        templates = {
            int(t["ord"]): _Template(int(t["ord"]), t["name"], t["qfmt"], t["afmt"])
            for t in model["tmpls"]
        }
        note_types[int(model["id"])] = _NoteType(
            model["name"], model.get("type") == 1, tuple(f["name"] for f in fields), templates
        )
    decks = {
        int(deck["id"]): _Deck(tuple(deck["name"].split("::")))
        for deck in json.loads(decks_json).values()
    }
    return note_types, decks


def _schema18(connection: sqlite3.Connection) -> tuple[dict[int, _NoteType], dict[int, _Deck]]:
    """Note types, fields, templates and decks as tables (Anki 2.1.28+), configs as protobuf.

    Field numbers from Anki's proto/anki/notetypes.proto: ``Notetype.Config.kind`` is 1
    (0 normal, 1 cloze); ``Notetype.Template.Config.q_format`` 1 and ``a_format`` 2.
    """
    fields: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for ntid, ord_, name in connection.execute("select ntid, ord, name from fields"):
        fields[ntid].append((ord_, name))
    templates: dict[int, dict[int, _Template]] = defaultdict(dict)
    for ntid, ord_, name, config in connection.execute(
        "select ntid, ord, name, config from templates"
    ):
        message = proto(config)
        question, answer = (proto_text(message, number) for number in (1, 2))
        templates[ntid][ord_] = _Template(ord_, name, question, answer)
    note_types = {}
    for ntid, name, config in connection.execute("select id, name, config from notetypes"):
        kind = proto(config).get(1, [0])[-1]
        note_types[ntid] = _NoteType(
            name, kind == 1, tuple(name for _, name in sorted(fields[ntid])), templates[ntid]
        )
    decks = {
        did: _Deck(tuple(name.split("\x1f")))
        for did, name in connection.execute("select id, name from decks")
    }
    return note_types, decks


# History
# ---------------------------------------------------------------------------------------------


def _answers(rows: Sequence[_Revlog]) -> tuple[PastAnswer, ...]:
    """The answers Anki itself computes the card's FSRS memory state from.

    Rows are one card's, sorted by time. The rule is Anki's
    ``reviews_for_fsrs`` (rslib/src/scheduler/fsrs/params.rs) as used for memory states
    (``fsrs_item_for_memory_state`` in memory_state.rs: not training, no "ignore before" date),
    with the row kinds of rslib/src/revlog/mod.rs:

    - a row with ease 0 is not an answer: "set due date" (type 4, Manual, factor > 0),
      "reset/forget" (type 4 with factor 0) and FSRS rescheduling (type 5);
    - "cramming", a review in a filtered deck with rescheduling off (type 3 with factor 0,
      ``is_cramming``), does not affect scheduling and is dropped;
    - working back from the newest row, history stops at the start of the last run of
      learning (type 0) answers, or at a reset: what came before belonged to an earlier life
      of the card (old Anki versions wrote no reset row, hence the learning-run rule);
    - a card with no learning run keeps its answers from the first graded answer whose
      interval is at least a day (a truncated history; Anki then seeds the state from SM-2);
    - a reset with no grade after it leaves no history at all.
    """
    first_learning: int | None = None
    first_graded: int | None = None
    for index in range(len(rows) - 1, -1, -1):
        _, _, ease, interval, factor, _, kind = rows[index]
        if kind == FILTERED and factor == 0:
            continue
        graded = ease > 0
        if graded and (interval >= 1 or interval <= -86_400):
            first_graded = index
        if graded and kind == LEARNING:
            first_learning = index
        elif kind == MANUAL and factor == 0:
            if first_learning is None and first_graded is None:
                return ()
            break
        elif first_learning is not None:
            break
    start = first_learning if first_learning is not None else first_graded
    if start is None:
        return ()
    return tuple(
        PastAnswer(
            at=datetime.fromtimestamp(revlog_id / 1000, UTC),
            rating=ease,
            duration_ms=duration if duration > 0 else None,
        )
        for _, revlog_id, ease, _, factor, duration, kind in rows[start:]
        if 1 <= ease <= 4 and not (kind == FILTERED and factor == 0)
    )


# ---------------------------------------------------------------------------------------------


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

    def card(
        self, note: _Note, note_type: _NoteType, template: _Template, card: _Card, deck: _Deck
    ) -> tuple[str, str] | None:
        """The question and answer text, or None for a card Anki would not generate."""
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
            if card.ord + 1 not in set().union(*map(cloze_numbers, note.fields)):
                return None
        elif is_empty(question_nodes, nonempty):
            return None
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
            return None
        if not answer_text:  # a back that only repeats the front: show it whole
            answer_text = self.text(render(self.parsed(template.answer), context))
        return question_text, answer_text


def _cards(collection: _Collection) -> Iterator[tuple[_Deck, CardSpec]]:
    renderer = _Renderer()
    seen: set[str] = set()
    fallback = _Deck(("Default",))
    for card in collection.cards:
        note = collection.notes.get(card.nid)
        note_type = collection.note_types.get(note.mid) if note else None
        template = None
        if note_type is not None:
            # a cloze note type has one template for every cloze number
            template = note_type.templates.get(0 if note_type.is_cloze else card.ord)
        if note is None or note_type is None or template is None:
            continue  # an orphan card: Anki's "check database" would delete it
        deck = collection.decks.get(card.did, fallback)
        texts = renderer.card(note, note_type, template, card, deck)
        key = anki_card_key(note.guid, card.ord)
        if texts is None or key in seen:
            continue
        seen.add(key)
        yield (
            deck,
            CardSpec(
                key=key,
                question=texts[0],
                answer=texts[1],
                tags=note.tags,
                source_id=f"anki:{note.guid}:{card.ord}",
                history=_answers(collection.revlog.get(card.id, ())),
                suspended=card.queue == SUSPENDED_QUEUE,
            ),
        )


def _decks(path: Path, collection: _Collection, deck_key: str | None) -> list[DeckSpec]:
    by_path: dict[tuple[str, ...], list[CardSpec]] = defaultdict(list)
    for deck, card in _cards(collection):
        by_path[deck.parts].append(card)
    order = sorted(by_path, key=lambda parts: tuple(part.casefold() for part in parts))
    if deck_key is not None:
        tops = {parts[0] for parts in order}
        title = next(iter(tops)) if len(tops) == 1 else path.stem
        sections = _sections([(" :: ".join(parts), False, by_path[parts]) for parts in order])
        return [DeckSpec(deck_key, title, sections, source=str(path))]
    grouped: dict[str, list[tuple[str, bool, list[CardSpec]]]] = defaultdict(list)
    for parts in order:
        top = parts[0]
        grouped[top].append((" :: ".join(parts[1:]) or top, len(parts) == 1, by_path[parts]))
    return [
        DeckSpec(make_key(top), top, _sections(groups), source=str(path))
        for top, groups in sorted(grouped.items(), key=lambda item: item[0].casefold())
    ]


def _sections(groups: Sequence[tuple[str, bool, Sequence[CardSpec]]]) -> tuple[SectionSpec, ...]:
    """Sections from ``(title, is the top-level deck itself, cards)``, with unique keys."""
    sections = []
    keys: set[str] = set()
    for title, main, cards in groups:
        key = "main" if main else make_key(title)
        base, number = key, 2
        while key in keys:  # "A B" and "A-B" would share a key
            key, number = f"{base[:60]}-{number}", number + 1
        keys.add(key)
        sections.append(SectionSpec(key, title, tuple(cards)))
    return tuple(sections)
