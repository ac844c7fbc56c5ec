"""Anki packages built by the official ``anki`` package, for the apkg importer's tests.

Holds :class:`AnkiBuilder`: a fresh collection in a temporary folder, notes of the stock note
types, answers, suspending, burying, resets and cramming done through Anki's own backend (so
the revlog rows are the ones Anki writes), then exported as ``.apkg`` or ``.colpkg`` in the
legacy (``collection.anki2``/``.anki21``) or current (``collection.anki21b``) format;
:func:`package_contents`, what the backend makes of a package (notes, cards, where each card
went, answers); and :func:`rewrite_package` / :func:`v1_package`, which change a package's
collection with SQL to make what the backend no longer writes (a v1-scheduler collection,
damaged rows).

``anki`` is imported only when a builder is made: tests call ``pytest.importorskip("anki")``.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# Anki's stock note types, by the names a fresh collection gives them
BASIC = "Basic"
REVERSED = "Basic (and reversed card)"
OPTIONAL_REVERSED = "Basic (optional reversed card)"
TYPE_IN = "Basic (type in the answer)"
CLOZE = "Cloze"


class AnkiBuilder:
    """A collection being filled through the official backend."""

    def __init__(self, col: Any) -> None:
        self.col = col
        self._last_ms = 0

    def deck(self, name: str) -> int:
        """The id of deck ``name`` (``A::B`` for a subdeck), created when missing."""
        return int(self.col.decks.id(name))

    def add(
        self,
        notetype: str,
        fields: Sequence[str],
        *,
        deck: str = "Default",
        tags: Sequence[str] = (),
    ) -> list[int]:
        """Add a note; returns the ids of the cards Anki generated for it, by template."""
        note = self.col.new_note(self.col.models.by_name(notetype))
        for index, value in enumerate(fields):
            note.fields[index] = value
        note.tags = list(tags)
        self.col.add_note(note, self.deck(deck))
        return [int(card.id) for card in sorted(note.cards(), key=lambda card: card.ord)]

    def note_type(self, name: str, fields: Sequence[str], templates: Sequence[str]) -> str:
        """Add a note type of ``fields`` and one template per ``question<hr id=answer>answer``
        in ``templates``; returns its name, for :meth:`add`."""
        models = self.col.models
        model = models.new(name)
        for field in fields:
            models.add_field(model, models.new_field(field))
        for number, template in enumerate(templates, start=1):
            question, _, answer = template.partition("<hr id=answer>")
            card = models.new_template(f"Card {number}")
            card["qfmt"], card["afmt"] = question, "{{FrontSide}}<hr id=answer>" + answer
            models.add_template(model, card)
        models.add(model)
        return name

    def note_guid(self, card_id: int) -> str:
        return str(self.col.get_card(card_id).note().guid)

    def answer(self, card_id: int, rating: int, *, at: datetime | None = None) -> int:
        """Answer a card (1 Again … 4 Easy) as the reviewer would; returns the revlog id.

        Anki stamps resets and due-date changes with the real clock, so answers do too (each a
        millisecond after the last at least, so that their order is the order of the calls).
        With ``at``, the answer is logged at that time instead: the card's next state is still
        Anki's for the real clock, but the review log, which memory states are computed from,
        has the times asked for (give them in order).
        """
        from anki.scheduler.v3 import CardAnswer

        if at is None:
            self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        else:
            self._last_ms = int(at.timestamp() * 1000)
        card = self.col.get_card(card_id)
        states = self.col._backend.get_scheduling_states(card_id)
        new_state = (states.again, states.hard, states.good, states.easy)[rating - 1]
        self.col.sched.answer_card(
            CardAnswer(
                card_id=card.id,
                current_state=states.current,
                new_state=new_state,
                rating=(CardAnswer.AGAIN, CardAnswer.HARD, CardAnswer.GOOD, CardAnswer.EASY)[
                    rating - 1
                ],
                answered_at_millis=self._last_ms,
                milliseconds_taken=1500 + rating,
            )
        )
        return int(self.col.db.scalar("select max(id) from revlog where cid = ?", card_id))

    def suspend(self, card_ids: Sequence[int]) -> None:
        self.col.sched.suspend_cards(list(card_ids))

    def bury(self, card_ids: Sequence[int]) -> None:
        self.col.sched.bury_cards(list(card_ids), manual=True)

    def reset(self, card_ids: Sequence[int]) -> None:
        """ "Reset" (Forget) cards: Anki logs a manual row with factor 0."""
        self.col.sched.schedule_cards_as_new(list(card_ids))

    def set_due_date(self, card_ids: Sequence[int], days: str = "5") -> None:
        """Anki logs a manual row with a non-zero factor."""
        self.col.sched.set_due_date(list(card_ids), days)

    def cram(self, card_id: int, rating: int) -> None:
        """Answer the card in a filtered deck with rescheduling off (a "preview")."""
        from anki.decks import DeckId

        deck = self.col.sched.get_or_create_filtered_deck(deck_id=DeckId(0))
        deck.name = f"Cram {card_id}"
        deck.config.reschedule = False
        del deck.config.search_terms[1:]  # the default's second term adds every new card
        deck.config.search_terms[0].search = f"cid:{card_id}"
        deck.config.search_terms[0].limit = 10
        self.col.sched.add_or_update_filtered_deck(deck)
        self.answer(card_id, rating)

    def import_package(self, package: Path) -> None:
        """Import an ``.apkg`` as Anki's File > Import does, with its scheduling."""
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

        self.col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(package),
                options=ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=False),
            )
        )

    def export(self, target: Path, *, legacy: bool = False) -> Path:
        """Write the package: ``.colpkg`` for the whole collection, else an ``.apkg`` of every
        deck with scheduling. ``legacy`` writes ``collection.anki21`` (schema 11) instead of
        ``collection.anki21b``."""
        if target.suffix == ".colpkg":
            self.col.export_collection_package(str(target), include_media=False, legacy=legacy)
            return target
        from anki.collection import ExportAnkiPackageOptions

        self.col.export_anki_package(
            out_path=str(target),
            options=ExportAnkiPackageOptions(
                with_scheduling=True,
                with_deck_configs=False,
                with_media=False,
                legacy=legacy,
            ),
            limit=None,
        )
        return target


