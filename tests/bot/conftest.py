"""Fixtures for the conversation tests: the real matcher, intent classifier and SQLite storage.

Building a matcher embeds every passage, so one matcher over tests/data/kb-small is built per test
session and every test's services reuse it (through the services' own matcher factory, the same
hook a reload uses). Everything else (database, spool, memory, rate limits) is fresh per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.core.messages import Button, Incoming, Reply
from bot.services import Services, build_services
from bot.storage.models import Feedback, Question, Ticket, TicketSubscriber, Voter
from knowledge.loader import KnowledgeBase
from knowledge.matcher import Matcher
from nlu.intent_service import IntentService

DATA = Path(__file__).resolve().parent.parent / "data"
KB_SMALL = DATA / "kb-small"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "knowledge_dir": KB_SMALL,
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "cache_dir": tmp_path / "cache",
        "rate_limit_per_minute": 1000,
        "rate_limit_per_day": 10000,
        # Tests never reach the internet: the link tests serve pages from loopback themselves.
        "read_links": False,
        "media_dir": tmp_path / "media",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def make_services(
    tmp_path: Path,
    reusing_matcher_factory: Callable[[KnowledgeBase, Matcher | None], Matcher],
    intent_service: IntentService,
) -> Callable[..., Services]:
    built: list[Services] = []

    def make(**overrides: Any) -> Services:
        services = build_services(
            make_settings(tmp_path, **overrides),
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


@pytest.fixture
async def services(make_services: Callable[..., Services]) -> AsyncIterator[Services]:
    built = make_services()
    yield built
    await built.conversation.aclose()


@dataclass
class Chat:
    """One voter in one chat, pressing buttons by label like a person would."""

    services: Services
    user_id: int = 1001
    chat_id: int | None = None
    language_code: str | None = None
    chat_type: str = "private"
    last: list[Reply] = field(default_factory=list)

    @property
    def conversation(self) -> Any:
        return self.services.conversation

    async def send(self, incoming: Incoming) -> list[Reply]:
        self.last = await self.conversation.handle(incoming)
        return self.last

    async def say(self, text: str, **kwargs: Any) -> list[Reply]:
        kwargs.setdefault("language_code", self.language_code)
        kwargs.setdefault("chat_type", self.chat_type)
        chat_id = self.chat_id if self.chat_id is not None else self.user_id
        return await self.send(Incoming.from_text(chat_id, self.user_id, text, **kwargs))

    def buttons(self) -> list[Button]:
        return [b for reply in self.last for b in reply.all_buttons()]

    def button(self, label_part: str) -> Button:
        found = [b for b in self.buttons() if label_part in b.label]
        assert found, f"no button with {label_part!r} in {[b.label for b in self.buttons()]}"
        return found[0]

    async def press(self, button: Button | str) -> list[Reply]:
        if isinstance(button, str):
            button = self.button(button)
        assert button.data is not None
        chat_id = self.chat_id if self.chat_id is not None else self.user_id
        return await self.send(
            Incoming(
                chat_id, self.user_id, callback_data=button.data,
                language_code=self.language_code, chat_type=self.chat_type,  # type: ignore[arg-type]
            )
        )

    def is_clarify(self) -> bool:
        data = [b.data or "" for b in self.buttons()]
        return any(d.startswith("x:") for d in data)

    async def card(self, text: str, candidate: str) -> Reply:
        """Ask `text` and return the card it leads to: the matcher's direct answer, or the card
        behind the "did you mean" button whose label contains `candidate`.

        The matcher's thresholds are calibrated separately (knowledge/thresholds.py); the card
        tests check what a card says, whichever of the two ways reached it.
        """
        replies = await self.say(text)
        if self.is_clarify():
            replies = await self.press(candidate)
        (card,) = replies
        assert card.text.startswith("<b>"), card.text
        return card

    def text(self) -> str:
        return "\n".join(reply.text for reply in self.last)


@pytest.fixture
def chat(services: Services) -> Chat:
    return Chat(services)


@pytest.fixture
def new_chat(services: Services) -> Callable[..., Chat]:
    """Another voter (or the same voter in a group) on the same services."""

    def make(**kwargs: Any) -> Chat:
        return Chat(services, **kwargs)

    return make


@pytest.fixture
def chat_on() -> Callable[..., Chat]:
    """A voter on services a test built itself (e.g. with its own knowledge directory)."""

    def make(services: Services, **kwargs: Any) -> Chat:
        return Chat(services, **kwargs)

    return make


@pytest.fixture
def kb_small() -> Path:
    return KB_SMALL


class Db:
    """Reads the test database the way a curator's query would."""

    def __init__(self, services: Services) -> None:
        assert services.database is not None
        self.database = services.database

    def count(self, model: type, **where: Any) -> int:
        with self.database.session() as session:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return int(session.scalar(query) or 0)

    def rows(self, model: type) -> list[Any]:
        with self.database.session() as session:
            return list(session.scalars(select(model)))


@pytest.fixture
def db(services: Services) -> Db:
    return Db(services)


MODELS = {
    "Feedback": Feedback, "Question": Question, "Ticket": Ticket,
    "TicketSubscriber": TicketSubscriber, "Voter": Voter,
}
