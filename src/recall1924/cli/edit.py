"""Changing cards: add, edit, flag, unflag, flagged.

Each command parses, makes the :mod:`recall1924.editing` calls and prints one line. A card given
with options is checked as the deck loader checks a file's card; a card written in the editor is
checked the same way on save, and a text with problems reopens with them at its top. Bad input
is one line on stderr with nothing written: exit code 2 for a card, deck or section that is not
there (as for ``recall card``), 1 for a card that is not valid or a collection that cannot be
written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from recall1924.cli.base import DbOption, JsonOption, app, app_for, print_json, show_notices

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.editing import Saved

_T = TypeVar("_T")

CardKey = Annotated[str, typer.Argument(help="The card's id in its deck (see recall cards).")]
CardDeckOption = Annotated[
    str | None,
    typer.Option("--deck", help="The card's deck (its id), when several decks have the card."),
]
QuestionOption = Annotated[str | None, typer.Option("--question", help="The question.")]
AnswerOption = Annotated[str | None, typer.Option("--answer", help="The answer.")]
NoteOption = Annotated[
    str | None, typer.Option("--note", help='A note shown with the answer ("" for none).')
]
TagOption = Annotated[
    list[str] | None,
    typer.Option("--tag", help="A tag; repeat it for several (they replace the card's tags)."),
]


def _echo(line: str) -> None:
    from recall1924.ui.text import visible

    typer.echo(visible(line))


def _in_editor(app_obj: App, text: str, save: Callable[[str], _T], *, name: str) -> _T | None:
    """Run the student's editor on ``text`` until ``save`` takes what they wrote."""
    from recall1924.ui.external_editor import edit_until_saved, editor_command, run_editor

    command = editor_command(os.environ)  # no editor: one line, before anything is written
    show_notices(app_obj)
    return edit_until_saved(text, save, lambda shown: run_editor(shown, command, name=name))


@app.command()
def add(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="The deck (its id); may be left out if there is only one."),
    ] = None,
    section: Annotated[
        str | None,
        typer.Option("--section", help="The section (its id) [default: the deck's last]."),
    ] = None,
    key: Annotated[
        str | None, typer.Option("--id", help="The card's id [default: made from the question].")
    ] = None,
    question: QuestionOption = None,
    answer: AnswerOption = None,
    note: NoteOption = None,
    tags: TagOption = None,
    db: DbOption = None,
) -> None:
    """Add a card: from --question and --answer, or else written in your editor (VISUAL, then
    EDITOR).

    The card goes where its deck lives: into the deck's TOML file when it came from one that is
    still there (in place, the rest of the file as it was, so importing the file again changes
    nothing), else into the collection as your own card, which updates of the deck keep.
    """
    from recall1924.deck import CardSpec
    from recall1924.deckedit import parse_snippet
    from recall1924.editing import card_to_add, save_new
    from recall1924.errors import RecallError

    given = (key, question, answer, note, tags)
    if any(value is not None for value in given) and (question is None or answer is None):
        raise RecallError(
            "give both --question and --answer (or neither, to write the card in your editor)"
        )
    app_obj = app_for(ctx, db)
    store, now = app_obj.store, app_obj.clock.now()
    target = card_to_add(store, deck, section)
    if question is not None and answer is not None:
        card = CardSpec(key or "", question, answer, note, tuple(tags or ()))
        saved = save_new(store, target, section or target.sections[-1], card, now=now)
    else:

        def save(text: str) -> Saved:
            chosen, written = parse_snippet(text, taken=target.taken)
            return save_new(store, target, chosen, written, now=now)

        found = _in_editor(app_obj, target.snippet(), save, name="new-card")
        if found is None:
            show_notices(app_obj)
            typer.echo("Nothing added")
            return
        saved = found
    show_notices(app_obj)
    _echo(saved.line(added=True))


@app.command()
def edit(
    ctx: typer.Context,
    key: CardKey,
    deck: CardDeckOption = None,
    question: QuestionOption = None,
    answer: AnswerOption = None,
    note: NoteOption = None,
    tags: TagOption = None,
    db: DbOption = None,
) -> None:
    """Change a card's wording: in your editor (VISUAL, then EDITOR), or with the options given.

    The card keeps its id, memory state and history. The change goes where the deck lives: into
    the deck's TOML file when it came from one that is still there and holds the card (in
    place: git diff shows only this card), else into the collection as your own wording, which
    updates of the deck never overwrite.
    """
    from dataclasses import replace

    from recall1924.deckedit import parse_snippet
    from recall1924.editing import card_to_edit, save_edit

    app_obj = app_for(ctx, db)
    store, now = app_obj.store, app_obj.clock.now()
    target = card_to_edit(store, key, deck)
    if any(value is not None for value in (question, answer, note, tags)):
        shown = target.shown
        card = replace(
            shown,
            question=shown.question if question is None else question,
            answer=shown.answer if answer is None else answer,
            note=shown.note if note is None else note,
            tags=shown.tags if tags is None else tuple(tags),
        )
        saved = save_edit(store, target, target.section, card, now=now)
    else:

        def save(text: str) -> Saved:
            section, written = parse_snippet(text)
            return save_edit(store, target, section, written, now=now)

        found = _in_editor(app_obj, target.snippet(), save, name=target.key)
        if found is None:
            show_notices(app_obj)
            typer.echo(f"Card {target.key!r} is unchanged; nothing was written")
            return
        saved = found
    show_notices(app_obj)
    _echo(saved.line())


def _flag(
    ctx: typer.Context, key: str, deck: str | None, db: str | None, reason: str | None, on: bool
) -> None:
    from recall1924.editing import flag_card

    app_obj = app_for(ctx, db)
    store = app_obj.store
    if deck is not None:
        store.scope(deck)
    card_id = store.card_ids([key], deck)[key]
    change = flag_card(store, card_id, reason, on=on)
    show_notices(app_obj)
    _echo(change.line())


@app.command()
def flag(
    ctx: typer.Context,
    key: CardKey,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", help='Why: "ask in class", "split this" (shown in recall flagged).'
        ),
    ] = None,
    deck: CardDeckOption = None,
    db: DbOption = None,
) -> None:
    """Flag a card to come back to, with an optional reason; recall flagged lists them."""
    _flag(ctx, key, deck, db, reason, True)


@app.command()
def unflag(
    ctx: typer.Context, key: CardKey, deck: CardDeckOption = None, db: DbOption = None
) -> None:
    """Take a card's flag off."""
    _flag(ctx, key, deck, db, None, False)


@app.command()
def flagged(
    ctx: typer.Context,
    deck: Annotated[str | None, typer.Option("--deck", help="Only this deck (its id).")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List the flagged cards, each with its reason."""
    from dataclasses import asdict

    app_obj = app_for(ctx, db)
    store = app_obj.store
    scope = store.scope(deck)
    found = store.flagged_cards(scope.deck_id)
    show_notices(app_obj)
    if as_json:
        print_json([asdict(card) for card in found])
        return
    if not found:
        typer.echo("No flagged cards")
        return
    for card in found:
        question = " ".join(card.question.split())
        question = question if len(question) <= 60 else question[:59] + "…"
        why = f" ({card.reason})" if card.reason else ""
        _echo(f"{card.deck} {card.key}{why}: {question}")
