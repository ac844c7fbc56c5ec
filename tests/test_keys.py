"""The key decoder, driven by a table of what real terminals send, whole and split across reads;
the terminal and pipe key sources over real file descriptors."""

from __future__ import annotations

import io
import os
import pty
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import collection_sql
from recall1924.review import Action
from recall1924.ui.bindings import BOUND
from recall1924.ui.keys import KeyDecoder
from recall1924.ui.terminal import StreamKeys, TerminalKeys

# (bytes, keys, where the sequence comes from). Every form the key reader once misread as a
# rating or as q is here.
SEQUENCES: list[tuple[bytes, list[str], str]] = [
    # Arrows: normal (CSI) and application cursor (SS3) mode, with modifiers.
    (b"\x1b[A", ["up"], "xterm"),
    (b"\x1b[B", ["down"], "xterm"),
    (b"\x1b[C", ["right"], "xterm"),
    (b"\x1b[D", ["left"], "xterm"),
    (b"\x1bOA", ["up"], "xterm application mode / vt100"),
    (b"\x1bOB", ["down"], "vt100"),
    (b"\x1b[1;5A", ["ctrl+up"], "xterm"),
    (b"\x1b[1;2B", ["shift+down"], "xterm"),
    (b"\x1b[1;3C", ["alt+right"], "xterm"),
    (b"\x1b[a", ["shift+up"], "rxvt"),
    (b"\x1bOd", ["ctrl+left"], "rxvt"),
    (b"\x1b\x1b[A", ["alt+up"], "rxvt"),
    # Home / End in every form.
    (b"\x1b[H", ["home"], "xterm"),
    (b"\x1b[F", ["end"], "xterm"),
    (b"\x1bOH", ["home"], "xterm application mode"),
    (b"\x1bOF", ["end"], "xterm application mode"),
    (b"\x1b[1~", ["home"], "linux console, screen, tmux"),
    (b"\x1b[4~", ["end"], "linux console, screen, tmux"),
    (b"\x1b[7~", ["home"], "rxvt"),
    (b"\x1b[8~", ["end"], "rxvt"),
    (b"\x1b[1;5H", ["ctrl+home"], "xterm"),
    # Insert, Delete, PgUp, PgDn.
    (b"\x1b[2~", ["insert"], "vt220"),
    (b"\x1b[3~", ["delete"], "vt220"),
    (b"\x1b[5~", ["pgup"], "vt220"),
    (b"\x1b[6~", ["pgdn"], "vt220"),
    (b"\x1b[3;5~", ["ctrl+delete"], "xterm"),
    (b"\x1b[5;2~", ["shift+pgup"], "xterm"),
    (b"\x1b[2$", ["shift+insert"], "rxvt"),
    (b"\x1b[3^", ["ctrl+delete"], "rxvt"),
    (b"\x1b[6@", ["ctrl+shift+pgdn"], "rxvt"),
    # Function keys.
    (b"\x1bOP", ["f1"], "xterm, vt100"),
    (b"\x1bOQ", ["f2"], "xterm, vt100"),
    (b"\x1bOR", ["f3"], "xterm, vt100"),
    (b"\x1bOS", ["f4"], "xterm, vt100"),
    (b"\x1b[11~", ["f1"], "rxvt, vt220"),
    (b"\x1b[12~", ["f2"], "rxvt, vt220"),
    (b"\x1b[13~", ["f3"], "rxvt, vt220"),
    (b"\x1b[14~", ["f4"], "rxvt, vt220"),
    (b"\x1b[15~", ["f5"], "xterm"),
    (b"\x1b[17~", ["f6"], "xterm"),
    (b"\x1b[18~", ["f7"], "xterm"),
    (b"\x1b[19~", ["f8"], "xterm"),
    (b"\x1b[20~", ["f9"], "xterm"),
    (b"\x1b[21~", ["f10"], "xterm"),
    (b"\x1b[23~", ["f11"], "xterm"),
    (b"\x1b[24~", ["f12"], "xterm"),
    (b"\x1b[[A", ["f1"], "linux console"),
    (b"\x1b[[B", ["f2"], "linux console"),
    (b"\x1b[[E", ["f5"], "linux console"),
    (b"\x1b[1;5P", ["ctrl+f1"], "xterm"),
    (b"\x1b[1;2Q", ["shift+f2"], "xterm"),
    (b"\x1bO2R", ["shift+f3"], "old xterm"),
    (b"\x1b[15;2~", ["shift+f5"], "xterm"),
    (b"\x1b[24;5~", ["ctrl+f12"], "xterm"),
    (b"\x1b[11^", ["ctrl+f1"], "rxvt"),
    (b"\x1b[Z", ["shift+tab"], "xterm"),
    # Keypad in application mode: its own characters.
    (b"\x1bOq", ["1"], "vt100 application keypad"),
    (b"\x1bOM", ["enter"], "vt100 application keypad"),
    # Alt with a character, and Escape itself.
    (b"\x1bx", ["alt+x"], "xterm meta sends escape"),
    (b"\x1b3", ["alt+3"], "xterm meta sends escape"),
    (b"\x1bq", ["alt+q"], "xterm meta sends escape"),
    (b"\x1b\xc3\xa9", ["alt+é"], "xterm meta sends escape"),
    (b"\x1b\r", ["alt+enter"], "xterm"),
    (b"\x1b\x03", ["esc", "ctrl+c"], "Escape then Ctrl-C: still Ctrl-C"),
    # Bracketed paste: one key, whatever it held.
    (b"\x1b[200~1 2 3 q\x1b[201~", ["paste"], "xterm bracketed paste"),
    (b"\x1b[200~\x1b[3~\x03\x1b[201~4", ["paste", "4"], "paste, then a key"),
    # Plain keys, control keys and UTF-8.
    (b" 3q?", [" ", "3", "q", "?"], "plain"),
    (b"\r\n\t\x7f\x08", ["enter", "enter", "tab", "backspace", "backspace"], "control"),
    (b"\x03\x04\x01", ["ctrl+c", "ctrl+d", "ctrl+a"], "control"),
    ("é€😀".encode(), ["é", "€", "😀"], "UTF-8"),
    # What no table knows is one "unknown", and nothing after it is lost.
    (b"\x1b[99~3", ["unknown", "3"], "unknown tilde key"),
    (b"\x1b[27;5;13~", ["unknown"], "xterm modifyOtherKeys"),
    (b"\x1b[<0;12;5M3", ["unknown", "3"], "SGR mouse report"),
    (b"\x1b[M !!3", ["unknown", "3"], "X10 mouse report"),
    (b"\x1b[I\x1b[O", ["unknown", "unknown"], "focus in and out"),
    (b"\xff\x80q", ["unknown", "unknown", "q"], "invalid UTF-8"),
]


