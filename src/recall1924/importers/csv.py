"""Decks from CSV and plain-text files: Anki's text exports, hand-made spreadsheets and recall's
own CSV export. Pure but for where the cards go as they are read: a spool
(:mod:`recall1924.spool`), so that a file of a million rows is checked whole without being held.

Holds :func:`read_csv`, which reads three shapes of file:

- Anki's "Notes in Plain Text" and "Cards in Plain Text" exports, whose leading ``#key:value``
  lines (``#separator``, ``#html``, ``#guid column``, ``#notetype column``, ``#deck column``,
  ``#tags column``, ``#notetype``, ``#deck``, ``#tags``, ``#columns``) say how to read the rows;
  the note's fields are the columns those lines do not claim, first question, then answer.
  When a notetype or tags column is declared, Anki wrote every field of the note and nothing
  else: fields after the answer (Back Extra, audio, …) go into the card's note.
- Header-less files, read as Anki's importer reads them: first column question, second answer,
  and a third, when the first row has one, tags; lines starting with ``#`` between rows are
  comments. The first row decides: a file whose first row has two columns has no tags column.
  (Anki files with ``#`` lines but neither a notetype nor a tags column read the same way.)
- Files whose first row names the columns: ``question``, ``answer`` and optionally ``section``,
  ``tags``, ``note``, ``id`` (any case) as a person writes them, and the columns recall's own
  export adds (``section_title``, ``deck``, ``deck_title``, ``deck_description``,
  ``deck_version``, ``source_id``; see :mod:`recall1924.exporters.csv`). With ``section_title``
  the ``section`` column holds the section's id, else its title (the id is made from it); with
  ``deck_title`` the ``deck`` column holds the deck's id, else its name. A row whose deck cell
  is empty goes to the file's one deck; in a file of several decks it is skipped. A deck's
  title, description and version, and a section's title, may be left empty on some rows, but
  two rows that give different ones are an error. Tags are separated by spaces or commas (in
  recall's export, by spaces only). There ``#`` starts no comment: it is data. A row with a
  ``cloze`` cell (``… {{c1::…}} …``, see :mod:`recall1924.cloze`) leaves question and answer
  empty and gives a card per number, as a TOML deck's cloze does; a file of clozes alone needs
  no question or answer column. A malformed cloze is an error, with its line.

A card's key is, in order of preference: ``a-…`` from an Anki note GUID (the rule the Anki
package reader uses, so both exports of one note match), the file's ``id`` column, the Anki
identity in a ``source_id`` column, or ``q-…`` from the question's text, so that re-importing an
edited spreadsheet updates the answers of unchanged questions.

Rows that cannot be cards are skipped and reported with their line and why: an empty question,
a key an earlier row has, no answer field at all (a one-column row: a row with an empty answer
is kept, as Anki keeps it), or text where the file has no column for it (a field past the ones
the layout reads, or under a header row's empty name), which would otherwise be lost. A file
with any error (not UTF-8, a bad id, a malformed quote, a header row naming an unknown column,
contradicting deck titles) yields nothing.
"""

from __future__ import annotations

import csv as _csv
import hashlib
import io
import itertools
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from recall1924 import cloze
from recall1924.deck import ID_PATTERN, ID_RULE, DeckSpec, SectionSpec, make_key
from recall1924.errors import DeckFileError, SpoolError
from recall1924.identity import anki_card_key
from recall1924.importers.html import html_to_text
from recall1924.spool import CardSpool, SpooledCards

DELIMITERS = {
    "tab": "\t",
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
    "space": " ",
    "colon": ":",
}
HEADER_NAMES = (
    "question",
    "answer",
    "section",
    "tags",
    "note",
    "id",
    "section_title",
    "deck",
    "deck_title",
    "deck_description",
    "deck_version",
    "source_id",
    "cloze",
)
"""The columns a header row may name, hand-made files' first, then recall's own export's."""
MAIN_SECTION = "main"

_SNIFF_BYTES = 8 * 1024
# In order of preference: "1,5;2,5" is two decimal numbers, not "1", "5;2", "5".
_SNIFF_DELIMITERS = "\t;,|"
_COLUMN_KEYS = {
    "guid column": "guid",
    "notetype column": "notetype",
    "deck column": "deck",
    "tags column": "tags",
}
# What Anki's own importer takes for HTML: a tag or an entity somewhere in a field.
_LOOKS_HTML = re.compile(
    r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?\s*>"
    r"|&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);"
)
# "Cards in Plain Text" renders the answer side, which repeats the question above this rule.
_ANSWER_RULE = re.compile(r"<hr[^>]*\bid\s*=\s*[\"']?answer\b[^>]*>", re.IGNORECASE)
_HEADER_TAG_SPLIT = re.compile(r"[\s,]+")


