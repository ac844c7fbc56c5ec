"""Changing one card of a student's TOML deck file in place.

Holds :func:`add_card` and :func:`edit_card`, which write into a deck file (see
``docs/deck-format.md``) so that ``git diff`` shows only the card that changed; the one-card TOML
form a student edits in $EDITOR (:func:`card_snippet`, :func:`parse_snippet`); and
:func:`new_card_id`, an id made from a card's question.

The file is the student's: tomlkit keeps its order, comments, spacing and string styles, and
only the values that changed are replaced. Every write goes to a temporary file in the same
folder, which recall's own reader (:func:`recall1924.deckfile.read_deck_file`) must read back as
exactly the intended deck before it replaces the original; otherwise nothing is written.

``recall draft`` (:mod:`recall1924.drafting`) edits the decks it drafted with the same pieces:
:func:`read_toml` and :class:`TomlFile`, :func:`insert_card` and :func:`set_text` on the tree,
:func:`toml_value` for a value written out, and :func:`write_checked`, the checked atomic write.
"""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import hashlib
import os
import re
import stat
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Array, Item, SingleKey, String, StringType, Table, Trivia, Whitespace
from tomlkit.toml_document import TOMLDocument

from recall1924 import cloze
from recall1924.deck import ID_PATTERN, ID_RULE, CardSpec, DeckSpec, SectionSpec
from recall1924.deckfile import parse_deck, read_deck_file
from recall1924.errors import DeckFileError

__all__ = [
    "SNIPPET_KEYS",
    "CardFields",
    "TomlFile",
    "add_card",
    "card_snippet",
    "check_card",
    "edit_card",
    "insert_card",
    "new_card_id",
    "parse_snippet",
    "read_toml",
    "set_text",
    "toml_value",
    "write_checked",
]

SNIPPET_KEYS = ("id", "section", "question", "answer", "note", "tags")
_SNIPPET = "<card>"

# --- strings ---------------------------------------------------------------------------------
# The same rules as recall's TOML exporter: TOML forbids C0 controls (but tab, and newline in
# multi-line strings) and DEL raw; C1 controls and U+2028/U+2029 are legal but invisible or
# line-breaking in editors. Escaped characters rule out literal strings.
_ESCAPED = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPED_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_LITERAL = (StringType.SLL, StringType.MLL)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _literal_fits(text: str, *, multiline: bool) -> bool:
    if _ESCAPED_MULTILINE.search(text):
        return False
    if multiline:
        return "'''" not in text and not text.endswith("'")
    return "'" not in text


def _string(text: str, like: StringType | None = None, *, own_line: bool = True) -> String:
    """``text`` as a TOML string that reads back exactly, in the style of ``like`` if it can.

    A text with line breaks is always multi-line, one without always single-line; literal or
    basic follows ``like``, and with no ``like`` literal is chosen only where it saves escaping
    backslashes (LaTeX, Windows paths), as the exporter does. A multi-line text starts on a
    line of its own after the opening quotes unless ``own_line`` is false.
    """
    multiline = "\n" in text
    # TOML drops a line break straight after the opening quotes, so one that is text needs two.
    opening = "\n" if own_line or text.startswith("\n") else ""
    literal = like in _LITERAL if like is not None else "\\" in text
    if literal and _literal_fits(text, multiline=multiline):
        kind = StringType.MLL if multiline else StringType.SLL
        return String(kind, text, opening + text if multiline else text, Trivia())
    body = text.replace("\\", "\\\\")
    if multiline:
        # A quote is escaped when another follows it or it ends the text: no bare run of three,
        # and none touching the closing delimiter.
        body = re.sub(r'"(?=")|"\Z', '\\\\"', body)
        body = _ESCAPED_MULTILINE.sub(_escape, body)
        return String(StringType.MLB, text, opening + body, Trivia())
    body = _ESCAPED.sub(_escape, body.replace('"', '\\"'))
    return String(StringType.SLB, text, body, Trivia())


