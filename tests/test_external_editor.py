"""The student's own editor: which one, and the loop that keeps their text across errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from recall1924.errors import DeckFileError, RecallError
from recall1924.ui.external_editor import (
    PROBLEM_MARK,
    edit_until_saved,
    editor_command,
    run_editor,
    with_problems,
    without_problems,
)


def test_visual_then_editor_then_a_fallback(tmp_path: Path) -> None:
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "vi"}) == ["code", "--wait"]
    assert editor_command({"VISUAL": " ", "EDITOR": "nano -w"}) == ["nano", "-w"]
    (tmp_path / "vi").write_text("#!/bin/sh\n")
    (tmp_path / "vi").chmod(0o755)
    assert editor_command({"PATH": str(tmp_path)}) == [str(tmp_path / "vi")]
    with pytest.raises(RecallError, match="no text editor: set VISUAL or EDITOR"):
        editor_command({"PATH": str(tmp_path / "nowhere")})


def test_run_editor_gives_back_what_was_saved_or_none_when_it_failed(tmp_path: Path) -> None:
    script = tmp_path / "edit.sh"
    script.write_text('#!/bin/sh\nprintf "saved\\n" >> "$1"\n')
    script.chmod(0o755)
    assert run_editor("text\n", [str(script)]) == "text\nsaved\n"
    assert run_editor("text\n", ["false"]) is None
    with pytest.raises(RecallError, match="cannot run the editor"):
        run_editor("text\n", [str(tmp_path / "missing")])


def test_problems_head_the_text_and_replace_the_ones_before() -> None:
    text = "question = 'Q'\n"
    once = with_problems(text, ["line 2: missing 'answer'"])
    assert once.startswith(PROBLEM_MARK) and once.endswith(text)
    twice = with_problems(once, ["line 1: bad"])
    assert twice.count(PROBLEM_MARK) == 2 and "missing" not in twice
    assert without_problems(twice) == text


class Student:
    """Edits as scripted: each step takes the text shown and returns what is saved."""

    def __init__(self, *steps: str | None) -> None:
        self.steps = list(steps)
        self.shown: list[str] = []

    def __call__(self, text: str) -> str | None:
        self.shown.append(text)
        return self.steps.pop(0)


def saving(text: str) -> str:
    if "bad" in text:
        raise DeckFileError("<card>", ["line 1: it is bad"])
    return text.strip()


def test_an_error_reopens_the_text_with_the_problem_at_the_top() -> None:
    student = Student("bad one\n", "good one\n")
    assert edit_until_saved("start\n", saving, student) == "good one"
    assert student.shown[0] == "start\n"
    # The second opening is the student's own text, not the start, below the problem.
    assert student.shown[1] == with_problems("bad one\n", ["line 1: it is bad"])


def test_leaving_at_once_saves_nothing_and_giving_up_after_an_error_says_why() -> None:
    assert edit_until_saved("start\n", saving, Student("start\n")) is None
    assert edit_until_saved("start\n", saving, Student(None)) is None
    assert edit_until_saved("start\n", saving, Student("   \n")) is None
    shown = with_problems("bad\n", ["line 1: it is bad"])
    with pytest.raises(DeckFileError) as raised:
        edit_until_saved("start\n", saving, Student("bad\n", shown))
    assert raised.value.problems == ["not saved: line 1: it is bad"]
