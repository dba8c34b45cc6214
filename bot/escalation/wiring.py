"""How the escalation pieces plug into the bot's composition root (bot/services.py).

Three joins, each one object here so that services.py needs a few lines, not a redesign:

1. `TicketRoutingStore`: the conversation (and the spool replay) call
   `repository.escalate(...)`; this store (the Repository composed with the ticket service)
   routes that through
   `TicketService.escalate_or_join`, so reworded claims join open tickets and copies of answered
   claims get the answer. Same signature, same EscalationReceipt; with `ask_similar` (the
   conversation's escalations) the receipt may offer open tickets to ask the voter about, and
   `choose_ticket` records the voter's answer.
2. `AnsweredKnowledge`: sits between KnowledgeStore and ServedKnowledge. Every knowledge reload,
   and every new answer (from this process at once, from another process such as the CLI within
   `interval` seconds), serves curated + answered entries as one KnowledgeBase, so the matcher can
   answer with them and the conversation can look them up by id (`kb.get("ticket-12")`).
3. `make_dispatcher`: the outbox dispatcher over the channel's `send`, woken by new answers
   and by corrections.
4. `Corrections`: on every curated knowledge (AnsweredKnowledge.curated_listeners), voters shown
   an entry that has since changed or been retracted get a correction (bot.escalation.corrections).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.core.ports import ChoiceReceipt, LearnedLookup, QuestionDecision, VoterRecord
from bot.escalation.answered import answered_entries
from bot.escalation.checker_registry import CheckerRegistry
from bot.escalation.corrections import Corrections
from bot.escalation.outbox import OutboxDispatcher, Sender
from bot.escalation.ratelimit import Limits
from bot.escalation.ticket_index import OpenTicketIndex
from bot.escalation.tickets import HOLD_SECONDS, TicketService
from bot.storage.database import Database
from bot.storage.models import Answer, Ticket, TicketStatus
from bot.storage.repository import EscalationReceipt, Repository
from knowledge.loader import KnowledgeBase
from knowledge.model import Entry

log = logging.getLogger(__name__)


class TicketRoutingStore:
    """The core's store port (bot.core.ports.CoreStore) composed of two parts: the Repository
    for voters, questions, feedback and media, and the ticket service for escalations and the
    voter's choice among offered tickets (see the module doc). Not a Repository subclass: the
    plain calls are delegated one by one, so what the core can reach is exactly what is here.
    """

    def __init__(self, repository: Repository, tickets: TicketService) -> None:
        self.repository = repository
        self.tickets = tickets

    # -- routed through the ticket service -----------------------------------------------------
    def escalate(
        self,
        *,
        user_id: int,
        chat_id: int,
        text: str,
        language: str,
        question_id: int | None = None,
        ask_similar: bool = False,
        key: str | None = None,
    ) -> EscalationReceipt:
        return self.tickets.escalate_or_join(
            user_id, chat_id, text, language, question_id, ask_similar=ask_similar, key=key
        )

    def choose_ticket(
        self, *, user_id: int, own_ticket_id: int, target_ticket_id: int | None
    ) -> ChoiceReceipt:
        """The voter's answer to "is your question one of these claims?" (see TicketService)."""
        return self.tickets.choose_ticket(user_id, own_ticket_id, target_ticket_id)

    # -- delegated to the Repository -----------------------------------------------------------
    def get_voter(self, user_id: int) -> VoterRecord | None:
        return self.repository.get_voter(user_id)

    def set_chosen_language(self, user_id: int, chat_id: int, language: str | None) -> None:
        self.repository.set_chosen_language(user_id, chat_id, language)

    def set_last_language(self, user_id: int, chat_id: int, language: str) -> None:
        self.repository.set_last_language(user_id, chat_id, language)

    def forget_voter(self, user_id: int) -> int:
        return self.repository.forget_voter(user_id)

    def record_question(
        self, *, user_id: int, chat_id: int, text: str, language: str, intent: str | None,
        decision: QuestionDecision, entry_id: str | None, score: float | None,
    ) -> int:
        return self.repository.record_question(
            user_id=user_id, chat_id=chat_id, text=text, language=language, intent=intent,
            decision=decision, entry_id=entry_id, score=score,
        )

    def recall_question(self, *, question_id: int, user_id: int) -> tuple[str, str] | None:
        return self.repository.recall_question(question_id=question_id, user_id=user_id)

    def record_pick(self, *, question_id: int, user_id: int, entry_id: str) -> None:
        self.repository.record_pick(question_id=question_id, user_id=user_id, entry_id=entry_id)

    def record_feedback(
        self, *, user_id: int, entry_id: str, helpful: bool, question_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        self.repository.record_feedback(
            user_id=user_id, entry_id=entry_id, helpful=helpful, question_id=question_id,
            reason=reason,
        )

    def purge_questions(self, older_than_days: int, now: datetime | None = None) -> int:
        return self.repository.purge_questions(older_than_days, now)

    def media_ticket_key(
        self, *, image_hash: str | None = None, read_text: str = "",
        canonical_url: str | None = None,
    ) -> str | None:
        return self.repository.media_ticket_key(
            image_hash=image_hash, read_text=read_text, canonical_url=canonical_url
        )

    def record_media(
        self, *, user_id: int, chat_id: int, kind: str, question_id: int | None = None,
        ticket_id: int | None = None, image_hash: str | None = None, sha256: str | None = None,
        path: str | None = None, url: str | None = None, canonical_url: str | None = None,
        title: str | None = None, read_text: str | None = None,
    ) -> int:
        return self.repository.record_media(
            user_id=user_id, chat_id=chat_id, kind=kind, question_id=question_id,
            ticket_id=ticket_id, image_hash=image_hash, sha256=sha256, path=path, url=url,
            canonical_url=canonical_url, title=title, read_text=read_text,
        )

    def confirm_pick(
        self, *, user_id: int, question_id: int | None, phrase: str, language: str,
        entry_id: str,
    ) -> None:
        self.repository.confirm_pick(
            user_id=user_id, question_id=question_id, phrase=phrase, language=language,
            entry_id=entry_id,
        )

    def withdraw_pick(
        self, *, user_id: int, question_id: int | None, phrase: str, entry_id: str
    ) -> None:
        self.repository.withdraw_pick(
            user_id=user_id, question_id=question_id, phrase=phrase, entry_id=entry_id
        )

    def learned_for(self, *, phrase: str, entry_ids: tuple[str, ...]) -> LearnedLookup:
        return self.repository.learned_for(phrase=phrase, entry_ids=entry_ids)


def with_answers(knowledge: KnowledgeBase, database: Database) -> KnowledgeBase:
    """`knowledge` plus every answered ticket; a curated entry with the same id wins (once a
    maintainer commits an exported `ticket-<n>` entry, the curated copy is served)."""
    curated = {e.id for e in knowledge.entries}
    extra = [e for e in answered_entries(database) if e.id not in curated]
    if not extra:
        return knowledge
    return KnowledgeBase.of(
        knowledge.directory, [*knowledge.entries, *extra], list(knowledge.warnings)
    )


class AnsweredKnowledge:
    """Serves curated + answered knowledge through `serve` (ServedKnowledge.on_reload)."""

    def __init__(self, database: Database, serve: Callable[[KnowledgeBase], None]) -> None:
        self.db = database
        self._serve = serve
        #: Called with each new curated knowledge once it is served (Corrections.on_knowledge:
        #: voters shown an entry that changed are told). A failure there is logged, never
        #: keeps the knowledge from being served.
        self.curated_listeners: list[Callable[[KnowledgeBase], object]] = []
        self._curated: KnowledgeBase | None = None
        self._seen: tuple[Any, ...] | None = None
        self._lock = threading.Lock()

    def on_reload(self, knowledge: KnowledgeBase) -> None:
        """KnowledgeStore's callback: new curated knowledge arrived. The listeners hear of it
        once it is served (a matcher that cannot be rebuilt raises before: nothing is announced
        that voters are not given)."""
        with self._lock:
            self._curated = knowledge
            self._push()
        for listener in list(self.curated_listeners):
            try:
                listener(knowledge)
            except Exception:  # noqa: BLE001 - serving the knowledge matters more
                log.exception("a knowledge listener failed")

    def _fingerprint(self) -> tuple[Any, ...]:
        with self.db.session() as session:
            answers = session.execute(select(func.count(), func.max(Answer.id))).one()
            answered = session.scalar(
                select(func.count()).select_from(Ticket)
                .where(Ticket.status == TicketStatus.ANSWERED)
            )
            merged = session.scalar(
                select(func.count()).select_from(Ticket)
                .where(Ticket.status == TicketStatus.DUPLICATE)
            )
            # A wording given later, or a voter's words removed by /forget, changes no count.
            changed = session.scalar(
                select(func.max(Ticket.updated_at)).where(
                    Ticket.status.in_((TicketStatus.ANSWERED, TicketStatus.DUPLICATE))
                )
            )
        return (*answers, answered, merged, changed)

    def _push(self) -> None:
        if self._curated is None:
            return
        try:
            self._seen = self._fingerprint()
            knowledge = with_answers(self._curated, self.db)
        except Exception:  # noqa: BLE001 - the database is down: serve the curated knowledge
            log.exception("could not read answered tickets; serving curated knowledge only")
            knowledge = self._curated
        self._serve(knowledge)

    def refresh(self) -> bool:
        """Serve again if answers changed since the last time; True when it did. Synchronous
        (it may rebuild the matcher for the new entries): call it in a thread."""
        with self._lock:
            try:
                changed = self._fingerprint() != self._seen
            except Exception:  # noqa: BLE001 - try again next time
                log.exception("could not check for new answers")
                return False
            if changed:
                self._push()
            return changed

    def on_ticket_event(self, ticket_id: int, status: str) -> None:
        """TicketService listener: serve a new answer right away. In a thread, because the
        rebuild embeds the new claim and the checker's action should not wait for it."""
        if status in ("answered", "duplicate"):
            threading.Thread(target=self.refresh, name="answered-refresh", daemon=True).start()

    async def watch(self, interval: float = 10.0) -> None:
        """Pick up answers given by other processes (the CLI, another bot instance)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # noqa: BLE001 - the loop must outlive any one failure
                log.exception("answered-knowledge refresh failed")


@dataclass
class Escalation:
    """Everything escalation-related the composition root holds."""

    database: Database
    registry: CheckerRegistry
    tickets: TicketService
    index: OpenTicketIndex
    repository: TicketRoutingStore
    corrections: Corrections
    dispatchers: list[OutboxDispatcher] = field(default_factory=list)

    def make_dispatcher(self, send: Sender, *, limits: Limits | None = None,
                        **options: Any) -> OutboxDispatcher:
        """The outbox dispatcher over the channel's `send`; new answers and rejections wake it
        at once instead of at its next poll."""
        dispatcher = OutboxDispatcher(self.database, send, limits=limits, **options)
        self.dispatchers.append(dispatcher)
        loop = None
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()

        def wake(ticket_id: int, status: str) -> None:
            if status not in ("answered", "rejected", "duplicate"):
                return  # nothing was enqueued
            if loop is not None:
                loop.call_soon_threadsafe(dispatcher.wake)
            else:
                dispatcher.wake()

        self.tickets.listeners.append(wake)
        self.corrections.listeners.append(lambda added: wake(0, "answered"))
        return dispatcher


def build_escalation(
    database: Database,
    *,
    checker_ids: frozenset[int] | set[int] = frozenset(),
    base_matcher: Callable[[], Any] | None = None,
    matcher_factory: Callable[[Sequence[Entry]], Any] | None = None,
    hold_seconds: float = HOLD_SECONDS,
) -> Escalation:
    """The escalation objects over `database`.

    `base_matcher()` returns the conversation's current matcher (in services.py:
    `lambda: served.snapshot()[1]`); the open-ticket index is that matcher plus the open tickets.
    `matcher_factory(entries)` is the fallback for a process without a conversation matcher.
    `hold_seconds` is TICKET_HOLD_SECONDS: how long a voter has to say whether their question is
    an open ticket's claim before theirs joins the checkers' queue.
    """
    registry = CheckerRegistry(database, checker_ids)
    index = OpenTicketIndex(database, base=base_matcher, factory=matcher_factory)
    repository = Repository(database)
    tickets = TicketService(
        database, registry=registry, ticket_index=index, repository=repository,
        hold_seconds=hold_seconds,
    )
    return Escalation(
        database=database, registry=registry, tickets=tickets, index=index,
        repository=TicketRoutingStore(repository, tickets), corrections=Corrections(database),
    )
