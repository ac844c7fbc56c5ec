"""Keys decoded from bytes into names: pure, with no terminal, signal or read in it.

Holds :class:`KeyDecoder` (bytes in, key names out; pure, so a table of real sequences drives
its tests), :class:`Paste` (a bracketed paste as one key, with its text) and the
:class:`KeySource` protocol the review screen reads keys through. The sources themselves
(raw mode, signals, reads from a terminal or a pipe) are in :mod:`recall1924.ui.terminal`.

Key names: a printable character is itself (``"3"``, ``"q"``, ``" "``, ``"é"``); other keys
are named: ``"enter"``, ``"tab"``, ``"backspace"``, ``"esc"``, ``"ctrl+c"``, ``"up"``,
``"pgdn"``, ``"home"``, ``"insert"``, ``"delete"``, ``"f5"``, with modifiers in front
(``"ctrl+f5"``, ``"shift+up"``, ``"alt+x"``). A bracketed paste is one ``"paste"``, whatever
it held (a :class:`Paste`, which also carries the text, for a screen where one types);
``"eof"`` is the end of input, ``"resize"`` a changed terminal size and ``"unknown"`` a
sequence no table here knows. Names are only ever compared with the keys a
screen binds, so a key nobody binds does nothing.
"""

from __future__ import annotations

from typing import Protocol

ESC_WAIT = 0.05
"""How long to wait for the rest of an escape sequence before taking ESC as a key."""

PASTE_WAIT = 0.5
"""How long a bracketed paste may pause before it counts as ended (its end marker lost)."""

PASTE_KEEP = 64 * 1024
"""The most bytes of one paste kept as its text (the rest is dropped, however long it is)."""

ESC = 0x1B
PASTE_START = b"\x1b[200~"
PASTE_END = b"\x1b[201~"

# CSI n ~ (xterm, VT220, rxvt, linux console).
_TILDE = {
    1: "home",
    2: "insert",
    3: "delete",
    4: "end",
    5: "pgup",
    6: "pgdn",
    7: "home",
    8: "end",
    11: "f1",
    12: "f2",
    13: "f3",
    14: "f4",
    15: "f5",
    17: "f6",
    18: "f7",
    19: "f8",
    20: "f9",
    21: "f10",
    23: "f11",
    24: "f12",
}
# CSI [mods] X and SS3 X.
_FINAL = {
    "A": "up",
    "B": "down",
    "C": "right",
    "D": "left",
    "E": "begin",
    "F": "end",
    "H": "home",
    "P": "f1",
    "Q": "f2",
    "R": "f3",
    "S": "f4",
    "Z": "shift+tab",
}
# rxvt: shifted arrows as CSI a-d, control arrows as SS3 a-d.
_RXVT_SHIFT = {"a": "shift+up", "b": "shift+down", "c": "shift+right", "d": "shift+left"}
_RXVT_CTRL = {"a": "ctrl+up", "b": "ctrl+down", "c": "ctrl+right", "d": "ctrl+left"}
# rxvt marks modifiers on CSI n ~ keys by the final byte instead.
_RXVT_FINAL_MODS = {"$": "shift+", "^": "ctrl+", "@": "ctrl+shift+"}
# The linux console's F1-F5: CSI [ A-E.
_LINUX_F = {"A": "f1", "B": "f2", "C": "f3", "D": "f4", "E": "f5"}
# The application keypad (SS3 j-y, M, X): the key's own character.
_KEYPAD = {**{chr(ord("p") + n): str(n) for n in range(10)}, "j": "*", "k": "+", "l": ","}
_KEYPAD.update({"m": "-", "n": ".", "o": "/", "X": "=", "M": "enter"})
_CONTROL = {0x00: "ctrl+space", 0x08: "backspace", 0x09: "tab", 0x0A: "enter", 0x0D: "enter"}
_CONTROL.update({0x1B: "esc", 0x1C: "ctrl+\\", 0x1D: "ctrl+]", 0x1E: "ctrl+^", 0x1F: "ctrl+_"})
_CONTROL[0x7F] = "backspace"


class Paste(str):
    """The key ``"paste"`` (equal to that name wherever keys are compared), with the pasted
    text: newlines as ``\n``, tabs as spaces, every other control character dropped."""

    text: str

    def __new__(cls, data: bytes = b"") -> Paste:
        key = super().__new__(cls, "paste")
        text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
        text = text.replace("\t", " ")
        key.text = "".join(char for char in text if char == "\n" or char.isprintable())
        return key


