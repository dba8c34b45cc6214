"""The checkers' group flow, channel-neutral: the same Incoming objects the Telegram layer
builds, the same Reply objects it renders, a real database behind them."""

from __future__ import annotations

import asyncio

from bot.core.messages import Incoming
from bot.escalation.checkers_desk import CheckersDesk, announce_for
from bot.escalation.outbox import OutboxDispatcher
from bot.escalation.ratelimit import Limits
from bot.escalation.ticket_rows import PlainTicketStore
from bot.escalation.tickets import TicketService
from bot.storage import Database

GROUP = -100123
CHECKER = 9001
STRANGER = 666


def say(desk: CheckersDesk, text: str, user: int = CHECKER) -> list[str]:
    return [r.text for r in desk.handle(Incoming.from_text(GROUP, user, text, chat_type="group"))]


def press(desk: CheckersDesk, data: str, user: int = CHECKER) -> list[str]:
    return [r.text for r in desk.handle(
        Incoming(GROUP, user, callback_data=data, chat_type="group")
    )]


def test_a_checker_answers_through_the_guided_flow(
    database: Database, service: TicketService, recording_sender
) -> None:
    repo = PlainTicketStore(database)
    first = repo.escalate(user_id=1, chat_id=10, text="Ballots are counted by the army",
                          language="th")
    assert announce_for(first)
    second = repo.escalate(user_id=2, chat_id=20, text="ballots are counted by the army!",
                           language="ms")
    assert not announce_for(second)
    desk = CheckersDesk(service, chat_id=GROUP)

    card = desk.ticket_card(first.ticket_id)
    assert "asked by 2" in card.text and "ms 1, th 1" in card.text
    assert [b.data for b in card.all_buttons()] == [
        f"ck:take:{first.ticket_id}", f"ck:ans:{first.ticket_id}",
        f"ck:rej:{first.ticket_id}", f"ck:dup:{first.ticket_id}",
    ]
    assert "Ballots are counted by the army" in say(desk, "/queue")[0]
    assert say(desk, "nice weather") == []  # chatter in the group is ignored

    [ask] = desk.handle(Incoming(GROUP, CHECKER, callback_data=f"ck:ans:{first.ticket_id}"))
    assert "What is the verdict?" in ask.text and len(ask.all_buttons()) == 6
    assert "your own words" in press(desk, f"ck:v:{first.ticket_id}:false")[0]
    assert "Which country" in say(desk, "The army counts the votes at polling stations")[0]
    assert "English" in press(desk, f"ck:r:{first.ticket_id}:TH")[0]
    assert "Thai" in say(desk, "No: officials from the EC count them, in public.")[0]
    assert "Malay" in say(desk, "/skip")[0]
    assert "source URLs" in say(desk, "Tidak: pegawai SPR mengira undi secara terbuka.")[0]
    assert "not a URL" in say(desk, "the EC website")[0]
    assert "1 source(s)" in say(desk, "see https://www.ect.go.th/ and")[0]
    [preview] = desk.handle(Incoming.from_text(GROUP, CHECKER, "/done"))
    assert "<b>❌ FALSE</b>" in preview.text  # the label voters see on a card
    assert "Send to 2 voter(s)" in preview.all_buttons()[0].label
    # Someone else pressing the confirm button cannot send it.
    assert "started elsewhere" in press(desk, f"ck:ok:{first.ticket_id}", user=4242)[0]
    assert "2 voter(s) will be notified" in press(desk, f"ck:ok:{first.ticket_id}")[0]

    sender = recording_sender()
    asyncio.run(OutboxDispatcher(database, sender, limits=Limits(per_second=None)).drain(10))
    thai = sender.texts_for(10)[0]
    assert "เท็จ" in thai and "officials from the EC" in thai  # no Thai given: English + note
    assert "Ballots are counted by the army" in thai  # the voter who sent it sees their words
    malay = sender.texts_for(20)[0]
    assert "pegawai SPR" in malay
    # The other voter sees the claim only in the checker's words, never voter 1's.
    assert "The army counts the votes" in malay and "Ballots are counted" not in malay
    detail = service.show(first.ticket_id).ticket
    assert (detail.claim_wording, detail.region) == (
        "The army counts the votes at polling stations", "TH"
    )
    assert service.show(first.ticket_id).ticket.status == "answered"
    assert "already answered" in say(desk, f"/answer {first.ticket_id}")[0]


def test_strangers_are_refused_and_other_chats_ignored(database: Database,
                                                       service: TicketService) -> None:
    ticket = PlainTicketStore(database).escalate(
        user_id=1, chat_id=10, text="x claim", language="en"
    )
    desk = CheckersDesk(service, chat_id=GROUP)
    assert "Only fact-checkers" in say(desk, "/queue", user=STRANGER)[0]
    assert "Only fact-checkers" in press(desk, f"ck:take:{ticket.ticket_id}", user=STRANGER)[0]
    assert "Only fact-checkers" in say(desk, f"/answer {ticket.ticket_id}", user=STRANGER)[0]
    assert desk.handle(Incoming.from_text(12345, CHECKER, "/queue")) == []
    assert service.show(ticket.ticket_id).ticket.status == "open"
    assert [h.action for h in service.show(ticket.ticket_id).history] == ["refused", "refused"]


def test_reject_and_duplicate_from_the_group(database: Database, service: TicketService) -> None:
    repo = PlainTicketStore(database)
    a = repo.escalate(user_id=1, chat_id=10, text="Advance voting is cancelled", language="en")
    b = repo.escalate(user_id=2, chat_id=20, text="The EC cancelled early voting", language="en")
    c = repo.escalate(user_id=3, chat_id=30, text="Vote for party X!", language="ms")
    desk = CheckersDesk(service, chat_id=GROUP)
    assert "Which ticket" in press(desk, f"ck:dup:{b.ticket_id}")[0]
    assert f"merged into #{a.ticket_id}" in say(desk, f"#{a.ticket_id}")[0]
    assert "Why is" in press(desk, f"ck:rej:{c.ticket_id}")[0]
    assert "closed (out-of-scope); 1 voter(s)" in say(desk, "out-of-scope: campaign slogan")[0]
    assert f"#{a.ticket_id} is yours" in say(desk, f"/take {a.ticket_id}")[0]
    assert "Usage" in say(desk, "/dup 1")[0]
    assert service.show(c.ticket_id).resolution == "out-of-scope: campaign slogan"
    assert [t.id for t in service.list_open()] == [a.ticket_id]


def test_new_and_spreading_tickets_are_announced_to_the_group(
    database: Database, service: TicketService
) -> None:
    events: list[tuple[int, str]] = []
    service.listeners.append(lambda ticket_id, event: events.append((ticket_id, event)))
    desk = CheckersDesk(service, chat_id=GROUP)
    first = service.escalate_or_join(1, 10, "Voting hours are extended to midnight", "en")
    for n in range(2, 11):
        service.escalate_or_join(n, n * 10, "voting hours are extended to midnight!", "ms")
    assert events == [(first.ticket_id, "opened"), (first.ticket_id, "milestone")]
    opened = desk.card_for_event(first.ticket_id, "opened")
    assert opened is not None and "Ticket #" in opened.text and opened.all_buttons()
    spreading = desk.card_for_event(first.ticket_id, "milestone")
    assert spreading is not None and "now asked by 10" in spreading.text
    assert desk.card_for_event(first.ticket_id, "answered") is None
