"""Escalations that could not reach the database, kept until they can.

A voter whose claim should go to fact-checkers must not lose it because the database is down
for a minute. The escalation is appended to a JSON-lines file (var/spool.jsonl by default) and to
memory, and replayed through Repository.escalate later (by the services' retry loop, and after
the next escalation that succeeds). If even the file cannot be written, memory still holds it
until the process ends, and the voter is told the truth either way.
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

log = logging.getLogger(__name__)


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
            user_id, chat_id, text, language, question_id, datetime.now(UTC).isoformat()
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
        """Replay every spooled escalation; stop at the first failure (the database is still
        down) and keep the rest. Returns how many were delivered. Synchronous: run it in a thread.

        The repository is called outside the lock, so a database that hangs never blocks `add()`
        (which the event loop calls) for longer than a list copy.
        """
        with self._drain_lock:
            with self._lock:
                todo = list(self._items)
            delivered: list[SpooledEscalation] = []
            for item in todo:
                try:
                    repository.escalate(
                        user_id=item.user_id, chat_id=item.chat_id, text=item.text,
                        language=item.language, question_id=item.question_id,
                    )
                except Exception as exc:  # noqa: BLE001 - the database is still unavailable
                    left = len(todo) - len(delivered)
                    log.warning("spool replay stopped, %d left: %s", left, exc)
                    break
                delivered.append(item)
            if not delivered:
                return 0
            with self._lock:
                for item in delivered:
                    if item in self._items:  # /forget may have removed it meanwhile
                        self._items.remove(item)
                self._rewrite()
                left = len(self._items)
            log.info("delivered %d spooled escalation(s); %d left", len(delivered), left)
            return len(delivered)

    def forget_user(self, user_id: int) -> int:
        """Drop a voter's spooled escalations (/forget must reach these too)."""
        with self._lock:
            before = len(self._items)
            self._items = [i for i in self._items if i.user_id != user_id]
            removed = before - len(self._items)
            if removed:
                self._rewrite()
            return removed

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
                items.append(SpooledEscalation(**json.loads(line)))
            except (ValueError, TypeError):
                log.error("%s:%d: unreadable spool line skipped: %r", self.path, number, line[:200])
        return items

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
