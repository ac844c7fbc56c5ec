"""Anki's card templates, rendered: the subset of Anki's template language recall needs.

Holds :func:`parse` and :func:`render` for ``{{Field}}``, ``{{FrontSide}}``,
``{{#Field}}``/``{{^Field}}``...``{{/Field}}`` sections and filters applied right to left
(``{{text:cloze:Text}}`` applies cloze, then text), and cloze deletions ``{{c1::text::hint}}``
(parsed by :mod:`recall1924.cloze`, which recall's own deck files share). The facts come from
Anki's rslib (``template.rs``, ``template_filters.rs``, ``cloze.rs``); pure text in, text out.

``{{hint:Field}}``, which Anki shows as a link that reveals the field, becomes a line of its own
holding :func:`recall1924.deck.hint_line`: ``[hint: the field as text]``, which the review
screen keeps collapsed until asked.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from recall1924 import cloze
from recall1924.deck import hint_line
from recall1924.importers.html import html_to_text


@dataclass(frozen=True)
class _Replace:
    key: str
    filters: tuple[str, ...]


@dataclass(frozen=True)
class _Section:
    key: str
    negated: bool
    children: tuple[Node, ...]


Node = str | _Replace | _Section
_TOKEN = re.compile(r"<!--.*?-->|\{\{(.*?)\}\}", re.DOTALL)
EMPTY_FIELD = re.compile(r"^(?:\s|</?(?:br|div) ?/?>)*$", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_FURIGANA = re.compile(r" ?([^ >]+?)\[(.+?)\]")
ANSWER_RULE = re.compile(r"^.*<hr id=[\"']?answer[\"']?\s*/?>", re.IGNORECASE | re.DOTALL)


def parse(template: str) -> tuple[Node, ...]:
    """Parse a template leniently: an unmatched close is ignored, an unclosed section ends
    with the template (Anki shows an error card instead; recall keeps what it can)."""
    stack: list[tuple[str, bool, list[Node]]] = [("", False, [])]
    pos = 0
    for match in _TOKEN.finditer(template):
        if match.start() > pos:
            stack[-1][2].append(template[pos : match.start()])
        pos = match.end()
        handle = match.group(1)
        if handle is None:  # a comment: Anki keeps it, html_to_text drops it
            stack[-1][2].append(match.group(0))
            continue
        handle = handle.lstrip("{").strip()
        if len(handle) >= 2 and handle[0] in "#^":
            stack.append((handle[1:].strip(), handle[0] == "^", []))
        elif len(handle) >= 2 and handle[0] == "/":
            if len(stack) > 1 and stack[-1][0] == handle[1:].strip():
                key, negated, children = stack.pop()
                stack[-1][2].append(_Section(key, negated, tuple(children)))
        else:
            *filters, key = handle.split(":")
            stack[-1][2].append(_Replace(key, tuple(reversed(filters))))
    stack[-1][2].append(template[pos:])
    while len(stack) > 1:
        key, negated, children = stack.pop()
        stack[-1][2].append(_Section(key, negated, tuple(children)))
    return tuple(stack[0][2])


@dataclass
class Context:
    fields: dict[str, str]
    nonempty: set[str]
    cloze_ord: int  # card ord + 1
    front: str | None  # the rendered question, on the answer side


def render(nodes: Sequence[Node], context: Context) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Section):
            if (node.key in context.nonempty) != node.negated:
                out.append(render(node.children, context))
        elif node.key == "FrontSide":
            out.append(context.front or "")
        elif node.key in context.fields or not node.key:
            out.append(_filter(context.fields.get(node.key, ""), node, context))
    return "".join(out)


def _filter(text: str, node: _Replace, context: Context) -> str:
    filters = node.filters
    question = context.front is None
    if filters and filters[-1] == "type":  # a type-in box: recall shows the expected answer
        if question or filters[:1] == ("cloze",):
            return ""
        filters = ()
    for name in filters:
        if name == "text":
            text = _TAG.sub("", text)
        elif name in ("furigana", "kanji", "kana"):
            text = _ruby(text, name)
        elif name == "hint":
            text = _hint(text)
        elif name == "cloze":
            # the field with the asked deletion hidden, or revealed; empty if it has none
            shown = cloze.pieces(text, context.cloze_ord, asking=question)
            text = "".join(part for part, _ in shown)
        elif name == "cloze-only":
            text = cloze.deletions(text, context.cloze_ord)
        # other filters (tts, add-ons' own) keep the text, as Anki does for unknown ones
    return text


def _hint(field: str) -> str:
    """The hint's HTML: a block holding :func:`~recall1924.deck.hint_line`, so that the card's
    text has it on a line of its own, whole (its own HTML already made one line of text)."""
    text = html_to_text(field)
    if not text:
        return field
    return f"<div>{html.escape(hint_line(text), quote=False)}</div>"


def _ruby(text: str, name: str) -> str:
    def replace(match: re.Match[str]) -> str:
        base, reading = match.group(1), match.group(2)
        if reading.startswith("sound:"):
            return match.group(0)
        return {"kanji": base, "kana": reading}.get(name, f"{base}({reading})")

    return _FURIGANA.sub(replace, text.replace("&nbsp;", " "))


def is_empty(nodes: Sequence[Node], nonempty: set[str]) -> bool:
    """Anki's ``template_is_empty``: no non-empty field is reached (a front like that is an
    "empty card" Anki would not generate)."""
    for node in nodes:
        if isinstance(node, _Replace):
            if node.key in nonempty:
                return False
        elif isinstance(node, _Section):
            if node.negated == (node.key in nonempty):
                continue
            if not is_empty(node.children, nonempty):
                return False
    return True
