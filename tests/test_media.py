"""Media: a package's images and sounds stored once beside the database, hostile packages
refused with nothing written, the review key that opens a card's file, and pictures drawn only
where the environment says the terminal can."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from rich.console import Console
from rich.segment import ControlType, Segment
from typer.testing import CliRunner

import collection_sql
from conftest import NOW
from recall1924.clock import FixedClock
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.errors import DeckFileError
from recall1924.importers import read_decks
from recall1924.importing import import_deck, import_decks
from recall1924.media import (
    CardMedia,
    MediaFile,
    anki_field,
    apkg_media,
    files_for,
    import_media,
    references,
    stored_name,
)
from recall1924.review import Action, ReviewSession, scheduled_session
from recall1924.scheduling import build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store, StoredMedia
from recall1924.ui.bindings import KEYS, View
from recall1924.ui.media import ScreenMedia, graphics, open_file, opener, without_controls
from recall1924.ui.review import ReviewScreen, TerminalReviewUI


def png(width: int = 4, height: int = 2, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG of one colour, made without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(colour) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


HEART = png()
BEAT = b"ID3\x03\x00 not really a sound"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def one_card(key: str, question: str = "q", answer: str = "a") -> DeckSpec:
    """Deck ``key`` of one card."""
    return DeckSpec(key, key.title(), (SectionSpec("s", "S", (CardSpec("a", question, answer),)),))


@pytest.fixture
def anki_package(tmp_path: Path) -> Iterator[Path]:
    """Builds packages with media through the official backend: ``build(legacy)``."""
    pytest.importorskip("anki")
    yield tmp_path


def build(folder: Path, *, legacy: bool, name: str = "anatomy.apkg") -> Path:
    """Two decks naming one picture, one of them a sound and a file the package lacks."""
    from anki.collection import ExportAnkiPackageOptions

    from anki_fixtures import BASIC, anki_collection

    with anki_collection(folder / f"anki-{name}-{legacy}") as anki:
        assert anki.col.media.write_data("heart.png", HEART) == "heart.png"
        anki.col.media.write_data("beat.mp3", BEAT)
        heart = ['<img src="heart.png"> Which organ?', "Heart [sound:beat.mp3]"]
        anki.add(BASIC, heart, deck="Anatomy")
        anki.add(BASIC, ['<img src="heart.png"> Painted by?', '<img src="gone.jpg">'], deck="Art")
        target = folder / name
        anki.col.export_anki_package(
            out_path=str(target),
            options=ExportAnkiPackageOptions(
                with_scheduling=True, with_deck_configs=False, with_media=True, legacy=legacy
            ),
            limit=None,
        )
    return target


def import_with_media(store: Store, path: Path) -> str | None:
    """What ``recall import`` does with a package's media (see the report for the CLI call)."""
    read = read_decks(path)
    import_decks(store, read.decks, now=NOW)
    return import_media(store, path, read.decks).notice()


def stored_files(folder: Path) -> list[str]:
    """The files in the media folder, without its lock file."""
    return sorted(path.name for path in folder.iterdir() if path.name != ".lock")


def media_rows(db_path: Path) -> list[tuple[str, str, str, int]]:
    with collection_sql.connect(db_path) as connection:
        return connection.execute(
            "SELECT deck.key, media.name, media.file, media.size FROM media "
            "JOIN deck ON deck.id = media.deck_id ORDER BY deck.key, media.name"
        ).fetchall()


# Extracting
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b-zstd", "anki21-json"])
def test_a_packages_media_are_stored_once_by_content(
    anki_package: Path, store: Store, db_path: Path, legacy: bool
) -> None:
    package = build(anki_package, legacy=legacy)

    notice = import_with_media(store, package)

    folder = collection_sql.media_folder(db_path)
    heart, beat = f"{sha(HEART)}.png", f"{sha(BEAT)}.mp3"
    assert stored_files(folder) == sorted([heart, beat])
    assert (folder / heart).read_bytes() == HEART and (folder / beat).read_bytes() == BEAT
    # one copy, named by two decks
    assert media_rows(db_path) == [
        ("anatomy", "beat.mp3", beat, len(BEAT)),
        ("anatomy", "heart.png", heart, len(HEART)),
        ("art", "heart.png", heart, len(HEART)),
    ]
    assert notice == (
        "Media: 2 files for the cards; 1 file the cards name is not in the package (gone.jpg)"
    )


