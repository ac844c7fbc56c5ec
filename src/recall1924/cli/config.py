"""Settings and personal parameters: config and optimize."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.base import DbOption, app, app_for, config_app, show_notices
from recall1924.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it


@app.command()
def optimize(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="Fit this deck's own parameters [default: the collection's]."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fit and report; save and change nothing.")
    ] = False,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--evaluate", help="Instead, score the parameters in use on your answers; no fit."
        ),
    ] = False,
    health_check: Annotated[
        bool,
        typer.Option(
            "--health-check",
            help="Also run Anki's health check (fits five times more: a few times slower).",
        ),
    ] = False,
    retention: Annotated[
        bool,
        typer.Option(
            "--retention",
            help="Instead, simulate your cards at desired retentions 0.70-0.97: to the exam "
            "within your usual daily answers if an exam is set, else a year at the daily limits.",
        ),
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Fit the FSRS parameters to your own answers and use them if they predict better.

    Prints log loss and RMSE(bins) of the current and the fitted parameters on the same
    answers, and what in your answers keeps FSRS from fitting them (too few, no Again, Hard
    used as a fail). Saving recomputes every card's memory state and due date from its history
    (the database is backed up first).
    """
    from recall1924.errors import SettingError

    if retention and (evaluate or dry_run or health_check):
        raise SettingError("--retention takes no --evaluate, --dry-run or --health-check")
    if evaluate and dry_run:
        raise SettingError("--evaluate never saves: it takes no --dry-run")
    app_obj = app_for(ctx, db, bundled=False)
    if retention:
        from recall1924.advice import advise_retention

        advice = advise_retention(app_obj, deck)

        def retention_table(console: Console) -> None:
            from recall1924.ui.optimize import print_retention

            print_retention(console, advice)

        emit(app_obj, as_json, json=advice.to_json, table=retention_table)
        return
    if evaluate:
        from recall1924.optimize import evaluate_current

        report = evaluate_current(
            app_obj.store,
            deck_key=deck,
            global_settings=app_obj.settings,
            settings_for=app_obj.settings_for,
            health_check=health_check,
        )
    else:
        from recall1924.optimize import optimize as run_optimize

        report = run_optimize(
            app_obj.store,
            deck_key=deck,
            global_settings=app_obj.settings,
            settings_for=app_obj.settings_for,
            dry_run=dry_run,
            backup=app_obj.backup,
            health_check=health_check,
        )

    def table(console: Console) -> None:
        from recall1924.ui.optimize import print_optimize

        print_optimize(console, report)

    emit(app_obj, as_json, json=report.to_json, table=table)


@config_app.callback()
def config(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="Show this deck's effective settings, marking its own."),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show every setting and its value."""
    if ctx.invoked_subcommand is not None:
        return
    from recall1924.ui.reports import print_settings

    app_obj = app_for(ctx, db)
    if deck is not None:
        app_obj.store.scope(deck)  # names the decks there are when there is no such deck
        deck_settings = app_obj.settings_for(deck)
        own = set(app_obj.store.settings(deck))
        shown = deck_settings.as_display()
        emit(
            app_obj,
            as_json,
            json=lambda: {"deck": deck, "settings": deck_settings.as_json(), "own": sorted(own)},
            table=lambda console: print_settings(
                console, shown, set(app_obj.store.settings()), deck=deck, own=own
            ),
        )
        return
    settings = app_obj.settings  # a stored value it cannot read is a notice, not an error
    changed = set(app_obj.store.settings())
    emit(
        app_obj,
        as_json,
        json=settings.as_json,
        table=lambda console: print_settings(console, settings.as_display(), changed),
    )


# Unknown options pass through as arguments so that a negative value (`new_per_day -1`)
# reaches the setting's own validation instead of "No such option: -1".
@config_app.command("set", context_settings={"ignore_unknown_options": True})
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The setting, e.g. new_per_day.")],
    value: Annotated[str, typer.Argument(help="Its new value, e.g. 30 or '1m 10m'.")],
    deck: Annotated[str | None, typer.Option("--deck", help="Only for this deck (its id).")] = None,
    db: DbOption = None,
) -> None:
    """Change a setting (for every deck, or with --deck for one)."""
    from recall1924.settings import canonical_text, check_deck_setting

    stored = canonical_text(key, value)  # validated before the database is opened
    if deck is not None:
        check_deck_setting(key)
    app_obj = app_for(ctx, db)
    if deck is not None:
        app_obj.store.scope(deck)  # names the decks there are when there is no such deck
    app_obj.store.save_setting(key, stored, *(() if deck is None else (deck,)))
    show_notices(app_obj)
    typer.echo(f"{key} = {stored}" + ("" if deck is None else f" (deck {deck})"))


@config_app.command("reset")
def config_reset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The setting to put back to its default.")],
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="Only this deck's own value: it follows the collection again."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Put a setting back to its default (with --deck: to the collection's value)."""
    from recall1924.settings import definition

    item = definition(key)
    app_obj = app_for(ctx, db)
    if deck is not None:
        app_obj.store.scope(deck)  # names the decks there are when there is no such deck
        app_obj.store.save_setting(key, None, deck)
        shown = item.format(getattr(app_obj.settings, key))
        show_notices(app_obj)
        typer.echo(f"{key} = {shown} (deck {deck} follows the collection)")
        return
    app_obj.store.save_setting(key, None)
    show_notices(app_obj)
    typer.echo(f"{key} = {item.default} (default)")
