"""Decks as an Anki package (``.apkg``) that Anki opens with the cards, the deck tree and the
review history.

Holds :func:`apkg_bytes` and :func:`write_apkg`. The package is Anki's legacy layout: a zip with
``collection.anki2`` (an SQLite database in Anki's schema 11, the one every Anki and AnkiDroid
still imports) and an empty ``media`` list. A recall deck becomes a top-level Anki deck and each
section a subdeck ``Deck::Section``. The deck's id and version, and each section's id, end the
Anki deck's description as an HTML comment (:func:`deck_mark`, :func:`section_mark`; read back
by :func:`read_mark`), which Anki keeps and does not show. Every card is a note of one note
type, "Basic (recall)": the fields Front and Back, plus Note for recall's note, shown under the
answer when there is one. Anki's own names (``nid``, ``did``, ``ivl``, ``revlog``) are used
here, as they are the format's.

Cards answered before get a review state and one revlog row per answer. The interval is a
simple SM-2 estimate from the answers and the time between them: Anki recomputes FSRS memory
state from the revlog, which is exact.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from recall1924.deck import CardSpec, DeckSpec, PastAnswer
from recall1924.exporters.atomic import write_atomically
from recall1924.importers.identity import recall_guid

NOTETYPE_ID = 1_700_000_000_001  # fixed, so a second export updates the same note type
NOTETYPE_NAME = "Basic (recall)"
DECK_CONFIG_ID = 1
DEFAULT_DECK_ID = 1
MAX_ANSWER_MS = 60_000
GUID_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)

# Card types and queues in Anki's cards table, and revlog entry types.
NEW, REVIEW = 0, 2
QUEUE_SUSPENDED = -1
REVLOG_LEARN, REVLOG_REVIEW, REVLOG_RELEARN = 0, 1, 2
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


def field_html(text: str) -> str:
    """recall's plain text as an Anki field: HTML-escaped, line breaks as ``<br>``."""
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")


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


def anki_identity(source_id: str | None) -> tuple[str, int] | None:
    """The Anki GUID and template ordinal in a ``source_id`` of ``anki:<guid>:<ord>``."""
    if source_id is None or not source_id.startswith("anki:"):
        return None
    guid, _, ordinal = source_id[len("anki:") :].rpartition(":")
    if not guid or not ordinal.isdigit():
        return None
    return guid, int(ordinal)


# recall's ids, where Anki keeps them and shows nothing: an HTML comment at the end of a deck's
# description. Anki names decks by title, so without them a package read back would make ids
# from the titles ("stalin-1924" would come back as "why-did-stalin-gain-power-from-1924").
_MARK = re.compile(
    r"<!--\s*recall:(?P<kind>deck|section)\s+id=(?P<id>[a-z0-9][a-z0-9-]{0,63})"
    r"(?:\s+version=(?P<version>[1-9][0-9]{0,18}))?\s*-->\s*\Z"
)


def deck_mark(key: str, version: int | None = None) -> str:
    """What ends the description of the Anki deck a recall deck becomes: its id and version."""
    return f"<!-- recall:deck id={key}{'' if version is None else f' version={version}'} -->"


def section_mark(key: str) -> str:
    """The description of the Anki subdeck a section becomes: the section's id."""
    return f"<!-- recall:section id={key} -->"


@dataclass(frozen=True)
class RecallMark:
    """What :func:`read_mark` finds at the end of an Anki deck's description.

    Attributes:
        kind: ``deck`` (a top-level deck) or ``section`` (one of its subdecks).
        key: the recall id of that deck or section.
        version: the deck's version, if it had one.
        description: the description's HTML before the mark.
    """

    kind: str
    key: str
    version: int | None
    description: str


def read_mark(description: str) -> RecallMark | None:
    """The recall ids at the end of an Anki deck's description, if recall wrote them there
    (see :func:`deck_mark`, :func:`section_mark`); for the Anki package importer."""
    found = _MARK.search(description)
    if found is None:
        return None
    version = found.group("version")
    return RecallMark(
        found.group("kind"),
        found.group("id"),
        None if version is None else int(version),
        description[: found.start()],
    )


@dataclass(frozen=True)
class _Schedule:
    """A card's Anki scheduling columns and its revlog rows, from its past answers."""

    ctype: int
    last_at: datetime | None
    due_at: datetime | None
    ivl: int
    factor: int
    lapses: int
    revlog: tuple[tuple[int, int, int, int, int, int], ...]  # ease ivl lastIvl factor time type


