"""A checker's answer reaches the next voter who asks: escalation → answer → served as knowledge."""

from __future__ import annotations

import asyncio

from bot.storage.models import Ticket
from bot.texts import t

CLAIM = "Soldiers will guard every ballot box and arrest opposition voters"
CHECKER = 777
#: The claim in the checker's words: how voters other than its sender see it.
WORDING = "Soldiers are to guard ballot boxes and arrest voters of the opposition"


async def test_an_answered_ticket_answers_the_next_voter(make_services, chat_on):
    services = make_services(checker_ids=str(CHECKER))
    assert services.escalation is not None and services.answered is not None
    first = chat_on(services, user_id=1)
    replies = await first.say(CLAIM)
    assert replies[0].text == t("en", "escalated_new")

    with services.database.session() as session:
        ticket_id = session.query(Ticket).one().id
    services.escalation.tickets.answer(
        ticket_id, CHECKER, verdict="false",
        explanation={"en": "False. Soldiers do not guard polling stations."},
        sources=["https://www.spr.gov.my/"],
        wording=WORDING,
    )
    # The answer listener refreshes in a thread; refresh() here waits for it (same lock).
    services.answered.refresh()
    for _ in range(100):
        kb, matcher = services.knowledge.snapshot()
        if kb.get(f"ticket-{ticket_id}") is not None:
            break
        await asyncio.sleep(0.05)
    assert kb.get(f"ticket-{ticket_id}") is not None
    assert f"ticket-{ticket_id}" in matcher.entries

    later = chat_on(services, user_id=2)
    card = await later.card(CLAIM, "Soldiers")
    assert card.text.startswith("<b>❌ FALSE</b>")
    assert "Soldiers do not guard polling stations" in card.text
    assert WORDING in card.text and CLAIM not in card.text  # never voter 1's words

    # Even when the matcher is down, the same claim pasted again gets the checkers' answer.
    _, matcher = services.knowledge.snapshot()

    def broken(*args, **kwargs):
        raise RuntimeError("index corrupted")

    matcher.match = broken  # type: ignore[method-assign]
    third = chat_on(services, user_id=3)
    replies = await third.say(CLAIM.lower())
    assert replies[0].text == t("en", "escalated_answered")
