"""A voter's words are seen by that voter and by the checkers, nobody else (issue #15).

One scenario with several voters, each naming somebody or giving a phone number in their
question, goes through the conversation core (Conversation.handle) and the checkers' workflow
(the checkers' desk, as in the Telegram group, and the ticket service the CLI calls): tickets
opened, offered, chosen, answered with and without a checker's wording, merged, served as
knowledge, and one voter using /forget. Every text each voter receives (replies, button labels,
notifications as the outbox delivers them) is collected, and the property is checked over all of
it: no voter ever receives another voter's distinctive words. Positive controls make sure the
collection is not empty where it must not be: each asker sees their own words, and other voters
see the claim in the checker's words. After /forget, the forgotten voter's words are nowhere in
the database.

The open-ticket index is given a matcher that finds every open ticket plausible and none sure,
so every ticket that may be offered is offered: the most exposure the rule has to survive.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pytest
from fake_matchers import NeverSure
from sqlalchemy import inspect, select, text

from bot.core.messages import Incoming, Reply
from bot.escalation.checkers_desk import CheckersDesk
from bot.escalation.ratelimit import Limits
from bot.escalation.ticket_index import OpenTicketIndex
from bot.storage import Database
from bot.storage.models import Ticket
from bot.texts import t

CHECKER = 777
GROUP = -100777
WORDING = "Soldiers will count the ballots in Yala this year"


@dataclass(frozen=True)
class Voter:
    user_id: int
    language: str
    text: str
    #: Words only this voter wrote: a name, a phone number, a handle.
    own: tuple[str, ...]


A = Voter(1, "en", "My name is Somchai Jaidee, phone 081-555-0199; is it true soldiers will "
          "count the ballots in Yala this year?", ("Somchai", "Jaidee", "081-555-0199"))
B = Voter(2, "en", "My neighbour Malee Srisuk (line id malee_77) says the army counts the "
          "Yala ballots now", ("Malee", "Srisuk", "malee_77"))
C = Voter(3, "ms", "Kawan saya Ismail Hassan kata tentera akan kira undi di Yala, betul ke?",
          ("Ismail", "Hassan"))
D = Voter(4, "th", "คุณประยุทธ์ วงศ์ใหญ่ บอกว่าทหารจะนับคะแนนเลือกตั้งที่ยะลา จริงไหม",
          ("ประยุทธ์", "วงศ์ใหญ่"))
E = Voter(5, "en", "Aminah Binti Osman asks: will soldiers count the ballots in Yala this year?",
          ("Aminah", "Osman"))
VOTERS = (A, B, C, D, E)


class Inboxes:
    """Everything each voter received, by Telegram user id (= chat id in a private chat)."""

    def __init__(self) -> None:
        self.texts: dict[int, list[str]] = defaultdict(list)

    def replies(self, user_id: int, replies: list[Reply]) -> list[Reply]:
        for reply in replies:
            self.texts[user_id].append(reply.text)
            self.texts[user_id].extend(b.label for b in reply.all_buttons())
        return replies

    async def send(self, chat_id: int, text: str, buttons: object) -> None:
        self.texts[chat_id].append(text)

    def of(self, voter: Voter) -> str:
        return "\n".join(self.texts[voter.user_id])


def leaks(inboxes: Inboxes) -> list[tuple[int, int, str]]:
    """(receiver, writer, words) for every voter's words found in another voter's inbox."""
    found = []
    for receiver in VOTERS:
        inbox = inboxes.of(receiver).casefold()
        for writer in VOTERS:
            if writer is receiver:
                continue
            for words in (*writer.own, writer.text):
                if words.casefold() in inbox:
                    found.append((receiver.user_id, writer.user_id, words))
    return found


def stored_text(database: Database) -> str:
    """Every value in every table, as one string (what a database dump would show)."""
    chunks = []
    with database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            if table == "alembic_version":
                continue
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(" ".join(str(value) for value in row))
    return "\n".join(chunks)


@pytest.fixture
def services(make_services, database: Database):  # type: ignore[no-untyped-def]
    built = make_services(database_url=database.url, checker_ids=str(CHECKER))
    assert built.escalation is not None and built.answered is not None
    built.escalation.tickets.index = OpenTicketIndex(
        built.database, base=lambda: NeverSure()
    )
    return built


async def test_no_voter_ever_receives_another_voters_words(services, chat_on) -> None:  # type: ignore[no-untyped-def]
    inboxes = Inboxes()
    tickets = services.escalation.tickets
    desk = CheckersDesk(tickets, chat_id=GROUP)
    chats = {v.user_id: chat_on(services, user_id=v.user_id, language_code=v.language)
             for v in VOTERS}

    async def ask(voter: Voter) -> list[Reply]:
        """The voter's question, to the checkers: "none of these" when the bot offers checks."""
        chat = chats[voter.user_id]
        replies = inboxes.replies(voter.user_id, await chat.say(voter.text))
        if chat.is_clarify():
            replies = inboxes.replies(
                voter.user_id, await chat.press(t(voter.language, "button_none"))
            )
            replies = inboxes.replies(
                voter.user_id, await chat.press(t(voter.language, "button_consent_yes"))
            )
        return replies

    async def press(voter: Voter, label: str) -> list[Reply]:
        return inboxes.replies(voter.user_id, await chats[voter.user_id].press(label))

    def checker(command: str) -> str:
        return "\n".join(r.text for r in desk.handle(
            Incoming.from_text(GROUP, CHECKER, command, chat_type="group")
        ))

    def checker_taps(data: str) -> str:
        return "\n".join(r.text for r in desk.handle(
            Incoming(GROUP, CHECKER, callback_data=data, chat_type="group")
        ))

    # A's question opens a ticket. B asks about the same claim before any checker worded it:
    # A's ticket must not be offered to B (its only text is A's), so B gets a ticket of their own.
    await ask(A)
    [first] = tickets.list_open()
    assert (await ask(B))[-1].text == t("en", "escalated_new")
    second = next(x for x in tickets.list_open() if x.id != first.id)

    # Checkers see the voters' words (that is who may), and word the first ticket.
    assert "Somchai" in checker(f"/show {first.id}")
    assert "shown to other voters" in checker(f"/word {first.id} TH {WORDING}")

    # C is offered the worded ticket, in the checker's words, and says it is theirs.
    offer = (await ask(C))[-1]
    assert WORDING in offer.text
    await press(C, t("ms", "button_ticket_same"))
    # D is offered it too, and says it is something else: D's own ticket goes to the queue.
    assert WORDING in (await ask(D))[-1].text
    await press(D, t("th", "button_ticket_other"))
    third = max(x.id for x in tickets.list_open())

    # The guided answer in the checkers' group: the wording given earlier is kept (/skip).
    checker(f"/answer {first.id}")
    assert "keeps the wording" in checker_taps(f"ck:v:{first.id}:false")
    assert "Which country" in checker("/skip")
    checker_taps(f"ck:r:{first.id}:TH")
    checker("No. Polling staff count the ballots in public; soldiers do not.")
    checker("/skip")
    checker("/skip")
    checker("https://www.ect.go.th/")
    checker("/done")
    assert "answered" in checker_taps(f"ck:ok:{first.id}")
    # B's ticket is answered without a wording (the CLI's default), D's merged into the first.
    tickets.answer(second.id, CHECKER, verdict="misleading",
                   explanation={"en": "The army helps with transport only."},
                   sources=["https://www.ect.go.th/"])
    tickets.mark_duplicate(third, first.id, CHECKER)

    dispatcher = services.escalation.make_dispatcher(inboxes.send, limits=Limits(per_second=None))
    await dispatcher.drain(timeout=20)

    # E asks after the answer: the bot answers from the answered ticket, in the checker's words.
    services.answered.refresh()
    kb, _ = services.knowledge.snapshot()
    assert kb.get(f"ticket-{first.id}") is not None
    assert kb.get(f"ticket-{second.id}") is None  # not worded: not served to other voters
    chat = chats[E.user_id]
    replies = inboxes.replies(E.user_id, await chat.say(E.text))
    ticket_button = [b for b in chat.buttons() if WORDING[:20] in b.label]
    if ticket_button:  # a "did you mean": the answered ticket is among the checks offered
        replies = await press(E, ticket_button[0].label)
    assert WORDING in replies[-1].text

    # A forgets; nothing of A is left, and the checkers keep the wording.
    inboxes.replies(A.user_id, await chats[A.user_id].say("/forget"))
    await press(A, t("en", "button_forget_yes"))
    # Their question, their place on the ticket, its notification, the ticket's copy of their
    # words, and the voter.
    assert inboxes.texts[A.user_id][-1] == t("en", "forget_done", count=5)
    dump = stored_text(services.database)
    for words in A.own:
        assert words not in dump
    with services.database.session() as session:
        ticket = session.get(Ticket, first.id)
        assert ticket.claim_wording == WORDING and "Somchai" not in ticket.claim_text
        # C still waits on it with their own question: the checkers now see C's words.
        assert ticket.claim_text == C.text
        assert session.scalar(select(Ticket.claim_text).where(Ticket.id == second.id)) == B.text

    # Positive controls: each asker saw their own words; others saw the checker's wording.
    assert "Somchai" in inboxes.of(A) and "Malee" in inboxes.of(B)
    assert "Ismail" in inboxes.of(C) and WORDING in inboxes.of(C)
    assert "ประยุทธ์" in inboxes.of(D) and WORDING in inboxes.of(D)
    # The property: nobody received anybody else's words.
    assert leaks(inboxes) == []


