"""The tables, as SQLAlchemy 2.0 typed models.

Everything a voter gave us hangs off `Voter` with ON DELETE CASCADE, so `/forget` is one delete
plus the ticket texts the voter wrote (Repository.forget_voter scrubs those). A voter's words are
seen by that voter and by the checkers only: other voters see a ticket's claim only in the words a
checker wrote (`Ticket.claim_wording`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.core.ports import QuestionDecision


class TicketStatus(StrEnum):
    """Where a ticket is: OPEN and TAKEN are waiting for checkers (OPEN_STATUSES); ANSWERED,
    REJECTED and DUPLICATE (merged into `duplicate_of`) are closed."""

    OPEN = "open"
    TAKEN = "taken"
    ANSWERED = "answered"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class OutboxStatus(StrEnum):
    """A notification's delivery: PENDING -> SENDING (claimed under a lease) -> SENT, or SKIPPED
    (the voter blocked the bot), or FAILED (a permanent error or too many attempts)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


def _stored_as_text(enum: type[StrEnum], length: int) -> Enum:
    """A StrEnum column stored exactly as before: the values in a VARCHAR(length), no native
    enum type and no CHECK constraint, so no migration. Reads give enum members; writes take
    members or their string values."""
    return Enum(
        enum, native_enum=False, create_constraint=False, length=length,
        values_callable=lambda members: [m.value for m in members], validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Voter(Base):
    __tablename__ = "voters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    chosen_language: Mapped[str | None] = mapped_column(String(2))
    last_language: Mapped[str | None] = mapped_column(String(2))
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="voter", cascade="all, delete-orphan", passive_deletes=True
    )