def _schedule(history: Sequence[PastAnswer]) -> _Schedule:
    """Replay ``history`` with SM-2-like rules: the first answer is learning, an Again on a
    review card is a lapse and the answers after it relearning, until one passes."""
    ivl, factor, lapses = 0, 2500, 0
    rows = []
    previous: PastAnswer | None = None
    relearning = False
    for index, answer in enumerate(sorted(history, key=lambda past: past.at)):
        if index == 0:
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
            relearning = index > 0
            ivl = 1
        else:
            relearning = False
            if index == 0:
                ivl = {HARD: 1, EASY: 4}.get(answer.rating, 1)
            elif answer.rating == HARD:
                factor = max(1300, factor - 150)
                ivl = max(1, round(base * 1.2))
            elif answer.rating == EASY:
                factor += 150
                ivl = max(2, round(base * factor / 1000 * 1.3))
            else:
                ivl = max(1, round(base * factor / 1000))
        time_ms = min(MAX_ANSWER_MS, max(0, answer.duration_ms or 0))
        rows.append((answer.rating, ivl, last_ivl, factor, time_ms, kind))
        previous = answer
    if previous is None:
        return _Schedule(NEW, None, None, 0, 0, 0, ())
    due_at = previous.at + timedelta(days=ivl)
    return _Schedule(REVIEW, previous.at, due_at, ivl, factor, lapses, tuple(rows))


def _unique_names(names: Sequence[str], keys: Sequence[str]) -> list[str]:
    """Anki deck names: ``::`` inside a title would make a level of its own, and two decks of
    one name would merge, so titles lose their ``::`` and a repeated one gets its key."""
    cleaned = [
        re.sub(":{2,}", ":", name).strip() or key for name, key in zip(names, keys, strict=True)
    ]
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


