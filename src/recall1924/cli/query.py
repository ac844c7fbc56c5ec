"""The query every finding command takes (``recall cards QUERY``, ``--query``): its argument
and option, parsing it before the collection is opened, and the scope it narrows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

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


class QueryCommand(TyperCommand):
    """A command whose QUERY words may start with "-" wherever they stand.

    Anki's negation (``-word``, ``-deck:fr``) looks like an option to the command line's parser,
    which refuses ``recall cards trotsky -exile`` ("No such option: -e") or, worse, reads
    ``-hitler`` as ``-h``. So before parsing, every argument that is not one of the command's
    own options (with its value) is moved, in order, behind a ``--``: the options still work
    wherever they are given, and the query keeps its words as typed.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if param.param_type_name == "option":
                flag = bool(getattr(param, "is_flag", False) or getattr(param, "count", False))
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not flag
        options: list[str] = []
        words: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                words.extend(rest)
                break
            name = arg.partition("=")[0] if arg.startswith("--") else arg
            if name not in takes_value:
                words.append(arg)
                continue
            options.append(arg)
            if takes_value[name] and "=" not in arg:
                value = next(rest, None)
                if value is not None:
                    options.append(value)
        return super().parse_args(ctx, [*options, "--", *words] if words else options)


QueryOption = Annotated[str | None, typer.Option("--query", "-q", metavar="QUERY", help=QUERY_HELP)]
QueryWords = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="QUERY",
        help=QUERY_HELP + " Several words are one query; -word may stand anywhere.",
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
