"""Fixtures for the production-stack tests: real services, real databases, real HTTP.

PostgreSQL tests run in a schema of their own (created in DATABASE_TEST_URL's database, dropped
after), so they neither see nor disturb the tables the shared `database` fixture resets in the
public schema while other tests run. Every process pointed at the URL `pg_schema` returns (the
bot, `factcheck tickets`, a test's own `Database`) sees only that schema, through libpq's
`options=-csearch_path=...`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.services import Services, build_services
from knowledge.loader import KnowledgeBase
from knowledge.matcher import Matcher
from nlu.intent_service import IntentService

TESTS = Path(__file__).resolve().parent.parent
KB_SMALL = TESTS / "data" / "kb-small"


def postgres_url() -> str | None:
    return os.environ.get("DATABASE_TEST_URL") or None


def schema_url(base: str, schema: str) -> str:
    """`base` with every connection's search_path set to `schema` (and only it)."""
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _admin_connect(base: str) -> psycopg.Connection[Any]:
    url = make_url(base).set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A SQLAlchemy URL onto a fresh, empty PostgreSQL schema; dropped after the test."""
    base = postgres_url()
    if not base:
        pytest.skip("no PostgreSQL: set DATABASE_TEST_URL=postgresql+psycopg://user@host/db")
    schema = f"prod_{uuid.uuid4().hex[:12]}"
    with _admin_connect(base) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(base, schema)
    finally:
        with _admin_connect(base) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL, once SQLite and once PostgreSQL (its own schema)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return str(request.getfixturevalue("pg_schema"))


@pytest.fixture
def make_services(
    tmp_path: Path,
    reusing_matcher_factory: Callable[[KnowledgeBase, Matcher | None], Matcher],
    intent_service: IntentService,
) -> Iterator[Callable[..., Services]]:
    """Real services (conversation, storage, escalation) on the given database URL."""
    built: list[Services] = []

    def make(database_url: str, **overrides: Any) -> Services:
        values: dict[str, Any] = {
            "knowledge_dir": KB_SMALL,
            "database_url": database_url,
            "cache_dir": tmp_path / "cache",
            "checker_ids": "9001",
            "rate_limit_per_minute": 1000,
            "rate_limit_per_day": 10000,
        }
        values.update(overrides)
        services = build_services(
            Settings(_env_file=None, **values),  # type: ignore[call-arg]
            spool_path=tmp_path / "spool.jsonl",
            matcher_factory=reusing_matcher_factory,
            intents=intent_service,
        )
        built.append(services)
        return services

    yield make
    for services in built:
        if services.database is not None:
            services.database.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failed multi-process test, show what each bot process was logging."""
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "mp_stack", None)
    if report.failed and running is not None:
        for bot in running.processes():
            report.sections.append((f"{bot.role} bot log (last lines)", bot.tail(80)))