def test_the_local_chat_shows_other_voters_claims_only_in_the_checkers_words(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`factcheck chat` (the local chat, its own process): another voter's answered claim
    reaches the local voter as knowledge, in the checker's wording, never in their words."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from bot.escalation.checker_registry import CheckerRegistry
    from bot.escalation.ticket_rows import PlainTicketStore
    from bot.escalation.tickets import TicketService

    root = Path(__file__).resolve().parents[2]
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    database = Database(url)
    database.migrate()
    receipt = PlainTicketStore(database).escalate(
        user_id=A.user_id + 1000, chat_id=A.user_id + 1000, text=A.text, language="en"
    )
    TicketService(database, registry=CheckerRegistry(database, [CHECKER])).answer(
        receipt.ticket_id, CHECKER, verdict="false", sources=["https://www.ect.go.th/"],
        explanation={"en": "E2E-LOCAL Polling staff count the ballots in public."},
        wording=WORDING,
    )
    database.dispose()
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_TOKEN"}
    env.update(TELEGRAM_TOKEN="", DATABASE_URL=url)
    factcheck = Path(sys.executable).parent / "factcheck"
    done = subprocess.run(
        [str(factcheck), "chat", "--knowledge", str(root / "tests/data/kb-small"),
         "--spool", str(tmp_path / "spool.jsonl")],
        input="/language en\nwill soldiers count the ballots in Yala this year?\n1\n",
        capture_output=True, text=True, timeout=300, cwd=root, env=env,
    )
    assert done.returncode == 0, done.stderr
    # The card (directly, or after picking it from "did you mean"), in the checker's words.
    assert "E2E-LOCAL" in done.stdout and WORDING in done.stdout
    for words in (*A.own, A.text):
        assert words not in done.stdout