@dataclass
class _Header:
    """What the leading ``#key:value`` lines declare. Columns are 0-based here."""

    delimiter: str | None = None
    html: bool | None = None
    columns: dict[str, int] = field(default_factory=dict)
    deck: str | None = None
    tags: tuple[str, ...] = ()
    labels: str | None = None
    lines: int = 0
    length: int = 0


@dataclass
class _Layout:
    """Where a row's parts are, as 0-based columns. ``question``, ``answer`` count only the
    note's fields (the columns not in ``meta``); the others count every column.

    What a row may hold beyond them: with ``fields_to_note``, any number of note fields (they
    go into the note); with ``named``, text only in the columns the header row names; else at
    most ``fields`` note fields (question, answer and, when the first row has it, tags)."""

    question: int | None = 0
    answer: int | None = 1
    note: int | None = None
    section: int | None = None
    tags: int | None = None
    id: int | None = None
    guid: int | None = None
    deck: int | None = None
    section_title: int | None = None
    deck_title: int | None = None
    deck_description: int | None = None
    deck_version: int | None = None
    source_id: int | None = None
    cloze: int | None = None
    meta: frozenset[int] = frozenset()
    fields_to_note: bool = False
    fields: int = 2
    named: frozenset[int] | None = None

    @cached_property
    def named_prefix(self) -> int:
        """How many leading columns the header row names every one of (0 without one)."""
        count = 0
        while self.named is not None and count in self.named:
            count += 1
        return count

    @property
    def by_id(self) -> bool:
        """Whether decks and sections are named by id, as in recall's own export."""
        return self.deck_title is not None or self.section_title is not None


@dataclass
class _Section:
    title: str | None
    cards: SpooledCards
    title_line: int = 0


@dataclass
class _Deck:
    title: str
    sections: dict[str, _Section] = field(default_factory=dict)
    title_line: int = 0
    description: tuple[str, int] | None = None
    version: tuple[int, int] | None = None


class _Feed:
    """Hands the csv reader one physical line at a time, numbering them.

    The reader asks for a line only when it needs one, so a line asked for at the start of a
    record is the record's first: there, and only there, a ``#`` line is a comment (as in Anki's
    reader), never inside a quoted field that spans lines.
    """

    def __init__(self, lines: Iterator[str], *, first_number: int) -> None:
        self._lines = lines
        self.number = first_number - 1
        self.record_start = first_number
        self.at_record_start = True
        self.comments = True

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        while True:
            line = next(self._lines)
            self.number += 1
            if self.at_record_start:
                if self.comments and line.startswith("#"):
                    continue
                self.at_record_start = False
                self.record_start = self.number
            return line


def read_csv(path: Path, *, deck_key: str | None = None) -> tuple[list[DeckSpec], list[str]]:
    """Read the CSV or Anki plain-text export at ``path``.

    Args:
        path: the file, UTF-8 (a byte-order mark is allowed).
        deck_key: the key of the deck to import into; by default made from the Anki deck name,
            else from the file name. A file whose deck column names several top-level decks
            cannot be given one key.

    Returns:
        The decks (one, unless a deck column names several top-level decks), and one line per
        row skipped, such as ``"line 7: empty question"``.

    Raises:
        DeckFileError: if the file is unreadable, not UTF-8, malformed or has no usable row;
            every message starts with ``path:line``.
    """
    source = str(path)
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise DeckFileError(source, [f"{source}: cannot read: {exc.strerror}"]) from None
    reader = _Reader(source, path.stem, deck_key)
    try:
        return reader.read(lambda: _lines(path))
    except UnicodeDecodeError:
        pass
    except SpoolError as exc:
        raise DeckFileError(source, [f"{source}: {exc}"]) from None
    except DeckFileError:
        # The whole file is checked as text first, as when it was read in one piece: a
        # problem found before a bad byte further on is not the one to report.
        if _decodes(path):
            raise
    raise _not_utf8(path)


