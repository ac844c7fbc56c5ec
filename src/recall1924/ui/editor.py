"""The small editor a typed answer is written in: text and a cursor, edited by keys, wrapped
into rows for the screen. It reads no keys and draws nothing itself, so its tests need no
terminal; :mod:`recall1924.ui.review` feeds it keys and places its rows."""

from __future__ import annotations

from enum import Enum

from rich.cells import cell_len
from rich.text import Text

from recall1924.typed import MAX_TYPED


class Edit(Enum):
    """What a key does to the typed answer."""

    SUBMIT = "submit"
    NEWLINE = "newline"
    BACKSPACE = "backspace"
    DELETE = "delete"
    LEFT = "left"
    RIGHT = "right"
    UP = "up"
    DOWN = "down"
    LINE_START = "line start"
    LINE_END = "line end"
    CLEAR_LINE = "clear line"


class Editor:
    """A typed answer being written: its text and a cursor (an index into the text).

    Pure, so its tests need no terminal. Lines are wrapped by character to the width shown.
    """

    def __init__(self, text: str = "") -> None:
        self.text = ""
        self.cursor = 0
        self.insert(text)

    def insert(self, text: str) -> None:
        """Put ``text`` at the cursor (control characters but newlines dropped)."""
        clean = "".join(char for char in text if char == "\n" or char.isprintable())
        clean = clean[: max(0, MAX_TYPED - len(self.text))]
        self.text = self.text[: self.cursor] + clean + self.text[self.cursor :]
        self.cursor += len(clean)

    def edit(self, edit: Edit) -> None:
        """Do ``edit`` (all but :attr:`Edit.SUBMIT`, which is the screen's)."""
        start = self.text.rfind("\n", 0, self.cursor) + 1
        end = self.text.find("\n", self.cursor)
        end = len(self.text) if end < 0 else end
        if edit is Edit.NEWLINE:
            self.insert("\n")
        elif edit is Edit.BACKSPACE and self.cursor > 0:
            self.text = self.text[: self.cursor - 1] + self.text[self.cursor :]
            self.cursor -= 1
        elif edit is Edit.DELETE:
            self.text = self.text[: self.cursor] + self.text[self.cursor + 1 :]
        elif edit is Edit.LEFT:
            self.cursor = max(0, self.cursor - 1)
        elif edit is Edit.RIGHT:
            self.cursor = min(len(self.text), self.cursor + 1)
        elif edit is Edit.LINE_START:
            self.cursor = start
        elif edit is Edit.LINE_END:
            self.cursor = end
        elif edit is Edit.CLEAR_LINE:
            self.text = self.text[:start] + self.text[self.cursor :]
            self.cursor = start
        elif edit is Edit.UP and start > 0:
            above = self.text.rfind("\n", 0, start - 1) + 1
            self.cursor = min(above + self.cursor - start, start - 1)
        elif edit is Edit.DOWN and end < len(self.text):
            below_end = self.text.find("\n", end + 1)
            below_end = len(self.text) if below_end < 0 else below_end
            self.cursor = min(end + 1 + self.cursor - start, below_end)

    def rows(self, width: int) -> tuple[list[Text], int]:
        """The text wrapped to ``width`` cells (at spaces where it can) with the cursor shown,
        and the row it is on."""
        width = max(2, width)
        rows: list[Text] = []
        cursor_row = 0
        offset = 0
        for line in self.text.split("\n"):
            chunks: list[tuple[int, str]] = []
            chunk, used, begin = "", 0, offset
            for char in line:
                cells = cell_len(char)
                if used + cells > width - 1 and chunk:  # a cell spare for the cursor
                    # Break after the row's last space, if it has one, so words stay whole.
                    space = chunk.rfind(" ") + 1
                    cut = space if 0 < space < len(chunk) else len(chunk)
                    chunks.append((begin, chunk[:cut]))
                    chunk, begin = chunk[cut:], begin + cut
                    used = cell_len(chunk)
                chunk += char
                used += cells
            chunks.append((begin, chunk))
            for begin, chunk in chunks:
                row = Text(chunk)
                at = self.cursor - begin
                last = begin + len(chunk) == offset + len(line)
                if 0 <= at < len(chunk) or (at == len(chunk) and last):
                    cursor_row = len(rows)
                    if at < len(chunk):
                        row.stylize("reverse", at, at + 1)
                    else:
                        row.append(" ", style="reverse")
                rows.append(row)
            offset += len(line) + 1
        return rows, cursor_row

    def view(self, width: int, height: int) -> list[Text]:
        """At most ``height`` rows of the wrapped text, always with the cursor's."""
        rows, at = self.rows(width)
        height = max(1, height)
        top = max(0, min(at - height + 1, len(rows) - height))
        top = min(top, at)
        return rows[top : top + height]
