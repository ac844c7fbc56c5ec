"""Changing cards: adding one, rewording one, flagging one. Edits go where the deck lives.

Holds :func:`card_to_edit` / :func:`save_edit` / :func:`undo_edit`, :func:`card_to_add` /
:func:`save_new`, :func:`flag_card` / :func:`restore_flag`, and :func:`deck_file`, which says
where a deck lives.

A deck that came from a TOML file of the student's that is still there (and still holds the card,
or the section a new card goes to) is changed in that file, in place (:mod:`recall1924.deckedit`:
order, comments and layout kept), and in the collection in the same step: the collection's row is
written inside a transaction, then the file replaced atomically, then the transaction committed.
A database that refuses the write (read-only, busy) stops it before the file is touched; a file
that cannot be written rolls the row back; a crash between the file's replacement and the commit
leaves the file ahead, and the next ``recall import FILE`` brings the change in as an ordinary
update (the file is the deck). Either way re-importing the file finds every card unchanged.

Any other deck (the bundled one, an Anki package, a CSV file, a file no longer there) keeps the
change in the collection as the student's own wording (``edited_at``), which imports and updates
of the deck never overwrite (see :mod:`recall1924.importing`). The deck's own wording is kept
beside it (:class:`~recall1924.store.edits.Upstream`); a student who words a card as the deck
does again gives it back to the deck.

Every change returns what it replaced, so that the review session can undo it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from recall1924 import deckedit
from recall1924.deck import CardSpec, DeckSpec
from recall1924.deckedit import card_snippet, check_card, new_card_id
from recall1924.errors import DeckFileError, NotFoundError
from recall1924.store import Store
from recall1924.store.edits import DeckPlace, Upstream

__all__ = [
    "CardToAdd",
    "CardToEdit",
    "FlagChange",
    "Saved",
    "Wording",
    "card_to_add",
    "card_to_edit",
    "deck_file",
    "editable",
    "flag_card",
    "restore_flag",
    "save_edit",
    "save_new",
    "undo_edit",
]

FLAGGED = 1
"""The flag column's value for a flagged card (0 is none); one kind of flag, no colours."""


def deck_file(source: str | None) -> Path | None:
    """The student's TOML deck file a deck was imported from, if it is still there.

    Args:
        source: the deck's recorded source (an absolute path for an imported file).

    Returns:
        The file, or None when the deck has no such file (the bundled deck, an Anki package or
        CSV file, a file that was moved or deleted).

    Raises:
        DeckFileError: the file is there but cannot be read.
    """
    from recall1924.importers import BUNDLED_SOURCE, detect_format

    if source is None or source == BUNDLED_SOURCE:
        return None
    path = Path(source)
    if not path.is_absolute() or not path.is_file():
        return None
    return path if detect_format(path) == "toml" else None


def _file_deck(source: str | None, deck_key: str) -> tuple[Path, DeckSpec] | None:
    """The deck's file and the deck it holds now, if the deck lives in a file of the
    student's: one whose deck has this deck's id (a file imported under another id with
    ``--deck`` is not edited)."""
    from recall1924.deckfile import read_deck_file

    path = deck_file(source)
    if path is None:
        return None
    held = read_deck_file(path)  # a broken file is reported: the student is editing it
    return (path, held) if held.key == deck_key else None


def _check_writable(store: Store) -> None:
    if store.read_only:
        raise store.read_only_error("cannot change its cards")


@dataclass(frozen=True)
class Wording:
    """A card's wording as the collection holds it, with its marks: what undo puts back."""

    card: CardSpec
    edited_at: datetime | None
    upstream: Upstream | None


