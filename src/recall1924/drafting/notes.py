"""Reading a student's notes: their lines into sections and items. Pure.

Holds :func:`read_notes`, which turns Markdown or plain-text notes into :class:`Notes`: the
notes' title, their :class:`Section` s in order, each with its :class:`Item` s (a bullet, a
paragraph, a question, with what is nested under it), and the lines left out, each with why.
What the items ask is not decided here: that is :mod:`recall1924.drafting.finders`.

The sections come from the first shape the notes have, in this order (``docs/draft.md``):

1. Markdown headings (``#`` … ``######``). A lone ``#`` heading at the top is the notes'
   title and the next level down makes the sections; deeper headings are sub-headings.
2. ``N of M`` marker lines, as a revision site exports its cards: each section ends at its
   marker and starts with its title line. Lines before the first section's title are the
   notes' title and the site's header; everything after the last marker, ``M of M``, is the
   site's footer.
3. ALL-CAPS lines, each starting a section.
4. None: one section, named after the file.

In every shape a line that is ALL CAPS or a bare year (``1925``) inside a section is a
sub-heading, and a line that only a website writes (a rating, "Created by:", a copyright, "Back
to top", "Comments", "Similar … resources") is left out wherever it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["BOILERPLATE", "Item", "LeftOut", "Notes", "Section", "Shape", "read_notes"]


@dataclass(frozen=True)
class Item:
    """One thing the notes say: a bullet or a paragraph, with what is nested under it.

    Attributes:
        line: its first line in the notes (1-based).
        text: its text, the bullet mark taken off and wrapped lines joined.
        bullet: whether it is a bullet (``-``, ``*``, ``+``, ``•``, ``1.``).
        children: the bullets and indented lines under it, in order.
        fence: the text of a fenced block (```` ``` ````) right under it, if any.
        heading: the sub-heading it is under, as the notes write it.
    """

    line: int
    text: str
    bullet: bool
    children: tuple[Item, ...] = ()
    fence: str | None = None
    heading: str | None = None


@dataclass(frozen=True)
class Section:
    """A section of the notes: its title, the line of the title, and its items."""

    title: str
    line: int
    items: tuple[Item, ...]


@dataclass(frozen=True)
class LeftOut:
    """A line no card is drafted from, and why (``"the site's footer, after '6 of 6'"``)."""

    line: int
    why: str
    site: bool  # the site's own text (header, footer, boilerplate), not the student's


class Shape(Enum):
    """How the notes mark their sections (see the module docstring)."""

    MARKDOWN = "Markdown headings"
    MARKERS = "'N of M' markers"
    CAPS = "ALL-CAPS headings"
    NONE = "no headings"


@dataclass(frozen=True)
class Notes:
    """Notes as read: their title (None when they have none), sections, and what was left out."""

    title: str | None
    sections: tuple[Section, ...]
    shape: Shape
    left_out: tuple[LeftOut, ...] = field(default=())


# --- lines -----------------------------------------------------------------------------------
# A website's own lines, matched whole (case aside) after the bullet mark. They are what the
# revision sites students copy from put around every set of notes; none of them is a fact. Each
# is narrow on purpose: "Created by: P0larbear" is the site's, "Created by Lenin 1921" a fact.
BOILERPLATE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (why, re.compile(pattern, re.IGNORECASE))
    for why, pattern in (
        ("a rating", r"\d+(\.\d+)?\s*/\s*5(\s+based on \d+ ratings?)?"),
        (
            "the page's author or date",
            r"(created|posted|published|updated|last updated|written|uploaded) (by|on)\s*:.*",
        ),
        ("a copyright line", r"(©|\(c\)\s|copyright\b|all rights reserved).*"),
        (
            "the site's navigation",
            r"(back to top|skip to (main )?content|log ?in|sign ?up|sign in|menu|share|print"
            r"|report|next|previous|home)",
        ),
        ("the site's comments", r"(comments?|no comments have yet been made|add a comment)"),
        ("the site's links", r"(similar|related|more) .{0,40}(resources|articles|posts|notes):?"),
    )
)

_MARKER = re.compile(r"^\s*(\d{1,3}) of (\d{1,3})\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_BULLET = re.compile(r"^(\s*)(?:[-*+•‣◦▪–]|\d{1,3}[.)])\s+(.*\S)\s*$")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
_URL = re.compile(r"^<?(https?://|www\.)\S+>?$")
_DATE_LINE = re.compile(r"^(1\d{3}|20\d{2})s?(\s*[-–]\s*(\d{2}|\d{4}))?\s*:?$")
_RULE = re.compile(r"^\s*([-*_=])(\s*\1){2,}\s*$")
_BLOCKQUOTE = re.compile(r"^\s*>\s?")


class _Kind(Enum):
    BLANK = "blank"
    MARKER = "marker"
    HEADING = "heading"
    FENCE = "fence"  # a whole fenced block, its lines gathered
    BULLET = "bullet"
    CAPS = "caps"
    DATE = "date"
    URL = "url"
    RULE = "rule"
    TABLE = "table"
    SITE = "site"
    TEXT = "text"


@dataclass
class _Line:
    number: int
    kind: _Kind
    text: str = ""  # the content: without bullet mark, heading marks or indent
    indent: int = 0
    level: int = 0  # a heading's level; a marker's own number
    total: int = 0  # a marker's M
    why: str = ""  # why a site line is left out


def _caps(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return len(letters) >= 2 and not any(char.islower() for char in letters) and len(text) <= 100


def _site(text: str) -> str | None:
    bare = _BULLET.sub(r"\2", text).strip()
    for why, pattern in BOILERPLATE:
        if pattern.fullmatch(bare):
            return why
    return None


def _classify(text: str) -> list[_Line]:
    """Each line of the notes with its kind; a fenced block is one line holding its text."""
    raw = text.removeprefix("\ufeff").expandtabs(4).splitlines()
    lines: list[_Line] = []
    number = 0
    while number < len(raw):
        line, number = raw[number], number + 1
        line = _BLOCKQUOTE.sub("", line, count=1) if _BLOCKQUOTE.match(line) else line
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        fence = _FENCE.match(line)
        if fence:
            mark, body, start = fence.group(2), [], number
            while number < len(raw) and not raw[number].strip().startswith(mark):
                body.append(raw[number])
                number += 1
            number += 1  # the closing fence (or the end of the file)
            lines.append(_Line(start, _Kind.FENCE, _dedent(body), indent))
            continue
        heading = _HEADING.match(line)
        marker = _MARKER.match(line)
        bullet = _BULLET.match(line)
        why = _site(stripped) if stripped else None
        if not stripped:
            lines.append(_Line(number, _Kind.BLANK))
        elif marker:
            lines.append(_Line(number, _Kind.MARKER, stripped, 0, int(marker[1]), int(marker[2])))
        elif why is not None:
            lines.append(_Line(number, _Kind.SITE, stripped, indent, why=why))
        elif heading:
            lines.append(_Line(number, _Kind.HEADING, heading[2].strip(), 0, len(heading[1])))
        elif _RULE.match(line):
            lines.append(_Line(number, _Kind.RULE, stripped))
        elif bullet:
            lines.append(_Line(number, _Kind.BULLET, bullet[2], len(bullet[1])))
        elif _URL.match(stripped):
            lines.append(_Line(number, _Kind.URL, stripped, indent))
        elif stripped.startswith("|"):
            lines.append(_Line(number, _Kind.TABLE, stripped, indent))
        elif _DATE_LINE.match(stripped):
            lines.append(_Line(number, _Kind.DATE, stripped.rstrip(":"), indent))
        elif _caps(stripped) and "::" not in stripped:
            lines.append(_Line(number, _Kind.CAPS, stripped, indent))
        else:
            lines.append(_Line(number, _Kind.TEXT, stripped, indent))
    return lines


def _dedent(body: list[str]) -> str:
    indents = [len(line) - len(line.lstrip()) for line in body if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:].rstrip() for line in body).strip("\n")


# --- sections --------------------------------------------------------------------------------


@dataclass
class _Split:
    """Sections as runs of lines, before their items are built."""

    title: str | None
    sections: list[tuple[str, int, list[_Line]]]
    left_out: list[LeftOut]


def _shape(lines: list[_Line]) -> Shape:
    kinds = {line.kind for line in lines}
    if _Kind.HEADING in kinds:
        return Shape.MARKDOWN
    markers = [line for line in lines if line.kind is _Kind.MARKER]
    if markers and len({line.total for line in markers}) == 1:
        return Shape.MARKERS
    if _Kind.CAPS in kinds:
        return Shape.CAPS
    return Shape.NONE


def _split_markdown(lines: list[_Line], name: str) -> _Split:
    headings = [line for line in lines if line.kind is _Kind.HEADING]
    title: str | None = None
    prelude_title = name  # what to call the text above the first section's heading
    levels = {line.level for line in headings}
    if (
        headings[0].level == 1
        and sum(line.level == 1 for line in headings) == 1
        and len(levels) > 1
    ):
        title = prelude_title = headings[0].text
        headings = headings[1:]
    elif len(headings) == 1:
        title = headings[0].text  # one heading: the notes' title and their one section
    level = min(line.level for line in headings)
    split = _Split(title, [], [])
    current: list[_Line] = []
    prelude = True
    for line in lines:
        if line.kind is _Kind.HEADING and line.level == level:
            if prelude and _has_content(current):
                split.sections.append((prelude_title, 1, current))
            prelude = False
            current = []
            split.sections.append((line.text, line.number, current))
        elif line.kind is _Kind.HEADING and line.level > level:
            current.append(_Line(line.number, _Kind.CAPS, line.text))  # a sub-heading
        elif line.kind is _Kind.HEADING:
            continue  # the title
        else:
            current.append(line)
    if prelude and _has_content(current):
        split.sections.append((prelude_title, 1, current))
    return split


def _has_content(lines: list[_Line]) -> bool:
    return any(line.kind not in (_Kind.BLANK, _Kind.RULE, _Kind.SITE) for line in lines)


def _split_markers(lines: list[_Line], name: str) -> _Split:
    split = _Split(None, [], [])
    last = max(index for index, line in enumerate(lines) if line.kind is _Kind.MARKER)
    marker = lines[last]
    body = lines[: last + 1]
    if marker.level == marker.total:
        footer = f"the site's footer, after '{marker.text}'"
        split.left_out += [
            LeftOut(line.number, footer, site=True)
            for line in lines[last + 1 :]
            if line.kind is not _Kind.BLANK
        ]
    else:
        body = lines  # cut short before its last marker: what follows is a section too
    blocks: list[list[_Line]] = [[]]
    for line in body:
        if line.kind is _Kind.MARKER:
            blocks.append([])
        else:
            blocks[-1].append(line)
    blocks = [block for block in blocks if _has_content(block)]
    for index, block in enumerate(blocks):
        leading = _leading_text(block)
        if index == 0 and len(leading) >= 2:
            split.title, chosen = leading[0].text, leading[1]
            skip = {leading[0].number, chosen.number}
        elif leading:
            chosen = leading[0]
            skip = {chosen.number}
        else:
            chosen, skip = None, set()
        start = chosen.number if chosen is not None else block[0].number
        rest = []
        for line in block:
            if line.number in skip:
                continue
            if line.kind is _Kind.SITE and line.number < start:
                split.left_out.append(LeftOut(line.number, f"the site's header: {line.why}", True))
                continue
            rest.append(line)
        title = chosen.text if chosen is not None else f"Section {index + 1}"
        split.sections.append((title, start, rest))
    return split


def _leading_text(block: list[_Line]) -> list[_Line]:
    """The text lines a block starts with, before its first bullet or sub-heading (the site's
    lines and blank ones between them aside): the titles."""
    leading = []
    for line in block:
        if line.kind is _Kind.TEXT:
            leading.append(line)
        elif line.kind not in (_Kind.BLANK, _Kind.SITE):
            break
    return leading


def _split_caps(lines: list[_Line], name: str) -> _Split:
    split = _Split(None, [], [])
    prelude: list[_Line] = []
    current = prelude
    for line in lines:
        if line.kind is _Kind.CAPS and line.indent == 0:
            current = []
            split.sections.append((_plain_title(line.text), line.number, current))
        else:
            current.append(line)
    content = [line for line in prelude if line.kind not in (_Kind.BLANK, _Kind.RULE)]
    if len(content) == 1 and content[0].kind is _Kind.TEXT:
        split.title = content[0].text  # a title line above the first heading
    elif _has_content(prelude):
        split.sections.insert(0, (name, 1, prelude))
    return split


def _plain_title(text: str) -> str:
    return text[:1] + text[1:].lower() if _caps(text) else text


def _split_none(lines: list[_Line], name: str) -> _Split:
    return _Split(None, [(name, 1, list(lines))], [])


# --- items -----------------------------------------------------------------------------------


@dataclass
class _Builder:
    line: int
    text: str
    bullet: bool
    indent: int
    heading: str | None
    children: list[_Builder] = field(default_factory=list)
    fence: str | None = None
    answered: bool = False  # it ends in "?" and indented lines have started its answer

    def asks(self) -> bool:
        return self.text.endswith("?")

    def build(self) -> Item:
        return Item(
            self.line,
            self.text,
            self.bullet,
            tuple(child.build() for child in self.children),
            self.fence,
            self.heading,
        )


def _own_line(text: str) -> bool:
    """A line that is a card of its own however it sits: never joined to the one before."""
    return "::" in text or text.endswith("?")


def _items(lines: list[_Line], left_out: list[LeftOut]) -> list[Item]:
    """The items of one section's lines (see :class:`Item`); lines that hold no fact go to
    ``left_out`` with why."""
    top: list[_Builder] = []
    stack: list[_Builder] = []
    heading: str | None = None
    joinable: _Builder | None = None  # a paragraph the next unindented text line continues
    for line in lines:
        kind = line.kind
        if kind is _Kind.BLANK:
            joinable = None
            continue
        if kind in (_Kind.CAPS, _Kind.DATE):
            heading, stack, joinable = line.text, [], None
            continue
        if kind is _Kind.SITE:
            left_out.append(LeftOut(line.number, line.why, site=True))
            continue
        if kind in (_Kind.URL, _Kind.TABLE, _Kind.RULE, _Kind.HEADING, _Kind.MARKER):
            if kind is not _Kind.RULE:
                what = {_Kind.URL: "a link", _Kind.TABLE: "a table row"}.get(kind, "a heading")
                left_out.append(LeftOut(line.number, what, site=False))
            joinable = None
            continue
        if kind is _Kind.FENCE:
            owner = stack[-1] if stack else None
            if owner is not None and owner.asks() and not owner.children and owner.fence is None:
                owner.fence = line.text
            else:
                left_out.append(LeftOut(line.number, "a code block with no question", False))
            joinable = None
            continue
        if kind is _Kind.TEXT and stack and line.indent > stack[-1].indent:
            above = stack[-1]
            if above.asks() or above.answered or above.children:
                above.answered = True
                above.children.append(_Builder(line.number, line.text, False, line.indent, heading))
            else:
                above.text += " " + line.text  # a wrapped line
            continue
        while stack and stack[-1].indent >= line.indent:
            stack.pop()
        parent = stack[-1] if stack else None
        if (
            kind is _Kind.TEXT
            and joinable is not None
            and not _own_line(joinable.text)
            and not _own_line(line.text)
        ):
            joinable.text += " " + line.text
            stack.append(joinable)
            continue
        item = _Builder(line.number, line.text, kind is _Kind.BULLET, line.indent, heading)
        (parent.children if parent is not None else top).append(item)
        stack.append(item)
        joinable = item if kind is _Kind.TEXT else None
    return [item.build() for item in top]


# --- the whole -------------------------------------------------------------------------------


def read_notes(text: str, name: str) -> Notes:
    """Read notes into sections and items (see the module docstring for how).

    Args:
        text: the notes, Markdown or plain text.
        name: what to call the one section of notes with no headings (the file's name).

    Returns:
        The notes, their sections in order; a section with nothing in it is still there.
    """
    lines = _classify(text)
    shape = _shape(lines)
    splitter = {
        Shape.MARKDOWN: _split_markdown,
        Shape.MARKERS: _split_markers,
        Shape.CAPS: _split_caps,
        Shape.NONE: _split_none,
    }[shape]
    split = splitter(lines, name)
    left_out = list(split.left_out)
    sections = tuple(
        Section(title, number, tuple(_items(body, left_out)))
        for title, number, body in split.sections
    )
    return Notes(split.title, sections, shape, tuple(sorted(left_out, key=lambda one: one.line)))