def toml_value(value: str | tuple[str, ...]) -> str:
    """A text, or tags, as TOML that reads back exactly: as ``recall export`` writes them."""
    return (_string(value) if isinstance(value, str) else _tags(value)).as_string()


def _tags(tags: tuple[str, ...], *, multiline: bool = False) -> Array:
    array = tomlkit.array()
    for tag in tags:
        array.append(_string(tag))
    if multiline:
        array.multiline(True)
    return array


# --- ids -------------------------------------------------------------------------------------
# Words that say what kind of question it is, not what it is about: "What was Lenin's
# Testament?" is about Lenin's Testament. English only; a question with nothing else keeps all.
_STOPWORDS = frozenset(
    "a an and are as at be been by can could did do does for from had has have how if in into "
    "is it its of on or should that the their there these this those to was were what when "
    "where which who whom whose why will with would".split()
)
_ID_WORDS = 4
_ID_LENGTH = 40  # leaves room for a "-NN" suffix within the 64 an id may have


def new_card_id(question: str, taken: Collection[str]) -> str:
    """A card id made from the first few meaningful words of its question, unique in the deck.

    ``"What was Lenin's Testament?"`` gives ``lenins-testament``; if that is taken,
    ``lenins-testament-2``, then ``-3``. The same question and ids always give the same id.
    A question with no letters or digits in ASCII gets ``card-`` and a short hash of itself.

    Args:
        question: the card's question.
        taken: the ids already used in the deck.

    Returns:
        A valid id (see ``docs/deck-format.md``) not in ``taken``.
    """
    # Apostrophes join a word ("Lenin's" is one word), and accents fold to ASCII letters.
    joined = re.sub(r"['\u2019]", "", question)
    folded = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded)
    kept: list[str] = []
    for word in [word for word in words if word not in _STOPWORDS] or words:
        if len(kept) == _ID_WORDS or (kept and len("-".join([*kept, word])) > _ID_LENGTH):
            break
        kept.append(word[:_ID_LENGTH])
    base = "-".join(kept) or "card-" + hashlib.sha1(question.strip().encode()).hexdigest()[:8]
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


# --- the card itself -------------------------------------------------------------------------


def _normalised(card: CardSpec) -> CardSpec:
    """The card as the reader will give it back: text stripped, a blank note no note."""
    note = card.note.strip() if card.note is not None else None
    return dataclasses.replace(
        card,
        question=card.question.strip(),
        answer=card.answer.strip(),
        note=note or None,
        tags=tuple(tag.strip() for tag in card.tags),
    )


def _card_problems(card: CardSpec) -> list[tuple[str, str]]:
    """What makes a (normalised) card unfit for a deck, as (key, message) pairs."""
    problems = []
    if not ID_PATTERN.match(card.key):
        problems.append(("id", f"id {card.key!r} is not valid ({ID_RULE})"))
    if not card.question:
        problems.append(("question", "the question must not be empty"))
    if not card.answer:
        problems.append(("answer", "the answer must not be empty"))
    if not all(card.tags):
        problems.append(("tags", "every tag must be a non-empty string"))
    return problems


def check_card(card: CardSpec, *, what: str = "card") -> CardSpec:
    """The card as a deck file would hold it (text stripped, a blank note no note), checked by
    the rules the deck loader holds a file's card to: for a card that is written to the
    collection only, or given as command-line options.

    Args:
        card: the card; an empty id is reported as such.
        what: where it comes from, to start each message with.

    Raises:
        DeckFileError: one message per problem, each starting with ``what``.
    """
    card = _normalised(card)
    problems = _card_problems(card)
    if problems:
        raise DeckFileError(what, [f"{what}: {text}" for _, text in problems])
    return card


# --- the file --------------------------------------------------------------------------------


