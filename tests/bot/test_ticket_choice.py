"""The conversation asks "is your question one of the claims being checked?" and acts on the tap:
yes, no, a ticket that moved on meanwhile, a restart between the question and the tap, a failing
database. Real services (conversation, ticket service, texts) on SQLite and PostgreSQL.

The open-ticket index is given a matcher that finds every open ticket plausible and none sure:
these tests are about what the conversation does when the matcher is unsure, which the real
matcher decides by a calibration another team is tuning (tests/escalation/test_ticket_choice.py
and tests/e2e/test_escalation.py run the real one). The conversation's own matcher is the real
one, over tests/data/kb-small.
"""

from __future__ import annotations

import pytest
from fake_matchers import NeverSure
from sqlalchemy import select, text

from bot.core.messages import Incoming, Reply
from bot.escalation.ticket_index import OpenTicketIndex
from bot.monitoring import metrics
from bot.storage import Database
from bot.storage.models import OutboxMessage, Ticket
from bot.texts import t

CHECKER = 777
CLAIM = "Soldiers will guard every ballot box and arrest opposition voters"
THAI = "ทหารจะเฝ้าหีบเลือกตั้งทุกหีบ และจับกุมผู้ไปใช้สิทธิ์ที่เลือกพรรคฝ่ายค้าน จริงไหม"
ENGLISH = "Is it true the army will arrest people who vote for the opposition at polling stations?"
MALAY = "Betul ke tentera akan tangkap pengundi pembangkang di pusat mengundi?"
#: CLAIM in a checker's words: a ticket is offered to other voters only in these (issue #15).
WORDED = "The army is to guard ballot boxes and detain people voting for the opposition"
ANSWER = dict(verdict="false", explanation={"en": "No. Police keep order; nobody is arrested "
                                                  "for their vote."},
              sources=["https://example.org/soldiers"])


@pytest.fixture
def build(make_services, database: Database):  # type: ignore[no-untyped-def]
    """Services on the test database (SQLite or PostgreSQL) with an unsure ticket index; called
    again, it is the bot after a restart: same database, fresh memory."""

    def make(unsure: bool = True):  # type: ignore[no-untyped-def]
        services = make_services(database_url=database.url, checker_ids=str(CHECKER))
        assert services.escalation is not None
        if unsure:
            services.escalation.tickets.index = OpenTicketIndex(
                services.database, base=lambda: NeverSure()
            )
        return services

    return make


def word_newest(services, wording: str = WORDED) -> None:  # type: ignore[no-untyped-def]
    """A checker words the newest ticket: from then on it may be offered to other voters."""
    tickets = services.escalation.tickets
    newest = max(x.id for x in tickets.list_open(include_held=True))
    tickets.set_wording(newest, CHECKER, wording=wording)


async def opened(services, chat_on):  # type: ignore[no-untyped-def]
    """Voter 1's claim opens a ticket, which a checker words."""
    replies = await chat_on(services, user_id=1).say(CLAIM)
    word_newest(services)
    return replies


def open_tickets(services) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(x.claim_text, x.askers) for x in services.escalation.tickets.list_open()]


def all_tickets(services) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    with services.database.session() as session:
        rows = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        return [(r.claim_text, r.status, r.askers) for r in rows]


def outbox(services) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with services.database.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.chat_id)).all()
        return [(r.chat_id, r.payload["language"]) for r in rows]


def only(replies: list[Reply]) -> Reply:
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


async def test_yes_joins_the_ticket_being_checked_in_the_voters_language(build, chat_on):
    services = build()
    first = chat_on(services, user_id=1, language_code="en")
    assert only(await first.say(CLAIM)).text == t("en", "escalated_new")
    word_newest(services)
    second = chat_on(services, user_id=2, language_code="th")
    question = only(await second.say(THAI))
    # Asked, in Thai, about the English claim (named as English), with no verdict anywhere,
    # in the checker's words: never in voter 1's.
    assert t("th", "ticket_offer_one") in question.text
    assert WORDED in question.text and "(ภาษาอังกฤษ)" in question.text
    assert CLAIM not in question.text
    assert t("th", "ticket_offer_footer") in question.text
    assert [b.label for b in question.all_buttons()] == [
        t("th", "button_ticket_same"), t("th", "button_ticket_other")
    ]
    # Saved already, but not in the checkers' queue while the voter decides.
    assert open_tickets(services) == [(CLAIM, 1)]

    accepted = metrics.TICKET_CHOICES.value("joined")
    joined = only(await second.press(t("th", "button_ticket_same")))
    assert joined.text == t("th", "escalated_joined", askers=2)
    assert metrics.TICKET_CHOICES.value("joined") == accepted + 1  # for the operators' dashboard
    assert open_tickets(services) == [(CLAIM, 2)]
    assert all_tickets(services) == [(CLAIM, "open", 2), (THAI, "duplicate", 0)]

    # The checker's answer reaches both, each in their language.
    [ticket_id] = [x.id for x in services.escalation.tickets.list_open()]
    services.escalation.tickets.answer(ticket_id, CHECKER, **ANSWER)
    assert outbox(services) == [(1, "en"), (2, "th")]


