"""Hypothesis strategies shared by the tests: whole decks, valid by construction."""

from __future__ import annotations

from hypothesis import strategies as st

from recall1924.deck import CardSpec, DeckSpec, SectionSpec


@st.composite
def decks(
    draw: st.DrawFn,
    ids: st.SearchStrategy[str],
    texts: st.SearchStrategy[str],
    *,
    max_cards: int = 10,
    descriptions: bool = True,
) -> DeckSpec:
    """A deck with unique ids, one to four sections and up to ``max_cards`` cards spread over
    them, a version sometimes, and a description sometimes (if ``descriptions``)."""
    card_keys = draw(st.lists(ids, unique=True, max_size=max_cards))
    section_keys = draw(st.lists(ids, unique=True, min_size=1, max_size=4))
    cards = [
        CardSpec(
            key,
            draw(texts),
            draw(texts),
            draw(st.none() | texts),
            tuple(draw(st.lists(texts, max_size=3))),
        )
        for key in card_keys
    ]
    cuts = sorted(
        draw(
            st.lists(
                st.integers(0, len(cards)),
                min_size=len(section_keys) - 1,
                max_size=len(section_keys) - 1,
            )
        )
    )
    bounds = [0, *cuts, len(cards)]
    sections = tuple(
        SectionSpec(key, draw(texts), tuple(cards[bounds[i] : bounds[i + 1]]))
        for i, key in enumerate(section_keys)
    )
    return DeckSpec(
        draw(ids),
        draw(texts),
        sections,
        description=draw(st.none() | texts) if descriptions else None,
        version=draw(st.none() | st.integers(1, 2**63 - 1)),
    )