def _notetype_json(mod: int) -> dict[str, Any]:
    def field(name: str, ordinal: int) -> dict[str, Any]:
        return {
            "name": name,
            "ord": ordinal,
            "sticky": False,
            "rtl": False,
            "font": "Arial",
            "size": 20,
            "media": [],
        }

    answer = "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}"
    answer += '\n\n{{#Note}}<div class="note">{{Note}}</div>{{/Note}}'
    return {
        "id": NOTETYPE_ID,
        "name": NOTETYPE_NAME,
        "type": 0,
        "mod": mod,
        "usn": -1,
        "sortf": 0,
        "did": None,
        "tmpls": [
            {
                "name": "Card 1",
                "ord": 0,
                "qfmt": "{{Front}}",
                "afmt": answer,
                "bqfmt": "",
                "bafmt": "",
                "did": None,
                "bfont": "",
                "bsize": 0,
            }
        ],
        "flds": [field("Front", 0), field("Back", 1), field("Note", 2)],
        "css": _CSS,
        "latexPre": "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n"
        "\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n"
        "\\setlength{\\parindent}{0in}\n\\begin{document}\n",
        "latexPost": "\\end{document}",
        "latexsvg": False,
        "req": [[0, "any", [0]]],
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


def _fill(db: sqlite3.Connection, decks: Sequence[DeckSpec], now: datetime) -> None:
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
    deck_table = {
        str(DEFAULT_DECK_ID): _deck_json(DEFAULT_DECK_ID, "Default", 0),
    }
    used_guids: set[str] = set()
    used_revlog_ids: set[int] = set()
    new_position = 0

    for deck, deck_name in zip(
        decks, _unique_names([d.title for d in decks], [d.key for d in decks]), strict=True
    ):
        deck_id = next(deck_ids)
        description = field_html(deck.description or "") + deck_mark(deck.key, deck.version)
        deck_table[str(deck_id)] = _deck_json(deck_id, deck_name, now_s, description)
        section_names = _unique_names(
            [s.title for s in deck.sections], [s.key for s in deck.sections]
        )
        for section, section_name in zip(deck.sections, section_names, strict=True):
            section_id = next(deck_ids)
            deck_table[str(section_id)] = _deck_json(
                section_id, f"{deck_name}::{section_name}", now_s, section_mark(section.key)
            )
            for card in section.cards:
                nid, cid = next(note_ids), next(card_ids)
                guid = _guid(deck, card, used_guids)
                _insert_note(db, nid, guid, card, now_s)
                plan = _schedule(card.history)
                if plan.due_at is None:
                    new_position += 1
                    due = new_position
                else:
                    due = (plan.due_at.astimezone(UTC).date() - created.date()).days
                queue = QUEUE_SUSPENDED if card.suspended else plan.ctype
                # Anki keeps the last review's time with the card (and adds it if missing).
                data = (
                    "" if plan.last_at is None else _dumps({"lrt": int(plan.last_at.timestamp())})
                )
                db.execute(
                    "INSERT INTO cards VALUES (?,?,?,0,?,-1,?,?,?,?,?,?,?,0,0,0,0,?)",
                    (
                        cid,
                        nid,
                        section_id,
                        now_s,
                        plan.ctype,
                        queue,
                        due,
                        plan.ivl,
                        plan.factor,
                        len(plan.revlog),
                        plan.lapses,
                        data,
                    ),
                )
                answers = sorted(card.history, key=lambda past: past.at)
                for answer, row in zip(answers, plan.revlog, strict=True):
                    revlog_id = int(answer.at.timestamp() * 1000)
                    while revlog_id in used_revlog_ids:  # Anki keys revlog rows by time
                        revlog_id += 1
                    used_revlog_ids.add(revlog_id)
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
    db.execute(
        "INSERT INTO col VALUES (1,?,?,?,11,0,0,0,?,?,?,?,'{}')",
        (
            int(created.timestamp()),
            now_ms,
            now_ms,
            _dumps(conf),
            _dumps({str(NOTETYPE_ID): _notetype_json(now_s)}),
            _dumps(deck_table),
            _dumps({str(DECK_CONFIG_ID): _deck_config_json()}),
        ),
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _guid(deck: DeckSpec, card: CardSpec, used: set[str]) -> str:
    """The card's Anki GUID if it came from Anki (once: two cards of one Anki note become two
    notes here), else one derived from the deck and card keys."""
    identity = anki_identity(card.source_id)
    if identity is not None:
        guid = identity[0] if identity[0] not in used else stable_guid(*map(str, identity))
    else:
        guid = recall_guid(deck.key, card.key)  # comes back to recall as the same card
    while guid in used:
        guid = stable_guid(guid)
    used.add(guid)
    return guid


def _insert_note(db: sqlite3.Connection, nid: int, guid: str, card: CardSpec, mod: int) -> None:
    fields = [field_html(card.question), field_html(card.answer), field_html(card.note or "")]
    tags = " ".join(dict.fromkeys(anki_tag(tag) for tag in card.tags if tag.strip()))
    checksum = int(hashlib.sha1(card.question.encode()).hexdigest()[:8], 16)
    db.execute(
        "INSERT INTO notes VALUES (?,?,?,?,-1,?,?,?,?,0,'')",
        (
            nid,
            guid,
            NOTETYPE_ID,
            mod,
            f" {tags} " if tags else "",
            "\x1f".join(fields),
            card.question,
            checksum,
        ),
    )


def apkg_bytes(decks: Sequence[DeckSpec], *, now: datetime) -> bytes:
    """``decks`` as the bytes of an Anki package.

    Args:
        decks: the decks to export; each becomes a top-level Anki deck.
        now: the export time (timezone-aware): note and card ids and review due dates count
            from it. Anki refuses ids more than a day in the future, so pass the real time.
    """
    with tempfile.TemporaryDirectory() as folder:
        collection = Path(folder) / "collection.anki2"
        db = sqlite3.connect(collection)
        try:
            with db:
                db.executescript(_SCHEMA)
                _fill(db, decks, now)
        finally:
            db.close()
        data = collection.read_bytes()
    utc = now.astimezone(UTC)
    stamp = (max(1980, utc.year), utc.month, utc.day, utc.hour, utc.minute, utc.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, member in (("collection.anki2", data), ("media", b"{}")):
            package.writestr(zipfile.ZipInfo(name, date_time=stamp), member, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def write_apkg(decks: Sequence[DeckSpec], path: Path, *, now: datetime) -> None:
    """Write ``decks`` to ``path`` as an Anki package (see :func:`apkg_bytes`), replacing any
    file there whole or not at all.

    Raises:
        OSError: if the file cannot be written.
    """
    write_atomically(path, apkg_bytes(decks, now=now), replace=True)
