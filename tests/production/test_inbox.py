"""The shared webhook inbox on a real PostgreSQL (bot/storage/inbox.py, bot/telegram/inbox.py):
a retried update is stored once, each chat belongs to one slot, rows come back in update_id
order, handled rows lose the voter's message, and two workers in one event loop (each holding
a slot) handle every update once, each chat in order. tests/production/test_workers.py does the
same with real `factcheck run` processes over HTTP."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.inbox import Inbox, chat_of, slot_of
from bot.storage.models import InboxUpdate, utcnow
from bot.telegram.inbox import InboxWorker

pytestmark = pytest.mark.postgres


def message(update_id: int, chat_id: int, text: str = "hi") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 0, "text": text,
                    "chat": {"id": chat_id, "type": "private"},
                    "from": {"id": chat_id, "is_bot": False, "first_name": "V"}},
    }


@pytest.fixture
def database(pg_schema: str) -> Database:
    db = Database(pg_schema)
    db.migrate()
    yield db  # type: ignore[misc]
    db.dispose()


def test_the_chat_of_an_update() -> None:
    assert chat_of(message(1, 42)) == 42
    press = {"update_id": 2, "callback_query": {"id": "q", "from": {"id": 7},
                                                "message": {"chat": {"id": -100}}}}
    assert chat_of(press) == -100
    assert chat_of({"update_id": 3, "callback_query": {"id": "q", "from": {"id": 7}}}) == 7
    assert chat_of({"update_id": 4}) == 0
    assert {slot_of(c, 3) for c in (-5, -4, -3, 0, 1, 2)} == {0, 1, 2}


def test_a_retried_update_is_stored_once_and_rows_wait_in_order(database: Database) -> None:
    inbox = Inbox(database, workers=2)
    assert inbox.store(11, 5, message(11, 5, "second"))
    assert inbox.store(10, 5, message(10, 5, "first"))
    assert not inbox.store(10, 5, message(10, 5, "first"))  # Telegram retried it
    assert inbox.store(12, 6, message(12, 6))
    assert [w.update_id for w in inbox.waiting(slot_of(5, 2), skip=set())] == [10, 11]
    assert [w.update_id for w in inbox.waiting(slot_of(6, 2), skip=set())] == [12]
    assert [w.update_id for w in inbox.waiting(1, skip={11})] == [10]
    assert inbox.backlog() == 3
    inbox.mark_handled([10, 11])
    assert inbox.waiting(1, skip=set()) == [] and inbox.backlog() == 1
    assert not inbox.store(10, 5, message(10, 5))  # handled: still recognised
    with database.session() as session:
        row = session.get(InboxUpdate, 10)
        assert row is not None and row.payload is None and row.handled_at is not None
    # A day later the handled rows go; the waiting one stays.
    assert inbox.purge(utcnow() + timedelta(days=2)) == 2
    with database.session() as session:
        assert list(session.scalars(select(InboxUpdate.update_id))) == [12]


def test_a_slot_is_held_by_one_worker(database: Database) -> None:
    inbox = Inbox(database, workers=2)
    first, second = inbox.slot_lock(0), inbox.slot_lock(0)
    assert first.held() and not second.held()
    first.release()
    assert second.held()
    second.release()


def test_bots_in_two_schemas_of_one_database_have_their_own_slots(
    database: Database, pg_schema: str
) -> None:
    """Advisory locks are per database: the slot keys include the schema, so a second bot (or
    a second test run) in another schema is not left standing by."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(pg_schema)
    admin = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    other = f"prod_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{other}"')
    second = Database(url.update_query_dict({"options": f"-csearch_path={other}"})
                      .render_as_string(hide_password=False))
    try:
        mine, theirs = Inbox(database, 2).slot_lock(0), Inbox(second, 2).slot_lock(0)
        assert mine.held() and theirs.held()
        assert mine.key != theirs.key
        mine.release()
        theirs.release()
    finally:
        second.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{other}" CASCADE')


async def test_two_workers_handle_every_update_once_and_each_chat_in_order(
    database: Database,
) -> None:
    inbox = Inbox(database, workers=2)
    handled: list[tuple[str, int, int]] = []

    def handler(name: str) -> Any:
        async def handle(payload: dict[str, Any]) -> None:
            await asyncio.sleep(random.random() / 200)  # chats overlap
            handled.append((name, chat_of(payload), payload["update_id"]))
        return handle

    workers = [InboxWorker(inbox, handler("a")), InboxWorker(inbox, handler("b"))]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    for _ in range(100):
        if all(w.slot is not None for w in workers):
            break
        await asyncio.sleep(0.05)
    assert sorted(w.slot for w in workers) == [0, 1]  # type: ignore[type-var]

    chats = [101, 102, 103, 104, -105]
    sent: dict[int, list[int]] = {c: [] for c in chats}
    update_id = 1000
    for _ in range(20):
        for chat in chats:
            update_id += 1
            posted_to = workers[update_id % 2]  # either worker accepts any update
            assert await posted_to.accept(message(update_id, chat))
            assert not await workers[(update_id + 1) % 2].accept(message(update_id, chat))
            sent[chat].append(update_id)
    for _ in range(200):
        if len(handled) >= 100:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*tasks)

    ids = [u for _, _, u in handled]
    assert len(ids) == len(set(ids)) == 100  # every update once
    for chat in chats:
        assert [u for _, c, u in handled if c == chat] == sent[chat]  # in order
        owners = {name for name, c, _ in handled if c == chat}
        assert len(owners) == 1  # one worker per chat
    assert {name for name, _, _ in handled} == {"a", "b"}
    assert inbox.backlog() == 0


async def test_a_spare_worker_takes_the_slot_of_one_that_stops(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker started beyond WEB_CONCURRENCY stands by; when a worker stops, the spare takes
    its slot and handles the updates that waited there."""
    import bot.telegram.inbox as worker_module

    monkeypatch.setattr(worker_module, "CLAIM_SECONDS", 0.2)
    inbox = Inbox(database, workers=1)
    handled: list[tuple[str, int]] = []

    def handler(name: str) -> Any:
        async def handle(payload: dict[str, Any]) -> None:
            handled.append((name, payload["update_id"]))
        return handle

    first, spare = InboxWorker(inbox, handler("first")), InboxWorker(inbox, handler("spare"))
    stop_first, stop_spare = asyncio.Event(), asyncio.Event()
    first_task = asyncio.create_task(first.run(stop_first))
    for _ in range(100):
        if first.slot is not None:
            break
        await asyncio.sleep(0.05)
    spare_task = asyncio.create_task(spare.run(stop_spare))
    await asyncio.sleep(0.5)
    assert (first.slot, spare.slot) == (0, None)  # the spare stands by

    stop_first.set()
    await first_task
    for update_id in (1, 2, 3):  # accepted while no worker serves the slot
        assert await spare.accept(message(update_id, 77))
    for _ in range(100):
        if len(handled) == 3:
            break
        await asyncio.sleep(0.05)
    stop_spare.set()
    await spare_task
    assert handled == [("spare", 1), ("spare", 2), ("spare", 3)]
    assert inbox.backlog() == 0