@dataclass(frozen=True)
class Saved:
    """A card added or changed.

    Attributes:
        file: the student's deck file it was written into (None: the collection only, as the
            student's own wording).
        changed: whether anything was written (an edit that changes nothing writes nothing).
        before: the wording it replaced, in the collection (None for a new card).
        file_before: the wording it replaced in the file.
    """

    card_id: int
    key: str
    deck: str
    section: str
    file: Path | None
    changed: bool
    before: Wording | None = None
    file_before: CardSpec | None = None

    def line(self, *, added: bool = False) -> str:
        """What was done, in one line."""
        if not self.changed:
            return f"Card {self.key!r} is unchanged; nothing was written"
        done = f"Added card {self.key!r} to" if added else f"Changed card {self.key!r} in"
        place = f"{done} deck {self.deck!r}, section {self.section!r}"
        if self.file is not None:
            return f"{place}: written into {self.file}"
        return f"{place}: kept in the collection as your own wording"


# --- editing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardToEdit:
    """A card about to be edited, and where its wording lives.

    Attributes:
        shown: the wording the student edits: the file's when the deck lives in a file (it is
            the deck; it may hold a change not imported yet), else the collection's.
        file: the student's deck file holding the card, if the deck lives in one.
    """

    card_id: int
    deck: str
    section: str
    stored: Wording
    shown: CardSpec
    file: Path | None

    @property
    def key(self) -> str:
        return self.shown.key

    def snippet(self) -> str:
        """The card as the TOML text the student edits, with the deck's own wording above it
        as comments when the student's differs from it."""
        text = card_snippet(self.shown, self.section)
        upstream = self.stored.upstream
        if self.file is not None or upstream is None:
            return text
        if upstream.updated_at is not None:
            when = f"{upstream.updated_at:%Y-%m-%d}"
            head = f"The deck has a newer wording of this card (since {when}); to take it, "
        else:
            head = "The deck's own wording of this card; to go back to it, "
        lines = [f"# {head}copy it over yours:"]
        lines += [f"#   {line}" for line in card_snippet(upstream.card(self.key), self.section)]
        lines = [line for line in lines if not line.startswith(("#   id =", "#   section ="))]
        return "\n".join(lines) + "\n" + text


def card_to_edit(store: Store, key: str, deck: str | None = None) -> CardToEdit:
    """Card ``key`` (of ``deck``, when several decks have one) as the student is to edit it.

    Raises:
        NotFoundError: no such card or deck, or several decks have the card and none is named.
        ReadOnlyDatabaseError: the collection cannot be changed: said before any editing.
        DeckFileError: the deck's file is there but cannot be read.
    """
    if deck is not None:
        store.scope(deck)  # names the decks there are when there is no such one
    return editable(store, store.card_ids([key], deck)[key])


def editable(store: Store, card_id: int) -> CardToEdit:
    """The card with database id ``card_id`` as the student is to edit it (the card on the
    review screen); raises as :func:`card_to_edit` does (NotFoundError: deleted meanwhile)."""
    _check_writable(store)
    detail = store.card_detail(card_id)
    stored = Wording(
        CardSpec(detail.key, detail.question, detail.answer, detail.note, detail.tags),
        detail.edited_at,
        detail.upstream,
    )
    source = store.deck_place(detail.deck).source
    found = _file_deck(source, detail.deck)
    if found is not None:
        path, held = found
        in_file = next((card for card in held.cards if card.key == detail.key), None)
        if in_file is not None:
            return CardToEdit(card_id, detail.deck, detail.section, stored, in_file, path)
    return CardToEdit(card_id, detail.deck, detail.section, stored, stored.card, None)


