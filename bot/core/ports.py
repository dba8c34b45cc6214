"""What the conversation needs from the outside world, as typed ports.

The core calls storage and escalation through these Protocols and gets these dataclass receipts
back, so a misspelt method or a receipt read wrongly is a type error (mypy, strict on bot/core),
not a database failure logged at run time with the voter told the database is down. The
implementations live elsewhere and satisfy the Protocols structurally:
`bot.escalation.ticket_rows.PlainTicketStore` (the Repository with plain tickets, by claim key)
and `bot.escalation.wiring.TicketRoutingStore` (the Repository composed with the
ticket service); `bot.services` hands one to `CoreDeps.repository`.

The methods are synchronous (SQLAlchemy sessions): handlers await them through `ctx.store`
(bot.core.guarded_store.GuardedStore), which runs them in a database thread and turns any failure
into `DbResult(ok=False)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class QuestionDecision(StrEnum):
    """What the conversation did with a question (stored as `questions.decision`)."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"


class EscalationVia(StrEnum):
    """How an escalated question found its ticket."""

    NEW = "new"  # a ticket of its own
    KEY = "key"  # the same text as an open ticket
    MATCHER = "matcher"  # the same claim, reworded (the ticket matcher was sure)
    ANSWERED = "answered"  # already answered: the answer is on its way to the voter


class ChoiceOutcome(StrEnum):
    """What came of a voter's answer to "is your question one of these claims?".

    - JOINED: the voter now waits on the open ticket they chose;
    - ANSWERED: the ticket they chose was answered meanwhile; its answer is on its way to them;
    - ALREADY: they were already waiting on it (a second tap, or a checker merged it first);
    - KEPT: they said "something else": their own ticket goes to the checkers' queue now;
    - TARGET_CLOSED: the ticket they chose was closed without an answer meanwhile, so their own
      ticket stays and goes to the queue;
    - CLOSED: their own question was answered or rejected meanwhile: nothing to change;
    - UNKNOWN: they are not waiting on that ticket (forgotten with /forget, or data this bot did
      not send): nothing was changed.
    """

    JOINED = "joined"
    ANSWERED = "answered"
    ALREADY = "already"
    KEPT = "kept"
    TARGET_CLOSED = "target_closed"
    CLOSED = "closed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class VoterRecord:
    user_id: int
    chosen_language: str | None
    last_language: str | None


@dataclass(frozen=True)
class TicketOffer:
    """An open ticket whose claim may be what the voter asked: shown to them to confirm.

    `wording` is the claim in a checker's words (Ticket.claim_wording), never another voter's
    text: a ticket nobody has worded is not offered. `language` is the wording's language."""

    ticket_id: int
    wording: str
    language: str


@dataclass(frozen=True)
class EscalationReceipt:
    ticket_id: int
    joined_existing: bool
    askers: int
    via: EscalationVia = EscalationVia.NEW
    #: Open tickets that may be the same claim, when the matcher was not sure enough to join one
    #: (only for a new ticket, and only when the caller asked for them). The new ticket is held
    #: out of the checkers' queue meanwhile; the voter is asked which, if any, is theirs.
    offers: tuple[TicketOffer, ...] = ()


@dataclass(frozen=True)
class ChoiceReceipt:
    """The outcome of a voter's choice, with the ticket they wait on and its askers when it
    matters (see ChoiceOutcome)."""

    outcome: ChoiceOutcome
    ticket_id: int | None = None
    askers: int = 0


@dataclass(frozen=True)
class LearnedPhrase:
    """A phrasing voters (or a checker) taught the bot, served for `entry_id` (bot.core.learned):
    `phrase` is normalised (nlu.normalize tokens joined by spaces), never a voter's raw text."""

    phrasing_id: int
    phrase: str
    entry_id: str


@dataclass(frozen=True)
class LearnedLookup:
    """The learned phrasings for some entries, and the entries a checker rejected for exactly
    the message's own phrasing (never served for it, however near another phrasing is)."""

    learned: tuple[LearnedPhrase, ...] = ()
    rejected: frozenset[str] = frozenset()


