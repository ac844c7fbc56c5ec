"""The collection: importing, exporting, listing and removing decks, browsing cards."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from recall1924.cli.base import (
    DbOption,
    DeckOption,
    JsonOption,
    app,
    app_for,
    decks_app,
    print_json,
    show_notices,
)
from recall1924.cli.query import (
    QueryCommand,
    QueryOption,
    QueryWords,
    parse_query,
    query_scope,
)
from recall1924.collector import collector_paused
from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.location import DatabaseLocation
    from recall1924.query import Query


# Paused collector, the whole command: reading and writing already paused it, but the database
# stack it imports and the collector's first passes after each pause (over every card and answer
# made in it) still cost 0.1 s of the Spanish package's 1.3 s, for nothing to free.
@app.command("import")
@collector_paused()
def import_(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="The deck file: recall TOML, CSV/TSV (Anki text exports too), or an Anki "
            "package (.apkg, .colpkg, .anki2).",
            show_default=False,
        ),
    ] = None,
    deck: Annotated[
        str | None, typer.Option("--deck", help="Put every card into the deck with this id.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="toml, csv or apkg [default: told from the file's content]."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete cards no longer in the file, with their history."),
    ] = False,
    bundled: Annotated[
        bool,
        typer.Option(
            "--bundled",
            help="Import the deck that ships with recall (cards it no longer has are "
            "suspended, history kept).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import decks from a file, or update them from a newer or edited copy.

    Cards are matched by id (Anki notes by their GUID), so reworded cards keep their review
    history, and an Anki package's review history comes along. All or nothing: a file with any
    error changes nothing, and the database is backed up before anything is written.
    """
    from recall1924.importers import FORMATS, ReadResult, read_bundled, read_decks
    from recall1924.importing import ImportReport, import_decks, plan_import
    from recall1924.ui.reports import print_import

    if fmt is not None and fmt not in FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(FORMATS)}", param_hint="--format")
    if (path is None) == (not bundled):
        raise typer.BadParameter("give a deck file, or --bundled (not both)", param_hint="PATH")
    # Read before opening the database: a bad file changes nothing, not even a new collection.
    read = (
        ReadResult((read_bundled(),)) if path is None else read_decks(path, fmt=fmt, deck_key=deck)
    )
    app_obj = app_for(ctx, db, bundled=False)
    if dry_run and not _holds_collection(app_obj.location):
        # Opening would create the collection: a dry run must not.
        plans = tuple(plan_import(spec, None, prune=prune) for spec in read.decks)
        report = ImportReport(plans, read.skipped, left_out=read.left_out)
    else:
        from recall1924.ui.progress import delayed_progress

        store = app_obj.store
        first = store.deck_count() == 0
        if bundled:
            from recall1924.bundled import import_bundled

            # As the automatic update does: cards gone from the shipped deck are retired
            # (suspended, history kept) unless --prune deletes them.
            update = import_bundled(
                store,
                read.decks[0],
                now=app_obj.clock.now(),
                prune=prune,
                dry_run=dry_run,
                backup=None if first else app_obj.backup,
            )
            report = ImportReport((update.plan,), backup=update.backup)
            if update.retired or update.restored:
                app_obj.notices.append(update.notice())
        else:
            with delayed_progress(app_obj.err_console, "Importing") as progress:
                report = import_decks(
                    store,
                    read.decks,
                    now=app_obj.clock.now(),
                    replay=app_obj.replay,
                    prune=prune,
                    dry_run=dry_run,
                    skipped=read.skipped,
                    left_out=read.left_out,
                    buried=read.buried,
                    day_starts_at=read.day_starts_at,
                    backup=None if first else app_obj.backup,
                    progress=progress,
                    media_from=path,
                )
        if first and not bundled and not dry_run:
            app_obj.notices.append(
                "This new collection holds only what you imported; "
                "add the bundled deck with: recall import --bundled"
            )
    show_notices(app_obj)
    print_import(app_obj.console, report, dry_run=dry_run)


def _holds_collection(location: DatabaseLocation) -> bool:
    """Whether there is a collection at ``location`` to open (a file, or a database holding
    tables), asked without creating one: a SQLite file that is there, or a server's database
    with any table in it (one that is not recall's is refused by the open, as a file is)."""
    if location.path is not None:
        return location.path.exists()
    from recall1924.db import server_schema

    has_tables, _revision = server_schema(location)
    return has_tables


