"""Fixtures shared by every test folder.

`database` runs a test once on SQLite and once on PostgreSQL. PostgreSQL comes from
DATABASE_TEST_URL (scripts/test.sh sets it when a server answers on 127.0.0.1:5432); without it
the PostgreSQL half is skipped with a message saying how to enable it.

The server is shared (a developer's, or CI's on this machine), and two test runs at once must not
drop each other's tables, so each run works in a database of its own, created on that server
for the session and dropped at its end (`postgres_url`). Where the user may not create
databases, the named database itself is used, as before.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.storage import Database
from bot.storage.models import Base

if TYPE_CHECKING:
    from knowledge.loader import KnowledgeBase
    from knowledge.matcher import Matcher
    from nlu.intent_service import IntentService

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
KB_SMALL = DATA / "kb-small"


def _reset_postgres(db: Database) -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A PostgreSQL database for this test run only (None without DATABASE_TEST_URL)."""
    given = os.environ.get("DATABASE_TEST_URL")
    if not given:
        yield None
        return
    name = f"factcheck_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError:
        admin.dispose()
        yield given  # no CREATEDB right: share the named database
        return
    try:
        yield make_url(given).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None
) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        if not postgres_url:
            pytest.skip("no PostgreSQL: set DATABASE_TEST_URL=postgresql+psycopg://user@host/db")
        db = Database(postgres_url)
        _reset_postgres(db)
    db.migrate()
    yield db
    if request.param == "postgres":
        _reset_postgres(db)
    db.dispose()


# -- one real matcher and intent classifier per session, for every folder that builds services --
@pytest.fixture(scope="session")
def small_matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    """A real matcher over tests/data/kb-small (embedding is the slow part: built once)."""
    from knowledge.loader import load_directory
    from knowledge.matcher import build_matcher

    cache = tmp_path_factory.mktemp("embeddings")
    return build_matcher(load_directory(KB_SMALL).published(), cache_dir=cache)


@pytest.fixture(scope="session")
def intent_service() -> IntentService:
    from nlu.intent_service import IntentService

    service = IntentService(None)
    service.warm_up()
    return service


@pytest.fixture(scope="session")
def reusing_matcher_factory(
    small_matcher: Matcher,
) -> Callable[[KnowledgeBase, Matcher | None], Matcher]:
    """A matcher factory for build_services that starts from the session's matcher, so each
    test's services embed nothing the session has embedded already."""

    def factory(knowledge: KnowledgeBase, previous: Matcher | None) -> Matcher:
        return (previous or small_matcher).updated(knowledge.published())

    return factory


# -- a PostgreSQL server of the test's own, for outages (tests/support/throwaway_postgres.py) --
@pytest.fixture
def throwaway_postgres() -> Iterator[object]:
    """A started PostgreSQL server on a free port that the test may freeze, stop and restart;
    thawed, stopped and deleted afterwards even when the test fails."""
    from throwaway_postgres import ThrowawayPostgres, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql")
    server = ThrowawayPostgres(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.cleanup()
