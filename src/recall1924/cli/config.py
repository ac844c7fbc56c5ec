"""Settings and personal parameters: config and optimize."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.base import DbOption, app, app_for, config_app, show_notices
from recall1924.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it

    from recall1924.context import App
    from recall1924.rescheduling import SettingChange


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
    reschedule: Annotated[
        bool,
        typer.Option(
            "--reschedule",
            help="When the fitted parameters are saved, also move review cards' due dates to "
            "them (each move logged, never counted as an answer).",
        ),
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Fit the FSRS parameters to your own answers and use them if they predict better.

    Prints log loss and RMSE(bins) of the current and the fitted parameters on the same
    answers, and what in your answers keeps FSRS from fitting them (too few, no Again, Hard
    used as a fail). Saving recomputes every card's memory state (stability and difficulty)
    from its history (the database is backed up first); due dates stay as they are unless
    --reschedule.
    """
    from recall1924.errors import SettingError

    if retention and (evaluate or dry_run or health_check):
        raise SettingError("--retention takes no --evaluate, --dry-run or --health-check")
    if evaluate and dry_run:
        raise SettingError("--evaluate never saves: it takes no --dry-run")
    if reschedule and (retention or evaluate or dry_run):
        raise SettingError(
            "--reschedule goes with saving parameters: not with --retention, "
            "--evaluate or --dry-run"
        )
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

    moved = None
    if reschedule and report.saved:
        from recall1924.rescheduling import reschedule_decks

        moved = reschedule_decks(app_obj, deck)

    def table(console: Console) -> None:
        from recall1924.ui.optimize import print_optimize

        print_optimize(console, report)

    def as_dict() -> dict[str, object]:
        return {**report.to_json(), "rescheduled": None if moved is None else moved.moved}

    emit(app_obj, as_json, json=as_dict, table=table)
    if as_json or evaluate or not report.saved:
        return
    if moved is not None:
        cards = f"{moved.moved} card{'' if moved.moved == 1 else 's'}"
        typer.echo(f"Rescheduled {cards} to the new parameters.")
        return
    # Not "run it again with --reschedule": a second fit may save nothing, and move nothing.
    typer.echo(
        "Due dates are unchanged: each card follows the new parameters from its next answer "
        "(with --reschedule, recall optimize moves them when it saves parameters).",
        err=True,
    )


SectionOption = Annotated[
    str | None,
    typer.Option(
        "--section",
        help="Only for this section: deck/section, or a section of --deck (desired_retention "
        "only).",
    ),
]
RescheduleOption = Annotated[
    bool,
    typer.Option(
        "--reschedule",
        help="Also move review cards' due dates to the new desired_retention or parameters "
        "(each move logged, never counted as an answer).",
    ),
]


@config_app.callback()
def config(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="Show this deck's effective settings, marking its own."),
    ] = None,
    section: Annotated[
        str | None,
        typer.Option(
            "--section",
            help="Show this section's effective settings (deck/section, or a section of --deck).",
        ),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show every setting and its value."""
    if ctx.invoked_subcommand is not None:
        return
    from recall1924.ui.reports import print_settings

    app_obj = app_for(ctx, db)
    if section is not None:
        from recall1924.rescheduling import resolve_section
        from recall1924.settings import section_scope

        deck_key, section_key, _deck_id, _section_id = resolve_section(app_obj.store, deck, section)
        named = f"{deck_key}/{section_key}"
        section_settings = app_obj.settings_for(deck_key, section_key)
        deck_own = set(app_obj.store.settings(deck_key))
        section_own = set(app_obj.store.settings(section_scope(deck_key, section_key)))
        emit(
            app_obj,
            as_json,
            json=lambda: {
                "deck": deck_key,
                "section": section_key,
                "settings": section_settings.as_json(),
                "own": sorted(section_own),
                "deck_own": sorted(deck_own),
            },
            table=lambda console: print_settings(
                console,
                section_settings.as_display(),
                set(app_obj.store.settings()),
                deck=deck_key,
                own=deck_own,
                section=named,
                section_own=section_own,
            ),
        )
        return
    sections = {
        f"{deck_key}/{section_key}": value
        for (deck_key, section_key), value in app_obj.section_retentions(deck).items()
    }
    if deck is not None:
        app_obj.store.scope(deck)  # names the decks there are when there is no such deck
        deck_settings = app_obj.settings_for(deck)
        own = set(app_obj.store.settings(deck))
        shown = deck_settings.as_display()
        emit(
            app_obj,
            as_json,
            json=lambda: {
                "deck": deck,
                "settings": deck_settings.as_json(),
                "own": sorted(own),
                "sections": sections,
            },
            table=lambda console: print_settings(
                console, shown, set(app_obj.store.settings()), deck=deck, own=own, sections=sections
            ),
        )
        return
    settings = app_obj.settings  # a stored value it cannot read is a notice, not an error
    changed = set(app_obj.store.settings())
    emit(
        app_obj,
        as_json,
        json=settings.as_json,
        table=lambda console: print_settings(
            console, settings.as_display(), changed, sections=sections
        ),
    )


def _report_change(app_obj: App, change: SettingChange) -> None:
    """The value now in effect on stdout; on stderr what became of due dates, unless cards
    moved (then on stdout: it is what the command did)."""
    show_notices(app_obj)
    typer.echo(change.line())
    hint = change.hint()
    if hint is not None:
        typer.echo(hint, err=change.rescheduled is None)


# Unknown options pass through as arguments so that a negative value (`new_per_day -1`)
# reaches the setting's own validation instead of "No such option: -1".
@config_app.command("set", context_settings={"ignore_unknown_options": True})
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The setting, e.g. new_per_day.")],
    value: Annotated[str, typer.Argument(help="Its new value, e.g. 30 or '1m 10m'.")],
    deck: Annotated[str | None, typer.Option("--deck", help="Only for this deck (its id).")] = None,
    section: SectionOption = None,
    reschedule: RescheduleOption = False,
    db: DbOption = None,
) -> None:
    """Change a setting (for every deck, with --deck for one, with --section for one section).

    A new desired_retention or parameters applies from each card's next answer; with
    --reschedule the review cards it touches get their due dates from it now.
    """
    from recall1924.rescheduling import change_setting
    from recall1924.settings import canonical_text, check_deck_setting, check_section_setting

    canonical_text(key, value)  # validated before the database is opened
    if section is not None:
        check_section_setting(key)
    elif deck is not None:
        check_deck_setting(key)
    app_obj = app_for(ctx, db)
    change = change_setting(app_obj, key, value, deck=deck, section=section, reschedule=reschedule)
    _report_change(app_obj, change)


@config_app.command("reset")
def config_reset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The setting to put back to its default.")],
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="Only this deck's own value: it follows the collection again."),
    ] = None,
    section: Annotated[
        str | None,
        typer.Option(
            "--section",
            help="Only this section's own value (deck/section, or a section of --deck): it "
            "follows its deck again.",
        ),
    ] = None,
    reschedule: RescheduleOption = False,
    db: DbOption = None,
) -> None:
    """Put a setting back to its default (with --deck: to the collection's value; with
    --section: to the deck's)."""
    from recall1924.rescheduling import change_setting
    from recall1924.settings import definition

    definition(key)
    app_obj = app_for(ctx, db)
    change = change_setting(app_obj, key, None, deck=deck, section=section, reschedule=reschedule)
    _report_change(app_obj, change)