@decks_app.callback()
def decks(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """List the decks in the collection."""
    if ctx.invoked_subcommand is not None:
        return
    from dataclasses import asdict

    from recall1924.ui.reports import print_decks

    app_obj = app_for(ctx, db)
    found = app_obj.store.decks()
    show_notices(app_obj)
    if as_json:
        # "key" was this list's name for the deck's id; it stays, as an alias, for one release.
        print_json([{"id": deck.key} | asdict(deck) for deck in found])
    else:
        print_decks(app_obj.console, found)


@decks_app.command("remove")
def decks_remove(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The deck's id (see recall decks).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete a deck with its cards and their review history (backed up first)."""
    app_obj = app_for(ctx, db, bundled=False)
    deck = next((found for found in app_obj.store.decks() if found.key == key), None)
    if deck is None:
        app_obj.store.scope(key)  # raises, naming the decks there are
        return
    if not yes:
        typer.confirm(
            f"Delete deck {deck.key!r} ({deck.title}) with its {deck.cards} cards and their "
            "history?",
            abort=True,
        )
    saved = app_obj.backup()
    cards = app_obj.store.remove_deck(key)
    from recall1924.media_check import remove_unused

    remove_unused(app_obj.store)  # files nothing names now; those a backup names stay for it
    show_notices(app_obj)
    kept = "" if saved is None else f"; the collection before is kept at {saved}"
    typer.echo(f"Deleted deck {key!r} and its {cards} cards{kept}")


# The browser's choices, spelled here so that --help and a bad value are caught before the
# database stack loads; tests/test_browse.py checks they match browse.StateFilter and SortKey.
CARD_STATES = ("new", "learning", "relearning", "review", "suspended", "leech")
CARD_SORTS = ("due", "retrievability", "lapses")


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return check


@app.command(cls=QueryCommand)
def cards(
    ctx: typer.Context,
    query: QueryWords = None,
    deck: DeckOption = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Only this section (its id).")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            metavar="TEXT",
            help="Only cards whose question, answer or note holds TEXT as it is, in any case "
            'or accents: the query "TEXT", wildcards and names aside.',
        ),
    ] = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            metavar="STATE",
            callback=_one_of(CARD_STATES),
            help="Only new, learning (with relearning), relearning, review, suspended or leech "
            "(forgotten leech_threshold times or more) cards.",
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            metavar="ORDER",
            callback=_one_of(CARD_SORTS),
            help="due (soonest first), retrievability (weakest first) or lapses (most first) "
            "[default: deck order].",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=0,
            metavar="N",
            help="At most N cards, 0 for all [default: 200 in the table, all with --json].",
        ),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List cards with their memory state, one per line: find, filter and sort them.

    QUERY is recall's search language, Anki's: recall cards deck:spanish is:due "to be"
    -tag:easy (docs/search.md).
    """
    # A bad query stops here, before the collection is opened.
    _show_cards(
        ctx,
        parse_query(query),
        deck=deck,
        section=section,
        search=search,
        state=state,
        sort=sort,
        limit=limit,
        as_json=as_json,
        db=db,
    )


# Paused collector: a listing's modules and rows live to the end or die by reference counting
# (40-70 ms of the collector's passes over them, for nothing, on a big collection's listing).
@collector_paused()
def _show_cards(
    ctx: typer.Context,
    found: Query,
    *,
    deck: str | None,
    section: str | None,
    search: str | None = None,
    state: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    as_json: bool = False,
    db: str | None = None,
) -> None:
    """The listing of ``recall cards`` (and ``recall due --list``): the table, or ``--json``."""
    from recall1924.browse import TABLE_ROWS, Listing, SortKey, StateFilter
    from recall1924.scheduling import decay_of

    app_obj = app_for(ctx, db)
    store = app_obj.store
    scope = query_scope(app_obj, found, deck, section)
    now = app_obj.clock.now()
    if limit is None and not as_json:
        limit = TABLE_ROWS  # the table's default; the JSON lists every card
    # What the table and the JSON list alike.
    listing = Listing(
        now=now,
        day_starts_at=app_obj.settings.day_starts_at,
        decay=decay_of(app_obj.scheduler),
        scope=scope,
        search=search,
        state=None if state is None else StateFilter(state),
        sort=None if sort is None else SortKey(sort),
        limit=limit or None,  # --limit 0: every card
        leech_threshold=app_obj.settings.leech_threshold,
    )
    show_notices(app_obj)
    if as_json:
        from recall1924.browse import json_cards

        # Streamed a chunk of cards at a time: the collection is never all in memory. Written
        # to stdout itself: typer.echo would look for terminal codes to strip in every piece
        # (10 ms of a collection's), and JSON has none (it escapes every control character).
        out = sys.stdout
        for piece in json_cards(store, listing):
            # visible_json only escapes characters from DEL up: an ASCII piece without DEL
            # (most of them) needs no scan.
            if not piece.isascii() or "\x7f" in piece:
                # Rich's console and text come with it: imported for such a piece only.
                from recall1924.ui.text import visible_json

                piece = visible_json(piece)
            out.write(piece)
        out.write("\n")
    else:
        from recall1924.browse import list_cards
        from recall1924.ui.browser import print_cards

        print_cards(app_obj.console, list_cards(store, listing), now=now)


@app.command()
def leeches(
    ctx: typer.Context, deck: DeckOption = None, as_json: JsonOption = False, db: DbOption = None
) -> None:
    """List the leeches: cards forgotten leech_threshold times or more, to rewrite or split.

    The same as recall cards --state leech --sort lapses.
    """
    cards(ctx, deck=deck, state="leech", sort="lapses", as_json=as_json, db=db)


@app.command()
def card(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The card's id in its deck (see recall cards).")],
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="The card's deck (its id), when several decks have KEY."),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One card in full: its text, its memory state now and every answer given to it."""
    from recall1924.browse import card_report
    from recall1924.scheduling import decay_of
    from recall1924.ui.browser import print_card

    app_obj = app_for(ctx, db)
    store = app_obj.store
    if deck is not None:
        store.scope(deck)  # raises, naming the decks there are
    card_id = store.card_ids([key], deck)[key]
    now = app_obj.clock.now()
    report = card_report(
        store.card_detail(card_id),
        store.card_history(card_id),
        now=now,
        day_starts_at=app_obj.settings.day_starts_at,
        decay=decay_of(app_obj.scheduler),
    )
    show_notices(app_obj)
    if as_json:
        print_json(report.to_json())
    else:
        print_card(app_obj.console, report, now=now)