def decode(data: bytes, *, split: int | None = None) -> list[str]:
    """Keys in ``data`` fed whole, or in reads of ``split`` bytes, then flushed."""
    decoder = KeyDecoder()
    size = split or len(data) or 1
    keys: list[str] = []
    for start in range(0, len(data), size):
        keys += decoder.feed(data[start : start + size])
    return keys + decoder.flush()


@pytest.mark.parametrize(("data", "keys"), [(data, keys) for data, keys, _ in SEQUENCES], ids=repr)
def test_real_sequences_decode_to_named_keys(data: bytes, keys: list[str]) -> None:
    assert decode(data) == keys


@pytest.mark.parametrize(("data", "keys"), [(data, keys) for data, keys, _ in SEQUENCES], ids=repr)
def test_a_sequence_split_across_reads_decodes_the_same(data: bytes, keys: list[str]) -> None:
    assert decode(data, split=1) == keys
    assert decode(data, split=2) == keys
    # A sequence cut short waits for its rest rather than giving up early.
    decoder = KeyDecoder()
    head = decoder.feed(data[:-1])
    assert head + decoder.feed(data[-1:]) + decoder.flush() == keys


def test_no_special_key_does_anything_to_a_session() -> None:
    # Each key the old byte-at-a-time reader misread (Delete as Good, F5 as Again, F2 as quit)
    # and every other special key: none is bound to a session action.
    special = [
        keys[0]
        for data, keys, source in SEQUENCES
        if data.startswith(b"\x1b") and len(keys) == 1 and "keypad" not in source
    ]
    assert {"delete", "insert", "f5", "f2", "home", "end", "paste"} <= set(special)
    assert [key for key in special if isinstance(BOUND.get(key), Action)] == []


