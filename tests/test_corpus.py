"""Real-world files from ../shared/testdata: recall only imports its own TOML decks so far, so
each Anki package and text export must be refused with one clear line, writing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SHARED_TESTDATA
from recall1924.cli import app

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not SHARED_TESTDATA.is_dir(), reason="../shared/testdata is absent"),
]

FILES = sorted(SHARED_TESTDATA.glob("*/*")) if SHARED_TESTDATA.is_dir() else []


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_foreign_files_are_refused_cleanly(path: Path, db_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"cannot import '{path.suffix}' files (recall imports: .toml)" in result.stderr
    assert not db_path.exists()