def save_edit(
    store: Store, target: CardToEdit, section: str, card: CardSpec, *, now: datetime
) -> Saved:
    """Give the card of ``target`` the wording ``card``, where its deck lives (see the module's
    docstring). It keeps its id, place, memory state and history.

    Args:
        section: the section the edited text names; it must be the card's own.
        card: the new wording, checked by the deck loader's rules.

    Raises:
        DeckFileError: the new card is not valid, changes the id or the section, or the deck's
            file cannot be changed; nothing is written.
        ReadOnlyDatabaseError, DatabaseBusyError: nothing is written.
    """
    card = check_card(card)
    if card.key != target.key:
        raise DeckFileError(
            "<card>",
            [
                f"card {target.key!r} cannot become {card.key!r}: changing a card's id would lose "
                "its review history"
            ],
        )
    if section != target.section:
        raise DeckFileError(
            "<card>",
            [
                f"card {target.key!r} is in section {target.section!r}: it cannot move to "
                f"{section!r} here"
            ],
        )
    stored = target.stored
    saved = Saved(
        target.card_id,
        target.key,
        target.deck,
        target.section,
        target.file,
        changed=True,
        before=stored,
        file_before=target.shown if target.file is not None else None,
    )
    if target.file is not None:
        path = target.file
        if card == target.shown and card == stored.card and stored.edited_at is None:
            return replace(saved, changed=False)
        # The wording is the file's now: no longer the student's alone.
        store.save_wording(
            target.card_id,
            card,
            now=now,
            edited_at=None,
            upstream=None,
            then=None if card == target.shown else lambda: deckedit.edit_card(path, card.key, card),
        )
        return saved
    if card == stored.card:
        return replace(saved, changed=False)
    upstream = stored.upstream
    if upstream is None and stored.edited_at is None:
        upstream = Upstream.of(stored.card)  # the deck's wording, until now the card's
    if upstream is not None and upstream.same_wording(card):
        # Worded as the deck words it: the card is the deck's again, and updates reach it.
        store.save_wording(target.card_id, card, now=now, edited_at=None, upstream=None)
    else:
        store.save_wording(target.card_id, card, now=now, edited_at=now, upstream=upstream)
    return saved


def undo_edit(store: Store, saved: Saved, *, now: datetime) -> None:
    """Put back what :func:`save_edit` replaced, in the file too if it wrote one.

    Raises:
        DeckFileError: the file cannot be put back (changed or removed since); nothing is
            written.
    """
    before = saved.before
    if not saved.changed or before is None:
        return
    path, old = saved.file, saved.file_before
    store.save_wording(
        saved.card_id,
        before.card,
        now=now,
        edited_at=before.edited_at,
        upstream=before.upstream,
        then=None
        if path is None or old is None
        else lambda: deckedit.edit_card(path, old.key, old),
    )


# --- adding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardToAdd:
    """Where a new card is to go.

    Attributes:
        section: the section asked for, or None when the student is to choose (the template
            then names the deck's last section, and lists them all).
        file: the student's deck file, if the deck lives in one, with the sections it holds.
    """

    deck: DeckPlace
    section: str | None
    file: Path | None
    file_sections: frozenset[str]
    taken: frozenset[str]
    """Card ids already used in the deck (the collection's and the file's)."""

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(key for _id, key in self.deck.sections)

    def snippet(self, card: CardSpec | None = None) -> str:
        """The template the student fills in: an empty id asks for one made from the
        question."""
        section = self.section or self.sections[-1]
        lines = [
            f"# A new card for deck {self.deck.key!r}. Leave id empty for one made from the "
            "question.",
            f"# Sections: {', '.join(self.sections)}",
        ]
        return "\n".join(lines) + "\n" + card_snippet(card or CardSpec("", "", ""), section)