async def test_several_plausible_tickets_are_numbered_and_one_is_chosen(build, chat_on):
    services = build()
    await opened(services, chat_on)
    other = "The ballot boxes in Penang were swapped with fake ones during the night"
    third = chat_on(services, user_id=3)
    only(await third.say(other))  # asked about the soldiers' ticket too: "something else"
    assert only(await third.press(t("en", "button_ticket_other"))).text == t("en", "ticket_kept")
    word_newest(services, "Ballot boxes in Penang were swapped for fake ones overnight")

    voter = chat_on(services, user_id=2, language_code="ms")
    question = only(await voter.say(MALAY))
    assert t("ms", "ticket_offer_many") in question.text
    labels = [b.label for b in question.all_buttons()]
    assert len(labels) == 3 and labels[-1] == t("ms", "button_ticket_other")
    assert {labels[0][:5], labels[1][:5]} == {"✅ 1. ", "✅ 2. "}
    chosen = next(b for b in question.all_buttons() if "Penang" in b.label)

    assert only(await voter.press(chosen)).text == t("ms", "escalated_joined", askers=2)
    assert sorted(open_tickets(services)) == sorted([(CLAIM, 1), (other, 2)])


async def test_no_sends_the_question_to_checkers_on_its_own(build, chat_on):
    services = build()
    await opened(services, chat_on)
    voter = chat_on(services, user_id=2)
    only(await voter.say(ENGLISH))

    assert only(await voter.press(t("en", "button_ticket_other"))).text == t("en", "ticket_kept")
    assert open_tickets(services) == [(CLAIM, 1), (ENGLISH, 1)]


async def test_a_restart_between_the_question_and_the_tap_loses_nothing(build, chat_on):
    before = build()
    await opened(before, chat_on)
    voter = chat_on(before, user_id=2)
    question = only(await voter.say(ENGLISH))
    yes = question.all_buttons()[0]
    await before.conversation.aclose()

    after = build(unsure=False)  # a new process: nothing in memory, not even the matcher's view
    again = chat_on(after, user_id=2)
    assert only(await again.press(yes)).text == t("en", "escalated_joined", askers=2)
    assert open_tickets(after) == [(CLAIM, 2)]


async def test_a_ticket_answered_or_closed_before_the_tap(build, chat_on):
    services = build()
    tickets = services.escalation.tickets
    await opened(services, chat_on)
    [first] = tickets.list_open()

    # Answered meanwhile: the voter gets the answer (through the outbox).
    answered_voter = chat_on(services, user_id=2, language_code="ms")
    only(await answered_voter.say(MALAY))
    tickets.answer(first.id, CHECKER, **ANSWER)
    reply = only(await answered_voter.press(t("ms", "button_ticket_same")))
    assert reply.text == t("ms", "escalated_answered")
    assert (2, "ms") in outbox(services)


async def test_a_ticket_rejected_before_the_tap_keeps_the_voters_question(build, chat_on):
    services = build()
    tickets = services.escalation.tickets
    await opened(services, chat_on)
    [first] = tickets.list_open()
    voter = chat_on(services, user_id=2)
    question = only(await voter.say(ENGLISH))
    tickets.reject(first.id, CHECKER, reason="rumour about another country")

    reply = only(await voter.press(t("en", "button_ticket_same")))
    assert reply.text == t("en", "ticket_target_closed")
    assert open_tickets(services) == [(ENGLISH, 1)]
    # The other button pressed too (a client that kept the keyboard): nothing more changes.
    no = question.all_buttons()[-1]
    assert only(await voter.press(no)).text == t("en", "ticket_kept")
    assert open_tickets(services) == [(ENGLISH, 1)]


async def test_odd_or_foreign_ticket_buttons_change_nothing(build, chat_on):
    services = build()
    await opened(services, chat_on)
    voter = chat_on(services, user_id=2)
    question = only(await voter.say(ENGLISH))
    stranger = chat_on(services, user_id=3)
    for data in [b.data for b in question.all_buttons()] + ["j:๑:๒", "j:1", "k:x", "k:"]:
        assert data is not None
        replies = await stranger.send(Incoming(3, 3, callback_data=data))
        assert only(replies).text == t("en", "button_expired"), data
    assert all_tickets(services) == [(CLAIM, "open", 1), (ENGLISH, "open", 1)]


async def test_a_database_failure_on_the_tap_is_told_truthfully(build, chat_on):
    services = build()
    await opened(services, chat_on)
    voter = chat_on(services, user_id=2)
    only(await voter.say(ENGLISH))
    with services.database.engine.begin() as conn:
        conn.execute(text("ALTER TABLE ticket_subscribers RENAME TO subscribers_away"))
    try:
        reply = only(await voter.press(t("en", "button_ticket_same")))
    finally:
        with services.database.engine.begin() as conn:
            conn.execute(text("ALTER TABLE subscribers_away RENAME TO ticket_subscribers"))
    assert reply.text == t("en", "ticket_choice_failed")
    # The question is still there as its own ticket, and reaches the queue when the hold ends.
    assert all_tickets(services) == [(CLAIM, "open", 1), (ENGLISH, "open", 1)]
