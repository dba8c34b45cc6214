"""The database connection: SQLite (WAL) by default, PostgreSQL in production.

The schema is owned by Alembic migrations (bot/storage/migrations), run on start, so that a
production database is upgraded in place rather than recreated.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL advisory lock key held while migrating (any constant unique to this application).
MIGRATION_LOCK = 7_202_511_090
#: PostgreSQL advisory lock key of the process that posts ticket cards (ProcessLock).
ANNOUNCE_LOCK = 7_202_511_091
#: PostgreSQL advisory lock key of the process that posts the daily digest (ProcessLock).
DIGEST_LOCK = 7_202_511_092
#: PostgreSQL: seconds to establish a connection (libpq's connect_timeout covers the whole
#: handshake, so a server that accepts but never answers costs this, not forever).
CONNECT_TIMEOUT = 5
#: Seconds to wait for a pooled connection when all are busy (SQLAlchemy's default is 30).
POOL_TIMEOUT = 5
#: PostgreSQL: milliseconds any statement may run (server side; migrations lift it).
STATEMENT_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _postgres_settings(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
    cursor.close()
    dbapi_connection.commit()


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {}
        if not self.is_sqlite:
            # Timeouts, so that a database that hangs costs a bounded wait: the voter-facing
            # deadline is bot/storage/guard.py's, these free the threads behind it.
            kwargs = {
                "pool_pre_ping": True, "pool_size": 5, "max_overflow": 10,
                "pool_timeout": POOL_TIMEOUT,
                "connect_args": {
                    "connect_timeout": CONNECT_TIMEOUT,
                    "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                    "keepalives_count": 3,
                },
            }
        self.engine: Engine = create_engine(url, echo=echo, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        elif self.engine.dialect.name == "postgresql":
            event.listen(self.engine, "connect", _postgres_settings)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection_url"] = self.url
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                # Several processes may start at once (a bot and a notifier, a scaled service):
                # one migrates while the others wait here, then find the schema at head. The
                # lock is released when this transaction ends (SQLite has one writer anyway).
                connection.execute(text("SET LOCAL statement_timeout = 0"))
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                connection.execute(lock, {"key": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


class ProcessLock:
    """Work that one process at a time must do (posting ticket cards to the checkers' group):
    a PostgreSQL session advisory lock, held on a connection of its own for as long as the
    process lives. When that process dies its connection closes, the lock is free, and the next
    `held()` of another process takes it. SQLite serves one process: always held there."""

    def __init__(self, database: Database, key: int) -> None:
        self.database = database
        self.key = key
        self._connection: Any = None

    def held(self) -> bool:
        """True when this process holds the lock (taking it if it is free). Synchronous."""
        if self.database.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 - the connection died, and the lock with it
                self.release()
        connection = self.database.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        )
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar()
        except Exception:
            connection.close()
            raise
        if got:
            self._connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        """Let another process take the lock (closing the connection releases it)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()  # never back to the pool with the lock held
                connection.close()