@dataclasses.dataclass
class TomlFile:
    """A TOML file as read for editing in place: its bytes and tomlkit's tree of its text.

    Shared by the card edits here and by ``recall draft``, which updates a deck it drafted.
    """

    shown: str  # the path as the caller gave it, for messages
    target: Path  # the real file, so that a symlinked deck stays a symlink
    raw: bytes
    bom: bool
    crlf: bool
    text: str  # with "\n" line ends, whatever the file has
    doc: TOMLDocument

    def fail(self, *problems: str) -> DeckFileError:
        return DeckFileError(self.shown, [f"{self.shown}: {problem}" for problem in problems])

    def sections(self) -> list[tuple[str, Table]]:
        """Each ``[[sections]]`` table with its id, in file order."""
        sections = self.doc.get("sections")
        if not isinstance(sections, AoT):
            raise self.fail(
                "not changed: its sections are not written as [[sections]] tables, the only "
                "layout recall edits (see docs/deck-format.md)"
            )
        return [(str(table["id"]), table) for table in sections.body]

    def cards(self, section: Table) -> AoT | None:
        cards = section.get("cards")
        if cards is None or isinstance(cards, AoT):
            return cards
        raise self.fail(
            f"not changed: the cards of section {section['id']!r} are not written as "
            "[[sections.cards]] tables, the only layout recall edits (see docs/deck-format.md)"
        )


@dataclasses.dataclass
class _DeckFile(TomlFile):
    """A deck file as read: a :class:`TomlFile` and the deck recall reads from it."""

    deck: DeckSpec = dataclasses.field(kw_only=True)