class Question(Base):
    """One message a voter asked, kept for trends and purged after the retention period."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("voters.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(3))
    intent: Mapped[str | None] = mapped_column(String(40))
    decision: Mapped[QuestionDecision] = mapped_column(_stored_as_text(QuestionDecision, 16))
    entry_id: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    voter: Mapped[Voter | None] = relationship(back_populates="questions")


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("voters.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    entry_id: Mapped[str] = mapped_column(String(200), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    #: Why it was not helpful (bot.core.callbacks.FeedbackReason), when the voter said.
    reason: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ticket(Base):
    """A claim waiting for fact-checkers, asked once or by thousands (askers counts them)."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_key", "status", "claim_key"),
        # One open ticket per claim, even when a rumour arrives from many voters in the same
        # instant: the second concurrent insert fails and Repository.escalate retries as a join.
        Index(
            "uq_tickets_open_claim_key",
            "claim_key",
            unique=True,
            postgresql_where=text("status IN ('open', 'taken')"),
            sqlite_where=text("status IN ('open', 'taken')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The words of the voter who opened the ticket (`opened_by`): for checkers and that voter
    # only, never shown to another voter. Emptied when that voter uses /forget.
    claim_text: Mapped[str] = mapped_column(Text)
    claim_key: Mapped[str] = mapped_column(String(500))
    # The claim in a checker's words, given when taking or answering the ticket: the only form
    # in which other voters ever see it (offers, answered cards, notifications). None: not
    # worded yet, and then nothing of the claim is shown to anyone but its askers.
    claim_wording: Mapped[str | None] = mapped_column(Text)
    # The country the claim is about (ISO 3166 alpha-2, as in knowledge files), when known.
    region: Mapped[str | None] = mapped_column(String(2))
    # The voter (voters.id) whose words `claim_text` holds, so /forget can find and remove them.
    # No foreign key (see migration 0004): Repository.forget_voter clears it with the words.
    opened_by: Mapped[int | None] = mapped_column(Integer, index=True)
    language: Mapped[str] = mapped_column(String(3))
    status: Mapped[TicketStatus] = mapped_column(
        _stored_as_text(TicketStatus, 16), default=TicketStatus.OPEN
    )
    askers: Mapped[int] = mapped_column(Integer, default=0)
    assigned_to: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    # Why a ticket was closed without an answer (rejected: "not-a-claim: <checker's note>").
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    # Until then the ticket is kept out of the checkers' queue: its voter is being asked whether
    # it is the same claim as an open ticket (a "yes" merges it there). It is open and stored
    # all along, so a voter who never answers, or a restart, loses nothing: it is queued later.
    held_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    waiting: Mapped[list[TicketSubscriber]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", passive_deletes=True
    )


class TicketSubscriber(Base):
    """A voter waiting for a ticket's answer, in the language they asked in."""

    __tablename__ = "ticket_subscribers"
    __table_args__ = (UniqueConstraint("ticket_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("voters.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(3))
    # The voter's own wording (quoted back in the answer) while the question is retained.
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(back_populates="waiting")


class Answer(Base):
    """A checker's answer to a ticket: verdict, explanation per language, sources.

    `verdict` is None for the answer to a question of fact. `entry_id` names the knowledge entry
    a checker linked instead of retyping it (its verdict, answer and sources copied here then)."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str | None] = mapped_column(String(16))
    entry_id: Mapped[str | None] = mapped_column(String(200), default=None)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON)
    checker_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EntryVersion(Base):
    """One version a published knowledge entry went through (bot.escalation.corrections).

    `status` is "published" (what the entry said then: `fingerprint` of its verdict and answer)
    or "retracted" (it was no longer published). (entry_id, seq) is unique: of several processes
    noticing the same change, one inserts the next version and enqueues the corrections in that
    transaction. `text` is the entry's claim or question per language, kept to name a retracted
    entry to the voters who were shown it. No voter data."""

    __tablename__ = "entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "seq", name="uq_entry_versions_entry_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[dict[str, Any]] = mapped_column(JSON)
    corrections: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A notification to send; rows make fan-out durable across crashes and restarts.

    status: pending -> sending (claimed by a dispatcher until claimed_at + lease) -> sent, or
    skipped (the voter blocked the bot), or failed (a permanent error or too many attempts).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_ticket_status", "ticket_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("voters.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        _stored_as_text(OutboxStatus, 16), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    kind: Mapped[str] = mapped_column(String(16), default="notice")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None]


class AuditLog(Base):
    """Every checker action, who did it and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Checker(Base):
    """A fact-checker added at run time (`factcheck checkers add`), besides CHECKER_IDS."""

    __tablename__ = "checkers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaItem(Base):
    """An image or link a voter sent that went to fact-checkers (bot.media.records).

    Belongs to the voter (deleted with them by /forget, and after the retention period like
    their questions); `ticket_id` shows it to checkers and lets the next voter who sends the same
    image (perceptual `image_hash`) or page (`canonical_url`) join that ticket, or get its answer.
    The image itself is a metadata-free JPEG at `path`, shared by rows with the same content.
    """

    __tablename__ = "media"
    __table_args__ = (
        Index("ix_media_ticket", "ticket_id"),
        Index("ix_media_canonical_url", "canonical_url"),
        Index("ix_media_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("voters.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8))  # "image" or "link"
    image_hash: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(Text)
    read_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxUpdate(Base):
    """A Telegram update a webhook worker accepted (WEB_CONCURRENCY, bot/telegram/inbox.py).

    The primary key is Telegram's `update_id`, so a delivery Telegram retries, to this worker or
    another, is one row: it is handled once. Rows wait (`handled_at` NULL) until the worker that
    owns their `chat_id` handles them in `update_id` order; the payload (the voter's message) is
    dropped once handled, and the row itself a day later (Telegram stops retrying long before).
    """

    __tablename__ = "telegram_inbox"
    __table_args__ = (
        Index(
            "ix_telegram_inbox_waiting", "update_id",
            postgresql_where=text("handled_at IS NULL"),
            sqlite_where=text("handled_at IS NULL"),
        ),
        Index("ix_telegram_inbox_received_at", "received_at"),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]


class LearnedPhrasing(Base):
    """A voter's message, normalised (nlu.normalize), that voters confirmed means one entry:
    they picked `entry_id` from the "did you mean" list it got (bot/core/learned.py).

    Served directly (no list) once learned: two different voters agree and none disagrees, or a
    checker confirmed it (`confirmed_by`). A checker's rejection (`rejected_at`) is final.
    `phrase_key` (a hash of the phrase) finds it; `phrase` is blanked, key kept, when the last
    voter who confirmed it deleted their data and no checker approved it, so a rejection still
    holds without keeping anybody's words.
    """

    __tablename__ = "learned_phrasings"
    __table_args__ = (
        UniqueConstraint("phrase_key", "entry_id"),
        Index("ix_learned_phrasings_entry", "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phrase_key: Mapped[str] = mapped_column(String(64))
    phrase: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(3))
    entry_id: Mapped[str] = mapped_column(String(200))
    confirmed_by: Mapped[int | None] = mapped_column(BigInteger)  # a checker's Telegram id
    rejected_by: Mapped[int | None] = mapped_column(BigInteger)
    rejected_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    votes: Mapped[list[PhrasingVote]] = relationship(
        back_populates="phrasing", cascade="all, delete-orphan", passive_deletes=True
    )


class PhrasingVote(Base):
    """One voter's word on a learned phrasing: `agrees` when they picked its entry from a list,
    False when they then said "not what I asked" (or said it of that entry for that phrasing).
    One row per voter and phrasing; deleted with the voter (/forget)."""

    __tablename__ = "phrasing_votes"
    __table_args__ = (UniqueConstraint("phrasing_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phrasing_id: Mapped[int] = mapped_column(
        ForeignKey("learned_phrasings.id", ondelete="CASCADE")
    )
    voter_id: Mapped[int] = mapped_column(ForeignKey("voters.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    agrees: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    phrasing: Mapped[LearnedPhrasing] = relationship(back_populates="votes")