def card_to_add(store: Store, deck: str | None = None, section: str | None = None) -> CardToAdd:
    """Where a new card goes: deck ``deck`` (may be left out when there is only one), section
    ``section`` (None: the student chooses).

    Raises:
        NotFoundError: no such deck or section, or several decks and none named.
        ReadOnlyDatabaseError: the collection cannot be changed: said before any editing.
        DeckFileError: the deck's file is there but cannot be read.
    """
    _check_writable(store)
    if deck is None:
        decks = [summary.key for summary in store.decks()]
        if len(decks) != 1:
            raise NotFoundError(
                f"name the deck with --deck (decks: {', '.join(decks) or 'none'})"
                if decks
                else "there are no decks to add a card to; import one first"
            )
        deck = decks[0]
    place = store.deck_place(deck)
    if _section_id(place, section) is None:
        raise NotFoundError(_no_section(place, section))
    found = _file_deck(place.source, place.key)
    taken = set(place.card_keys)
    path, sections = None, frozenset[str]()
    if found is not None:
        path, held = found
        sections = frozenset(spec.key for spec in held.sections)
        taken.update(card.key for card in held.cards)
    return CardToAdd(place, section, path, sections, frozenset(taken))


def _section_id(place: DeckPlace, section: str | None) -> int | None:
    """The database id of the section (None: the deck's last), or None if there is none."""
    if section is None:
        return place.sections[-1][0] if place.sections else None
    return next((section_id for section_id, key in place.sections if key == section), None)


def _no_section(place: DeckPlace, section: str | None) -> str:
    known = ", ".join(key for _id, key in place.sections) or "none"
    return f"no section {section!r} in deck {place.key!r} (sections: {known})"


def new_key(card: CardSpec, taken: Collection[str]) -> CardSpec:
    """``card`` with an id made from its question if it has none."""
    if card.key or not card.question.strip():
        return card
    return replace(card, key=new_card_id(card.question, taken))


def save_new(
    store: Store, target: CardToAdd, section: str, card: CardSpec, *, now: datetime
) -> Saved:
    """Add ``card`` to section ``section`` of the deck, where the deck lives (see the module's
    docstring); an empty id is made from the question, unique in the deck.

    Raises:
        DeckFileError: the card is not valid, its id is taken, there is no such section, or
            the deck's file cannot be changed; nothing is written.
        ReadOnlyDatabaseError, DatabaseBusyError: nothing is written.
    """
    card = check_card(new_key(card, target.taken))
    if card.key in target.taken:
        raise DeckFileError(
            "<card>", [f"id {card.key!r} is already used in deck {target.deck.key!r}"]
        )
    section_id = _section_id(target.deck, section)
    if section_id is None:
        raise DeckFileError("<card>", [_no_section(target.deck, section)])
    path = target.file if section in target.file_sections else None
    card_id = store.add_card(
        target.deck.id,
        section_id,
        card,
        now=now,
        edited_at=None if path is not None else now,
        then=None if path is None else lambda: deckedit.add_card(path, section=section, card=card),
    )
    return Saved(card_id, card.key, target.deck.key, section, path, changed=True)


# --- flags -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagChange:
    """A flag set or taken off, with what it replaced (for undo)."""

    card_id: int
    key: str
    flag: int
    reason: str | None
    before: tuple[int, str | None]

    def line(self) -> str:
        if not self.flag:
            return f"Unflagged card {self.key!r}"
        why = f": {self.reason}" if self.reason else ""
        return f"Flagged card {self.key!r}{why}"


def _reason(text: str | None) -> str | None:
    """A reason as one line (a flag's reason is a note to self, shown in lists)."""
    joined = " ".join((text or "").split())
    return joined or None


def flag_card(
    store: Store, card_id: int, reason: str | None = None, *, on: bool = True
) -> FlagChange:
    """Flag a card with an optional reason ("ask in class"), or unflag it (``on`` false).

    Raises:
        ReadOnlyDatabaseError, DatabaseBusyError, CardGoneError: nothing is written.
    """
    _check_writable(store)
    detail = store.card_detail(card_id)
    flag, why = (FLAGGED, _reason(reason)) if on else (0, None)
    store.set_flag(card_id, flag, why)
    return FlagChange(card_id, detail.key, flag, why, (detail.flag, detail.flag_reason))


def restore_flag(store: Store, change: FlagChange) -> None:
    """Put back the flag :func:`flag_card` replaced."""
    store.set_flag(change.card_id, *change.before)