def _lines(path: Path) -> Iterator[str]:
    """The file's lines, read as they are needed (a byte-order mark is allowed), with their
    line ends as they are."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        yield from file


def _decodes(path: Path) -> bool:
    try:
        for _line in _lines(path):
            pass
    except UnicodeDecodeError:
        return False
    return True


def _not_utf8(path: Path) -> DeckFileError:
    """The error for a file that is not UTF-8, naming the first bad byte and its line. Only a
    file known to be bad gets here, so reading it whole costs nothing that matters."""
    source = str(path)
    raw = path.read_bytes()
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return DeckFileError(
            source,
            [f"{source}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"],
        )
    raise AssertionError(f"{source} decodes as UTF-8 after all")  # the file changed meanwhile


Lines = Callable[[], Iterator[str]]
"""Opens the file anew: its lines, from the first."""


class _Reader:
    def __init__(self, source: str, stem: str, deck_key: str | None) -> None:
        self.source = source
        self.stem = stem.strip() or stem
        self.deck_key = deck_key
        self.problems: list[str] = []
        self.skipped: list[tuple[int, str]] = []
        self.tops: dict[str, None] = {}
        self.file_decks: dict[str, None] = {}
        self.malformed: str | None = None
        """The CSV syntax error that ended a pass over the rows, if one did."""
        self.spool = CardSpool()
        """Where the cards go as they are read: a big file's are not all held in memory."""
        self.parsed = False
        """Whether a pass has read every row of the file."""

    def problem(self, line: int | None, message: str) -> None:
        where = f"{self.source}:{line}" if line else self.source
        self.problems.append(f"{where}: {message}")

    def fail(self) -> DeckFileError:
        return DeckFileError(self.source, self.problems)

    def read(self, lines: Lines) -> tuple[list[DeckSpec], list[str]]:
        """The decks and skipped rows of the file ``lines`` reads, read as a stream: the rows
        are never all held, only the cards made of them."""
        if self.deck_key is not None and not ID_PATTERN.match(self.deck_key):
            self.problem(None, f"deck key {self.deck_key!r} is not valid: {ID_RULE}")
            raise self.fail()
        header = self.parse_header(lines())
        if self.problems:
            raise self.fail()
        header.delimiter = header.delimiter or _sniff(self.body_start(lines, header))
        first = next(self.parse_rows(lines, header, header.delimiter), None)
        html = header.html
        if html is None and first is not None and _header_row(first[1]) is not None:
            # A hand-made file (or recall's own export) with named columns is plain text: a
            # question about "<b>" means the characters, not bold.
            html = False
        if html is None:
            html = any(
                _LOOKS_HTML.search(cell)
                for _, row in self.parse_rows(lines, header, header.delimiter)
                for cell in row
            )
            self.check_parsed(lines, header)
        decks = self.build(lines, first, header, html)
        if self.problems:
            raise self.fail()
        skipped = [f"line {line}: {reason}" for line, reason in self.skipped]
        if not any(section.cards for deck in decks for section in deck.sections):
            self.problem(None, "no cards to import")
            self.problems.extend(f"{self.source}:{line}: {why}" for line, why in self.skipped[:5])
            if len(self.skipped) > 5:
                self.problems.append(f"{self.source}: … and {len(self.skipped) - 5} more")
            raise self.fail()
        return decks, skipped

    def body_start(self, lines: Lines, header: _Header) -> str:
        """The start of the file after its header lines: a little more than the sniffer
        reads, so that it knows whether the file goes on."""
        sample: list[str] = []
        size = 0
        for line in itertools.islice(lines(), header.lines, None):
            sample.append(line)
            size += len(line)
            if size > _SNIFF_BYTES:
                break
        return "".join(sample)

    def check_parsed(self, lines: Lines, header: _Header) -> None:
        """Raise the CSV syntax problem of the file, if it has one, as the one problem to
        report: nothing else is read from a file that cannot be parsed. Unless a pass has
        already read the whole file, the rest of it is parsed now."""
        if self.malformed is None and not self.parsed:
            for _record in self.parse_rows(lines, header, header.delimiter or ","):
                pass
        if self.malformed is not None:
            self.problems = [self.malformed]
            raise self.fail()

    def parse_header(self, lines: Iterator[str]) -> _Header:
        """Read the leading meta lines: ``tags:…`` first, then any lines starting with ``#``."""
        header = _Header()
        for number, line in enumerate(lines, start=1):
            content = line.rstrip("\r\n")
            if number == 1 and content.startswith("tags:"):
                header.tags = tuple(content[len("tags:") :].split())
            elif content.startswith("#"):
                key, colon, value = content[1:].partition(":")
                if colon:
                    self.meta_value(header, number, key.strip().lower(), value)
            else:
                break
            header.lines = number
            header.length += len(line)
        return header

    def meta_value(self, header: _Header, number: int, key: str, value: str) -> None:
        if key == "separator":
            name = value.strip().lower()
            if name in DELIMITERS:
                header.delimiter = DELIMITERS[name]
            elif len(value) == 1 and value not in '"\r\n':
                header.delimiter = value
            else:
                names = ", ".join(DELIMITERS)
                self.problem(number, f"unknown separator {value!r}; use {names} or one character")
        elif key == "html":
            flag = value.strip().lower()
            if flag in ("true", "false"):
                header.html = flag == "true"
            else:
                self.problem(number, f"#html must be true or false, not {value.strip()!r}")
        elif key in _COLUMN_KEYS:
            number_text = value.strip()
            if number_text.isdecimal() and int(number_text) >= 1:
                header.columns[_COLUMN_KEYS[key]] = int(number_text) - 1
            else:
                self.problem(number, f"#{key} must be a column number from 1, not {number_text!r}")
        elif key == "deck":
            header.deck = value.strip() or None
        elif key == "tags":
            header.tags = (*header.tags, *value.split())
        elif key == "columns":
            header.labels = value
        # Other keys (#notetype: names a note type recall has no use for) are Anki's business.

    def parse_rows(
        self, lines: Lines, header: _Header, delimiter: str
    ) -> Iterator[tuple[int, list[str]]]:
        """Every record with text, with the line it starts on, read from the file anew. After
        a first row that names recall's columns, ``#`` starts no comment: the file is a
        spreadsheet, not Anki's. A record the csv module cannot parse ends the rows, and is
        kept in :attr:`malformed`; a pass to the end sets :attr:`parsed`."""
        feed = _Feed(itertools.islice(lines(), header.lines, None), first_number=header.lines + 1)
        reader = _csv.reader(feed, delimiter=delimiter, strict=True)
        first = True
        with _large_fields():
            while True:
                feed.at_record_start = True
                try:
                    row = next(reader)
                except StopIteration:
                    self.parsed = True
                    return
                except _csv.Error as exc:
                    where = f"{self.source}:{feed.record_start}"
                    self.malformed = f"{where}: malformed CSV: {exc}"
                    return
                if not "".join(row).strip():  # no cell with text (at C speed)
                    continue
                if first and _may_have_header_row(header) and _header_row(row) is not None:
                    feed.comments = False
                first = False
                yield feed.record_start, row

    def layout(self, first: tuple[int, list[str]] | None, header: _Header) -> tuple[_Layout, int]:
        """How to read the rows, and how many leading rows are a header rather than cards."""
        if header.columns:
            columns = header.columns
            layout = _Layout(
                guid=columns.get("guid"),
                deck=columns.get("deck"),
                tags=columns.get("tags"),
                meta=frozenset(columns.values()),
                # With a notetype or a tags column declared, Anki wrote every field of each
                # note: the fields after the answer are the note type's own, not stray text.
                fields_to_note="notetype" in columns or "tags" in columns,
            )
            if not layout.fields_to_note and first is not None:
                layout.tags = _implicit_tags_column(first[1], layout.meta)
                layout.fields = 2 if layout.tags is None else 3
            return layout, 0
        if header.labels is not None:
            labels = next(
                _csv.reader([header.labels], delimiter=header.delimiter or ",", strict=False), []
            )
            named = _header_row(labels)
            if named is not None:
                return self.named_layout(named, header.lines), 0
        elif first is not None:
            named = _header_row(first[1])
            if named is not None:
                return self.named_layout(named, first[0]), 1
            wrong = _header_row_problem(first[1])
            if wrong is not None:
                self.problem(first[0], wrong)
        layout = _Layout()
        if first is not None:
            layout.tags = _implicit_tags_column(first[1], frozenset())
            layout.fields = 2 if layout.tags is None else 3
        return layout, 0

    def place(
        self,
        decks: dict[str, _Deck],
        where: tuple[str, str],
        default_path: str | None,
        clean: Callable[[str], str],
    ) -> tuple[str, _Section]:
        """The deck key and section for a row's deck path and section cells.

        The top level of an Anki deck path (``A::B::C``) is the deck, the rest (``B :: C``) the
        section; a section column names the section itself; cards with neither go to ``main``.
        Given a deck key, every card goes to that deck and the whole path is the section, as
        the Anki package reader does, so a package and its text export give the same sections.
        """
        deck_path, section_cell = where
        path = deck_path.strip() or default_path or ""
        parts = [part.strip() for part in path.split("::") if part.strip()]
        top = parts[0] if parts else self.stem
        self.tops.setdefault(top)
        title = clean(section_cell)
        if self.deck_key is not None:
            deck_id = self.deck_key
            title = title or " :: ".join(parts)
        else:
            deck_id = make_key(top)
            title = title or " :: ".join(parts[1:])
        deck = decks.setdefault(deck_id, _Deck(top))
        section_key = make_key(title) if title else MAIN_SECTION
        section = deck.sections.get(section_key)
        if section is None:
            section = deck.sections[section_key] = _Section(
                title or deck.title, self.spool.section()
            )
        return deck_id, section

    def place_by_id(
        self,
        decks: dict[str, _Deck],
        line: int,
        row: list[str],
        layout: _Layout,
        clean: Callable[[str], str],
    ) -> tuple[str, _Section] | str | None:
        """The deck key (in the file: ``--deck`` is applied later) and section for a row of
        a file that names decks or sections by id; a reason to skip the row; or None after a
        problem.

        The deck's title, description and version, and the section's title, are checked
        against what earlier rows gave for them: empty cells say nothing, different ones are
        a problem.
        """
        cell = _cell(row, layout.deck).strip()
        if cell and layout.deck_title is None:
            deck_id, named_title = make_key(cell), cell  # a deck's name, not its id
        elif cell:
            if not ID_PATTERN.match(cell):
                self.problem(line, f"deck id {cell!r} is not valid: {ID_RULE}")
                return None
            deck_id, named_title = cell, None
        elif len(self.file_decks) == 1:
            deck_id, named_title = next(iter(self.file_decks)), None
        elif self.file_decks:
            names = ", ".join(self.file_decks)
            return f"no deck, and the file has several ({names})"
        else:
            deck_id, named_title = make_key(self.stem), self.stem
        deck = decks.get(deck_id)
        if deck is None:
            deck = decks[deck_id] = _Deck(named_title or deck_id)
        title = clean(_cell(row, layout.deck_title))
        if title:
            if deck.title_line and title != deck.title:
                self.problem(
                    line,
                    f"deck {deck_id!r} is titled {title!r} here but {deck.title!r} on line "
                    f"{deck.title_line}; give it one title",
                )
            elif not deck.title_line:
                deck.title, deck.title_line = title, line
        description = clean(_cell(row, layout.deck_description))
        if description:
            if deck.description is None:
                deck.description = (description, line)
            elif deck.description[0] != description:
                self.problem(
                    line,
                    f"deck {deck_id!r} has another deck_description here than on line "
                    f"{deck.description[1]}; give it one",
                )
        version_text = _cell(row, layout.deck_version).strip()
        if version_text:
            if not version_text.isdecimal() or int(version_text) < 1:
                self.problem(
                    line, f"deck_version must be a whole number from 1, not {version_text!r}"
                )
            elif deck.version is None:
                deck.version = (int(version_text), line)
            elif deck.version[0] != int(version_text):
                self.problem(
                    line,
                    f"deck {deck_id!r} has deck_version {version_text} here but "
                    f"{deck.version[0]} on line {deck.version[1]}; give it one",
                )

        section_cell = _cell(row, layout.section).strip()
        section_title = clean(_cell(row, layout.section_title))
        if layout.section_title is None:
            section_title = clean(section_cell)  # the section's title, as a person writes it
            section_key = make_key(section_title) if section_title else MAIN_SECTION
        elif section_cell:
            if not ID_PATTERN.match(section_cell):
                self.problem(line, f"section id {section_cell!r} is not valid: {ID_RULE}")
                return None
            section_key = section_cell
        else:
            section_key = make_key(section_title) if section_title else MAIN_SECTION
        section = deck.sections.get(section_key)
        if section is None:
            section = deck.sections[section_key] = _Section(None, self.spool.section())
        if section_title:
            if section.title is None:
                section.title, section.title_line = section_title, line
            elif section.title != section_title and layout.section_title is not None:
                self.problem(
                    line,
                    f"section {section_key!r} of deck {deck_id!r} is titled {section_title!r} "
                    f"here but {section.title!r} on line {section.title_line}; give it one title",
                )
        return deck_id, section

    def named_layout(self, names: dict[str, int], line: int) -> _Layout:
        # a file of clozes alone needs neither: each cloze gives its cards both
        for required in () if "cloze" in names else ("question", "answer"):
            if required not in names:
                self.problem(line, f"the header row has no {required!r} column")
        return _Layout(
            question=names.get("question", None if "cloze" in names else 0),
            answer=names.get("answer"),
            note=names.get("note"),
            section=names.get("section"),
            tags=names.get("tags"),
            id=names.get("id"),
            deck=names.get("deck"),
            section_title=names.get("section_title"),
            deck_title=names.get("deck_title"),
            deck_description=names.get("deck_description"),
            deck_version=names.get("deck_version"),
            source_id=names.get("source_id"),
            cloze=names.get("cloze"),
            named=frozenset(names.values()),
        )

    def unfit(self, row: list[str], fields: list[str], layout: _Layout) -> str | None:
        """Why a row cannot be a card as it stands, if it cannot: it has no answer field, or
        text in a place the layout does not read (which importing would lose)."""
        answer = layout.answer
        if answer is not None and answer >= len(fields):
            return "one field, no answer" if len(fields) == 1 else "no answer field"
        if layout.named is not None:
            if len(row) <= layout.named_prefix:
                return None  # every column of the row is named
            for index, cell in enumerate(row):
                if index not in layout.named and cell.strip():
                    return f"text in column {index + 1}, which the header row does not name"
        elif not layout.fields_to_note and any(cell.strip() for cell in fields[layout.fields :]):
            names = "question, answer, tags" if layout.fields == 3 else "question, answer"
            return f"{len(fields)} fields, but this file's rows have {layout.fields} ({names})"
        return None

    def build(
        self,
        lines: Lines,
        first: tuple[int, list[str]] | None,
        header: _Header,
        html: bool,
    ) -> list[DeckSpec]:
        layout, header_rows = self.layout(first, header)
        if self.problems:
            self.check_parsed(lines, header)
            raise self.fail()
        clean = html_to_text if html else _plain
        delimiter = header.delimiter or ","

        def body() -> Iterator[tuple[int, list[str]]]:
            return itertools.islice(self.parse_rows(lines, header, delimiter), header_rows, None)

        if layout.by_id and layout.deck is not None and layout.deck_title is not None:
            # Which decks the file names: a row without one belongs to the only one there is.
            self.file_decks = dict.fromkeys(
                cell for _, row in body() if (cell := _cell(row, layout.deck).strip())
            )
            self.check_parsed(lines, header)
        decks: dict[str, _Deck] = {}
        places: dict[tuple[str, str], tuple[str, _Section]] = {}
        seen: dict[str, dict[str, int]] = {}
        meta, named, global_tags = layout.meta, layout.named is not None, header.tags
        # Each column read from every row, as an index past every row's end when the layout
        # has no such column: the cells are read inline (a call each is seconds over a
        # million rows), as _cell reads them.
        question_at, answer_at = _at(layout.question), _at(layout.answer)
        guid_at, id_at, source_id_at = _at(layout.guid), _at(layout.id), _at(layout.source_id)
        deck_at, section_at = _at(layout.deck), _at(layout.section)
        note_at, tags_at = _at(layout.note), _at(layout.tags)
        by_id = layout.by_id
        fitting = layout.named_prefix if not meta else 0  # see unfit
        # The same few sets of tags on most rows: one tuple for each.
        tag_sets: dict[str, tuple[str, ...]] = {}
        for line, row in body():
            fields = [cell for index, cell in enumerate(row) if index not in meta] if meta else row
            # A row with an answer and no wider than the columns its header row names fits:
            # most rows of a big spreadsheet, spared the call.
            if not answer_at < len(row) <= fitting:
                unfit = self.unfit(row, fields, layout)
                if unfit is not None:
                    self.skipped.append((line, unfit))
                    continue
            question = clean(fields[question_at] if question_at < len(fields) else "")
            cloze_text = "" if layout.cloze is None else clean(_cell(row, layout.cloze))
            if not question and not cloze_text:
                self.skipped.append((line, "empty question"))
                continue
            raw_answer = fields[answer_at] if answer_at < len(fields) else ""
            rule = _ANSWER_RULE.search(raw_answer) if "<" in raw_answer else None
            if rule:
                raw_answer = raw_answer[rule.end() :]
            answer = clean(raw_answer)

            width = len(row)
            guid = row[guid_at].strip() if guid_at < width else ""
            wanted = row[id_at].strip() if id_at < width else ""
            source_id = (row[source_id_at].strip() if source_id_at < width else "") or None
            identity = None if source_id is None else _anki_identity(source_id)
            clozes: list[_ClozeCard] | None = None
            if cloze_text:
                made = _cloze_cards(cloze_text, wanted, identity, bool(question or answer))
                if isinstance(made, str):
                    self.problem(line, made)
                    continue
                clozes = made
                key = clozes[0][0]
            elif guid:
                key = anki_card_key(guid, 0)
                source_id = f"anki:{guid}:0"
            elif wanted:
                if not ID_PATTERN.match(wanted):
                    self.problem(line, f"id {wanted!r} is not valid: {ID_RULE}")
                    continue
                key = wanted
            elif identity is not None:
                key = anki_card_key(*identity)
            else:
                key = question_key(question)

            if by_id:
                placed = self.place_by_id(decks, line, row, layout, clean)
                if placed is None:
                    continue
                if isinstance(placed, str):
                    self.skipped.append((line, placed))
                    continue
                deck_id, section = placed
                seen_as = self.deck_key or deck_id
            else:
                where = (
                    row[deck_at] if deck_at < width else "",
                    row[section_at] if section_at < width else "",
                )
                place = places.get(where)
                if place is None:
                    place = places[where] = self.place(decks, where, header.deck, clean)
                deck_id, section = place
                seen_as = deck_id
            lines_of = seen.get(seen_as)
            if lines_of is None:
                lines_of = seen[seen_as] = {}
            earlier = lines_of.setdefault(key, line)
            if clozes is not None:  # each of a cloze's cards is a key of its own
                earlier = next(
                    (at for at in (lines_of.setdefault(k, line) for k, *_ in clozes) if at != line),
                    earlier,
                )
            if earlier != line:
                self.skipped.append((line, f"duplicate of line {earlier}"))
                continue

            if layout.fields_to_note:
                note = "\n".join(extra for extra in map(clean, fields[2:]) if extra)
            else:
                note = clean(row[note_at]) if note_at < width else ""
            tags_text = row[tags_at] if tags_at < width else ""
            card_tags = tag_sets.get(tags_text)
            if card_tags is None:
                # People separate tags with commas too; recall's export only with spaces, so a
                # comma in one of its tags stays in that tag.
                by_comma = named and not layout.by_id
                tags = _HEADER_TAG_SPLIT.split(tags_text) if by_comma else tags_text.split()
                if global_tags:
                    tags = [*global_tags, *tags]
                card_tags = tag_sets[tags_text] = tuple(dict.fromkeys(tag for tag in tags if tag))
            # no CardSpec made here: the spool keeps the fields, and makes one when read back
            if clozes is None:
                section.cards.add(key, question, answer, note or None, card_tags, source_id)
                continue
            for key, question, answer, source_id, number in clozes:
                section.cards.add(
                    key, question, answer, note or None, card_tags, source_id, cloze_text, number
                )
        if self.malformed is not None:
            self.problems = [self.malformed]
            raise self.fail()

        if layout.by_id:
            return self.decks_by_id(decks)
        if self.deck_key is not None and len(self.tops) > 1:
            # Several Anki decks put into one: none of their names is the deck's.
            for deck in decks.values():
                deck.title = self.stem
        return [
            DeckSpec(
                key=self.deck_key or deck_id,
                title=deck.title,
                sections=tuple(
                    SectionSpec(section_key, section.title or deck.title, section.cards)
                    for section_key, section in deck.sections.items()
                ),
                source=self.source,
            )
            for deck_id, deck in decks.items()
        ]

    def decks_by_id(self, decks: dict[str, _Deck]) -> list[DeckSpec]:
        """The decks of a file that names them by id. Given a deck key, all of them become
        that one deck; when there were several, each section keeps its deck's title before
        its own (``Deck :: Section``), as the Anki readers name the sections they merge."""
        specs = [
            DeckSpec(
                key=deck_id,
                title=deck.title,
                sections=tuple(
                    SectionSpec(key, _section_title(key, section, deck), section.cards)
                    for key, section in deck.sections.items()
                    if section.cards
                ),
                description=deck.description[0] if deck.description else None,
                source=self.source,
                version=deck.version[0] if deck.version else None,
            )
            for deck_id, deck in decks.items()
        ]
        specs = [spec for spec in specs if spec.sections]
        if self.deck_key is None:
            return specs
        if len(specs) == 1:
            return [replace(specs[0], key=self.deck_key)]
        sections = tuple(
            SectionSpec(
                make_key(f"{spec.key} {section.key}"),
                f"{spec.title} :: {section.title}",
                section.cards,
            )
            for spec in specs
            for section in spec.sections
        )
        return [DeckSpec(self.deck_key, self.stem, sections, source=self.source)]


