"""A checker's answer reaching voters looks and works like an answer from the knowledge (issue
#15): the same verdict label ("❌ FALSE", "❌ ไม่จริง") and the same feedback buttons, which
work through the conversation core like a card's. Voters ask through the core; the checker
answers through the ticket service; the outbox delivers to a recording channel."""

from __future__ import annotations

import asyncio

from bot.core.messages import Button
from bot.escalation.outbox import OutboxDispatcher
from bot.escalation.ratelimit import Limits
from bot.storage.models import Feedback, Ticket
from bot.texts import t

CLAIM = "Soldiers will guard every ballot box and arrest opposition voters"
CHECKER = 777
WORDING = "Soldiers are to guard ballot boxes and arrest voters of the opposition"


class Channel:
    """What the outbox sent, per chat: (text, buttons)."""

    def __init__(self) -> None:
        self.sent: dict[int, list[tuple[str, tuple[tuple[Button, ...], ...]]]] = {}

    async def __call__(self, chat_id: int, text: str, buttons):  # type: ignore[no-untyped-def]
        self.sent.setdefault(chat_id, []).append((text, buttons))
        return None


async def deliver(services) -> Channel:  # type: ignore[no-untyped-def]
    channel = Channel()
    dispatcher = OutboxDispatcher(
        services.database, channel, limits=Limits(per_second=1000, per_chat_seconds=0.0)
    )
    await dispatcher.drain(timeout=30)
    return channel


async def answered(services, *, wording: str | None = WORDING) -> int:  # type: ignore[no-untyped-def]
    with services.database.session() as session:
        ticket_id = session.query(Ticket).one().id
    services.escalation.tickets.answer(
        ticket_id, CHECKER, verdict="false",
        explanation={"en": "False. Soldiers do not guard polling stations.",
                     "th": "ไม่จริง ทหารไม่ได้เฝ้าหน่วยเลือกตั้ง"},
        sources=["https://www.ect.go.th/"],
        wording=wording,
    )
    services.answered.refresh()
    for _ in range(100):  # the answered ticket is served as knowledge
        kb, _ = services.knowledge.snapshot()
        if kb.get(f"ticket-{ticket_id}") is not None:
            break
        await asyncio.sleep(0.05)
    return ticket_id


async def test_a_checkers_answer_has_the_cards_label_and_buttons(make_services, chat_on):
    services = make_services(checker_ids=str(CHECKER))
    english = chat_on(services, user_id=1)
    thai = chat_on(services, user_id=2)
    assert (await english.say(CLAIM))[0].text == t("en", "escalated_new")
    await thai.say("/language th")  # reads Thai; the same claim joins the same ticket
    assert (await thai.say(CLAIM))[0].text == t("th", "escalated_joined", askers=2)
    await answered(services)
    channel = await deliver(services)

    (en_text, en_buttons), = channel.sent[1]
    assert "<b>❌ FALSE</b>" in en_text  # as on a card: t("en", "verdict_false")
    assert [b.label for row in en_buttons for b in row] == [
        t("en", "button_helpful"), t("en", "button_not_what_i_asked")
    ]
    (th_text, th_buttons), = channel.sent[2]
    assert f"<b>{t('th', 'verdict_false')}</b>" in th_text
    assert [b.label for row in th_buttons for b in row] == [
        t("th", "button_helpful"), t("th", "button_not_what_i_asked")
    ]

    # The buttons work like a card's: "helpful" is recorded for the answered ticket ...
    (helpful, wrong), = en_buttons
    replies = await english.press(helpful)
    assert [r.text for r in replies] == [t("en", "feedback_thanks")]
    with services.database.session() as session:
        (feedback,) = session.query(Feedback).all()
        assert feedback.entry_id.startswith("ticket-") and feedback.helpful
        assert feedback.question_id is not None
    # ... and "not what I asked" asks why, as under a card.
    replies = await english.press(wrong)
    assert replies[0].text == t("en", "feedback_why")


async def test_an_answer_without_a_wording_has_no_buttons(make_services, chat_on):
    """Not served as knowledge until a checker words the claim: nothing for buttons to name."""
    services = make_services(checker_ids=str(CHECKER))
    voter = chat_on(services, user_id=1)
    await voter.say(CLAIM)
    await answered(services, wording=None)
    channel = await deliver(services)
    (text, buttons), = channel.sent[1]
    assert "<b>❌ FALSE</b>" in text and buttons == ()
