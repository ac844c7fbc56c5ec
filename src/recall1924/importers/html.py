"""Card fields written in HTML (Anki's, and CSV exports with ``#html:true``) as terminal text.

Holds :func:`html_to_text`. The layout work (line breaks, block elements, lists, tables, entities
and ``&nbsp;``) is inscriptis's, on an lxml tree; before that, the tree is changed so that what a
terminal cannot show still says it is there: ``<img>`` becomes ``[image: name]``, bold and
italic become ``*emphasis*``. Anki's own ``[sound:name]`` tags become ``[sound: name]``; LaTeX
and MathJax (``\\(…\\)``, ``[$]…[/$]``) are kept as their source.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# Anki's sound tag is Anki syntax in the field text, not HTML: Anki itself finds it this way.
_SOUND = re.compile(r"\[sound:([^\]]*)\]")
_EMPHASIS = ("b", "strong", "i", "em")


@cache
def _config() -> Any:
    from inscriptis.css_profiles import CSS_PROFILES
    from inscriptis.model.config import ParserConfig

    return ParserConfig(css=CSS_PROFILES["strict"])


def _mark(element: Any, text: str) -> None:
    """Replace ``element`` by plain ``text`` in the tree, keeping what follows it."""
    element.tag = "span"
    element.attrib.clear()
    for child in list(element):
        element.remove(child)
    element.text = text


def html_to_text(html: str) -> str:
    """Readable text for an HTML card field (empty for an empty field)."""
    if not html.strip():
        return ""
    if "<" not in html and "&" not in html:
        return _SOUND.sub(r"[sound: \1]", html).strip()
    import lxml.html
    from inscriptis import Inscriptis

    try:
        tree = lxml.html.fragment_fromstring(html, create_parent="div")
    except Exception:  # lxml refuses some fragments (only a comment, say): show the source
        return html.strip()
    for image in list(tree.iter("img")):
        name = image.get("src") or image.get("alt") or "?"
        _mark(image, f"[image: {name}]")
    for tag in _EMPHASIS:
        for element in tree.iter(tag):
            if (element.text or "").strip() or len(element):
                element.text = "*" + (element.text or "")
                if len(element):
                    last = element[-1]
                    last.tail = (last.tail or "") + "*"
                else:
                    element.text += "*"
    text = Inscriptis(tree, _config()).get_text()
    lines = [line.rstrip() for line in text.splitlines()]
    return _SOUND.sub(r"[sound: \1]", "\n".join(lines)).strip()
