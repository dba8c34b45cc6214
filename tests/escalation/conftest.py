"""Fixtures for the escalation tests: a ticket service on a real database, a real matcher, and a
sender that records what voters would receive (the only stand-in: Telegram itself)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.escalation.checker_registry import CheckerRegistry
from bot.escalation.outbox import SendResult
from bot.escalation.ticket_index import OpenTicketIndex
from bot.escalation.tickets import TicketService
from bot.storage import Database

CHECKER = 9001  # configured (CHECKER_IDS) checker used by the tests
CURATED = Path(__file__).resolve().parent / "data" / "kb"


@pytest.fixture(scope="session")
def base_matcher(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An empty real matcher, built once: `updated(entries)` reuses its embedding model, which
    is exactly how the bot shares one model between the knowledge and the ticket index."""
    from knowledge.matcher import build_matcher

    return build_matcher([], cache_dir=tmp_path_factory.mktemp("embedding-cache"))


@pytest.fixture
def matcher_factory(base_matcher) -> Callable[[Sequence[object]], object]:  # type: ignore[no-untyped-def]
    return lambda entries: base_matcher.updated(entries)


@pytest.fixture(scope="session")
def curated_matcher(base_matcher):  # type: ignore[no-untyped-def]
    """The conversation's matcher over a small curated knowledge base of our own (a copy, so
    other teams' test data cannot change what these tests see)."""
    from knowledge.loader import load_directory

    return base_matcher.updated(load_directory(CURATED).published())


@pytest.fixture
def service(database: Database, curated_matcher) -> TicketService:  # type: ignore[no-untyped-def]
    """The ticket service as the bot wires it: the ticket index on the conversation's matcher."""
    return TicketService(
        database,
        registry=CheckerRegistry(database, [CHECKER]),
        ticket_index=OpenTicketIndex(database, base=lambda: curated_matcher),
    )


@dataclass
class RecordingSender:
    """Records (chat_id, monotonic time, text) for every message 'delivered'.

    `script` maps a chat id to results to return on successive sends to it (then ok);
    `crash_after` raises SystemExit on that many-plus-one-th call, before delivering it, the way a
    process dies mid fan-out.
    """

    script: dict[int, list[SendResult | Exception]] = field(default_factory=dict)
    crash_after: int | None = None
    delay: float = 0.0
    sent: list[tuple[int, float, str]] = field(default_factory=list)
    calls: int = 0

    async def __call__(self, chat_id: int, text: str, buttons: object) -> SendResult | None:
        self.calls += 1
        if self.crash_after is not None and self.calls > self.crash_after:
            raise SystemExit("simulated crash during fan-out")
        if self.delay:
            await asyncio.sleep(self.delay)
        queued = self.script.get(chat_id)
        if queued:
            outcome = queued.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            if outcome.outcome != "ok":
                return outcome
        self.sent.append((chat_id, time.monotonic(), text))
        return None

    def chats(self) -> list[int]:
        return [chat for chat, _, _ in self.sent]

    def texts_for(self, chat_id: int) -> list[str]:
        return [text for chat, _, text in self.sent if chat == chat_id]


@pytest.fixture
def recording_sender() -> type[RecordingSender]:
    """The RecordingSender class (test modules cannot import conftest under importlib mode)."""
    return RecordingSender


def drain(dispatcher, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    return asyncio.run(dispatcher.drain(timeout=timeout))


@pytest.fixture
def run_drain() -> Callable[..., object]:
    return drain
