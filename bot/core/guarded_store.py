"""The core's storage port as a turn awaits it: `ctx.store.escalate(...)`, never a string.

Handlers call typed methods that mirror the `CoreStore` port (bot.core.ports) one for one. Each
runs the repository's method in a database thread of the `DatabaseGuard` (off the event loop,
within its deadline) and returns a `DbResult` instead of raising: `ok` is False when there is no
database, when the guard gave up on a hung one (the guard logged it once), or when the call
failed (logged here). So every handler decides explicitly what "the database is down" means for
the voter, and a misspelt method or a misread receipt is a mypy error, not a failure at run time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar

from bot.core.ports import (
    ChoiceReceipt,
    CoreStore,
    EscalationReceipt,
    LearnedLookup,
    QuestionDecision,
    VoterRecord,
)
from bot.storage.guard import DatabaseGuard, DatabaseUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class DbResult(Generic[T]):
    """A repository call's outcome: `ok` False when there is no database or the call failed
    (logged); `value` is what the call returned when `ok`."""

    ok: bool
    value: T | None = None


class GuardedStore:
    """The `CoreStore` methods a turn uses, awaited through the guard (see the module doc)."""

    def __init__(self, repository: CoreStore | None, guard: DatabaseGuard) -> None:
        self._repository = repository
        self._guard = guard

    async def _call(
        self, method: Callable[[CoreStore], Callable[P, T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> DbResult[T]:
        """`method(repository)(*args, **kwargs)` in a database thread; never raises. The bound
        method goes to the guard itself, so a timeout is logged with the method's name."""
        repository = self._repository
        if repository is None:
            return DbResult(False)
        try:
            value = await self._guard.call(method(repository), *args, **kwargs)
        except DatabaseUnavailable as exc:  # hung: the guard logged it once, not per call
            log.debug("database call skipped: %s", exc)
            return DbResult(False)
        except Exception:  # noqa: BLE001 - any database failure degrades, never crashes
            log.exception("database call failed")
            return DbResult(False)
        return DbResult(True, value)

    # VoterStore

    async def get_voter(self, user_id: int) -> DbResult[VoterRecord | None]:
        return await self._call(lambda store: store.get_voter, user_id)

    async def set_chosen_language(
        self, user_id: int, chat_id: int, language: str | None
    ) -> DbResult[None]:
        return await self._call(lambda store: store.set_chosen_language, user_id, chat_id, language)

    async def set_last_language(self, user_id: int, chat_id: int, language: str) -> DbResult[None]:
        return await self._call(lambda store: store.set_last_language, user_id, chat_id, language)

    async def forget_voter(self, user_id: int) -> DbResult[int]:
        return await self._call(lambda store: store.forget_voter, user_id)

    # QuestionStore

    async def record_question(
        self, *, user_id: int, chat_id: int, text: str, language: str, intent: str | None,
        decision: QuestionDecision, entry_id: str | None, score: float | None,
    ) -> DbResult[int]:
        return await self._call(
            lambda store: store.record_question, user_id=user_id, chat_id=chat_id, text=text,
            language=language, intent=intent, decision=decision, entry_id=entry_id, score=score,
        )

    async def recall_question(
        self, *, question_id: int, user_id: int
    ) -> DbResult[tuple[str, str] | None]:
        return await self._call(
            lambda store: store.recall_question, question_id=question_id, user_id=user_id
        )

    async def record_feedback(
        self, *, user_id: int, entry_id: str, helpful: bool, question_id: int | None = None,
        reason: str | None = None,
    ) -> DbResult[None]:
        return await self._call(
            lambda store: store.record_feedback, user_id=user_id, entry_id=entry_id,
            helpful=helpful, question_id=question_id, reason=reason,
        )

    async def record_pick(
        self, *, question_id: int, user_id: int, entry_id: str
    ) -> DbResult[None]:
        return await self._call(
            lambda store: store.record_pick, question_id=question_id, user_id=user_id,
            entry_id=entry_id,
        )

    async def record_feedback_each(
        self, *, user_id: int, entry_ids: Sequence[str], helpful: bool,
        question_id: int | None = None, reason: str | None = None,
    ) -> DbResult[None]:
        """`record_feedback` for several entries in one database call (one guard deadline for
        all of them, as a voter's one tap on "none of these" deserves)."""
        ids = list(entry_ids)

        def each(store: CoreStore) -> Callable[[], None]:
            def record_feedback() -> None:
                for entry_id in ids:
                    store.record_feedback(
                        user_id=user_id, entry_id=entry_id, helpful=helpful,
                        question_id=question_id, reason=reason,
                    )

            return record_feedback

        return await self._call(each)

    # Escalations

    async def escalate(
        self, *, user_id: int, chat_id: int, text: str, language: str,
        question_id: int | None = None, ask_similar: bool = False, key: str | None = None,
    ) -> DbResult[EscalationReceipt]:
        return await self._call(
            lambda store: store.escalate, user_id=user_id, chat_id=chat_id, text=text,
            language=language, question_id=question_id, ask_similar=ask_similar, key=key,
        )

    async def choose_ticket(
        self, *, user_id: int, own_ticket_id: int, target_ticket_id: int | None
    ) -> DbResult[ChoiceReceipt]:
        return await self._call(
            lambda store: store.choose_ticket, user_id=user_id, own_ticket_id=own_ticket_id,
            target_ticket_id=target_ticket_id,
        )

    # MediaStore

    async def media_ticket_key(
        self, *, image_hash: str | None = None, read_text: str = "",
        canonical_url: str | None = None,
    ) -> DbResult[str | None]:
        return await self._call(
            lambda store: store.media_ticket_key, image_hash=image_hash, read_text=read_text,
            canonical_url=canonical_url,
        )

    async def record_media(
        self, *, user_id: int, chat_id: int, kind: str, question_id: int | None = None,
        ticket_id: int | None = None, image_hash: str | None = None, sha256: str | None = None,
        path: str | None = None, url: str | None = None, canonical_url: str | None = None,
        title: str | None = None, read_text: str | None = None,
    ) -> DbResult[int]:
        return await self._call(
            lambda store: store.record_media, user_id=user_id, chat_id=chat_id, kind=kind,
            question_id=question_id, ticket_id=ticket_id, image_hash=image_hash, sha256=sha256,
            path=path, url=url, canonical_url=canonical_url, title=title, read_text=read_text,
        )

    # LearningStore

    async def confirm_pick(
        self, *, user_id: int, question_id: int | None, phrase: str, language: str,
        entry_id: str,
    ) -> DbResult[None]:
        return await self._call(
            lambda store: store.confirm_pick, user_id=user_id, question_id=question_id,
            phrase=phrase, language=language, entry_id=entry_id,
        )

    async def withdraw_pick(
        self, *, user_id: int, question_id: int | None, phrase: str, entry_id: str
    ) -> DbResult[None]:
        return await self._call(
            lambda store: store.withdraw_pick, user_id=user_id, question_id=question_id,
            phrase=phrase, entry_id=entry_id,
        )

    async def learned_for(
        self, *, phrase: str, entry_ids: tuple[str, ...]
    ) -> DbResult[LearnedLookup]:
        return await self._call(lambda store: store.learned_for, phrase=phrase, entry_ids=entry_ids)


__all__ = ["DbResult", "GuardedStore"]
