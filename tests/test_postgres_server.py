"""The throwaway server's fixture itself: where it looks for PostgreSQL, and that CI cannot pass
by skipping the tests marked postgres (``RECALL_REQUIRE_POSTGRES=1`` turns the skip into a
failure)."""

from __future__ import annotations

from pathlib import Path

import pytest

import postgres


def test_without_a_server_the_tests_skip_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(postgres.REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no PostgreSQL server: no binaries"):
        postgres._unavailable("no binaries")


def test_under_ci_a_missing_server_fails_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(postgres.REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match="RECALL_REQUIRE_POSTGRES=1, but no"):
        postgres._unavailable("no binaries")


def test_the_binaries_folder_can_be_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for program in ("initdb", "pg_ctl"):
        (tmp_path / program).write_text("")
    monkeypatch.setenv(postgres.BIN, str(tmp_path))
    assert postgres.find_binaries() == tmp_path


def test_no_binaries_anywhere_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres, "find_binaries", lambda: None)
    with pytest.raises(postgres.Unavailable, match="no PostgreSQL server binaries"):
        postgres.PostgresServer.start()