_ClozeCard = tuple[str, str, str, str | None, int]
"""A card a cloze row gives: its key, question, answer, source id and cloze number."""


def _cloze_cards(
    text: str, wanted: str, identity: tuple[str, int] | None, has_text: bool
) -> list[_ClozeCard] | str:
    """The cards of a row's cloze, one per number, or what is wrong with the row.

    Their keys are ``<id>-c<number>`` from the row's id (see :func:`recall1924.cloze.card_key`,
    as in a TOML deck); else, from an Anki note's identity in the ``source_id`` column, the
    keys the Anki readers give that note's cards; else ``q-…-c<number>`` from the cloze's text.
    ``has_text``: the row's question or answer is not empty, which a cloze row leaves to its
    cloze.
    """
    wrong = cloze.problems(text)
    if wrong:
        return f"cloze: {'; '.join(wrong)}"
    if has_text:
        return "a cloze row leaves question and answer empty: its cloze gives both"
    cards: list[_ClozeCard] = []
    for number in sorted(cloze.numbers(text)):
        source_id = None
        if wanted:
            key = cloze.card_key(wanted, number)
        elif identity is not None:
            key = anki_card_key(identity[0], number - 1)
            source_id = f"anki:{identity[0]}:{number - 1}"
        else:
            key = cloze.card_key(question_key(text), number)
        if not ID_PATTERN.match(key):
            named = repr(wanted) if wanted else "made from the cloze"
            return f"id {named} is not valid for its cloze cards ({key!r}): {ID_RULE}"
        cards.append(
            (key, cloze.question(text, number), cloze.answer(text, number), source_id, number)
        )
    return cards


