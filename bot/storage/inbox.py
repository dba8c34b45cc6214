"""The webhook inbox: Telegram updates kept in PostgreSQL until the worker that owns their chat
has handled them (WEB_CONCURRENCY; issue #17).

Any worker behind the webhook URL may receive any update. It stores the update here before it
answers Telegram 200, keyed by `update_id`, so a delivery Telegram retries (to the same worker or
another) is the same row and is handled once. Each chat belongs to one worker, slot
`chat_id mod WEB_CONCURRENCY`, so the conversation's short-lived state (a "did you mean" list,
a burst of text being joined, the per-voter rate limit) stays in one process's memory, and that
worker handles the chat's rows in `update_id` order. A worker holds its slot with a PostgreSQL
advisory lock: two workers never serve one slot, and a restarted worker (or a standby) takes the
slot over with the rows still waiting in it.

Why a table of our own rather than procrastinate or pgqueuer: README, *Several workers*.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import make_url

from bot.storage.database import Database, ProcessLock
from bot.storage.models import InboxUpdate, utcnow

log = logging.getLogger(__name__)

#: The PostgreSQL NOTIFY channel; the payload is the slot that has new rows.
CHANNEL = "factcheck_inbox"
#: Advisory lock keys of the slots: SLOT_LOCK_BASE + schema number * 1024 + slot.
SLOT_LOCK_BASE = 7_202_511_300
#: Handled rows are kept this long (their update_id only) so a late retry is still recognised.
KEEP_HANDLED = timedelta(days=1)


def chat_of(update: Mapping[str, Any]) -> int:
    """The chat an update belongs to (the key that picks its worker): the message's chat, or
    for a button press the chat of the message the button is on, else its sender; 0 when the
    update names none (it is handled, by slot 0)."""
    for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
        message = update.get(key)
        if isinstance(message, Mapping):
            chat = message.get("chat")
            if isinstance(chat, Mapping) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    query = update.get("callback_query")
    if isinstance(query, Mapping):
        message = query.get("message")
        if isinstance(message, Mapping):
            chat = message.get("chat")
            if isinstance(chat, Mapping) and isinstance(chat.get("id"), int):
                return int(chat["id"])
        sender = query.get("from")
        if isinstance(sender, Mapping) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return 0


def slot_of(chat_id: int, workers: int) -> int:
    """The worker slot that owns `chat_id` (Python's modulo: never negative, also for groups)."""
    return chat_id % workers


@dataclass(frozen=True)
class Waiting:
    """An update not handled yet."""

    update_id: int
    chat_id: int
    payload: dict[str, Any]


class Inbox:
    """The table's operations; synchronous (callers run them in a thread)."""

    def __init__(self, database: Database, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if workers > 1024:
            raise ValueError("at most 1024 workers")
        self.database = database
        self.workers = workers
        self._schema_key: int | None = None

    def store(self, update_id: int, chat_id: int, payload: dict[str, Any]) -> bool:
        """Keep an update; True when it is new, False when it was already here (a retry).
        The owning worker is told by NOTIFY, sent when this transaction commits."""
        statement = (
            insert(InboxUpdate)
            .values(update_id=update_id, chat_id=chat_id, payload=payload, received_at=utcnow())
            .on_conflict_do_nothing(index_elements=[InboxUpdate.update_id])
            .returning(InboxUpdate.update_id)
        )
        with self.database.session() as session:
            new = session.execute(statement).first() is not None
            if new:
                session.execute(
                    text("SELECT pg_notify(:channel, :slot)"),
                    {"channel": CHANNEL, "slot": str(slot_of(chat_id, self.workers))},
                )
        return new

    def waiting(self, slot: int, *, skip: set[int], limit: int = 500) -> list[Waiting]:
        """Up to `limit` rows of `slot` not handled yet, oldest update first, leaving out the
        update ids in `skip` (those being handled now)."""
        n = self.workers
        owner = func.mod(func.mod(InboxUpdate.chat_id, n) + n, n)
        query = (
            select(InboxUpdate.update_id, InboxUpdate.chat_id, InboxUpdate.payload)
            .where(InboxUpdate.handled_at.is_(None), owner == slot)
            .order_by(InboxUpdate.update_id)
            .limit(limit + len(skip))
        )
        with self.database.session() as session:
            rows = session.execute(query).all()
        found = [
            Waiting(int(row.update_id), int(row.chat_id), dict(row.payload or {}))
            for row in rows
            if row.update_id not in skip
        ]
        return found[:limit]

    def mark_handled(self, update_ids: Iterable[int]) -> None:
        """Handled: never handed out again; the voter's message is dropped from the row."""
        ids = sorted(set(update_ids))
        if not ids:
            return
        with self.database.session() as session:
            session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id.in_(ids))
                .values(handled_at=utcnow(), payload=None)
            )

    def purge(self, now: datetime | None = None) -> int:
        """Delete handled rows older than KEEP_HANDLED; how many went."""
        cutoff = (now or utcnow()) - KEEP_HANDLED
        with self.database.session() as session:
            result = session.execute(
                delete(InboxUpdate).where(
                    InboxUpdate.handled_at.is_not(None), InboxUpdate.received_at < cutoff
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def backlog(self) -> int:
        """Updates accepted and not handled yet, all slots together."""
        with self.database.session() as session:
            count = session.scalar(
                select(func.count()).select_from(InboxUpdate).where(
                    InboxUpdate.handled_at.is_(None)
                )
            )
        return int(count or 0)

    def slot_lock(self, slot: int) -> ProcessLock:
        """The advisory lock of `slot`. Advisory locks are per database, not per schema, so the
        key includes the schema: two bots (or test runs) in two schemas of one database each
        have their own slots."""
        if self._schema_key is None:
            with self.database.session() as session:
                schema = str(session.scalar(text("SELECT current_schema()")) or "public")
            self._schema_key = zlib.crc32(schema.encode()) % 1_000_000
        return ProcessLock(self.database, SLOT_LOCK_BASE + self._schema_key * 1024 + slot)


class Listener:
    """LISTENs on CHANNEL in a thread of its own and calls `on_notify(slot)` for each
    notification, so a worker wakes as soon as another stored a row for it (polling is the
    fallback: a lost connection is reopened, and rows are also looked for every second)."""

    def __init__(self, database: Database, on_notify: Callable[[int], None]) -> None:
        url = make_url(database.url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._on_notify = on_notify
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="inbox-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            with contextlib.suppress(ValueError):
                                self._on_notify(int(notice.payload))
            except Exception as exc:  # noqa: BLE001 - polling covers the gap; try again
                log.warning("inbox listener: %s; listening again in 2 s", exc)
                self._stop.wait(2.0)
