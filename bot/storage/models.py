"""The tables, as SQLAlchemy 2.0 typed models.

Everything a voter gave us hangs off `Voter` with ON DELETE CASCADE, so `/forget` is one delete;
tickets keep only the claim text, which is what fact-checkers need and identifies nobody.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
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
    decision: Mapped[str] = mapped_column(String(16))
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
    claim_text: Mapped[str] = mapped_column(Text)
    claim_key: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="open")
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
    """A checker's answer to a ticket: verdict, explanation per language, sources."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON)
    checker_id: Mapped[int] = mapped_column(BigInteger)
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
    status: Mapped[str] = mapped_column(String(16), default="pending")
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
