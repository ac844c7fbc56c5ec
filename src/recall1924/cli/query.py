"""The query every finding command takes (``recall cards QUERY``, ``--query``): its argument
and option, parsing it before the collection is opened, and the scope it narrows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.query import Query
    from recall1924.store import Scope
    from recall1924.store.search import SearchContext

QUERY_HELP = (
    "Only the cards this query matches: words (all of them, in the question, answer or note, "
    'any case or accents), "a phrase", -word, or, (groups), deck:, section:, tag:, '
    "is:new|learn|review|due|suspended|buried|leech|flagged, prop:r<0.8, rated:7, "
    "introduced:7, edited:7 (docs/search.md)."
)

QueryOption = Annotated[str | None, typer.Option("--query", "-q", metavar="QUERY", help=QUERY_HELP)]
QueryWords = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="QUERY",
        help=QUERY_HELP + " Several words are one query; start it with -- to begin with -word.",
        show_default=False,
    ),
]


def parse_query(*parts: str | list[str] | None) -> Query:
    """The query the command line gives (its words joined by spaces), parsed before anything
    is opened: a bad query is one line on stderr and changes nothing.

    Raises:
        QueryError: naming the token that is wrong.
    """
    from recall1924.query import parse

    words: list[str] = []
    for part in parts:
        if isinstance(part, str):
            words.append(part)
        elif part:
            words.extend(part)
    return parse(" ".join(words))


def search_context(app_obj: App, query: Query) -> SearchContext:
    """What ``query``'s relative terms are relative to in this collection: now, today's review
    day, the forgetting curves (each deck's own, for ``prop:r``) and the leech threshold."""
    from recall1924.query import Prop, Property, terms
    from recall1924.scheduling import decay_of
    from recall1924.store.search import SearchContext

    settings = app_obj.settings
    chance = any(isinstance(term, Prop) and term.name is Property.R for term in terms(query))
    return SearchContext(
        now=app_obj.clock.now(),
        day_starts_at=settings.day_starts_at,
        decay=decay_of(app_obj.scheduler),
        deck_decays=app_obj.deck_decays() if chance else {},
        leech_threshold=settings.leech_threshold,
    )


def query_scope(
    app_obj: App, query: Query, deck: str | None = None, section: str | None = None
) -> Scope:
    """The cards of ``deck`` and ``section`` that ``query`` matches."""
    scope = app_obj.store.scope(deck, section)
    return app_obj.store.filtered(scope, query, search_context(app_obj, query))
