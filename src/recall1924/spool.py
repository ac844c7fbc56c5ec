"""Cards kept out of memory while an import runs: a text file of a million rows.

Holds :class:`CardSpool` (one temporary file a reader writes its cards to as it reads them) and
:class:`SpooledCards` (one section's cards in it, a :class:`~collections.abc.Sequence` of
:class:`~recall1924.deck.CardSpec` read back in order, a chunk at a time).

Why: a reader must check the whole file before the collection is opened (a bad file changes
nothing, not even a new collection), and a million cards held as objects take about 560 MB, a
third of it the Python objects around the text. Spooled, each card's text is kept marshalled,
in memory up to :data:`IN_MEMORY` bytes and in a temporary file beyond, and only its key (which
the import compares with the collection, and the reader with earlier rows) stays in memory.
Iterating a section reads its chunks back; the import service reads a new deck's cards once, to
write them.

Only cards without history and not suspended are spooled (what a CSV or text file gives): the
answers of an Anki package are the rows themselves, and its decks stay in memory.
"""

from __future__ import annotations

import marshal
import tempfile
import weakref
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import IO, Any, overload

from recall1924.deck import CardSpec
from recall1924.errors import SpoolError

CHUNK = 2000
"""Cards marshalled together: big enough that a chunk costs one read, small enough to hold."""

IN_MEMORY = 8 * 1024 * 1024
"""Bytes of marshalled cards kept in memory before the spool moves to a temporary file."""

PENDING_CHUNKS = 8
"""Chunks' worth of cards waiting to be written, over every section, before all of them are: a
file whose rows go round many sections holds no more than this."""


class CardSpool:
    """The temporary file the cards of one read go to, shared by its sections.

    The file is closed (and, past :data:`IN_MEMORY`, deleted) when the spool is no longer
    referenced: by the sections, and so by the decks read.
    """

    def __init__(self, *, chunk: int | None = None, in_memory: int | None = None) -> None:
        size = IN_MEMORY if in_memory is None else in_memory
        try:
            # (a SpooledTemporaryFile of max_size 0 would never leave memory)
            self._file: IO[bytes] = (
                tempfile.SpooledTemporaryFile(max_size=size)
                if size > 0
                else tempfile.TemporaryFile()
            )
        except OSError as exc:
            raise _failed("create", exc) from exc
        self._close = weakref.finalize(self, self._file.close)
        self._chunk = CHUNK if chunk is None else chunk
        # Weak: the sections hold the spool, and a cycle would keep the file until the cycle
        # collector runs (an import pauses it).
        self._sections: list[weakref.ref[SpooledCards]] = []
        self._pending = 0

    def section(self) -> SpooledCards:
        """A new, empty section's cards."""
        cards = SpooledCards(self)
        self._sections.append(weakref.ref(cards))
        return cards

    def _added(self, cards: SpooledCards) -> None:
        """After ``cards`` got one (counted in ``_pending``): write what is due."""
        if len(cards._tail) >= self._chunk:
            self._pending -= len(cards._tail)
            cards._flush()
        elif self._pending >= PENDING_CHUNKS * self._chunk:
            for ref in self._sections:
                section = ref()
                if section is not None:
                    section._flush()
            self._pending = 0

    def _write(self, data: bytes) -> tuple[int, int]:
        file = self._file
        try:
            file.seek(0, 2)
            start = file.tell()
            file.write(data)
        except OSError as exc:
            raise _failed("write", exc) from exc
        return start, len(data)

    def _read(self, start: int, size: int) -> bytes:
        file = self._file
        try:
            file.seek(start)
            data = file.read(size)
        except OSError as exc:
            raise _failed("read back", exc) from exc
        if len(data) != size:
            raise SpoolError(
                f"the temporary file of the cards read ends early ({len(data)} of {size} bytes)"
            )
        return data


def _failed(what: str, exc: OSError) -> SpoolError:
    return SpoolError(
        f"cannot {what} the temporary file that holds the cards read (in "
        f"{tempfile.gettempdir()}; set TMPDIR to a folder with room): {exc.strerror or exc}"
    )


