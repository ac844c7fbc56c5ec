"""Media as stored: which file in the media folder each name in a deck's cards is.

The files themselves are :mod:`recall1924.media`'s; here are only the rows that name them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import col

from recall1924.models import Deck, Media
from recall1924.store.base import StoreBase, insert_many


@dataclass(frozen=True)
class StoredMedia:
    """A name in a deck's cards, and the stored copy it is."""

    deck_key: str
    name: str
    file: str
    size: int


class MediaStore(StoreBase):
    def link_media(self, links: Sequence[StoredMedia]) -> None:
        """Say which stored copy each (deck, name) is, replacing what a name was before, in
        one transaction. Decks not in the collection are skipped."""
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
