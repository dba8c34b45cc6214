"""Several processes migrating one empty PostgreSQL database at the same moment all succeed.

This is what happens when the stack starts (the bot and a notifier, or any two processes started
together): each runs `Database.migrate()` at start. Without the advisory lock it takes, two of
them create the same tables and all but one fail ("relation already exists").
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import inspect

from bot.storage.database import Database
from bot.storage.models import Base

pytestmark = pytest.mark.postgres

PROCESSES = 4
#: Each process waits for this moment (after its imports), so the migrations really overlap.
MIGRATE = """
import sys, time
from bot.storage.database import Database
database = Database(sys.argv[1])
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
database.migrate()
print("migrated")
"""


def test_concurrent_migrations_on_an_empty_database_all_succeed(pg_schema: str) -> None:
    start = time.time() + 4  # imports take about a second; everyone is waiting by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, pg_schema, str(start)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    failed = [out for process, out in zip(processes, outputs, strict=True) if process.returncode]
    assert failed == [], "\n\n".join(failed)
    database = Database(pg_schema)
    try:
        tables = set(inspect(database.engine).get_table_names())
        assert {table.name for table in Base.metadata.sorted_tables} <= tables
        database.migrate()  # and once more, on a schema at head: nothing to do
    finally:
        database.dispose()