class SpooledCards(Sequence[CardSpec]):
    """One section's cards in a :class:`CardSpool`, in the order they were appended.

    Attributes:
        keys: every card's key, in order, held in memory: what an import compares first.
    """

    def __init__(self, spool: CardSpool) -> None:
        self._spool = spool
        self.keys: list[str] = []
        self._chunks: list[tuple[int, int]] = []
        """Where each written chunk is in the file: offset and size."""
        self._starts: list[int] = []
        """The index of each written chunk's first card."""
        self._tail: list[tuple[Any, ...]] = []
        """The cards appended since the last chunk was written."""
        self._cached: tuple[int, list[tuple[Any, ...]]] | None = None

    def append(self, card: CardSpec) -> None:
        """Add ``card`` at the end.

        Raises:
            ValueError: for a card with history or suspended, which a spool does not keep.
        """
        if card.history or card.suspended:
            raise ValueError(f"card {card.key!r}: a spool keeps cards without history only")
        self.add(
            card.key,
            card.question,
            card.answer,
            card.note,
            card.tags,
            card.source_id,
            card.cloze,
            card.cloze_ord,
        )

    def add(
        self,
        key: str,
        question: str,
        answer: str,
        note: str | None = None,
        tags: tuple[str, ...] = (),
        source_id: str | None = None,
        cloze: str | None = None,
        cloze_ord: int | None = None,
    ) -> None:
        """Add the card these fields make (as :class:`~recall1924.deck.CardSpec` takes them),
        without making it: a reader of a million rows saves a second."""
        self.keys.append(key)
        tail = self._tail
        tail.append((question, answer, note, tags, source_id, cloze, cloze_ord))
        spool = self._spool
        spool._pending += 1
        # the spool's bookkeeping only when there is some to do: a call a card is a second
        if len(tail) >= spool._chunk or spool._pending >= PENDING_CHUNKS * spool._chunk:
            spool._added(self)

    def _flush(self) -> None:
        if self._tail:
            self._starts.append(len(self.keys) - len(self._tail))
            self._chunks.append(self._spool._write(marshal.dumps(self._tail)))
            self._tail = []

    def _chunk(self, number: int) -> list[tuple[Any, ...]]:
        if self._cached is not None and self._cached[0] == number:
            return self._cached[1]
        rows: list[tuple[Any, ...]] = marshal.loads(self._spool._read(*self._chunks[number]))
        self._cached = (number, rows)
        return rows

    def _rows(self) -> Iterator[list[tuple[Any, ...]]]:
        for number in range(len(self._chunks)):
            # Loaded whole before its first card is handed out: reading two sections in
            # turn (each seeks the shared file) is safe.
            yield marshal.loads(self._spool._read(*self._chunks[number]))
        yield list(self._tail)

    def __iter__(self) -> Iterator[CardSpec]:
        for (
            key,
            question,
            answer,
            note,
            tags,
            source_id,
            _held,
            cloze,
            cloze_ord,
        ) in self.card_fields():
            yield CardSpec(
                key, question, answer, note, tags, source_id, cloze=cloze, cloze_ord=cloze_ord
            )

    def card_fields(
        self,
    ) -> Iterator[
        tuple[str, str, str, str | None, tuple[str, ...], str | None, bool, str | None, int | None]
    ]:
        """Each card's key, question, answer, note, tags, source id, suspension (never: a spool
        keeps no suspended card), cloze and cloze number, in order, as a card's fields are
        written, without making its CardSpec: what a writer of a million cards needs, in a
        third of the time."""
        keys = iter(self.keys)
        for rows in self._rows():
            for (question, answer, note, tags, source_id, cloze, cloze_ord), key in zip(
                rows, keys, strict=False
            ):
                yield key, question, answer, note, tags, source_id, False, cloze, cloze_ord

    def __len__(self) -> int:
        return len(self.keys)

    @overload
    def __getitem__(self, index: int) -> CardSpec: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[CardSpec, ...]: ...

    def __getitem__(self, index: int | slice) -> CardSpec | tuple[CardSpec, ...]:
        if isinstance(index, slice):
            return tuple(self[position] for position in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("card index out of range")
        written = len(self.keys) - len(self._tail)
        if index >= written:
            row = self._tail[index - written]
        else:
            number = bisect_right(self._starts, index) - 1
            row = self._chunk(number)[index - self._starts[number]]
        question, answer, note, tags, source_id, cloze, cloze_ord = row
        return CardSpec(
            self.keys[index],
            question,
            answer,
            note,
            tags,
            source_id,
            cloze=cloze,
            cloze_ord=cloze_ord,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))  # as a tuple of the same cards hashes, which compares equal

    def __repr__(self) -> str:
        return f"SpooledCards({len(self)} cards)"
