"""The card spool: a text file's cards kept out of memory, read back in order, as a sequence
that compares like the tuple of the same cards."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recall1924.deck import CardSpec, PastAnswer
from recall1924.errors import SpoolError
from recall1924.spool import PENDING_CHUNKS, CardSpool


def card(number: int, section: int = 0) -> CardSpec:
    return CardSpec(
        f"c{section}-{number}",
        f"Question {number} of {section}? ümlaut",
        f"Answer {number}\nsecond line",
        note=f"note {number}" if number % 3 == 0 else None,
        tags=("t1", "t2") if number % 2 else (),
        source_id=f"anki:g{number}:0" if number % 5 == 0 else None,
    )


def test_cards_come_back_in_order_from_memory_and_from_disk() -> None:
    # in_memory=0: every chunk goes to a real temporary file
    for in_memory in (0, 1 << 20):
        spool = CardSpool(chunk=7, in_memory=in_memory)
        sections = [spool.section() for _ in range(3)]
        expected: list[list[CardSpec]] = [[], [], []]
        for number in range(100):
            index = number % 3 if number < 60 else 2  # interleaved, then one section alone
            sections[index].append(card(number, index))
            expected[index].append(card(number, index))
        for cards, wanted in zip(sections, expected, strict=True):
            assert list(cards) == wanted
            assert list(cards) == wanted  # read twice, the same
            assert len(cards) == len(wanted)
            assert cards.keys == [one.key for one in wanted]
            assert cards == tuple(wanted) and tuple(wanted) == cards
            assert hash(cards) == hash(tuple(wanted))
            assert [cards[index] for index in range(len(wanted))] == wanted
            assert cards[-1] == wanted[-1] and cards[2:9:3] == tuple(wanted[2:9:3])
        assert sections[0] != sections[1]


def test_an_index_past_the_end_is_an_index_error() -> None:
    cards = CardSpool(chunk=2).section()
    cards.append(card(1))
    with pytest.raises(IndexError):
        cards[1]
    with pytest.raises(IndexError):
        cards[-2]


def test_a_card_with_history_or_suspended_is_not_spooled() -> None:
    cards = CardSpool().section()
    answered = CardSpec("a", "Q", "A", history=(PastAnswer(datetime(2026, 1, 1, tzinfo=UTC), 3),))
    with pytest.raises(ValueError, match="without history"):
        cards.append(answered)
    with pytest.raises(ValueError, match="without history"):
        cards.append(CardSpec("b", "Q", "A", suspended=True))
    assert len(cards) == 0


def test_rows_going_round_many_sections_are_not_all_held() -> None:
    chunk = 5
    spool = CardSpool(chunk=chunk, in_memory=0)
    sections = [spool.section() for _ in range(50)]
    most = 0
    for number in range(2000):
        sections[number % 50].add(f"k{number}", "Q", "A")
        most = max(most, sum(len(section._tail) for section in sections))
    assert most <= PENDING_CHUNKS * chunk
    assert sum(len(section) for section in sections) == 2000
    assert [one.key for one in sections[7]] == [f"k{n}" for n in range(7, 2000, 50)]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.text(max_size=30),
            st.text(max_size=30),
            st.none() | st.text(max_size=10),
            st.lists(st.text(min_size=1, max_size=5), max_size=3).map(tuple),
        ),
        max_size=40,
    )
)
def test_any_cards_round_trip(
    rows: list[tuple[int, str, str, str | None, tuple[str, ...]]],
) -> None:
    spool = CardSpool(chunk=3, in_memory=64)
    sections = [spool.section() for _ in range(4)]
    expected: list[list[CardSpec]] = [[], [], [], []]
    for number, (index, question, answer, note, tags) in enumerate(rows):
        spec = CardSpec(f"k{number}", question, answer, note, tags)
        sections[index].append(spec)
        expected[index].append(spec)
    assert [list(section) for section in sections] == expected


def test_a_temporary_folder_that_cannot_be_written_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with pytest.raises(SpoolError, match=r"cannot create the temporary file .*missing.*TMPDIR"):
        CardSpool(in_memory=0)
    cards = CardSpool(chunk=1, in_memory=1).section()  # in memory until the first chunk
    with pytest.raises(SpoolError, match=r"cannot write the temporary file .*missing.*TMPDIR"):
        cards.add("k", "Q", "A")


def test_the_temporary_file_goes_with_the_last_section() -> None:
    spool = CardSpool(chunk=1, in_memory=0)
    cards = spool.section()
    cards.add("k", "Q", "A")
    file = spool._file
    assert not file.closed
    del spool, cards  # no cycle keeps them: gone at once, file and all
    assert file.closed