def test_the_same_file_from_another_package_is_not_stored_again(
    anki_package: Path, store: Store, db_path: Path
) -> None:
    import_with_media(store, build(anki_package, legacy=False))
    before = stored_files(collection_sql.media_folder(db_path))

    notice = import_with_media(store, build(anki_package, legacy=True, name="again.apkg"))

    assert stored_files(collection_sql.media_folder(db_path)) == before
    assert notice is not None and "2 already in the collection" in notice
    assert len(media_rows(db_path)) == 3


@pytest.mark.sqlite_only  # counts the writes with a SQLite trigger
def test_an_unchanged_reimport_rewrites_no_media_row(store: Store, db_path: Path) -> None:
    path = legacy_package(db_path.parent / "one.apkg", {"x.png": HEART}, question="[image: x.png]")
    import_with_media(store, path)
    with collection_sql.connect(db_path) as connection:  # counts the rows written from now on
        connection.execute("CREATE TABLE written (n INTEGER)")
        for event in ("INSERT", "DELETE"):
            connection.execute(
                f"CREATE TRIGGER media_{event} AFTER {event} ON media "
                "BEGIN INSERT INTO written VALUES (1); END"
            )

    import_with_media(store, path)

    with collection_sql.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM written").fetchone() == (0,)
    assert len(media_rows(db_path)) == 1


def test_the_same_name_in_two_decks_can_be_two_pictures(store: Store, db_path: Path) -> None:
    other = png(colour=(0, 0, 255))
    for deck, data in (("left", HEART), ("right", other)):
        path = db_path.parent / f"{deck}.apkg"
        legacy_package(path, {"1.png": data}, question="[image: 1.png]", deck=deck)
        read = read_decks(path)
        import_decks(store, read.decks, now=NOW)
        import_media(store, path, read.decks)

    files = {deck: file for deck, _name, file, _size in media_rows(db_path)}
    assert files == {"left": f"{sha(HEART)}.png", "right": f"{sha(other)}.png"}


