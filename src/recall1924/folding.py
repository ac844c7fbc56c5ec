"""Text as searches compare it: without case, accents or invisible characters. Pure.

Holds :func:`fold`, :func:`folded_text` and :func:`folded_tags` (the forms the store keeps
beside each card, in ``card.search_text`` and ``card.search_tags``) and :func:`path_name`.
A query's words (:mod:`recall1924.query`) and a card's stored text go through the same
:func:`fold`, so "emile", "ÉMILE" and "Émile" find each other, "strasse" finds "Straße", and a
phrase is found across a line break. Changing what :func:`fold` does needs a migration that
folds the stored text again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

FIELD_SEPARATOR = "\x1f"
"""Between the folded question, answer and note in the stored text, and around each tag in
the stored tags: :func:`fold` never leaves one, so no word or phrase matches across it."""

_SPACES = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


class _Dropped(dict[int, int | None]):
    """``str.translate``'s table, filled as characters are met: combining marks (accents),
    invisible format characters (soft hyphens, zero-width joiners, direction marks) and lone
    surrogates go; every other character stays."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) in ("Mn", "Me", "Cf", "Cs") else code
        self[code] = kept
        return kept


_DROPPED = _Dropped()


def fold(text: str) -> str:
    """``text`` as searches compare it: without case, accents or invisible characters, its
    compatibility forms decomposed ("ﬁ" is "fi", "²" is "2"), each run of spaces or control
    characters one space.

    Folded twice, as once; no ASCII capital is left, so SQL's ``LIKE``, which ignores ASCII case
    on some databases and not on others, compares folded texts alike everywhere.
    """
    if text.isascii():
        if text.isprintable() and "  " not in text:
            # Only single spaces to fold: the substitution would change nothing, and it costs
            # several times the rest (seconds over a million cards' import).
            return text.lower()
        return _SPACES.sub(" ", text.lower())  # what the rest does to ASCII, many times faster
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    # Case folding can undo a decomposition ("ǰ"), and a decomposition can bring capitals
    # back ("㎒" is "MHz"): both once more.
    decomposed = unicodedata.normalize("NFKD", decomposed).casefold()
    return _SPACES.sub(" ", decomposed.translate(_DROPPED))


def folded_text(question: str, answer: str, note: str | None) -> str:
    """A card's question, answer and note folded, as the store keeps them for free words."""
    text = question + answer + (note or "")
    if text.isascii() and text.isprintable() and "  " not in text:
        # Each part is fold's own fast case (and lower() leaves the separator as it is): one
        # lower() for the three, not three folds, is half a second over a million cards.
        return FIELD_SEPARATOR.join((question, answer, note or "")).lower()
    return FIELD_SEPARATOR.join((fold(question), fold(answer), fold(note or "")))


def folded_tags(tags: Iterable[str]) -> str:
    """A card's tags folded, each between two separators (empty for no tags), as the store
    keeps them for ``tag:``."""
    folded = [fold(tag) for tag in tags]
    if not folded:
        return ""
    return FIELD_SEPARATOR + FIELD_SEPARATOR.join(folded) + FIELD_SEPARATOR


_PATH = re.compile(r" ?:: ?")


def path_name(folded: str) -> str:
    """A folded deck or section name with ``::`` written tight: Anki's ``Deck::Sub`` and a
    section title ``Sub :: Part`` (as the Anki importers name them) compare alike."""
    return _PATH.sub("::", folded)