def test_escape_alone_waits_then_is_escape() -> None:
    decoder = KeyDecoder()
    assert decoder.wait() is None
    assert decoder.feed(b"\x1b") == []
    assert decoder.wait() == pytest.approx(0.05)
    assert decoder.flush() == ["esc"]
    assert decoder.wait() is None
    assert decoder.feed(b"\x1b[") == [] and decoder.flush() == ["alt+["]
    assert decoder.feed(b"\x1b[1;5") == [] and decoder.flush() == ["unknown"]
    assert decoder.feed(b"\x1b\x1b") == [] and decoder.flush() == ["esc", "esc"]


def test_a_paste_is_swallowed_whatever_its_size_and_however_it_is_split() -> None:
    decoder = KeyDecoder()
    keys = decoder.feed(b"\x1b[200~")
    for _ in range(1000):
        keys += decoder.feed(b"3 1 q \x1b[3~" * 100)
    assert decoder.wait() == pytest.approx(0.5)
    keys += decoder.feed(b"\x1b[20") + decoder.feed(b"1~") + decoder.feed(b"2")
    assert keys == ["paste", "2"]
    # A paste whose end marker never comes ends when the paste pauses.
    assert decoder.feed(b"\x1b[200~3 3") == []
    assert decoder.flush() == ["paste"]
    assert decoder.feed(b"3") == ["3"]


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: (the side a user types into, the side recall reads)."""
    user, recall = pty.openpty()
    yield user, recall
    os.close(user)
    os.close(recall)


def test_terminal_keys_read_whole_sequences_from_a_terminal(terminal: tuple[int, int]) -> None:
    user, recall = terminal
    with TerminalKeys(recall) as keys:
        os.write(user, b"\x1b[3~\x1b[15~\x1bOQ\x1b[200~3 3\x1b[201~" + " 3é".encode())
        read = [keys.read() for _ in range(7)]
        assert read == ["delete", "f5", "f2", "paste", " ", "3", "é"]
        started = time.monotonic()
        os.write(user, b"\x1b")
        assert keys.read() == "esc"  # after a short wait for more
        assert time.monotonic() - started < 1
        os.write(user, b"\x1b[")
        os.write(user, b"6~")  # written in two parts: still one key
        assert keys.read() == "pgdn"


def test_terminal_keys_read_a_resize_as_a_key_while_active(terminal: tuple[int, int]) -> None:
    _user, recall = terminal
    before = signal.getsignal(signal.SIGWINCH)
    with TerminalKeys(recall) as keys:
        os.kill(os.getpid(), signal.SIGWINCH)
        assert keys.read() == "resize"
    assert signal.getsignal(signal.SIGWINCH) is before


def test_stream_keys_decode_a_pipe_and_end_with_eof() -> None:
    keys = StreamKeys(io.BytesIO(b" 3\n\x1b[3~ 1\r\nq"))
    assert [keys.read() for _ in range(7)] == [" ", "3", "delete", " ", "1", "q", "eof"]
    assert keys.read() == "eof"
    text = StreamKeys(io.StringIO(" é\x1b[15~"))
    assert [text.read() for _ in range(4)] == [" ", "é", "f5", "eof"]


def test_a_pipe_that_ends_ends_the_session_with_its_summary(db_path: Path) -> None:
    # Delete and F5 from a pipe are decoded as at a terminal (byte by byte, Delete was Good and
    # F5 Again); then the input ends, and so does the session.
    result = subprocess.run(
        [sys.executable, "-m", "recall1924", "review", "--section", "trotsky"],
        input=b" \x1b[3~\x1b[15~4 ",
        capture_output=True,
        env={**os.environ, "RECALL_NOW": "2026-11-27T09:00:00+00:00"},
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert b"Session: 1 answer on 1 card" in result.stdout
    assert b"Traceback" not in result.stderr
    with collection_sql.connect(db_path) as conn:
        assert conn.execute("SELECT rating FROM review_log").fetchall() == [(4,)]