def test_a_dry_run_and_a_refused_import_write_no_media(anki_package: Path, db_path: Path) -> None:
    from recall1924.cli import app

    package = build(anki_package, legacy=False)
    result = CliRunner().invoke(app, ["import", "--dry-run", str(package)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not (collection_sql.media_folder(db_path)).exists()

    hostile = hostile_package(db_path.parent / "hostile.apkg", "../../etc/x")
    result = CliRunner().invoke(app, ["import", str(hostile)], catch_exceptions=False)
    assert result.exit_code != 0
    assert not (collection_sql.media_folder(db_path)).exists()


def test_recall_import_brings_the_media(anki_package: Path, db_path: Path) -> None:
    from recall1924.cli import app

    package = build(anki_package, legacy=False)
    result = CliRunner().invoke(app, ["import", str(package)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Media: 2 files for the cards" in result.output
    assert (collection_sql.media_folder(db_path) / f"{sha(HEART)}.png").read_bytes() == HEART


# Hostile and damaged packages
# ---------------------------------------------------------------------------------------------


def legacy_package(
    path: Path,
    files: dict[str, bytes],
    *,
    question: str = "[image: x.png]",
    deck: str = "demo",
) -> Path:
    """A package in the legacy layout with one card, whose media are ``files`` (member
    ``n`` is the n-th file), built by hand so that its list can say anything."""
    from test_apkg import zip_with

    def collection() -> bytes:
        from recall1924.exporters.apkg import apkg_bytes

        with zipfile.ZipFile(
            io.BytesIO(apkg_bytes([one_card(deck, question)], now=NOW))
        ) as archive:
            return archive.read("collection.anki2")

    listing = {str(index): name for index, name in enumerate(files)}
    members = {"collection.anki2": collection(), "media": json.dumps(listing).encode()}
    members |= {str(index): data for index, data in enumerate(files.values())}
    return zip_with(path, members)


def hostile_package(path: Path, name: str) -> Path:
    return legacy_package(path, {name: HEART})


@pytest.mark.parametrize("name", ["../../etc/x", "/etc/x", "C:\\x.png", "a\x00b.png", "..", "a\nb"])
def test_a_hostile_media_name_is_refused_in_one_line_with_nothing_written(
    store: Store, db_path: Path, name: str
) -> None:
    path = hostile_package(db_path.parent / "hostile.apkg", name)

    with pytest.raises(DeckFileError) as caught:
        read_decks(path)
    [problem] = caught.value.problems
    assert f"media name {name!r} leaves the media folder" in problem and "\n" not in problem
    # and the media step alone refuses it too, writing nothing
    report = import_media(store, path, [one_card("demo")])
    assert report.linked == 0 and not (collection_sql.media_folder(db_path)).exists()
    report = import_media(store, path, [one_card("demo", f"[image: {name}]")])
    if "\n" not in name:  # card text cannot name a file across lines
        assert report.problem is not None and "leaves the media folder" in report.problem
    assert not (collection_sql.media_folder(db_path)).exists()
    assert not list(db_path.parent.glob("**/.incoming-*"))


def test_a_media_size_bomb_is_refused_before_inflating(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_apkg import declare_size

    path = legacy_package(db_path.parent / "bomb.apkg", {"x.png": HEART})
    declare_size(path, "0", 0xFFFF_0000)

    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("inflated"))
    with pytest.raises(DeckFileError) as caught:
        read_decks(path)
    [problem] = caught.value.problems
    assert "refused" in problem and "2 GB" in problem


def test_a_current_media_list_declaring_a_huge_file_is_refused(tmp_path: Path) -> None:
    import zstandard

    name = b"x.png"
    size = 3 * 1024**3
    varint = bytearray()
    while True:
        byte, size = size & 0x7F, size >> 7
        varint.append(byte | (0x80 if size else 0))
        if not size:
            break
    entry = b"\x0a" + bytes([len(name)]) + name + b"\x10" + bytes(varint)
    entries = b"\x0a" + bytes([len(entry)]) + entry
    path = tmp_path / "huge.apkg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("collection.anki21b", zstandard.ZstdCompressor().compress(b""))
        archive.writestr("media", zstandard.ZstdCompressor().compress(entries))
        archive.writestr("0", zstandard.ZstdCompressor().compress(b"tiny"))
    with pytest.raises(DeckFileError) as caught:
        read_decks(path)
    assert "over 2 GB" in caught.value.problems[0]


def test_a_media_file_longer_than_declared_stops_and_leaves_nothing(
    anki_package: Path, store: Store, db_path: Path
) -> None:
    import zstandard

    package = build(anki_package, legacy=False)
    read = read_decks(package)
    import_decks(store, read.decks, now=NOW)
    # the same package, its picture's member now inflating past the size its list gives
    lying = db_path.parent / "lying.apkg"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(lying, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in ("0", "1"):
                data = zstandard.ZstdCompressor().compress(bytes(10_000))
            target.writestr(info.filename, data)

    report = import_media(store, lying, read.decks)

    assert report.problem is not None and "declared size" in report.problem
    assert report.notice() is not None and report.notice().startswith("Media not imported")
    # the scratch folder is gone
    assert list(collection_sql.media_folder(db_path).iterdir()) == []
    assert media_rows(db_path) == []


def test_stored_names_keep_only_a_plain_extension() -> None:
    assert stored_name("ab", "Heart.PNG") == "ab.png"
    assert stored_name("ab", "x.tar.gz") == "ab.gz"
    assert stored_name("ab", "noext") == "ab"
    assert stored_name("ab", "x.p\u00e9g") == "ab"
    assert stored_name("ab", "x.a;rm -rf") == "ab"


def test_references_are_read_from_card_text() -> None:
    text = "[image: a b.png] and [sound: s.mp3], [image: a b.png] again, [image: ] [note]"
    assert references(text) == [("image", "a b.png"), ("sound", "s.mp3")]


def test_removing_a_deck_forgets_its_media(store: Store, db_path: Path) -> None:
    import_deck(store, one_card("demo"), now=NOW)
    store.link_media([StoredMedia("demo", "x.png", "ab.png", 3)])
    assert media_rows(db_path) == [("demo", "x.png", "ab.png", 3)]
    store.remove_deck("demo")
    assert media_rows(db_path) == []


# Exporting
# ---------------------------------------------------------------------------------------------


def test_files_for_an_export_and_the_apkg_members(store: Store, db_path: Path) -> None:
    for key in ("one", "two"):
        import_deck(store, one_card(key), now=NOW)
    folder = collection_sql.media_folder(db_path)
    folder.mkdir(parents=True)
    (folder / "aa.png").write_bytes(b"one")
    (folder / "bb.png").write_bytes(b"two")
    store.link_media(
        [
            StoredMedia("one", "x.png", "aa.png", 3),
            StoredMedia("two", "x.png", "bb.png", 3),  # the same name: the first deck keeps it
            StoredMedia("two", "y.png", "bb.png", 3),
            StoredMedia("two", "lost.png", "cc.png", 3),  # not in the folder: left out
        ]
    )

    files = files_for(store)
    assert files == {"x.png": folder / "aa.png", "y.png": folder / "bb.png"}
    assert files_for(store, ["two"]) == {"x.png": folder / "bb.png", "y.png": folder / "bb.png"}
    listing, members = apkg_media(files)
    assert json.loads(listing) == {"0": "x.png", "1": "y.png"}
    assert members == [("0", folder / "aa.png"), ("1", folder / "bb.png")]


def test_exported_fields_name_their_files_as_anki_does() -> None:
    from recall1924.exporters.apkg import field_html

    text = field_html('[image: a&b "x".png] <b> [sound: s.mp3] [image: other.png]')
    names = {'a&b "x".png': 1, "s.mp3": 1}
    assert anki_field(text, names) == (
        '<img src="a&amp;b &quot;x&quot;.png"> &lt;b&gt; [sound:s.mp3] [image: other.png]'
    )


# Reviewing: the key that opens a file
# ---------------------------------------------------------------------------------------------


def picture_deck(
    store: Store, db_path: Path, data: bytes = HEART, answer: str = "The heart [sound: beat.mp3]"
) -> Path:
    """A deck of one card naming a stored picture; returns the stored file."""
    card = CardSpec("heart", "[image: heart.png] Which organ?", answer)
    import_deck(store, DeckSpec("anatomy", "Anatomy", (SectionSpec("s", "S", (card,)),)), now=NOW)
    folder = collection_sql.media_folder(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{sha(data)}.png"
    stored.write_bytes(data)
    store.link_media([StoredMedia("anatomy", "heart.png", stored.name, len(data))])
    return stored


class ScriptedKeys:
    def __init__(self, *keys: str) -> None:
        self.keys = list(keys)

    def read(self) -> str:
        return self.keys.pop(0)


def session_for(store: Store) -> ReviewSession:
    settings = Settings.from_stored({})
    scheduler = build_scheduler(settings)
    session = scheduled_session(store, lambda _deck: scheduler, settings, FixedClock(NOW))
    session.start()
    return session


def test_the_key_opens_the_cards_file_with_the_systems_opener(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import recall1924.ui.media as ui_media

    stored = picture_deck(store, db_path)
    launched: list[Sequence[str]] = []
    monkeypatch.setattr(ui_media, "_launch", launched.append)
    monkeypatch.setattr(ui_media.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(ui_media.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    session = session_for(store)
    out = io.StringIO()
    term = Console(file=out, width=80, height=24, no_color=True)
    ui = TerminalReviewUI(term, ScriptedKeys("o", " ", "o", "o", "3"))
    ui.show(session)

    assert ui.next_action(session) is Action.REVEAL
    assert launched == [["/usr/bin/xdg-open", str(stored)]]
    assert "Opened heart.png" in out.getvalue()
    assert "[image: heart.png] Which organ?" in out.getvalue()  # the name, as before

    session.apply(Action.REVEAL)
    assert ui.next_action(session) is Action.GOOD
    # on the answer side, o goes through the card's files: the sound is not in the collection
    assert launched[1:] == [["/usr/bin/xdg-open", str(stored)]]
    assert "beat.mp3 is not in the collection" in out.getvalue()
    assert any(binding.does is View.OPEN and binding.label == "o" for binding in KEYS)


def test_without_an_opener_the_key_says_where_the_file_is(tmp_path: Path) -> None:
    file = MediaFile("image", "heart.png", tmp_path / "ab.png")
    file.path.write_bytes(HEART)
    started: list[Sequence[str]] = []

    def no_opener(_name: str) -> str | None:
        return None

    message = open_file(file, launch=started.append, find=lambda: opener(which=no_opener))
    assert message == (
        f"Cannot open heart.png: neither xdg-open nor open is installed; it is at {file.path}"
    )
    assert started == []
    found = opener(platform="darwin", which=lambda name: f"/usr/bin/{name}")
    assert found == ["/usr/bin/open"]
    headless = opener(platform="linux", environ={}, which=lambda name: f"/bin/{name}")
    assert isinstance(headless, str) and "no graphical session" in headless
    gone = MediaFile("image", "x\x1b[2J.png", None)
    assert open_file(gone, launch=started.append) == (
        "x\\x1b[2J.png is not in the collection (import its package again to bring it)"
    )


def test_a_card_naming_no_file_says_so(store: Store) -> None:
    import_deck(store, one_card("d"), now=NOW)
    session = session_for(store)
    ui = TerminalReviewUI(Console(file=io.StringIO(), width=80), ScriptedKeys("o", "q"))
    ui.show(session)
    assert ui.next_action(session) is Action.QUIT
    assert session.message == "This card names no image or sound"


# Reviewing: pictures in the card
# ---------------------------------------------------------------------------------------------


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TERM": "xterm-kitty"}, "kitty"),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"}, "kitty"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, "sixel"),
        ({"TERM": "foot"}, "sixel"),
        ({"TERM": "xterm-256color"}, None),
        ({"TERM": "dumb", "KITTY_WINDOW_ID": "1"}, None),
        ({}, None),
        ({"TERM": "xterm-kitty", "NO_COLOR": "1"}, None),
        ({"TERM": "tmux-256color", "KITTY_WINDOW_ID": "1", "TMUX": "x"}, None),
        ({"TERM": "xterm-kitty", "RECALL_IMAGES": "off"}, None),
        ({"TERM": "xterm-256color", "RECALL_IMAGES": "blocks"}, "blocks"),
    ],
)
def test_pictures_are_drawn_only_where_the_environment_says_so(
    environ: dict[str, str], expected: str | None
) -> None:
    assert graphics(environ, Tty()) == expected


def test_never_on_a_pipe_or_a_file() -> None:
    assert graphics({"TERM": "xterm-kitty", "RECALL_IMAGES": "kitty"}, io.StringIO()) is None
    assert graphics({"TERM": "xterm-kitty"}, None) is None


def screen_rows(store: Store, media: ScreenMedia, height: int = 30) -> list[str]:
    session = session_for(store)
    term = Console(file=io.StringIO(), width=60, height=height, color_system="truecolor")
    screen = ReviewScreen()
    screen.media = media
    return ["".join(s.text for s in row).rstrip() for row in screen.compose(term, session)]


def test_a_terminal_that_cannot_draw_shows_the_name(store: Store, db_path: Path) -> None:
    picture_deck(store, db_path)
    rows = screen_rows(store, ScreenMedia(CardMedia(store).of, None))
    assert any("[image: heart.png] Which organ?" in row for row in rows)
    assert not any("▀" in row or "▄" in row for row in rows)


def test_a_picture_is_drawn_below_the_question(store: Store, db_path: Path) -> None:
    pytest.importorskip("textual_image")
    picture_deck(store, db_path, png(8, 8))
    rows = screen_rows(store, ScreenMedia(CardMedia(store).of, "blocks"))
    question = next(n for n, row in enumerate(rows) if "Which organ?" in row)
    drawn = [n for n, row in enumerate(rows) if "▀" in row or "▄" in row]
    assert drawn and min(drawn) > question


def test_a_file_that_is_no_picture_shows_its_name(store: Store, db_path: Path) -> None:
    pytest.importorskip("textual_image")
    picture_deck(store, db_path, b"not a picture at all")
    rows = screen_rows(store, ScreenMedia(CardMedia(store).of, "blocks"))
    assert any("(heart.png cannot be drawn: o opens it)" in row for row in rows)


def test_without_the_library_the_card_shows_names(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    picture_deck(store, db_path)
    for module in ("textual_image", "textual_image.renderable"):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    rows = screen_rows(store, ScreenMedia(CardMedia(store).of, "blocks"))
    assert any("(heart.png cannot be drawn: o opens it)" in row for row in rows)


def test_a_sixel_picture_not_wholly_on_screen_is_not_drawn() -> None:
    sixel = Segment("\x1bPq#0~~\x1b\\", control=[(ControlType.CURSOR_FORWARD, 0)])
    # a control that does not say how far up it draws is never kept
    rows = [[Segment("text")], [Segment("  "), sixel]]
    assert without_controls(rows) == [[Segment("text")], [Segment("  ")]]
    plain = [[Segment("text")]]
    assert without_controls(plain) is plain
    # a picture two rows high, drawn from the row below it
    up = Segment("\x1b[2A", control=[(ControlType.CURSOR_UP, 2)])
    draws = [up, sixel]
    picture = [[Segment("  ")], [Segment("  ")], draws]
    assert without_controls([[Segment("text")], *picture]) == [[Segment("text")], *picture]
    assert without_controls(picture[1:]) == [[Segment("  ")], []]  # its top row is cut off


def sixels(rows: list[list[Segment]]) -> list[tuple[int, int]]:
    """Where the screen draws Sixel pictures: (the row that draws one, how many rows up it goes
    to start it)."""
    found = []
    for index, row in enumerate(rows):
        if any(segment.control and "\x1bP" in segment.text for segment in row):
            codes = [code for segment in row for code in segment.control or ()]
            found.append(
                (index, sum(code[1] for code in codes if code[0] == ControlType.CURSOR_UP))
            )
    return found


def test_a_sixel_picture_is_drawn_whenever_it_is_wholly_on_screen(
    store: Store, db_path: Path
) -> None:
    pytest.importorskip("textual_image")
    # an answer too long for the screen: the card scrolls
    picture_deck(store, db_path, png(8, 8), answer="\n".join(f"line {n}" for n in range(40)))
    session = session_for(store)
    session.apply(Action.REVEAL)
    term = Console(file=io.StringIO(), width=60, height=30, color_system="truecolor")
    screen = ReviewScreen()
    screen.media = ScreenMedia(CardMedia(store).of, "sixel")

    rows = screen.compose(term, session)
    [(at, up)] = sixels(rows)
    text = ["".join(segment.text for segment in row) for row in rows]
    below_question = next(n for n, line in enumerate(text) if line.startswith("╰")) + 1
    # drawn from the row below the question, over the blank rows kept for it
    assert up > 0 and at - up == below_question
    assert all(not text[n].strip() for n in range(at - up, at))
    assert screen.move(View.LINE_DOWN)
    assert sixels(screen.compose(term, session)) == [(at - 1, up)]  # scrolled with the card
    for _ in range(below_question):
        screen.move(View.LINE_DOWN)
    # its top off screen, it would draw over the header: blank rows instead
    assert sixels(screen.compose(term, session)) == []
    screen.move(View.TOP)
    assert sixels(screen.compose(term, session)) == [(at, up)]  # and drawn again once back


def test_recall_export_carries_the_media_back_to_anki(
    anki_package: Path, db_path: Path, tmp_path: Path
) -> None:
    from anki_fixtures import anki_collection
    from recall1924.cli import app

    package = build(anki_package, legacy=False)
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(package)], catch_exceptions=False).exit_code == 0
    out = tmp_path / "back.apkg"
    result = runner.invoke(app, ["export", "--format", "apkg", "-o", str(out)])
    assert result.exit_code == 0, result.output

    with anki_collection(tmp_path / "anki-back") as anki:
        anki.import_package(out)
        folder = Path(anki.col.media.dir())
        assert (folder / "heart.png").read_bytes() == HEART
        assert (folder / "beat.mp3").read_bytes() == BEAT
        fields = [anki.col.get_note(nid).fields for nid in anki.col.find_notes("")]
        texts = " ".join(" ".join(note) for note in fields)
        assert '<img src="heart.png">' in texts and "[sound:beat.mp3]" in texts
