"""What the glance (a bare ``recall``) imports: not the review session, its answer policies or
the exam plan they bring, which only a review needs."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import recall1924.review as review
from conftest import NOW


def test_every_name_of_the_review_package_is_its_modules() -> None:
    assert set(review._HOMES) == set(review.__all__)
    for name in review.__all__:
        home = importlib.import_module(f"recall1924.review.{review._HOMES[name]}")
        assert getattr(review, name) is getattr(home, name)
    with pytest.raises(AttributeError):
        review.nothing_of_the_sort  # noqa: B018


_GLANCE = """
import atexit, sys
atexit.register(lambda: print(" ".join(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["recall"]
from recall1924.cli import main
main()
"""


def test_the_glance_does_not_import_the_review_session(db_location: Path | str) -> None:
    env = {**os.environ, "RECALL_NOW": NOW.isoformat(), "RECALL_DB": str(db_location)}
    command = [sys.executable, "-c", _GLANCE]
    subprocess.run(command, env=env, capture_output=True, check=True)  # the first run imports
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    imported = set(done.stderr.split())
    assert "recall1924.review.queues" in imported  # the check is not empty
    assert not imported & {"recall1924.review.session", "recall1924.review.policies"}


def test_a_sqlite_collection_does_not_load_postgresqls_dialect(tmp_path: Path) -> None:
    # Every command imports the models; an index option named for PostgreSQL in them loaded
    # SQLAlchemy's PostgreSQL dialect with them (18 ms), though the collection is a file.
    env = {**os.environ, "RECALL_NOW": NOW.isoformat(), "RECALL_DB": str(tmp_path / "c.db")}
    env.pop("RECALL_DATABASE_URL", None)
    command = [sys.executable, "-c", _GLANCE]
    subprocess.run(command, env=env, capture_output=True, check=True)  # the first run imports
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    imported = set(done.stderr.split())
    assert "recall1924.models" in imported  # the check is not empty
    assert not {name for name in imported if name.startswith("sqlalchemy.dialects.postgresql")}
