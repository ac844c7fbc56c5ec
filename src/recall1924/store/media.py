"""Media as stored: which file in the media folder each name in a deck's cards is.

The files themselves are :mod:`recall1924.media`'s; here are only the rows that name them, the
card text that names files, and (:func:`backup_media_files`) the files a backup's rows name.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import String, cast, delete, or_, text, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import col

from recall1924.models import Card, Deck, Media
from recall1924.store.base import StoreBase, insert_many


@dataclass(frozen=True)
class StoredMedia:
    """A name in a deck's cards, and the stored copy it is."""

    deck_key: str
    name: str
    file: str
    size: int


_NO_DECK = "NOT EXISTS (SELECT 1 FROM deck WHERE deck.id = media.deck_id)"
_DECKLESS = text(f"SELECT count(*) FROM media WHERE {_NO_DECK}")
_FORGET_DECKLESS = text(f"DELETE FROM media WHERE {_NO_DECK}")


class MediaStore(StoreBase):
    def link_media(self, links: Sequence[StoredMedia]) -> None:
        """Say which stored copy each (deck, name) is, replacing what a name was before, in
        one transaction. Decks not in the collection are skipped; names already so are not
        written again (an unchanged re-import writes nothing)."""
        if not links:
            return
        keys = sorted({link.deck_key for link in links})
        with self._writing() as session:
            ids = dict(
                session.execute(
                    sa_select(col(Deck.key), col(Deck.id)).where(col(Deck.key).in_(keys))
                ).all()
            )
            kept = {(ids[link.deck_key], link.name): link for link in links if link.deck_key in ids}
            current = {
                (deck_id, name): (file, size)
                for deck_id, name, file, size in session.execute(
                    sa_select(
                        col(Media.deck_id), col(Media.name), col(Media.file), col(Media.size)
                    ).where(col(Media.deck_id).in_(list(ids.values())))
                )
            }
            kept = {
                pair: link
                for pair, link in kept.items()
                if current.get(pair) != (link.file, link.size)
            }
            if not kept:
                return
            # A delete and an insert rather than an upsert: the same SQL in every dialect.
            pairs = list(kept)
            for start in range(0, len(pairs), 400):  # under SQLite's limit of bound values
                chunk = pairs[start : start + 400]
                session.execute(
                    delete(Media).where(tuple_(col(Media.deck_id), col(Media.name)).in_(chunk))
                )
            rows = [
                {"deck_id": deck_id, "name": name, "file": link.file, "size": link.size}
                for (deck_id, name), link in kept.items()
            ]
            insert_many(session, "media", rows)
            session.commit()

    def media_of(self, deck_key: str, names: Iterable[str]) -> dict[str, str]:
        """The stored file of each of ``names`` that deck ``deck_key`` has (name -> file)."""
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return {}
        query = (
            sa_select(col(Media.name), col(Media.file))
            .join(Deck, col(Media.deck_id) == col(Deck.id))
            .where(col(Deck.key) == deck_key, col(Media.name).in_(wanted))
        )
        with self.engine.connect() as connection:
            return {row[0]: row[1] for row in connection.execute(query)}

    def deck_media(self, deck_keys: Iterable[str] | None = None) -> list[StoredMedia]:
        """Every name the decks ``deck_keys`` (None: all decks) have a stored copy for, deck by
        deck in the order they were added, names sorted."""
        query = (
            sa_select(col(Deck.key), col(Media.name), col(Media.file), col(Media.size))
            .join(Deck, col(Media.deck_id) == col(Deck.id))
            .order_by(col(Deck.id), col(Media.name))
        )
        if deck_keys is not None:
            query = query.where(col(Deck.key).in_(list(deck_keys)))
        with self.engine.connect() as connection:
            return [StoredMedia(*row) for row in connection.execute(query)]

    def unlink_media(self, deck_key: str, names: Iterable[str]) -> int:
        """Forget that deck ``deck_key`` has the files ``names`` (the files stay: see
        :func:`recall1924.media_check.remove_unused`). Returns how many rows went."""
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return 0
        removed = 0
        with self._writing() as session:
            deck_id = session.execute(
                sa_select(col(Deck.id)).where(col(Deck.key) == deck_key)
            ).scalar_one_or_none()
            if deck_id is None:
                return 0
            for start in range(0, len(wanted), 400):
                result = session.execute(
                    delete(Media).where(
                        col(Media.deck_id) == deck_id,
                        col(Media.name).in_(wanted[start : start + 400]),
                    )
                )
                removed += int(getattr(result, "rowcount", 0) or 0)
            session.commit()
        return removed

    def texts_naming_media(self, deck_key: str) -> Iterator[str]:
        """The text of deck ``deck_key``'s cards that may name a file (``[image: ``,
        ``[sound: ``): question, answer and note, and the deck's own wording kept for a card
        the student reworded; other cards are not read."""
        columns = (col(Card.question), col(Card.answer), col(Card.note))
        marks = ("%[image: %", "%[sound: %")
        query = (
            sa_select(*columns, col(Card.upstream))
            .join(Deck, col(Card.deck_id) == col(Deck.id))
            .where(
                col(Deck.key) == deck_key,
                or_(
                    *(column.like(mark) for column in columns for mark in marks),
                    *(cast(col(Card.upstream), String).like(mark) for mark in marks),
                ),
            )
        )
        with self.engine.connect() as connection:
            for *texts, upstream in connection.execute(query):
                yield from (text for text in texts if text)
                if isinstance(upstream, dict):
                    own = (upstream.get(key) for key in ("question", "answer", "note"))
                    yield from (text for text in own if isinstance(text, str) and text)

    def deckless_media(self) -> int:
        """How many names are kept for a deck that is no longer there (one removed while
        foreign keys were off)."""
        with self.engine.connect() as connection:
            return int(connection.execute(_DECKLESS).scalar_one())

    def forget_deckless_media(self) -> int:
        """Forget the names kept for decks that are no longer there; how many went."""
        with self._writing() as session:
            removed = session.execute(_FORGET_DECKLESS)
            session.commit()
            return int(removed.rowcount)  # type: ignore[attr-defined]

    def media_files(self) -> set[str]:
        """Every stored file some deck names."""
        with self.engine.connect() as connection:
            return set(connection.execute(sa_select(col(Media.file)).distinct()).scalars())

    def media_files_in_use(self, files: Iterable[str]) -> set[str]:
        """Those of ``files`` that some deck still names."""
        wanted = list(dict.fromkeys(files))
        used: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 400):
                query = sa_select(col(Media.file)).where(
                    col(Media.file).in_(wanted[start : start + 400])
                )
                used.update(file for (file,) in connection.execute(query))
        return used


def backup_media_files(path: Path) -> set[str]:
    """The stored files the backup at ``path`` names (none for one from before media were kept),
    read without changing it.

    Raises:
        sqlite3.Error: it cannot be read.
    """
    from recall1924.backups import sqlite_uri

    # immutable: nothing writes a backup, and a read-only open must leave no files beside it
    uri = sqlite_uri(path, "ro", immutable=True)
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as backup:
        tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master")}
        if "media" not in tables:
            return set()
        # only a deck's: a name kept for a deck that is gone is none a restore could reach
        query = "SELECT DISTINCT file FROM media JOIN deck ON deck.id = media.deck_id"
        return {str(row[0]) for row in backup.execute(query)}
