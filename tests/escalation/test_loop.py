"""The whole escalation loop at the service level, on SQLite and PostgreSQL:
voters ask what the bot cannot answer -> one ticket -> a checker answers once -> every voter who
asked gets exactly one message in their language -> the next voter gets the answer at once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.escalation.answered import answered_entries, merge_answered
from bot.escalation.outbox import OutboxDispatcher
from bot.escalation.ratelimit import Limits
from bot.escalation.ticket_rows import PlainTicketStore
from bot.storage import Database
from bot.storage.models import OutboxMessage, Ticket, TicketSubscriber

CHECKER = 9001
#: A small curated knowledge base of our own (a copy, so other teams' data edits cannot break it).
CURATED = Path(__file__).resolve().parent / "data" / "kb"
RUMOUR = "Pengundi boleh mengundi melalui WhatsApp pada PRU kali ini"
REWORDED = "Betul ke pengundi boleh mengundi melalui WhatsApp pd PRU kali ni?"
#: The claim in the checker's words: what voters other than its sender see of it.
WORDING = "Pengundi dibenarkan membuang undi menerusi aplikasi WhatsApp"


def ask(repo: PlainTicketStore, service, user: int, text: str, language: str):  # type: ignore[no-untyped-def]
    """What the conversation does with an unanswerable question: record it, then escalate."""
    qid = repo.record_question(
        user_id=user, chat_id=user * 10, text=text, language=language, intent="check_claim",
        decision="escalate", entry_id=None, score=None,
    )
    return service.escalate_or_join(user, user * 10, text, language, qid)


def test_one_ticket_one_answer_every_asker_notified_once_in_their_language(
    database: Database, service, curated_matcher, recording_sender, run_drain
) -> None:
    repo = PlainTicketStore(database)
    a = ask(repo, service, 1, RUMOUR, "ms")
    unrelated = ask(repo, service, 6, "The polling stations will close at noon this year", "en")
    b = ask(repo, service, 2, REWORDED, "ms")  # chat-style short forms: other words, same claim
    d = ask(repo, service, 4, RUMOUR.upper() + "!!!", "th")  # a Thai voter forwards the same text
    e = ask(repo, service, 5, RUMOUR, "en")

    assert (a.joined_existing, a.via) == (False, "new")
    assert unrelated.ticket_id != a.ticket_id
    # B used other words. The real matcher (with its current calibration) decides whether they
    # are confidently the same claim; if it is unsure, B gets a ticket of their own and a checker
    # merges it, the documented fallback. Either way B must end up with exactly one answer.
    index_says = service.index._current().match(REWORDED, None)
    joined = (index_says.decision, index_says.entry_id) == ("answer", f"ticket-{a.ticket_id}")
    assert (d.ticket_id, d.via) == (a.ticket_id, "key")
    assert e.ticket_id == a.ticket_id and e.askers == (4 if joined else 3)
    if joined:
        assert (b.ticket_id, b.joined_existing, b.via) == (a.ticket_id, True, "matcher")
    else:
        assert b.via == "new" and b.ticket_id not in (a.ticket_id, unrelated.ticket_id)
        service.mark_duplicate(b.ticket_id, a.ticket_id, CHECKER)

    queue = service.list_open()
    assert [t.id for t in queue] == [a.ticket_id, unrelated.ticket_id]  # most asked first
    assert queue[0].askers == 4
    detail = service.show(a.ticket_id)
    assert dict(detail.languages) == {"ms": 2, "th": 1, "en": 1}

    receipt = service.answer(
        a.ticket_id, CHECKER, verdict="false",
        explanation={
            "en": "No. Votes are cast only on paper at your polling station.",
            "ms": "Tidak. Undi hanya dibuat dengan kertas undi di pusat mengundi anda.",
        },
        sources=["https://www.spr.gov.my/"],
        wording=WORDING,
    )
    assert receipt.notifications == 4

    sender = recording_sender()
    stats = run_drain(OutboxDispatcher(database, sender, limits=Limits(per_chat_seconds=1.0)))
    assert stats.sent == 4
    assert sorted(sender.chats()) == [10, 20, 40, 50]  # each asker exactly once
    assert "<b>❌ PALSU</b>" in sender.texts_for(10)[0] and "kertas undi" in sender.texts_for(10)[0]
    assert RUMOUR in sender.texts_for(10)[0]  # A sent it: A sees their own words
    # B's own words, and the claim that was checked in the checker's words (never A's words)
    assert REWORDED in sender.texts_for(20)[0] and WORDING in sender.texts_for(20)[0]
    assert RUMOUR not in sender.texts_for(20)[0]
    thai = sender.texts_for(40)[0]
    # The verdict labels of a card from the knowledge, in each voter's language.
    assert "<b>❌ ไม่จริง</b>" in thai and "Votes are cast only on paper" in thai
    assert "ภาษาอังกฤษ" in thai
    assert "<b>❌ FALSE</b>" in sender.texts_for(50)[0]
    assert "only on paper" in sender.texts_for(50)[0]
    assert "https://www.spr.gov.my/" in sender.texts_for(50)[0]

    # Running the dispatcher again (a restart) sends nothing twice.
    again = recording_sender()
    run_drain(OutboxDispatcher(database, again))
    assert again.sent == []
    with database.session() as session:
        assert session.scalar(
            select(func.count()).select_from(TicketSubscriber)
            .where(TicketSubscriber.notified_at.is_(None),
                   TicketSubscriber.ticket_id == a.ticket_id)
        ) == 0
        assert session.get(Ticket, a.ticket_id).status == "answered"

    # The answer is knowledge at once: voter C gets it from the matcher, no ticket.
    matcher = merge_answered(curated_matcher, database)
    result = matcher.match("Pengundi boleh undi melalui WhatsApp pd PRU kali ni?", None)
    # Answered straight away, or (if the matcher is unsure) offered first in a "did you mean".
    assert result.decision in ("answer", "clarify")
    assert result.candidates[0].entry_id == f"ticket-{a.ticket_id}"
    entry = matcher.entries[f"ticket-{a.ticket_id}"]
    assert entry.verdict == "false" and entry.answer_in("th")[0] == "en"

    # A late copy of the same text joins the answered ticket and gets the answer via the outbox.
    late = ask(repo, service, 7, RUMOUR, "ms")
    assert (late.ticket_id, late.via) == (a.ticket_id, "answered")
    late_sender = recording_sender()
    run_drain(OutboxDispatcher(database, late_sender))
    assert late_sender.chats() == [70]


def test_answering_twice_is_refused_and_enqueues_nothing_more(database: Database, service) -> None:
    repo = PlainTicketStore(database)
    ticket = ask(repo, service, 1, "Ballot papers this year are printed with invisible ink", "en")
    ask(repo, service, 2, "ballot papers this year are printed with invisible ink", "th")
    answer = dict(verdict="false", explanation={"en": "No."}, sources=["https://example.org/x"])
    assert service.answer(ticket.ticket_id, CHECKER, **answer).notifications == 2
    import pytest

    from bot.escalation.errors import TicketClosed

    with pytest.raises(TicketClosed):
        service.answer(ticket.ticket_id, CHECKER, **answer)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_answered_entries_are_claims_with_sources(database: Database, service) -> None:
    repo = PlainTicketStore(database)
    t = ask(repo, service, 1, "Voters over 70 may vote by phone", "en")
    service.answer(t.ticket_id, CHECKER, verdict="misleading",
                   explanation={"th": "ไม่จริง", "en": "Not so."},
                   sources=["https://www.ect.go.th/", "https://example.org/a"])
    # Not worded by the checker: not served (its only text is the voter's).
    assert answered_entries(database) == []
    service.set_wording(t.ticket_id, CHECKER, wording="People over 70 can vote by telephone")
    [entry] = answered_entries(database)
    assert entry.id == f"ticket-{t.ticket_id}" and entry.kind == "claim"
    assert entry.verdict == "misleading"
    assert dict(entry.text) == {"en": "People over 70 can vote by telephone"}
    # The voter's words lead the matcher to it; no card shows variants.
    assert dict(entry.variants) == {"en": ("Voters over 70 may vote by phone",)}
    assert [s.url for s in entry.sources] == ["https://www.ect.go.th/", "https://example.org/a"]
    assert entry.is_published and set(entry.answer) == {"th", "en"}
