"""The joins services.py uses: escalations routed through the ticket service, and answered
tickets served as knowledge next to the curated entries."""

from __future__ import annotations

from pathlib import Path

from bot.escalation.wiring import AnsweredKnowledge, build_escalation, with_answers
from bot.storage import Database
from knowledge.loader import KnowledgeBase, load_directory

CHECKER = 9001
CURATED = Path(__file__).resolve().parent / "data" / "kb"


def test_escalations_route_through_tickets_and_answers_become_served_knowledge(
    database: Database, curated_matcher
) -> None:
    escalation = build_escalation(database, checker_ids={CHECKER},
                                  base_matcher=lambda: curated_matcher)
    repo = escalation.repository
    served: list[KnowledgeBase] = []
    answered = AnsweredKnowledge(database, served.append)
    escalation.tickets.listeners.append(lambda ticket_id, status: answered.refresh())
    curated = load_directory(CURATED)
    answered.on_reload(curated)
    assert served[-1] is curated  # nothing answered yet: the curated knowledge as it is

    first = repo.escalate(user_id=1, chat_id=10, language="ms",
                          text="Pengundi boleh mengundi melalui WhatsApp pada PRU kali ini")
    assert first.via == "new"

    escalation.tickets.answer(first.ticket_id, CHECKER, verdict="false",
                              explanation={"en": "No."}, sources=["https://example.org/"],
                              wording="Voters may vote via WhatsApp in this election")
    kb = served[-1]
    entry = kb.get(f"ticket-{first.ticket_id}")
    assert entry is not None and entry.verdict == "false"
    assert len(kb.published()) == len(curated.published()) + 1
    assert answered.refresh() is False  # nothing new since
    # The repository the conversation calls goes through the ticket service: a copy of an
    # answered claim joins it and is sent the answer (Repository.escalate alone would open one).
    late = repo.escalate(user_id=2, chat_id=20, language="en",
                         text="PENGUNDI boleh mengundi melalui WhatsApp pada PRU kali ini!!")
    assert (late.ticket_id, late.via) == (first.ticket_id, "answered")

    # A curated entry with the same id (a committed export) takes precedence.
    assert with_answers(KnowledgeBase.of("x", [entry], []), database).entries == (entry,)