@contextmanager
def anki_collection(folder: Path) -> Iterator[AnkiBuilder]:
    """A fresh Anki collection in ``folder``, closed afterwards."""
    from anki.collection import Collection

    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    try:
        yield AnkiBuilder(col)
    finally:
        if col.db is not None:
            col.close()


@dataclass(frozen=True)
class PackageContents:
    """What the official backend makes of a package imported into a fresh collection.

    Attributes:
        notes: how many notes.
        cards: how many cards.
        placed: each card as (its note's GUID, its template ordinal, its deck's name, its
            answers' times and buttons), sorted.
        answers: review-log rows with a button (ease > 0).
    """

    notes: int
    cards: int
    placed: list[tuple[str, int, str, tuple[tuple[int, int], ...]]]
    answers: int


def package_contents(package: Path, *, folder: Path) -> PackageContents:
    """Import ``package`` into a fresh collection in ``folder`` and say what it holds (a bare
    collection is opened, a copy in ``folder``)."""
    bare = package.read_bytes()[:16] == b"SQLite format 3\x00"
    if bare:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(package, folder / "collection.anki2")
    with anki_collection(folder) as anki:
        if not bare:
            anki.import_package(package)
        col = anki.col
        placed = []
        for card_id, guid, ordinal, deck_id in col.db.all(
            "SELECT cards.id, notes.guid, cards.ord, cards.did FROM cards "
            "JOIN notes ON notes.id = cards.nid"
        ):
            answers = col.db.all(
                "SELECT id, ease FROM revlog WHERE cid = ? AND ease > 0 ORDER BY id", card_id
            )
            history = tuple((int(at), int(ease)) for at, ease in answers)
            placed.append((str(guid), int(ordinal), str(col.decks.name(deck_id)), history))
        return PackageContents(
            notes=int(col.note_count()),
            cards=int(col.card_count()),
            placed=sorted(placed),
            answers=int(col.db.scalar("SELECT COUNT(*) FROM revlog WHERE ease > 0")),
        )


Edit = Callable[[sqlite3.Connection], None]
"""Changes a package's collection in place (an open SQLite connection, committed after)."""

_MEMBERS = ("collection.anki21b", "collection.anki21", "collection.anki2")


def rewrite_package(source: Path, target: Path, edit: Edit, *, member: str | None = None) -> Path:
    """A copy of package ``source`` at ``target`` whose collection ``edit`` has changed.

    The collection is the one recall reads (the newest member); zstd members are inflated and
    packed again. ``member`` renames it and drops the other collections and ``meta``
    (``collection.anki2`` alone is how Anki wrote packages before 2.1.50).
    """
    import zstandard

    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    name = next(name for name in _MEMBERS if name in members)
    data = members[name]
    compressed = name.endswith("b")
    if compressed:
        data = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True).read()
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "collection.sqlite"
        database.write_bytes(data)
        connection = sqlite3.connect(database)
        # schema 18 declares its name columns with Anki's collation: a stand-in will do
        connection.create_collation(
            "unicase", lambda a, b: (a.casefold() > b.casefold()) - (a.casefold() < b.casefold())
        )
        try:
            edit(connection)
            connection.commit()
        finally:
            connection.close()
        data = database.read_bytes()
    if compressed:
        data = zstandard.ZstdCompressor().compress(data)
    if member is not None:
        # ``meta`` names the member to read: a package from before Anki 2.1.50 has none
        dropped = {*_MEMBERS, "meta"}
        members = {key: value for key, value in members.items() if key not in dropped}
        name = member
    members[name] = data
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in members.items():
            archive.writestr(key, value)
    return target


def edit_conf(connection: sqlite3.Connection, change: Callable[[dict[str, Any]], None]) -> None:
    """Change a schema 11 collection's configuration (the JSON in ``col.conf``)."""
    (text,) = connection.execute("SELECT conf FROM col").fetchone()
    conf = json.loads(text)
    change(conf)
    connection.execute("UPDATE col SET conf = ?", (json.dumps(conf),))


def _to_v1(connection: sqlite3.Connection) -> None:
    def older(conf: dict[str, Any]) -> None:
        conf.pop("schedVer", None)  # absent means v1 to Anki
        conf.pop("rollover", None)  # v1 had no rollover setting
        conf.pop("sched2021", None)

    edit_conf(connection, older)
    # v1 learning and relearning had three buttons: Again 1, Good 2, Easy 3 (the reverse of
    # rslib/src/storage/revlog/v2_upgrade.sql). Hard did not exist there.
    hard = connection.execute(
        "SELECT COUNT(*) FROM revlog WHERE ease = 2 AND type IN (0, 2)"
    ).fetchone()
    assert hard == (0,), "v1 had no Hard button in learning: answer those steps otherwise"
    connection.execute("UPDATE revlog SET ease = ease - 1 WHERE ease IN (3, 4) AND type IN (0, 2)")


def v1_package(source: Path, target: Path) -> Path:
    """``source`` (a legacy, schema 11 package) as a collection still on Anki's v1 scheduler
    would have written it: no ``schedVer``, three-button learning answers, one
    ``collection.anki2``. The official backend upgrades it when it imports it, as Anki does."""
    return rewrite_package(source, target, _to_v1, member="collection.anki2")
