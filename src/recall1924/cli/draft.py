"""``recall draft``: a TOML deck drafted from the student's notes, or brought up to date with them.

Parses, makes the one :func:`recall1924.drafting.draft_notes` call and prints the preview and
what was written. No collection is opened: the deck is a file for the student to check and
then ``recall import``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.base import app

if TYPE_CHECKING:
    from recall1924.drafting import Drafted


def _echo(line: str = "") -> None:
    from recall1924.ui.text import visible

    typer.echo(visible(line))


@app.command()
def draft(
    notes: Annotated[
        Path, typer.Argument(help="The notes: Markdown or plain text.", dir_okay=False)
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The deck file [default: the notes' name with .toml, in this folder]. If it "
            "exists, it is brought up to date with the notes.",
            dir_okay=False,
        ),
    ] = None,
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="The deck's id [default: made from the notes' title]."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Write nothing: show the preview, and for a deck file that exists the diff.",
        ),
    ] = False,
) -> None:
    """Draft a deck from your notes, for you to check and then import.

    Cards come from the notations in docs/draft.md (question :: answer, question ::: answer,
    a question with its answer indented under it, a bullet with sub-bullets, {{c1::clozes}}
    and ==highlights==), and a cloze tagged "draft" from the dates, numbers and names of every
    other bullet. Run it again when the notes change: new cards are added to the deck file,
    your edits there are kept, and cards whose lines left the notes are listed, not deleted.
    """
    from recall1924.drafting import default_output, draft_notes
    from recall1924.drafting.preview import left_out_lines, preview_table

    out = output if output is not None else default_output(notes)
    done = draft_notes(notes, out, deck_key=deck, dry_run=dry_run)
    found = done.draft
    _echo(f"{notes}: {len(found.sections)} sections ({found.shape.value}), deck {found.key!r}")
    for line in preview_table(found):
        _echo("  " + line)
    site = tuple(one for one in found.left_out if one.site)
    own = tuple(one for one in found.left_out if not one.site)
    if site:
        _echo("Left out as the website's, not the notes':")
        for line in left_out_lines(site):
            _echo("  " + line)
    if own:
        _echo("No card from:")
        for line in left_out_lines(own):
            _echo("  " + line)
    if done.update is None:
        _new_file(done, dry_run=dry_run)
    else:
        _update(done, dry_run=dry_run)


def _new_file(done: Drafted, *, dry_run: bool) -> None:
    if dry_run:
        _echo(f"Nothing written (--dry-run); without it: {done.path}")
        return
    _echo(
        f'Wrote {done.path}. Check its cards (keep or delete those tagged "draft"), then: '
        f"recall import {done.path}"
    )


def _update(done: Drafted, *, dry_run: bool) -> None:
    update = done.update
    assert update is not None
    if done.diff:
        from recall1924.ui.text import visible

        typer.echo(visible(done.diff), nl=False)
    verb = "would be added" if dry_run else "added"
    _echo(
        f"{done.path}: {len(update.new)} new {_cards(len(update.new))} {verb}, "
        f"{len(update.found)} found again (kept as the file has them)"
        + (f", {len(update.deleted)} you deleted not drafted again" if update.deleted else "")
    )
    if update.gone:
        _echo(
            f"{len(update.gone)} {_cards(len(update.gone))} of {done.path} no longer in the notes "
            "(kept; delete them there if you no longer want them):"
        )
        for key, source in update.gone:
            _echo(f"  {key}  (was {source})")
    if dry_run:
        _echo("Nothing written (--dry-run).")
    elif not done.written:
        _echo(f"{done.path} is up to date with the notes: nothing written.")


def _cards(count: int) -> str:
    return "card" if count == 1 else "cards"