def _modifiers(param: str) -> str:
    """``"ctrl+shift+"`` for xterm's modifier parameter (1 + shift 1, alt 2, ctrl 4, meta 8)."""
    if not param.isdigit() or int(param) < 2:
        return ""
    bits = int(param) - 1
    names = [("ctrl", 4), ("alt", 2), ("shift", 1), ("meta", 8)]
    return "".join(f"{name}+" for name, bit in names if bits & bit)


def _control_name(byte: int) -> str:
    if byte in _CONTROL:
        return _CONTROL[byte]
    return f"ctrl+{chr(byte + 0x60)}"  # 0x01 is Ctrl-A, 0x03 Ctrl-C


def _utf8_length(lead: int) -> int:
    """Bytes in the UTF-8 character that starts with ``lead`` (0: not a lead byte)."""
    if lead < 0x80:
        return 1
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


class KeyDecoder:
    """Turns bytes typed at a terminal into key names, however the bytes are split into reads.

    :meth:`feed` returns the keys completed so far and keeps an unfinished sequence;
    :meth:`wait` says how long to wait for its rest; when that time passes with nothing more,
    :meth:`flush` settles it (a lone ESC is the Escape key, ESC then ``x`` is Alt-x).
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._in_paste = False
        self._pasted = bytearray()

    def wait(self) -> float | None:
        """Seconds to wait for the rest of an unfinished sequence; None when nothing is
        unfinished."""
        if self._in_paste:
            return PASTE_WAIT
        return ESC_WAIT if self._buffer else None

    def feed(self, data: bytes) -> list[str]:
        """The keys that ``data`` completes."""
        self._buffer += data
        return self._decode(final=False)

    def flush(self) -> list[str]:
        """The keys in what is left, taking nothing more to come."""
        keys = self._decode(final=True)
        if self._in_paste:
            self._in_paste = False
            self._keep(self._buffer)
            self._buffer = b""
            keys.append(self._paste())
        return keys

    def _keep(self, data: bytes) -> None:
        room = PASTE_KEEP - len(self._pasted)
        if room > 0:
            self._pasted += data[:room]

    def _paste(self) -> Paste:
        key = Paste(bytes(self._pasted))
        self._pasted = bytearray()
        return key

    def _decode(self, *, final: bool) -> list[str]:
        keys: list[str] = []
        while self._buffer:
            if self._in_paste:
                if not self._swallow_paste():
                    break
                keys.append(self._paste())
                continue
            key, used = self._next(self._buffer, final=final)
            if used == 0:
                break
            self._buffer = self._buffer[used:]
            if key == "paste-start":
                self._in_paste = True
            elif key:
                keys.append(key)
        return keys

    def _swallow_paste(self) -> bool:
        """Take pasted bytes (keeping the first :data:`PASTE_KEEP` as its text); True once the
        paste's end marker has been seen."""
        end = self._buffer.find(PASTE_END)
        if end >= 0:
            self._keep(self._buffer[:end])
            self._buffer = self._buffer[end + len(PASTE_END) :]
            self._in_paste = False
            return True
        # Keep only what may be the start of an end marker split across reads.
        keep = next(
            (n for n in range(len(PASTE_END) - 1, 0, -1) if self._buffer.endswith(PASTE_END[:n])),
            0,
        )
        self._keep(self._buffer[: len(self._buffer) - keep])
        self._buffer = self._buffer[len(self._buffer) - keep :] if keep else b""
        return False

    def _next(self, data: bytes, *, final: bool) -> tuple[str, int]:
        """The key at the start of ``data`` and the bytes it takes; (_, 0) when ``data``
        holds only the start of one."""
        lead = data[0]
        if lead == ESC:
            return self._escape(data, final=final)
        if lead < 0x20 or lead == 0x7F:
            return _control_name(lead), 1
        length = _utf8_length(lead)
        if length == 0:
            return "unknown", 1  # a stray continuation byte
        if len(data) < length:
            return ("unknown", len(data)) if final else ("", 0)
        try:
            return data[:length].decode("utf-8"), length
        except UnicodeDecodeError:
            return "unknown", 1

    def _escape(self, data: bytes, *, final: bool) -> tuple[str, int]:
        if len(data) == 1:
            return ("esc", 1) if final else ("", 0)
        second = data[1]
        if second in (ord("["), ord("O")):
            key, used = (self._csi if second == ord("[") else self._ss3)(data, final=final)
            if used == 0 and final:
                # ESC [ or ESC O with nothing after it was Alt-[ or Alt-O; a sequence cut
                # short is nothing anyone meant.
                return ("alt+" + chr(second), 2) if len(data) == 2 else ("unknown", len(data))
            return key, used
        if second == ESC:
            # ESC ESC [ A: rxvt's Alt with a special key; otherwise ESC was pressed twice.
            if len(data) == 2:
                return ("esc", 1) if final else ("", 0)
            if data[2] in (ord("["), ord("O")):
                key, used = self._escape(data[1:], final=final)
                if used == 0:
                    return "", 0
                plain = key in ("unknown", "paste-start")
                return (key if plain else "alt+" + key), used + 1
            return "esc", 1
        if second in (0x03, 0x04):
            return "esc", 1  # so that Ctrl-C or Ctrl-D just after Escape still ends the session
        key, used = self._next(data[1:], final=final)
        if used == 0:
            return "", 0
        if key == "unknown":
            return key, used + 1
        return "alt+" + key, used + 1

    def _csi(self, data: bytes, *, final: bool) -> tuple[str, int]:
        # ESC [ params intermediates final, where rxvt also ends a sequence with $.
        if len(data) > 2 and data[2] == ord("["):  # linux console F1-F5: ESC [ [ A
            if len(data) < 4:
                return "", 0
            return _LINUX_F.get(chr(data[3]), "unknown"), 4
        end = 2
        while end < len(data) and 0x30 <= data[end] <= 0x3F:
            end += 1
        if end < len(data) and data[end] == ord("$") and end > 2:
            end += 1
            params = data[2 : end - 1].decode("ascii")
            return self._tilde(params, "$"), end
        while end < len(data) and 0x20 <= data[end] <= 0x2F:
            end += 1
        if end >= len(data):
            return "", 0
        last = data[end]
        if not 0x40 <= last <= 0x7E:
            return "unknown", end  # not a sequence: drop what was read of it
        params = data[2:end].decode("ascii", "replace")
        final_char = chr(last)
        used = end + 1
        if params == "200" and final_char == "~":
            return "paste-start", used
        if final_char == "M" and not params:  # an X10 mouse report: three raw bytes follow
            if len(data) < used + 3:
                return ("unknown", len(data)) if final else ("", 0)
            return "unknown", used + 3
        if final_char in ("~", "^", "@"):
            return self._tilde(params, final_char), used
        if final_char in _RXVT_SHIFT and not params:
            return _RXVT_SHIFT[final_char], used
        if final_char in _FINAL and not params.startswith(("?", "<", ">", "=")):
            fields = params.split(";")
            if len(fields) > 2 or (fields[0] not in ("", "1") and len(fields) == 2):
                return "unknown", used
            mods = _modifiers(fields[1]) if len(fields) == 2 else ""
            return mods + _FINAL[final_char], used
        return "unknown", used

    @staticmethod
    def _tilde(params: str, final_char: str) -> str:
        fields = params.split(";")
        if not fields[0].isdigit() or len(fields) > 2 or int(fields[0]) not in _TILDE:
            return "unknown"
        mods = _modifiers(fields[1]) if len(fields) == 2 else ""
        if final_char != "~":
            mods = _RXVT_FINAL_MODS[final_char]
        return mods + _TILDE[int(fields[0])]

    def _ss3(self, data: bytes, *, final: bool) -> tuple[str, int]:
        # ESC O X; some terminals put a modifier between (ESC O 5 P).
        end = 2
        while end < len(data) and (data[end] in b"0123456789;"):
            end += 1
        if end >= len(data):
            return "", 0
        mods = _modifiers(data[2:end].decode("ascii").split(";")[-1])
        char = chr(data[end])
        used = end + 1
        if char in _RXVT_CTRL and not mods:
            return _RXVT_CTRL[char], used
        if char in _KEYPAD and not mods:
            return _KEYPAD[char], used
        if char in _FINAL and char != "Z":
            return mods + _FINAL[char], used
        return "unknown", used


class KeySource(Protocol):
    """Where keypresses come from."""

    def read(self) -> str:
        """The next key's name (``"eof"`` at the end of input)."""
        ...
