"""The outbox dispatcher on a real database: crashes, competing dispatchers, blocked voters,
retries with backoff, RetryAfter, and Telegram's rate limits."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.escalation.outbox import OutboxDispatcher, SendResult, classify
from bot.escalation.ratelimit import Limits
from bot.escalation.ticket_rows import PlainTicketStore
from bot.escalation.tickets import TicketService
from bot.storage import Database
from bot.storage.models import OutboxMessage, Voter

CHECKER = 9001
FAST = Limits(per_second=None, per_chat_seconds=None, slack=0.0)


def answered_ticket(database: Database, service: TicketService, voters: int) -> int:
    """One ticket with `voters` askers (chat id = 1000 + n), answered: `voters` rows queued."""
    repo = PlainTicketStore(database)
    ticket = None
    for n in range(voters):
        ticket = repo.escalate(
            user_id=n + 1, chat_id=1000 + n, text="The ballot boxes are see-through glass",
            language=("th", "ms", "en")[n % 3],
        )
    assert ticket is not None
    service.answer(ticket.ticket_id, CHECKER, verdict="true",
                   explanation={"en": "Yes, they are transparent.", "th": "จริง", "ms": "Benar"},
                   sources=["https://example.org/boxes"])
    return ticket.ticket_id


def statuses(database: Database) -> dict[str, int]:
    with database.session() as session:
        return dict(session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all())


def crash(dispatcher: OutboxDispatcher) -> None:
    """Run `dispatcher` until its sender raises SystemExit, then wait for the dead loop's worker
    threads (a real process that dies takes its threads with it; here a claim or commit in
    flight would otherwise land after the survivor looked)."""
    with pytest.raises(SystemExit):
        asyncio.run(dispatcher.drain(timeout=20))
    for thread in threading.enumerate():
        if thread.name.startswith("asyncio_"):
            thread.join(timeout=10)


def test_crash_mid_fanout_resumes_without_loss_or_duplicate(
    database: Database, service, recording_sender
) -> None:
    """One message in flight: every send is recorded before the next, so a crash repeats
    nothing; the restarted worker takes its dead claim back at once, not after the lease."""
    answered_ticket(database, service, 40)
    crashing = recording_sender(crash_after=17)
    first = OutboxDispatcher(database, crashing, worker_id="dies", limits=FAST, batch_size=25,
                             max_in_flight=1, lease_seconds=600)
    crash(first)
    assert len(crashing.sent) == 17
    left = statuses(database)
    assert left == {"sent": 17, "sending": 1, "pending": 22}  # only the one being sent is held

    survivor = recording_sender()
    restarted = OutboxDispatcher(database, survivor, worker_id="dies", limits=FAST,
                                 lease_seconds=600)
    assert restarted.reclaim_abandoned() == 1  # at once: the 600 s lease is not waited for
    asyncio.run(restarted.drain(timeout=20))
    every = crashing.chats() + survivor.chats()
    assert sorted(every) == list(range(1000, 1040))  # nobody lost, nobody twice
    assert statuses(database) == {"sent": 40}


def test_a_crash_repeats_at_most_the_messages_in_flight(
    database: Database, service, recording_sender
) -> None:
    """With several workers, what can repeat is what was accepted but not yet recorded: at most
    one message per worker. Another process on this host takes the dead claims back at once."""
    answered_ticket(database, service, 40)
    crashing = recording_sender(crash_after=17)
    first = OutboxDispatcher(database, crashing, worker_id="host-a:999999999", limits=FAST,
                             max_in_flight=4, lease_seconds=600)
    crash(first)
    assert statuses(database).get("sending", 0) <= 4
    survivor = recording_sender()
    other = OutboxDispatcher(database, survivor, worker_id="host-a:1", limits=FAST,
                             lease_seconds=600)  # pid 1 is alive; 999999999 is not
    other.reclaim_abandoned()
    asyncio.run(other.drain(timeout=20))
    every = Counter(crashing.chats() + survivor.chats())
    assert sorted(every) == list(range(1000, 1040))  # nobody lost
    assert sum(n - 1 for n in every.values()) <= 4  # at most one repeat per worker
    assert statuses(database) == {"sent": 40}


def test_live_claims_of_another_process_are_not_taken_back(database: Database, service) -> None:
    answered_ticket(database, service, 3)

    async def never(chat_id: int, text: str, buttons: object) -> None:
        raise AssertionError("not expected to send")

    alive = OutboxDispatcher(database, never, worker_id=f"host-b:{os.getpid()}")
    assert len(alive.claim(10)) == 3
    elsewhere = OutboxDispatcher(database, never, worker_id="host-c:1")
    neighbour = OutboxDispatcher(database, never, worker_id="host-b:1")
    assert elsewhere.reclaim_abandoned() == 0 and neighbour.reclaim_abandoned() == 0
    assert statuses(database) == {"sending": 3}


def test_two_dispatchers_at_once_share_the_work_without_duplicates(
    database: Database, service, recording_sender
) -> None:
    answered_ticket(database, service, 120)
    senders = [recording_sender(delay=0.002), recording_sender(delay=0.002)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        dispatcher = OutboxDispatcher(database, senders[index], worker_id=f"w{index}",
                                      limits=FAST, batch_size=10, max_in_flight=4)
        try:
            asyncio.run(dispatcher.drain(timeout=60))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    every = senders[0].chats() + senders[1].chats()
    assert sorted(every) == list(range(1000, 1120))
    assert statuses(database) == {"sent": 120}


def test_a_voter_who_blocked_the_bot_is_skipped_and_remembered(
    database: Database, service, recording_sender
) -> None:
    answered_ticket(database, service, 3)
    # A second answer owed to the same voters, queued before anyone knows chat 1001 blocked us.
    repo = PlainTicketStore(database)
    second = repo.escalate(user_id=2, chat_id=1001, text="Polls open at 6", language="en")
    repo.escalate(user_id=1, chat_id=1000, text="Polls open at 6", language="en")
    service.answer(second.ticket_id, CHECKER, verdict="false", explanation={"en": "8am."},
                   sources=["https://example.org/"])
    sender = recording_sender(script={1001: [SendResult.blocked("Forbidden: bot was blocked")]})
    limits = Limits(per_second=None, per_chat_seconds=0.3)
    stats = asyncio.run(OutboxDispatcher(database, sender, limits=limits).drain(timeout=10))
    assert sorted(sender.chats()) == [1000, 1000, 1002]
    assert sender.calls == 4  # the second message to 1001 was skipped without calling Telegram
    assert (stats.sent, stats.skipped) == (3, 2)
    assert statuses(database) == {"sent": 3, "skipped": 2}
    with database.session() as session:
        blocked = session.scalar(select(Voter).where(Voter.chat_id == 1001))
        assert blocked.blocked_at is not None
        errors = session.scalars(
            select(OutboxMessage.last_error).where(OutboxMessage.chat_id == 1001)
        ).all()
        assert all("blocked" in (e or "") for e in errors)
    # Writing to the bot again means they unblocked it: notifications may flow again.
    repo.set_last_language(2, 1001, "en")
    with database.session() as session:
        assert session.scalar(select(Voter).where(Voter.chat_id == 1001)).blocked_at is None


def test_transient_errors_are_retried_with_exponential_backoff(
    database: Database, service, recording_sender
) -> None:
    answered_ticket(database, service, 2)
    sender = recording_sender(script={1000: [ConnectionError("network down")] * 3})
    dispatcher = OutboxDispatcher(database, sender, limits=FAST, backoff_base=0.2)
    started = time.monotonic()
    stats = asyncio.run(dispatcher.drain(timeout=20))
    elapsed = time.monotonic() - started
    assert sorted(sender.chats()) == [1000, 1001]
    assert stats.retried == 3 and stats.sent == 2
    assert elapsed >= 0.2 + 0.4 + 0.8 - 0.05  # waited 0.2, 0.4, 0.8 s between attempts
    with database.session() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == 1000))
        assert row.attempts == 4 and row.status == "sent"


def test_a_message_that_keeps_failing_gives_up_and_says_why(
    database: Database, service, recording_sender
) -> None:
    answered_ticket(database, service, 1)
    sender = recording_sender(script={1000: [TimeoutError("timed out")] * 10})
    dispatcher = OutboxDispatcher(database, sender, limits=FAST, backoff_base=0.01,
                                  max_attempts=3)
    stats = asyncio.run(dispatcher.drain(timeout=10))
    assert sender.calls == 3 and stats.failed == 1
    assert statuses(database) == {"failed": 1}
    with database.session() as session:
        assert "gave up after 3 attempts" in session.scalar(select(OutboxMessage.last_error))


def test_retry_after_is_honoured_for_everyone_and_costs_no_attempt(
    database: Database, service, recording_sender
) -> None:
    answered_ticket(database, service, 3)

    class RetryAfter(Exception):  # python-telegram-bot's exception, as the Telegram layer sees it
        def __init__(self, seconds: float) -> None:
            super().__init__(f"Flood control exceeded. Retry in {seconds} seconds")
            self.retry_after = timedelta(seconds=seconds)

    sender = recording_sender(script={1000: [RetryAfter(1.0)]})
    dispatcher = OutboxDispatcher(database, sender, limits=FAST, max_in_flight=1)
    started = time.monotonic()
    asyncio.run(dispatcher.drain(timeout=10))
    assert sorted(sender.chats()) == [1000, 1001, 1002]
    first_retry = min(t for chat, t, _ in sender.sent if chat == 1000)
    assert first_retry - started >= 0.95
    # the pause applied to the whole bot: nothing was sent during the second after the 429
    assert all(t - started >= 0.95 for _, t, _ in sender.sent)
    with database.session() as session:
        assert session.scalar(
            select(OutboxMessage.attempts).where(OutboxMessage.chat_id == 1000)
        ) == 1


def test_rate_limits_hold_overall_and_per_chat(database: Database, service, recording_sender
                                               ) -> None:
    answered_ticket(database, service, 25)
    # Two more notifications to chat 1000 (two more tickets it asked), to test the chat spacing.
    repo = PlainTicketStore(database)
    for text in ("Claim two about ballots", "Claim three about ballots"):
        t = repo.escalate(user_id=1, chat_id=1000, text=text, language="en")
        service.answer(t.ticket_id, CHECKER, verdict="unproven", explanation={"en": "?"},
                       sources=["https://example.org/"])
    sender = recording_sender()
    limits = Limits(per_second=10, per_chat_seconds=1.0)
    asyncio.run(OutboxDispatcher(database, sender, limits=limits).drain(timeout=30))
    times = sorted(t for _, t, _ in sender.sent)
    assert len(times) == 27
    assert max(sum(1 for u in times if t <= u < t + 1.0) for t in times) <= 10
    to_1000 = sorted(t for chat, t, _ in sender.sent if chat == 1000)
    assert len(to_1000) == 3
    assert all(b - a >= 1.0 for a, b in zip(to_1000, to_1000[1:], strict=False))


def test_a_live_lease_is_not_stolen_but_an_expired_one_is(database: Database, service) -> None:
    answered_ticket(database, service, 5)

    async def never(chat_id: int, text: str, buttons: object) -> None:
        raise AssertionError("not expected to send")

    holder = OutboxDispatcher(database, never, worker_id="holder", lease_seconds=60)
    claimed = holder.claim(10)
    assert len(claimed) == 5
    other = OutboxDispatcher(database, never, worker_id="other", lease_seconds=60)
    assert other.claim(10) == []  # leased to a live worker
    later = OutboxDispatcher(
        database, never, worker_id="later", lease_seconds=60,
        utcnow=lambda: datetime.now(UTC) + timedelta(seconds=61),
    )
    retaken = later.claim(10)
    assert sorted(r.id for r in retaken) == sorted(r.id for r in claimed)
    assert all(r.attempts == 2 for r in retaken)
    # the first holder's late result does not overwrite the new claim
    assert holder._finish(claimed[0], "sent") is False


def test_classify_understands_telegram_errors_by_name() -> None:
    Forbidden = type("Forbidden", (Exception,), {})
    BadRequest = type("BadRequest", (Exception,), {})
    NetworkError = type("NetworkError", (Exception,), {})
    assert classify(Forbidden("bot was blocked by the user")).outcome == "blocked"
    assert classify(BadRequest("Chat not found")).outcome == "failed"
    assert classify(NetworkError("bad gateway")).outcome == "error"


def test_forget_removes_queued_notifications(database: Database, service) -> None:
    answered_ticket(database, service, 2)
    PlainTicketStore(database).forget_voter(1)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        session.execute(update(OutboxMessage).values(status="pending"))


def test_stopping_gives_unsent_rows_back_at_once(database: Database, service,
                                                 recording_sender) -> None:
    answered_ticket(database, service, 30)
    sender = recording_sender()
    dispatcher = OutboxDispatcher(database, sender, limits=Limits(per_second=10),
                                  batch_size=30, idle_seconds=0.05)

    async def run_briefly() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop))
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.wait_for(task, timeout=10)

    asyncio.run(run_briefly())
    left = statuses(database)
    assert 0 < left.get("sent", 0) < 30 and "sending" not in left  # nothing waits for a lease
    rest = recording_sender()
    asyncio.run(OutboxDispatcher(database, rest, limits=FAST).drain(timeout=10))
    assert sorted(sender.chats() + rest.chats()) == list(range(1000, 1030))