def question_key(question: str) -> str:
    """The key of a card known only by its question: the same for the same words, whatever the
    spacing or Unicode composition."""
    normalised = " ".join(unicodedata.normalize("NFC", question).split())
    return "q-" + hashlib.sha1(normalised.encode()).hexdigest()[:14]


def _plain(text: str) -> str:
    if "\r" not in text:
        return text.strip()  # most cells: a third of the time
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _at(index: int | None) -> int:
    """A layout's column as an index for reading cells inline (see :func:`_cell`): no column
    is an index past the end of any row."""
    return sys.maxsize if index is None else index


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index]


def _header_row(cells: list[str]) -> dict[str, int] | None:
    """The columns a first row names, if it is a header row (every non-empty cell a known name,
    none twice); else None."""
    names: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().lower()
        if not name:
            continue
        if name not in HEADER_NAMES or name in names:
            return None
        names[name] = index
    return names if {"question", "answer", "cloze"} & names.keys() else None


def _header_row_problem(cells: list[str]) -> str | None:
    """What is wrong with a first row that names both ``question`` and ``answer`` but is not a
    header row recall reads (an unknown or repeated name): without this it would be a card."""
    names = [cell.strip().lower() for cell in cells if cell.strip()]
    if "question" not in names or "answer" not in names:
        return None
    unknown = [name for name in dict.fromkeys(names) if name not in HEADER_NAMES]
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        return (
            f"the header row names {listed}, which recall does not read; rename or delete "
            f"{'that column' if len(unknown) == 1 else 'those columns'} (recall reads "
            f"{', '.join(HEADER_NAMES)})"
        )
    twice = next((name for name in names if names.count(name) > 1), None)
    return None if twice is None else f"the header row names {twice!r} twice"