def read_toml(path: Path, *, check: Callable[[str, str], object] | None = None) -> TomlFile:
    """Read a TOML file to edit it in place.

    Args:
        path: the file.
        check: called with the text and the path as given before anything else is done with
            it, to refuse a file that is not what the caller edits (it raises).

    Raises:
        DeckFileError: the file cannot be read, is not UTF-8, is refused by ``check``, or
            cannot be edited without rewriting lines nobody edited.
    """
    shown = str(path)
    target = path.resolve()
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise DeckFileError(shown, [f"{shown}: cannot read: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DeckFileError(
            shown, [f"{shown}: not UTF-8 text (byte {exc.start}); save the deck as UTF-8"]
        ) from None
    if check is not None:
        check(text, shown)
    # New lines are written as "\n"; a file with Windows line ends throughout keeps them.
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    if crlf:
        text = text.replace("\r\n", "\n")
    try:
        doc = tomlkit.parse(text)
        same = tomlkit.dumps(doc) == text
    except tomlkit.exceptions.TOMLKitError as exc:
        raise DeckFileError(
            shown, [f"{shown}: not changed: cannot edit it in place: {exc}"]
        ) from None
    if not same:
        # Writing would change lines nobody edited: better to change nothing.
        raise DeckFileError(
            shown, [f"{shown}: not changed: recall cannot edit its layout without rewriting it"]
        )
    return TomlFile(shown, target, raw, raw.startswith(codecs.BOM_UTF8), crlf, text, doc)


def _open(path: Path) -> _DeckFile:
    found: list[DeckSpec] = []

    def deck_of(text: str, shown: str) -> None:
        # A broken deck is reported as an import reports it.
        found.append(parse_deck(text, shown))

    read = read_toml(path, check=deck_of)
    return _DeckFile(**vars(read), deck=found[0])


def _fsync_folder(folder: Path) -> None:
    # So the rename itself survives a crash; not every system lets a folder be opened.
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _differences(got: DeckSpec, expected: DeckSpec) -> list[str]:
    """Why ``got`` is not ``expected``, card by card where it can say."""
    problems = []
    if (got.key, got.title, got.description, got.version) != (
        expected.key,
        expected.title,
        expected.description,
        expected.version,
    ):
        problems.append("the [deck] table would read back changed")
    got_sections = [(section.key, section.title) for section in got.sections]
    if got_sections != [(section.key, section.title) for section in expected.sections]:
        problems.append("the sections would read back changed")
    got_cards = {card.key: card for card in got.cards}
    for card in expected.cards:
        other = got_cards.pop(card.key, None)
        if other is None:
            problems.append(f"card {card.key!r} would be missing")
            continue
        fields = [
            name
            for name in ("question", "answer", "note", "tags")
            if getattr(card, name) != getattr(other, name)
        ]
        if fields:
            problems.append(
                f"card {card.key!r} would read back with a different {', '.join(fields)}"
            )
    problems += [f"a card {key!r} that was not asked for would appear" for key in got_cards]
    if not problems:
        problems.append("the cards would read back in another order")
    return problems


def write_checked(
    file: TomlFile | None, target: Path, text: str, check: Callable[[Path, str], None]
) -> None:
    """Write ``text`` to ``target`` through a temporary file in its folder, which replaces the
    target only once ``check`` has read it back without raising.

    Args:
        file: the file as read before the edit (its line ends and byte-order mark are kept,
            and it must not have changed meanwhile), or None for a new file, which must not
            have appeared meanwhile.
        target: where to write.
        text: the new text, with "\n" line ends.
        check: called with the temporary file and its name; raises DeckFileError if what it
            reads back is not what was meant.

    Raises:
        DeckFileError: ``check``'s, or the file cannot be written; it is then unchanged.
    """
    shown = file.shown if file is not None else str(target)

    def fail(problem: str) -> DeckFileError:
        return DeckFileError(shown, [f"{shown}: {problem}"])

    if file is not None and file.crlf:
        text = text.replace("\n", "\r\n")
    bom = file is not None and file.bom
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")
    try:
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise fail(f"not changed: cannot write in its folder: {exc.strerror}") from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        check(temporary, name)
        if file is not None:
            if target.read_bytes() != file.raw:
                raise fail("not changed: the file changed while recall was editing it")
            os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
        else:
            if target.exists():
                raise fail("not written: the file appeared while recall was writing it")
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as exc:
        raise fail(f"not changed: cannot write: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_folder(target.parent)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(deck_file: _DeckFile, expected: DeckSpec) -> None:
    """Replace the file with the changed tree, if it reads back as ``expected``."""
    shown = deck_file.shown

    def check(temporary: Path, name: str) -> None:
        try:
            got = read_deck_file(temporary)
        except DeckFileError as exc:
            problems = [problem.replace(name, shown) for problem in exc.problems]
            raise DeckFileError(
                shown, [f"{shown}: not changed: the edit would not read back as a deck", *problems]
            ) from None
        if got != expected:
            raise deck_file.fail(
                *(f"not changed: {problem}" for problem in _differences(got, expected))
            )

    write_checked(deck_file, deck_file.target, tomlkit.dumps(deck_file.doc), check)


# --- tomlkit tables --------------------------------------------------------------------------
# tomlkit keeps the comments and blank lines between two tables at the end of the first one's
# body. Added keys and cards go before those, after the table's last key, so that a comment
# heading the next section stays with it.


def _pop_trailing(table: Table) -> list[Item]:
    """Take the comments and blank lines after the table's last key out of its body."""
    body = table.value.body
    trailing: list[Item] = []
    while body and body[-1][0] is None:
        trailing.insert(0, body.pop()[1])
    return trailing


def _last_key(table: Table) -> tuple[SingleKey, Item] | None:
    for key, item in reversed(table.value.body):
        if isinstance(key, SingleKey):
            return key, item
    return None


def _append_key(table: Table, name: str, item: Item, *, like: Table | None = None) -> None:
    """Add ``name = item`` after the last key of ``table``, spaced like the keys of ``like``."""
    trailing = _pop_trailing(table)
    last = _last_key(like if like is not None else table)
    if last is None:
        key = SingleKey(name)
    else:
        spacing = last[0].as_string()[len(last[0].as_string().rstrip()) :]  # before the "="
        key = SingleKey(name, sep=last[0].sep, original=name + spacing)
    if last is not None:
        item.trivia.indent = last[1].trivia.indent
    own_last = _last_key(table)
    if own_last is not None and "\n" not in own_last[1].trivia.trail:
        own_last[1].trivia.trail += "\n"  # the file ended on that key, with no line break
    table.raw_append(key, item)
    for kept in trailing:
        table.raw_append(None, kept)


def set_text(table: Table, name: str, text: str) -> None:
    """Set a text value of a table in place, in the string style it had (see :func:`toml_value`);
    a key it did not have is added after its others."""
    existing = table.value.item(name) if name in table else None
    if isinstance(existing, String):
        like: StringType
        if existing.type in (StringType.MLB, StringType.MLL) and "\n" in text:
            like = existing.type
        else:
            like = StringType.SLL if existing.type in _LITERAL else StringType.SLB
        # A text that began right after its opening quotes goes on doing so.
        own_line = existing.type in (StringType.SLB, StringType.SLL) or (
            existing.as_string()[3:4] == "\n"
        )
        # The replacement takes over the old value's indent and its comment on the same line.
        table[name] = _string(text, like, own_line=own_line)
    else:
        _append_key(table, name, _string(text))


def _set_tags(table: Table, tags: tuple[str, ...]) -> None:
    existing = table.value.item("tags") if "tags" in table else None
    if not tags:
        if existing is not None:
            del table["tags"]
    elif isinstance(existing, Item):
        table["tags"] = _tags(tags, multiline="\n" in existing.as_string())
    else:
        _append_key(table, "tags", _tags(tags))


CardFields = Sequence[tuple[str, str | tuple[str, ...]]]
"""A card's keys and values in the order they are written: text, or tags."""


def _card_fields(card: CardSpec) -> CardFields:
    fields: list[tuple[str, str | tuple[str, ...]]] = [
        ("id", card.key),
        ("question", card.question),
        ("answer", card.answer),
    ]
    if card.note is not None:
        fields.append(("note", card.note))
    if card.tags:
        fields.append(("tags", card.tags))
    return fields


def _card_table(fields: CardFields, *, like: Table | None) -> Table:
    table = tomlkit.table()
    if like is not None:
        # Indented like the card before it, if that one is indented.
        table.trivia.indent = like.trivia.indent.lstrip("\n")
    for name, value in fields:
        item = _string(value) if isinstance(value, str) else _tags(value)
        _append_key(table, name, item, like=like)
    return table


def insert_card(section: Table, cards: AoT | None, fields: CardFields) -> None:
    """Add a card at the end of the section's cards, before what heads the next section.

    It is written as ``recall export`` writes a card, spaced and indented like the card before
    it; its keys are ``fields``, in order.
    """
    holder = cards.body[-1] if cards is not None and cards.body else section
    trailing = _pop_trailing(holder)
    # Comments with no blank line between them and the next header head that header.
    split = len(trailing)
    while split and not isinstance(trailing[split - 1], Whitespace):
        split -= 1
    before, after = trailing[:split], trailing[split:]
    last = _last_key(holder)
    if last is not None and "\n" not in last[1].trivia.trail:
        last[1].trivia.trail += "\n"
    for kept in before:
        holder.raw_append(None, kept)
    gap = before[-1].as_string() if before else None
    if gap is None:
        holder.raw_append(None, tomlkit.ws("\n"))
    table = _card_table(fields, like=holder)
    indent = table.trivia.indent
    if cards is not None:
        cards.append(table)
    else:
        array = tomlkit.aot()
        array.append(table)
        section.raw_append("cards", array)
    table.trivia.indent = indent  # not the blank line tomlkit adds: the gap above is the file's
    if gap is not None:
        table.raw_append(None, tomlkit.ws(gap))
    for kept in after:
        table.raw_append(None, kept)


# --- the public operations -------------------------------------------------------------------


def _checked(deck_file: _DeckFile, card: CardSpec) -> CardSpec:
    card = _normalised(card)
    problems = _card_problems(card)
    if problems:
        raise deck_file.fail(*(f"not changed: card {card.key!r}: {text}" for _, text in problems))
    return card


def add_card(path: Path, *, section: str, card: CardSpec) -> None:
    """Add a card at the end of a section of a deck file, leaving every other line as it was.

    The card's text is stripped as an import strips it, and written as ``recall export``
    writes a card, spaced like the card before it.

    Args:
        path: a TOML deck file (``docs/deck-format.md``), in the documented layout.
        section: the id of the section to add to.
        card: the new card; its id must not be used in the deck yet.

    Raises:
        DeckFileError: the file cannot be read or is not a valid deck, the section does not
            exist, the id is taken, the card is not valid, or the result would not read back
            as the deck plus this card. The file is then unchanged.
    """
    deck_file = _open(path)
    card = _checked(deck_file, card)
    deck = deck_file.deck
    where = {one.key: spec.key for spec in deck.sections for one in spec.cards}
    if card.key in where:
        raise deck_file.fail(
            f"not changed: card id {card.key!r} is already used in section {where[card.key]!r}"
        )
    tables = dict(deck_file.sections())
    if section not in tables:
        known = ", ".join(spec.key for spec in deck.sections)
        raise deck_file.fail(f"not changed: no section {section!r}; the sections are: {known}")
    insert_card(tables[section], deck_file.cards(tables[section]), _card_fields(card))
    expected = dataclasses.replace(
        deck,
        sections=tuple(
            SectionSpec(spec.key, spec.title, (*spec.cards, card)) if spec.key == section else spec
            for spec in deck.sections
        ),
    )
    _write(deck_file, expected)


def edit_card(path: Path, key: str, card: CardSpec) -> None:
    """Change a card's question, answer, note and tags in its deck file, in place.

    The card keeps its id, its place and the comments around it. Only the values that differ
    are rewritten, each in its old string style where the new text allows (a multi-line string
    stays one while the text has line breaks); a value the card did not have is added after its
    other keys, and a note or tags now empty are removed. Nothing is written if nothing changed.

    Args:
        path: a TOML deck file (``docs/deck-format.md``), in the documented layout.
        key: the id of the card to change.
        card: its new content; ``card.key`` must be ``key`` (a new id would lose the card's
            review history) and the text is stripped as an import strips it.

    Raises:
        DeckFileError: the file cannot be read or is not a valid deck, there is no such card,
            the new card is not valid, or the result would not read back as the deck with this
            one card changed. The file is then unchanged.
    """
    deck_file = _open(path)
    card = _checked(deck_file, card)
    if card.key != key:
        raise deck_file.fail(
            f"not changed: card {key!r} cannot become {card.key!r}: changing a card's id would "
            "lose its review history"
        )
    deck = deck_file.deck
    old = next((spec for spec in deck.cards if spec.key == key), None)
    table = None
    for _, section in deck_file.sections():
        cards = deck_file.cards(section)
        for candidate in cards.body if cards is not None else ():
            if candidate.get("id") == key:
                table = candidate
    if old is not None and table is None and old.cloze is not None and old.cloze_ord:
        # Its question and answer are made from the cloze text of the file's card, which
        # holds every number: a change to this one card alone has no place in the file.
        note = cloze.note_key(key, old.cloze_ord) or key
        raise deck_file.fail(
            f"not changed: {key!r} is deletion c{old.cloze_ord} of the cloze card {note!r}; "
            f"change that card's cloze text in {path.name} and import it again"
        )
    if old is None or table is None:
        close = difflib.get_close_matches(key, [spec.key for spec in deck.cards], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise deck_file.fail(f"not changed: no card {key!r} in deck {deck.key!r}{hint}")
    if card == old:
        return
    for name in ("question", "answer"):
        if getattr(card, name) != getattr(old, name):
            set_text(table, name, getattr(card, name))
    if card.note != old.note:
        if card.note is None:
            del table["note"]  # its line goes; comments on the lines around it stay
        else:
            set_text(table, "note", card.note)
    if card.tags != old.tags:
        _set_tags(table, card.tags)
    expected = dataclasses.replace(
        deck,
        sections=tuple(
            dataclasses.replace(
                spec, cards=tuple(card if one.key == key else one for one in spec.cards)
            )
            for spec in deck.sections
        ),
    )
    _write(deck_file, expected)


# --- the one-card form -----------------------------------------------------------------------


def card_snippet(card: CardSpec, section: str) -> str:
    """One card as the small TOML text a student edits in $EDITOR.

    Every key is there (an empty note as ``note = ""``, no tags as ``tags = []``) so the student
    sees where to write; for a new card pass ``CardSpec("", "", "")``, whose empty id asks
    :func:`parse_snippet` for one made from the question. Comment lines added above are
    ignored when it is read back, so errors can be shown there.
    """
    lines = [
        f"id = {_string(card.key).as_string()}",
        f"section = {_string(section).as_string()}",
        f"question = {_string(card.question).as_string()}",
        f"answer = {_string(card.answer).as_string()}",
        f"note = {_string(card.note or '').as_string()}",
        f"tags = {_tags(card.tags).as_string()}",
    ]
    return "\n".join(lines) + "\n"


def _snippet_line(lines: list[str], key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    return next((n for n, line in enumerate(lines, start=1) if pattern.match(line)), None)


def parse_snippet(text: str, *, taken: Collection[str] = ()) -> tuple[str, CardSpec]:
    """Read the one-card form back (see :func:`card_snippet`).

    Args:
        text: what the student saved.
        taken: the ids already used in the deck; only used when the id is left empty, which
            asks for one made from the question (:func:`new_card_id`).

    Returns:
        The section id and the card, its text stripped as an import strips it.

    Raises:
        DeckFileError: one line per problem, each starting ``line N:`` where it has one, to be
            shown above the form when it is opened again.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if position:
            message = message[: position.start()]
            message = f"line {position.group(1)}, column {position.group(2)}: {message}"
        raise DeckFileError(_SNIPPET, [f"TOML syntax error: {message}"]) from None
    lines = text.splitlines()
    problems: list[str] = []

    reported: set[str] = set()

    def add(key: str, message: str) -> None:
        reported.add(key)
        line = _snippet_line(lines, key)
        problems.append(f"line {line}: {message}" if line else message)

    for key in data:
        if key not in SNIPPET_KEYS:
            close = difflib.get_close_matches(key, SNIPPET_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            add(key, f"unknown key {key!r}{hint} (allowed: {', '.join(SNIPPET_KEYS)})")

    def text_of(key: str, *, required: bool) -> str:
        value: Any = data.get(key)
        if value is None:
            if required:
                add(key, f"missing {key!r}")
            return ""
        if not isinstance(value, str):
            add(key, f"{key!r} must be a string in quotes")
            return ""
        return value

    key = text_of("id", required=False).strip()
    section = text_of("section", required=True).strip()
    question = text_of("question", required=True)
    answer = text_of("answer", required=True)
    note = text_of("note", required=False)
    raw_tags: Any = data.get("tags", [])
    if not isinstance(raw_tags, list) or not all(isinstance(tag, str) for tag in raw_tags):
        add("tags", '\'tags\' must be a list of strings in quotes, like ["date", "essay"]')
        raw_tags = []
    if section and not ID_PATTERN.match(section):
        add("section", f"section {section!r} is not a valid id ({ID_RULE})")
    card = _normalised(CardSpec(key, question, answer, note, tuple(raw_tags)))
    if not card.key and card.question:
        card = dataclasses.replace(card, key=new_card_id(card.question, taken))
    for name, message in _card_problems(card):
        if name == "id" and not card.key:
            continue  # no question to make one from: reported as the question's problem
        if name in reported:
            continue  # already reported: missing, or not a string
        add(name, message)
    if problems:
        raise DeckFileError(_SNIPPET, problems)
    return section, card
