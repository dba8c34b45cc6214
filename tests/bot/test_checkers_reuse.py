"""Checkers reusing what is known (issue #15), through the real paths: voters in the
conversation core, checkers in the desk (as in their Telegram group) and at the `factcheck
tickets` command line, the outbox delivering, on SQLite and PostgreSQL.

- The ticket card and `factcheck tickets show` list the entries a voter was offered and rejected
  ("None of these", "Not what I asked" and why) before the question reached the checkers.
- A checker answers with one of them (a button on the card), with an entry by id (/link, the
  CLI), or with an earlier answered ticket (#M): voters get the entry's answer in their
  language with the cards' verdict label and feedback buttons, as for a typed answer.
- A question of fact is answered without a verdict (/fact in the desk, --fact at the CLI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.core import callbacks
from bot.core.cards import claim_verdict_label
from bot.core.messages import Button, Incoming, Reply
from bot.escalation.checkers_desk import CheckersDesk
from bot.escalation.ratelimit import Limits
from bot.storage import Database
from bot.texts import t

CHECKER = 4242
GROUP = -100424
FACTCHECK = str(Path(sys.executable).with_name("factcheck"))
MY_WHERE = "small-my-where-to-vote"
TH_WHERE = "small-th-where-to-vote"
#: The database guard's deadline: long enough that a busy test machine never spools a turn
#: (what the guard does then is tested elsewhere; these tests are about what checkers see).
SLOW_MACHINE = {"database_timeout_seconds": 30}


class Inbox:
    """What the outbox delivered, by chat: (text, buttons)."""

    def __init__(self) -> None:
        self.got: dict[int, list[tuple[str, list[Button]]]] = {}

    async def send(self, chat_id: int, text: str, buttons: object) -> None:
        rows = buttons if isinstance(buttons, (list, tuple)) else []
        flat = [b for row in rows for b in row]
        self.got.setdefault(chat_id, []).append((text, flat))


def desk_of(services) -> CheckersDesk:  # type: ignore[no-untyped-def]
    return CheckersDesk(
        services.escalation.tickets, chat_id=GROUP,
        knowledge=lambda: services.knowledge.snapshot()[0],
    )


def checker(desk: CheckersDesk, command: str) -> list[Reply]:
    return desk.handle(Incoming.from_text(GROUP, CHECKER, command, chat_type="group"))


def tap(desk: CheckersDesk, data: str) -> list[Reply]:
    return desk.handle(Incoming(GROUP, CHECKER, callback_data=data, chat_type="group"))


async def test_rejected_entries_are_on_the_card_and_one_tap_answers_with_one(
    make_services, database: Database, chat_on, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    services = make_services(
        database_url=database.url, checker_ids=str(CHECKER), **SLOW_MACHINE
    )
    tickets = services.escalation.tickets
    voter = chat_on(services, user_id=71, language_code="en")
    await voter.say("Where do I have to vote?")
    offered = {b.label for b in voter.buttons()} - {t("en", "button_none")}
    assert voter.is_clarify() and len(offered) >= 2
    await voter.press(t("en", "button_none"))
    await voter.press(t("en", "button_consent_yes"))
    [ticket] = tickets.list_open(include_held=True)

    desk = desk_of(services)
    card = desk.ticket_card(ticket.id)
    # Both entries the voter was offered, named in the knowledge's words, with the reason.
    assert MY_WHERE in card.text and TH_WHERE in card.text
    assert "none of these" in card.text and "Where do I have to vote?" in card.text
    links = {b.label: b.data for b in card.all_buttons() if b.data and ":ln:" in b.data}
    assert len(links) == len(offered)  # one per entry offered, and only those
    # The card's other buttons are unchanged, and every button is the desk's (one prefix).
    assert all(b.data and b.data.startswith(f"{callbacks.DESK_PREFIX}:")
               for b in card.all_buttons())

    # The checker judges the voter was wrong: the Malaysian entry is the answer. One tap.
    data = next(d for label, d in links.items() if MY_WHERE in label)
    [done] = tap(desk, data or "")
    assert f"answered with {MY_WHERE}" in done.text.replace("<code>", "").replace("</code>", "")
    assert "1 voter(s)" in done.text
    # A second tap finds it answered: nothing is sent twice.
    assert "already answered" in tap(desk, data or "")[0].text

    inbox = Inbox()
    await services.escalation.make_dispatcher(inbox.send, limits=Limits(per_second=None)).drain(
        timeout=20
    )
    [(text, buttons)] = inbox.got[71]
    entry = services.knowledge.snapshot()[0].get(MY_WHERE)
    assert entry is not None and entry.answer["en"].split()[0] in text
    assert f"<b>{claim_verdict_label(None, 'en')}</b>" in text  # a fact: the information label
    # The feedback buttons of a card, naming the linked entry.
    assert callbacks.entry_hash(MY_WHERE) in " ".join(b.data or "" for b in buttons)
    assert len(buttons) == 2

    detail = tickets.show(ticket.id)
    assert detail.answer is not None and detail.answer.entry_id == MY_WHERE
    assert detail.answer.verdict is None
    assert "link" in [h.action for h in detail.history]
    # The linked ticket is that entry: not served a second time as `ticket-<n>`.
    services.answered.refresh()
    assert services.knowledge.snapshot()[0].get(f"ticket-{ticket.id}") is None

    # `factcheck tickets show` lists what the voter rejected, with the reason.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CHECKER_IDS")}
    env.update(DATABASE_URL=database.url, CHECKER_IDS=str(CHECKER))
    shown = subprocess.run([FACTCHECK, "tickets", "show", str(ticket.id)], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "rejected by the asker(s)" in shown.stdout
    assert f"{TH_WHERE}  (none of these)" in shown.stdout
    assert f"Linked knowledge entry: {MY_WHERE}" in shown.stdout
    as_json = subprocess.run([FACTCHECK, "tickets", "show", str(ticket.id), "--json"], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    rejected = json.loads(as_json.stdout)["rejected"]
    assert {MY_WHERE, TH_WHERE} <= {r["entry_id"] for r in rejected}
    assert len(rejected) == len(offered)
    assert all(r["reasons"] == {"none_of_these": 1} for r in rejected)


async def test_not_what_i_asked_and_why_reach_the_card(
    make_services, database: Database, chat_on
) -> None:  # type: ignore[no-untyped-def]
    services = make_services(
        database_url=database.url, checker_ids=str(CHECKER), **SLOW_MACHINE
    )
    voter = chat_on(services, user_id=72, language_code="en")
    await voter.say("Where do I have to vote?")
    await voter.press("(Malaysia)")
    await voter.press(t("en", "button_not_what_i_asked"))
    await voter.press(t("en", "button_reason_wrong_country"))
    while voter.is_clarify():  # the matcher offers more: decline those too
        await voter.press(t("en", "button_none"))
    await voter.press(t("en", "button_consent_yes"))
    [ticket] = services.escalation.tickets.list_open(include_held=True)
    card = desk_of(services).ticket_card(ticket.id)
    line = next(x for x in card.text.splitlines() if MY_WHERE in x)
    assert "the other country" in line


async def test_link_by_id_by_ticket_and_a_fact_without_verdict(
    make_services, database: Database, chat_on
) -> None:  # type: ignore[no-untyped-def]
    services = make_services(
        database_url=database.url, checker_ids=str(CHECKER), **SLOW_MACHINE
    )
    tickets = services.escalation.tickets
    desk = desk_of(services)
    thai = chat_on(services, user_id=81, language_code="th")
    malay = chat_on(services, user_id=82, language_code="ms")
    english = chat_on(services, user_id=83, language_code="en")
    for chat, text in ((thai, "ได้ยินว่าจะนับคะแนนด้วยเครื่องคอมพิวเตอร์ทั้งหมด จริงไหม"),
                       (malay, "Betul ke pengundi kena bawa sijil lahir untuk mengundi?"),
                       (english, "How many polling stations are there in Penang?")):
        await chat.say(text)
        while chat.is_clarify():
            await chat.press(t(chat.language_code, "button_none"))
            await chat.press(t(chat.language_code, "button_consent_yes"))
    open_ = {x.language: x.id for x in tickets.list_open(include_held=True)}
    assert set(open_) == {"th", "ms", "en"}, open_

    # /link with an id the knowledge does not publish is refused, nothing changes.
    assert "No published entry" in checker(desk, f"/link {open_['th']} no-such-entry")[0].text
    assert "not published" in checker(desk, f"/link {open_['th']} small-draft-entry")[0].text
    assert "Usage: /link N ENTRY_ID|#M" in checker(desk, f"/link {open_['th']}")[0].text
    # /link with a claim: the Thai voter gets its verdict and answer, in Thai.
    [linked] = checker(desk, f"/link {open_['th']} small-claim-vote-by-sms")
    assert "1 voter(s)" in linked.text
    # /link #M: the Malay voter's ticket is answered with the Thai one's answer.
    [merged] = checker(desk, f"/link {open_['ms']} #{open_['th']}")
    assert f"answered with #{open_['th']}" in merged.text
    # /fact: a question of fact, answered without a verdict.
    [start, ask_wording] = checker(desk, f"/fact {open_['en']}")
    assert "question of fact" in start.text and "your own words" in ask_wording.text
    assert "Which country" in checker(desk, "Number of polling stations in Penang")[0].text
    assert "English" in checker(desk, "MY")[0].text
    checker(desk, "Penang has 1,200 polling stations at the last count.")
    checker(desk, "/skip")
    checker(desk, "/skip")
    checker(desk, "https://www.spr.gov.my/")
    [preview] = checker(desk, "/done")
    assert f"<b>{claim_verdict_label(None, 'en')}</b>" in preview.text
    send = next(b for b in preview.all_buttons() if b.data and ":ok:" in b.data)
    assert "answered" in tap(desk, send.data or "")[0].text

    inbox = Inbox()
    await services.escalation.make_dispatcher(inbox.send, limits=Limits(per_second=None)).drain(
        timeout=20
    )
    sms = services.knowledge.snapshot()[0].get("small-claim-vote-by-sms")
    assert sms is not None and sms.verdict is not None
    [(to_thai, thai_buttons)] = inbox.got[81]
    assert f"<b>{claim_verdict_label(sms.verdict, 'th')}</b>" in to_thai
    assert callbacks.entry_hash(sms.id) in " ".join(b.data or "" for b in thai_buttons)
    [(to_malay, _)] = inbox.got[82]
    assert f"<b>{claim_verdict_label(sms.verdict, 'ms')}</b>" in to_malay
    [(to_english, _)] = inbox.got[83]
    assert "1,200 polling stations" in to_english
    assert f"<b>{claim_verdict_label(None, 'en')}</b>" in to_english
    assert tickets.show(open_["en"]).answer.verdict is None  # type: ignore[union-attr]
    # Served as information from now on, under the checker's wording.
    services.answered.refresh()
    served = services.knowledge.snapshot()[0].get(f"ticket-{open_['en']}")
    assert served is not None and served.kind == "fact" and served.verdict is None


def test_the_cli_links_an_entry_or_a_ticket_and_answers_a_fact(
    database: Database, tmp_path: Path
) -> None:
    from bot.escalation.ticket_rows import PlainTicketStore

    store = PlainTicketStore(database)
    sms = store.escalate(user_id=91, chat_id=91, text="Can I text my vote in?", language="ms")
    again = store.escalate(user_id=92, chat_id=92, text="SMS voting allowed now", language="en")
    fact = store.escalate(user_id=93, chat_id=93, text="When do polls open in Sabah?",
                          language="en")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CHECKER_IDS")}
    env.update(DATABASE_URL=database.url, CHECKER_IDS=str(CHECKER))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([FACTCHECK, "tickets", *args, "--as", str(CHECKER)], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)

    KB = str(Path(__file__).resolve().parent.parent / "data" / "kb-small")
    unknown = run("link", str(sms.ticket_id), "no-such-entry", "--knowledge", KB)
    assert unknown.returncode == 1 and "no published entry" in unknown.stderr
    linked = run("link", str(sms.ticket_id), "small-claim-vote-by-sms", "--knowledge", KB)
    assert linked.returncode == 0, linked.stderr
    assert "answered with small-claim-vote-by-sms; 1 voter(s)" in linked.stdout
    merged = run("link", str(again.ticket_id), f"#{sms.ticket_id}")
    assert merged.returncode == 0 and f"answered with #{sms.ticket_id}" in merged.stdout
    both = run("answer", str(fact.ticket_id), "--fact", "--verdict", "true",
               "--explanation-en", "x", "--source", "https://www.spr.gov.my/")
    assert both.returncode == 2  # a fact has no verdict: argparse refuses the pair
    answered = run("answer", str(fact.ticket_id), "--fact",
                   "--explanation-en", "Polls open at 7.30am.", "--source",
                   "https://www.spr.gov.my/")
    assert answered.returncode == 0, answered.stderr

    from bot.escalation.outbox import OutboxDispatcher
    from bot.escalation.ratelimit import Limits as _Limits

    inbox = Inbox()
    import asyncio

    asyncio.run(OutboxDispatcher(database, inbox.send, limits=_Limits(per_second=None))
                .drain(timeout=20))
    assert f"<b>{claim_verdict_label('false', 'ms')}</b>" in inbox.got[91][0][0]
    assert f"<b>{claim_verdict_label('false', 'en')}</b>" in inbox.got[92][0][0]
    assert f"<b>{claim_verdict_label(None, 'en')}</b>" in inbox.got[93][0][0]
    assert "7.30am" in inbox.got[93][0][0]
