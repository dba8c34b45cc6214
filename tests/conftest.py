"""Fixtures shared by every test folder.

`database` runs a test once on SQLite and once on PostgreSQL. PostgreSQL comes from
DATABASE_TEST_URL (scripts/test.sh sets it when a server answers on 127.0.0.1:5432); without it
the PostgreSQL half is skipped with a message saying how to enable it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage import Database
from bot.storage.models import Base

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"


def _reset_postgres(db: Database) -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        url = os.environ.get("DATABASE_TEST_URL")
        if not url:
            pytest.skip("no PostgreSQL: set DATABASE_TEST_URL=postgresql+psycopg://user@host/db")
        db = Database(url)
        _reset_postgres(db)
    db.migrate()
    yield db
    if request.param == "postgres":
        _reset_postgres(db)
    db.dispose()