@app.command()
def export(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="The file to write (or -o).", dir_okay=False, show_default=False),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The file to write.", dir_okay=False),
    ] = None,
    deck: DeckOption = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="toml, csv or apkg [default: from the file's suffix]."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace the file if it exists, and write --format even under a name that "
            "says another format.",
        ),
    ] = False,
    query: QueryOption = None,
    db: DbOption = None,
) -> None:
    """Write decks to a file: recall TOML, CSV for a spreadsheet, or an Anki package with the
    review history.

    With --query, only the cards it matches, in the sections and decks that hold them. The
    file appears whole or not at all. A file already there is kept unless --force is given.
    """
    from recall1924.errors import ExportError
    from recall1924.exporters import check_export, export_decks

    if (path is None) == (output is None):
        # as import takes its file: `recall export deck.csv`; -o as before
        raise typer.BadParameter(
            "give the file to write, as PATH or -o (not both)", param_hint="PATH"
        )
    output = path or output
    assert output is not None
    # Refused before the collection is opened: a refusal costs nothing and creates nothing.
    written = check_export(output, fmt=fmt, force=force)
    found = parse_query(query)
    app_obj = app_for(ctx, db)
    if app_obj.location.is_sqlite and output.resolve() == app_obj.db_path.resolve():
        raise ExportError(f"{output} is the collection's database; write the export elsewhere")
    matched = None if query is None else query_scope(app_obj, found).match
    specs = app_obj.store.deck_specs(deck, match=matched)
    if query is not None and not specs:
        raise ExportError(f"no card matches {query!r}; nothing was written")
    media = {}
    settings = {}
    if written == "apkg":
        from recall1924.media import files_for

        media = files_for(app_obj.store, [spec.key for spec in specs])
        # each card keeps its place in the deck's schedule (steps, retention, parameters)
        settings = {spec.key: app_obj.settings_for(spec.key) for spec in specs}
    written = export_decks(
        specs,
        output,
        fmt=written,
        now=app_obj.clock.now(),
        force=force,
        media=media,
        settings=settings,
    )
    show_notices(app_obj)
    cards = sum(len(spec.cards) for spec in specs)
    typer.echo(
        f"Wrote {plural(len(specs), 'deck')} ({plural(cards, 'card')}) to {output} as {written}"
    )


@app.command(cls=QueryCommand)
def due(
    ctx: typer.Context,
    query: QueryWords = None,
    days: Annotated[
        int,
        typer.Option(
            "--days", min=1, max=366, metavar="N", help="Review days to look ahead, today's first."
        ),
    ] = 7,
    listing: Annotated[
        bool, typer.Option("--list", help="List the cards themselves, soonest due first.")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=0,
            metavar="N",
            help="With --list: at most N cards, 0 for all [default: 200 in the table, all with "
            "--json].",
        ),
    ] = None,
    deck: DeckOption = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Only this section (its id).")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """What comes due day by day, per deck and section: overdue cards count today, suspended
    ones never. With QUERY, only the cards it matches (docs/search.md); --list lists them."""
    from recall1924.query import both

    found = parse_query(query)  # a bad query stops here, before the collection is opened
    if listing:
        from recall1924.due import coming_due

        listed = both(found, coming_due(days))
        _show_cards(
            ctx, listed, deck=deck, section=section, sort="due", limit=limit, as_json=as_json, db=db
        )
        return
    from recall1924.due import forecast
    from recall1924.ui.due import print_due

    app_obj = app_for(ctx, db)
    scope = query_scope(app_obj, found, deck, section)
    result = forecast(
        app_obj.store,
        scope,
        now=app_obj.clock.now(),
        day_starts_at=app_obj.settings.day_starts_at,
        days=days,
    )
    show_notices(app_obj)
    if as_json:
        print_json(result.to_json())
    else:
        print_due(app_obj.console, result)