def _section_title(key: str, section: _Section, deck: _Deck) -> str:
    """A section's title when no row gave one: the deck's for ``main``, else its id."""
    if section.title:
        return section.title
    return deck.title if key == MAIN_SECTION else key


def _anki_identity(source_id: str | None) -> tuple[str, int] | None:
    """The Anki note GUID and template number in a ``source_id`` of ``anki:<guid>:<ord>``."""
    if source_id is None or not source_id.startswith("anki:"):
        return None
    guid, _, ordinal = source_id[len("anki:") :].rpartition(":")
    if not guid or not ordinal.isdecimal():
        return None
    return guid, int(ordinal)


def _may_have_header_row(header: _Header) -> bool:
    """Anki's header lines say what the columns are; only a file without them may name its
    columns in its first row."""
    return not header.columns and header.labels is None


def _implicit_tags_column(first_row: list[str], meta: frozenset[int]) -> int | None:
    """Anki's importer reads a third note column, when the first row has one, as tags."""
    fields = [index for index in range(len(first_row)) if index not in meta]
    return fields[2] if len(fields) > 2 else None


def _sniff(body: str) -> str:
    """The delimiter of an undeclared file, guessed from its first few KB.

    Each candidate splits the sample with the csv parser itself, quotes and all; the one that
    gives the most rows the same number (two or more) of columns wins, earlier candidates on a
    tie. ``csv.Sniffer`` was not used: it takes ``a, b;"c; d"`` for comma-separated.
    """
    sample = body[:_SNIFF_BYTES]
    if len(body) > _SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    best, best_share = "", 0.0
    for delimiter in _SNIFF_DELIMITERS:
        counts = Counter(len(row) for row in _sample_rows(sample, delimiter))
        if not counts:
            break
        width, rows = counts.most_common(1)[0]
        share = rows / counts.total()
        if width >= 2 and share > best_share:
            best, best_share = delimiter, share
    return best or ("\t" if "\t" in sample else ",")


def _sample_rows(sample: str, delimiter: str) -> Iterator[list[str]]:
    """The records of ``sample`` split at ``delimiter``, ``#`` lines skipped as the rows are
    (:class:`_Feed`: only at a record's start, none after recall's header row), so that a
    quoted field whose next line starts with ``#`` stays one field."""
    feed = _Feed(io.StringIO(sample, newline=""), first_number=1)
    reader = _csv.reader(feed, delimiter=delimiter)
    first = True
    while True:
        feed.at_record_start = True
        row = next(reader, None)
        if row is None:
            return
        if not row:
            continue
        if first and any(cell.strip() for cell in row):
            first = False
            if _header_row(row) is not None:
                feed.comments = False
        yield row


@contextmanager
def _large_fields() -> Iterator[None]:
    """Anki fields can be large (inline images); the csv module refuses fields over 128 KiB."""
    before = _csv.field_size_limit()
    _csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        _csv.field_size_limit(before)
