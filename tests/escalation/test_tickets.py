"""Checkers' actions on tickets: who may act, take, reject, merge duplicates, the audit trail,
and /forget leaving only the claim."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.escalation.checker_registry import CheckerRegistry
from bot.escalation.errors import InvalidAction, NotAuthorised, TicketClosed, TicketNotFound
from bot.escalation.outbox import OutboxDispatcher
from bot.escalation.ratelimit import Limits
from bot.escalation.ticket_rows import PlainTicketStore
from bot.escalation.tickets import TicketService
from bot.storage import Database
from bot.storage.models import Answer, AuditLog, OutboxMessage, Ticket, TicketSubscriber
from bot.texts import CATALOGS

CHECKER = 9001
STRANGER = 666
FAST = Limits(per_second=None, per_chat_seconds=None, slack=0.0)


def escalate(database: Database, user: int, text: str, language: str = "en") -> int:
    return PlainTicketStore(database).escalate(
        user_id=user, chat_id=user * 10, text=text, language=language
    ).ticket_id


def audit_actions(database: Database) -> list[tuple[int, str, int | None]]:
    with database.session() as session:
        return [
            (a.actor_id, a.action, a.ticket_id)
            for a in session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        ]


def test_a_stranger_is_refused_every_action_and_the_attempt_is_audited(
    database: Database, service: TicketService
) -> None:
    ticket = escalate(database, 1, "The election has been moved to next year")
    answer = dict(verdict="false", explanation={"en": "No."}, sources=["https://example.org/"])
    with pytest.raises(NotAuthorised, match="is not a fact-checker"):
        service.answer(ticket, STRANGER, **answer)
    with pytest.raises(NotAuthorised):
        service.take(ticket, STRANGER)
    with pytest.raises(NotAuthorised):
        service.reject(ticket, STRANGER, reason="spam")
    with pytest.raises(NotAuthorised):
        service.mark_duplicate(ticket, ticket + 1, STRANGER)
    with pytest.raises(NotAuthorised):  # a ticket that does not exist: refused, not a crash
        service.answer(12345, STRANGER, **answer)
    with database.session() as session:
        assert session.get(Ticket, ticket).status == "open"
        assert session.scalar(select(func.count()).select_from(Answer)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    refused = [a for a in audit_actions(database) if a[1] == "refused"]
    assert len(refused) == 5 and all(actor == STRANGER for actor, _, _ in refused)


def test_checkers_from_the_table_act_and_can_be_removed(database: Database) -> None:
    registry = CheckerRegistry(database, [CHECKER])
    service = TicketService(database, registry=registry)
    ticket = escalate(database, 1, "Polling stations close at noon")
    assert registry.add(4242, name="Volunteer") is True
    assert registry.add(4242) is False
    assert service.take(ticket, 4242).assigned_to == 4242
    assert [(c.telegram_id, c.source) for c in registry.list()] == [
        (4242, "database"), (CHECKER, "config"),
    ]
    assert registry.remove(4242) is True
    with pytest.raises(NotAuthorised):
        service.release(ticket, 4242)
    with pytest.raises(InvalidAction, match="CHECKER_IDS"):
        registry.remove(CHECKER)
    actions = [a[1] for a in audit_actions(database)]
    assert actions == ["checker_added", "take", "checker_removed", "refused"]


def test_take_assigns_and_protects_from_a_second_checker(database: Database) -> None:
    service = TicketService(database, registry=CheckerRegistry(database, [CHECKER, 2]))
    ticket = escalate(database, 1, "Ink on your finger means you voted twice")
    assert service.take(ticket, CHECKER).status == "taken"
    with pytest.raises(InvalidAction, match="already taken"):
        service.take(ticket, 2)
    assert service.take(ticket, 2, force=True).assigned_to == 2
    assert service.list_open()[0].assigned_to == 2
    history = service.show(ticket).history
    assert [(h.actor_id, h.action) for h in history] == [(CHECKER, "take"), (2, "take")]
    assert history[1].details["previous"] == CHECKER


def test_answers_are_validated_before_anything_changes(
    database: Database, service: TicketService
) -> None:
    ticket = escalate(database, 1, "Voters must show a vaccination card")
    ok = dict(verdict="false", explanation={"en": "No."}, sources=["https://example.org/"])
    cases = [
        ({**ok, "verdict": "fake"}, "unknown verdict"),
        ({**ok, "explanation": {}}, "at least one"),
        ({**ok, "explanation": {"en": "   "}}, "at least one"),
        ({**ok, "explanation": {"fr": "Non."}}, "language"),
        ({**ok, "sources": []}, "at least one source"),
        ({**ok, "sources": ["javascript:alert(1)"]}, "not an http"),
        ({**ok, "sources": ["ftp://example.org/x"]}, "not an http"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InvalidAction, match=message):
            service.answer(ticket, CHECKER, **kwargs)
    with pytest.raises(TicketNotFound):
        service.answer(999, CHECKER, **ok)
    assert service.show(ticket).ticket.status == "open"


def test_reject_tells_every_waiting_voter_politely_in_their_language(
    database: Database, service: TicketService, recording_sender
) -> None:
    ticket = escalate(database, 1, "Vote for the best party!", "th")
    escalate(database, 2, "vote for the best party", "ms")
    escalate(database, 3, "VOTE FOR THE BEST PARTY", "en")
    with pytest.raises(InvalidAction):
        service.reject(ticket, CHECKER, reason="")
    receipt = service.reject(ticket, CHECKER, reason="campaign slogan", category="not-a-claim")
    assert receipt.notifications == 3
    sender = recording_sender()
    asyncio.run(OutboxDispatcher(database, sender, limits=FAST).drain(timeout=10))
    assert "ไม่ใช่ข้อกล่าวอ้าง" in sender.texts_for(10)[0]
    assert "bukan dakwaan" in sender.texts_for(20)[0]
    assert "not a claim that can be checked" in sender.texts_for(30)[0]
    assert "campaign slogan" not in "".join(t for _, _, t in sender.sent)  # reason stays internal
    detail = service.show(ticket)
    assert detail.ticket.status == "rejected"
    assert detail.resolution == "not-a-claim: campaign slogan"
    with pytest.raises(TicketClosed):
        service.reject(ticket, CHECKER, reason="again")
    # A new voter with the same text opens a fresh ticket (checkers can reject it again).
    assert escalate(database, 4, "Vote for the best party!") != ticket


def test_duplicate_moves_waiting_voters_without_counting_anyone_twice(
    database: Database, service: TicketService, recording_sender
) -> None:
    target = escalate(database, 1, "Advance voting was cancelled")
    escalate(database, 2, "advance voting was cancelled")
    dup = escalate(database, 2, "The EC cancelled advance voting")  # voter 2 waits on both
    escalate(database, 3, "the EC cancelled advance voting", "th")
    with pytest.raises(InvalidAction):
        service.mark_duplicate(dup, dup, CHECKER)
    service.mark_duplicate(dup, target, CHECKER)
    with database.session() as session:
        t = session.get(Ticket, target)
        d = session.get(Ticket, dup)
        assert (t.askers, d.status, d.duplicate_of) == (3, "duplicate", target)
        waiting = session.scalars(
            select(TicketSubscriber.voter_id).where(TicketSubscriber.ticket_id == target)
        ).all()
        assert len(waiting) == 3
        assert session.scalar(
            select(func.count()).select_from(TicketSubscriber)
            .where(TicketSubscriber.ticket_id == dup)
        ) == 0
    assert service.show(target).duplicates == (dup,)
    # The merged ticket's text now leads to the target, for copies pasted later.
    assert escalate(database, 4, "THE EC CANCELLED ADVANCE VOTING!") == target
    assert [t.id for t in service.list_open()] == [target]
    service.answer(target, CHECKER, verdict="false", explanation={"en": "It goes ahead."},
                   sources=["https://example.org/"])
    sender = recording_sender()
    asyncio.run(OutboxDispatcher(database, sender, limits=FAST).drain(timeout=10))
    assert sorted(sender.chats()) == [10, 20, 30, 40]


def test_duplicate_of_an_answered_ticket_sends_its_answer_to_the_moved_voters(
    database: Database, service: TicketService, recording_sender
) -> None:
    target = escalate(database, 1, "Only blue pens are allowed")
    service.answer(target, CHECKER, verdict="false", explanation={"ms": "Tidak benar."},
                   sources=["https://example.org/"])
    late = escalate(database, 2, "You may only use a blue pen", "ms")
    receipt = service.mark_duplicate(late, target, CHECKER)
    assert receipt.notifications == 1
    sender = recording_sender()
    asyncio.run(OutboxDispatcher(database, sender, limits=FAST).drain(timeout=10))
    assert sorted(sender.chats()) == [10, 20]
    assert "Tidak benar." in sender.texts_for(20)[0]


def test_forget_keeps_the_checkers_wording_and_nothing_of_the_voter(
    database: Database, service: TicketService
) -> None:
    repo = PlainTicketStore(database)
    qid = repo.record_question(user_id=5, chat_id=50, text="Is voting compulsory?", language="en",
                               intent=None, decision="escalate", entry_id=None, score=None)
    receipt = service.escalate_or_join(5, 50, "Voting is compulsory now", "en", qid)
    service.escalate_or_join(6, 60, "Voting is compulsory now", "en")
    service.answer(receipt.ticket_id, CHECKER, verdict="false", explanation={"en": "No."},
                   sources=["https://example.org/"], wording="Everyone must vote by law")
    # question, subscription, queued notification, the ticket's copy of their words, voter
    assert repo.forget_voter(5) == 5
    detail = service.show(receipt.ticket_id)
    # Voter 6's own words were never kept (no question), so only the checker's wording is left.
    assert (detail.ticket.claim_text, detail.ticket.claim_wording) == (
        "", "Everyone must vote by law"
    )
    assert dict(detail.languages) == {"en": 1}
    with database.session() as session:
        [left] = session.scalars(select(OutboxMessage)).all()
        assert "Everyone must vote by law" in left.payload["text"]
        assert "compulsory" not in left.payload["text"]
        for row in session.scalars(select(AuditLog)).all():
            assert "50" not in str(row.details) and row.actor_id in (CHECKER,)


def test_every_text_exists_in_every_language() -> None:
    """The notifications' texts (bot/texts, `notify_*`) exist in every language."""
    keys = {key for key in CATALOGS["en"].TEXTS if key.startswith("notify_")}
    assert keys
    for lang in ("th", "ms"):
        assert {key for key in CATALOGS[lang].TEXTS if key.startswith("notify_")} == keys, lang