class VoterStore(Protocol):
    """The voter's row: their languages, and /forget."""

    def get_voter(self, user_id: int) -> VoterRecord | None: ...

    def set_chosen_language(self, user_id: int, chat_id: int, language: str | None) -> None: ...

    def set_last_language(self, user_id: int, chat_id: int, language: str) -> None: ...

    def forget_voter(self, user_id: int) -> int:
        """Delete everything about the voter; returns how many records went."""
        ...


class QuestionStore(Protocol):
    """Questions (kept for trends and for buttons after a restart) and feedback on answers."""

    def record_question(
        self, *, user_id: int, chat_id: int, text: str, language: str, intent: str | None,
        decision: QuestionDecision, entry_id: str | None, score: float | None,
    ) -> int: ...

    def recall_question(self, *, question_id: int, user_id: int) -> tuple[str, str] | None:
        """(text, language) of a question this voter asked, else None."""
        ...

    def record_feedback(
        self, *, user_id: int, entry_id: str, helpful: bool, question_id: int | None = None,
        reason: str | None = None,
    ) -> None: ...

    def record_pick(self, *, question_id: int, user_id: int, entry_id: str) -> None:
        """The voter chose `entry_id` from the list offered for their question: the question
        counts as that entry from now on (trends)."""
        ...


class Escalations(Protocol):
    """Questions handed to fact-checkers, and the voter's answer to "is it one of these?"."""

    def escalate(
        self, *, user_id: int, chat_id: int, text: str, language: str,
        question_id: int | None = None, ask_similar: bool = False, key: str | None = None,
    ) -> EscalationReceipt:
        """`key`: the claim key of the ticket to join instead of the one of `text` (an image or
        link already sent to a ticket: MediaStore.media_ticket_key)."""
        ...

    def choose_ticket(
        self, *, user_id: int, own_ticket_id: int, target_ticket_id: int | None
    ) -> ChoiceReceipt: ...


class MediaStore(Protocol):
    """Screenshots and links that went to fact-checkers (bot.media.records)."""

    def media_ticket_key(
        self, *, image_hash: str | None = None, read_text: str = "",
        canonical_url: str | None = None,
    ) -> str | None:
        """The claim key of the open or answered ticket the same image or page went to."""
        ...

    def record_media(
        self, *, user_id: int, chat_id: int, kind: str, question_id: int | None = None,
        ticket_id: int | None = None, image_hash: str | None = None, sha256: str | None = None,
        path: str | None = None, url: str | None = None, canonical_url: str | None = None,
        title: str | None = None, read_text: str | None = None,
    ) -> int: ...


class LearningStore(Protocol):
    """What voters' picks teach (bot.core.learned; storage in bot.storage.learned)."""

    def confirm_pick(
        self, *, user_id: int, question_id: int | None, phrase: str, language: str,
        entry_id: str,
    ) -> None:
        """The voter picked `entry_id` from the list their message (normalised: `phrase`) got."""
        ...

    def withdraw_pick(
        self, *, user_id: int, question_id: int | None, phrase: str, entry_id: str
    ) -> None:
        """The voter said "not what I asked" of `entry_id` shown for `phrase`: their
        confirmation, if any, becomes a dissent (no-op when nobody taught that pairing)."""
        ...

    def learned_for(self, *, phrase: str, entry_ids: tuple[str, ...]) -> LearnedLookup:
        """The served phrasings of these entries, and which of them were rejected for `phrase`."""
        ...


class CoreStore(VoterStore, QuestionStore, Escalations, MediaStore, LearningStore, Protocol):
    """Everything the conversation stores and reads: what `CoreDeps.repository` is."""


__all__ = [
    "ChoiceOutcome",
    "ChoiceReceipt",
    "CoreStore",
    "EscalationReceipt",
    "EscalationVia",
    "Escalations",
    "LearnedLookup",
    "LearnedPhrase",
    "LearningStore",
    "MediaStore",
    "QuestionDecision",
    "QuestionStore",
    "TicketOffer",
    "VoterRecord",
    "VoterStore",
]
