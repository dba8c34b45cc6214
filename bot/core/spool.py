"""Escalations that could not reach the database, kept until they can.

A voter whose claim should go to fact-checkers must not lose it because the database is down
for a minute. The escalation is appended to a JSON-lines file (var/spool.jsonl by default) and to
memory, and replayed through the store's `escalate` later (by the services' retry loop, and after
the next escalation that succeeds). If even the file cannot be written, memory still holds it
until the process ends, and the voter is told the truth either way.

A replay stops at the first failure that says the database is unavailable (the rest waits for
the next try), but one item that fails for a reason of its own (text the database refuses, a
constraint) must not block those behind it: it is set aside, appended to `<spool>.rejected` for
an operator with a log line and `factcheck_spool_set_aside_total`, and the replay goes on.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import DataError, IntegrityError

from bot.core.inputs import scrub
from bot.monitoring import metrics

log = logging.getLogger(__name__)

#: Failures that belong to the item, not to the database: replaying it later cannot help.
ITEM_ERRORS: tuple[type[Exception], ...] = (
    ValueError, TypeError, ArithmeticError, DataError, IntegrityError
)


class Escalator(Protocol):
    def escalate(
        self, *, user_id: int, chat_id: int, text: str, language: str,
        question_id: int | None = None,
    ) -> Any: ...


@dataclass(frozen=True)
class SpooledEscalation:
    user_id: int
    chat_id: int
    text: str
    language: str
    question_id: int | None = None
    spooled_at: str = ""


class Spool:
    """A durable (when it can be) queue of escalations waiting for the database."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._items: list[SpooledEscalation] = self._read()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def pending(self) -> list[SpooledEscalation]:
        with self._lock:
            return list(self._items)

    def add(self, *, user_id: int, chat_id: int, text: str, language: str,
            question_id: int | None = None) -> bool:
        """Keep an escalation; True when it reached the disk, False when only memory has it."""
        item = SpooledEscalation(
            user_id, chat_id, scrub(text), language, question_id, datetime.now(UTC).isoformat()
        )
        with self._lock:
            self._items.append(item)
            if self.path is None:
                return False
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                return True
            except OSError:
                log.exception("could not write the escalation spool %s; kept in memory", self.path)
                return False

    def drain(self, repository: Escalator) -> int:
        """Replay every spooled escalation; stop at the first failure that means the database is
        still unavailable and keep the rest, but set aside an item that fails for a reason of its
        own (ITEM_ERRORS) and go on. Returns how many were delivered. Synchronous: run it in a
        thread; a drain already running makes this one return 0 at once (threads must not pile
        up behind a hung database).

        The repository is called outside the lock, so a database that hangs never blocks `add()`
        (which the event loop calls) for longer than a list copy.
        """
        if not self._drain_lock.acquire(blocking=False):
            return 0
        try:
            with self._lock:
                todo = list(self._items)
            delivered: list[SpooledEscalation] = []
            rejected: list[SpooledEscalation] = []
            for item in todo:
                try:
                    repository.escalate(
                        user_id=item.user_id, chat_id=item.chat_id, text=item.text,
                        language=item.language, question_id=item.question_id,
                    )
                except ITEM_ERRORS as exc:
                    log.error(
                        "spooled escalation of %s set aside in %s: %s: %s", item.spooled_at,
                        self._rejected_path() or "memory", type(exc).__name__, str(exc)[:200],
                    )
                    metrics.SPOOL_SET_ASIDE.inc()
                    rejected.append(item)
                    continue
                except Exception as exc:  # noqa: BLE001 - the database is still unavailable
                    left = len(todo) - len(delivered) - len(rejected)
                    log.warning("spool replay stopped, %d left: %s", left, exc)
                    break
                delivered.append(item)
            if not delivered and not rejected:
                return 0
            with self._lock:
                for item in (*delivered, *rejected):
                    if item in self._items:  # /forget may have removed it meanwhile
                        self._items.remove(item)
                self._set_aside(rejected)
                self._rewrite()
                left = len(self._items)
            if delivered:
                log.info("delivered %d spooled escalation(s); %d left", len(delivered), left)
            return len(delivered)
        finally:
            self._drain_lock.release()

    def forget_user(self, user_id: int) -> int:
        """Drop a voter's spooled escalations (/forget must reach these too)."""
        with self._lock:
            before = len(self._items)
            self._items = [i for i in self._items if i.user_id != user_id]
            removed = before - len(self._items)
            if removed:
                self._rewrite()
            return removed + self._forget_set_aside(user_id)

    def _forget_set_aside(self, user_id: int) -> int:
        path = self._rejected_path()
        if path is None or not path.exists():
            return 0
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
            kept = [line for line in lines if _user_of(line) != user_id]
            if len(kept) != len(lines):
                path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
            return len(lines) - len(kept)
        except OSError:
            log.exception("could not remove a voter's set-aside escalations from %s", path)
            return 0

    # -- file ------------------------------------------------------------------------------------
    def _read(self) -> list[SpooledEscalation]:
        if self.path is None or not self.path.exists():
            return []
        items = []
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            log.exception("could not read the escalation spool %s", self.path)
            return []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = SpooledEscalation(**json.loads(line))
                items.append(
                    SpooledEscalation(**{**asdict(item), "text": scrub(str(item.text))})
                )
            except (ValueError, TypeError):
                log.error("%s:%d: unreadable spool line skipped: %r", self.path, number, line[:200])
        return items

    def _rejected_path(self) -> Path | None:
        return self.path.with_name(self.path.name + ".rejected") if self.path else None

    def _set_aside(self, items: list[SpooledEscalation]) -> None:
        """Keep set-aside items where an operator finds them (never replayed automatically)."""
        path = self._rejected_path()
        if path is None or not items:
            return
        try:
            with path.open("a", encoding="utf-8", errors="backslashreplace") as fh:
                for item in items:
                    fh.write(json.dumps(asdict(item), ensure_ascii=True) + "\n")
        except OSError:
            log.exception("could not write %s", path)

    def _rewrite(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(".tmp")
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                for item in self._items:
                    fh.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError:
            log.exception("could not rewrite the escalation spool %s", self.path)


def _user_of(line: str) -> int | None:
    try:
        return int(json.loads(line)["user_id"])
    except (ValueError, TypeError, KeyError):
        return None
