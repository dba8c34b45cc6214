"""A seeded question history for the report tests, the same on SQLite and PostgreSQL.

Imported by the tests as `reports_seed` (conftest.py puts this folder on sys.path: pytest runs
with --import-mode=importlib, under which test folders are not packages).

NOW is fixed; the 7 days before it are "this period", the 7 before that "the previous period".
What is seeded (and so what the tests expect) is spelled out in SEED below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.storage import Database
from bot.storage.models import Feedback, Question, Ticket, TicketSubscriber, Voter

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SPIKE_TH = "บัตรเลือกตั้งปลอมระบาดที่เชียงใหม่ จริงไหมครับ"
SPIKE_MS = "SPR tangguh pengundian awal di Sabah betul ke"
PRIVATE_TEXT = "Somchai Secretname 0812345678 told me the ballot box was swapped"
REPEATED_UNANSWERED = "When will the ballot boxes be recounted?"
LONE_REPEATER = "Why did my village headman ask for my ID card?"
OPEN_CLAIM = "Ballots marked with blue pen are void"
WITHHELD_CLAIM = "My neighbour Somchai sells votes at 500 baht"
# Telegram ids and chat ids the seeded voters have, to prove none appears in a report.
TELEGRAM_IDS = [987650000 + i for i in range(1, 41)]
CHAT_IDS = [-1001234500000 - i for i in range(1, 41)]


@dataclass(frozen=True)
class Seeded:
    database: Database
    now: datetime
    voter_ids: list[int]


class FakeKnowledge:
    """What build_trends needs of a KnowledgeBase: `.get(entry_id)`."""

    class _Entry:
        def __init__(self, entry_id: str, text: dict[str, str], verdict: str | None) -> None:
            self.id, self.text, self.verdict = entry_id, text, verdict
            self.kind = "claim" if verdict else "fact"

        def text_in(self, lang: str) -> str:
            return self.text.get(lang) or next(iter(self.text.values()))

    def __init__(self) -> None:
        self.entries = {
            "th-claim-fake-ballots": self._Entry(
                "th-claim-fake-ballots",
                {"en": "Fake ballots are circulating", "th": "มีบัตรเลือกตั้งปลอม"},
                "false",
            ),
            "my-ge15-dates": self._Entry(
                "my-ge15-dates", {"en": "When was GE15?", "ms": "Bila PRU15 diadakan?"}, None
            ),
            "en-count": self._Entry("en-count", {"en": "How are votes counted?"}, None),
        }

    def get(self, entry_id: str):  # type: ignore[no-untyped-def]
        return self.entries.get(entry_id)


def seed(database: Database, now: datetime = NOW) -> Seeded:
    """Seed the history the tests count on. In the 7 days before `now` ("this period"):

    - th: SPIKE_TH asked by 6 voters (escalate); th-claim-fake-ballots answered 5 times;
    - ms: SPIKE_MS asked by 4 voters (escalate); my-ge15-dates answered 3 times;
      1 clarified question;
    - en: PRIVATE_TEXT once (escalate); REPEATED_UNANSWERED by 3 voters (escalate);
      LONE_REPEATER 5 times by one voter (escalate); en-count answered 2 times.
    In the 7 days before that: th-claim-fake-ballots answered once; my-ge15-dates answered 3
    times; 4 Thai questions about counting; 2 English questions about turnout.
    Tickets: OPEN_CLAIM open with 5 askers (3 joined this period); WITHHELD_CLAIM open with 1
    asker; an answered ticket with 9 askers (not open). Feedback this period: en-count helpful 1,
    not 3; my-ge15-dates helpful 4.
    Totals this period: th 11, ms 8, en 11 = 30; decisions answer 10, clarify 1, escalate 19.
    Previous period: th 5, ms 3, en 2 = 10.
    """
    voters: list[Voter] = [
        Voter(telegram_id=tid, chat_id=cid, created_at=now - timedelta(days=30))
        for tid, cid in zip(TELEGRAM_IDS, CHAT_IDS, strict=True)
    ]
    with database.session() as session:
        session.add_all(voters)
        session.flush()
        ids = [v.id for v in voters]
    questions: list[Question] = []

    def ask(voter: int, text: str, lang: str, decision: str, entry: str | None, ago: timedelta):
        questions.append(
            Question(
                voter_id=voter,
                text=text,
                language=lang,
                intent="ask_fact",
                decision=decision,
                entry_id=entry,
                score=0.9 if entry else None,
                created_at=now - ago,
            )
        )

    hour = timedelta(hours=1)
    day = timedelta(days=1)
    # -- this period
    for i in range(6):
        ask(ids[i], SPIKE_TH, "th", "escalate", None, hour * (2 + i))
    for i in range(5):
        ask(
            ids[10 + i],
            "บัตรเลือกตั้งปลอม จริงไหม",
            "th",
            "answer",
            "th-claim-fake-ballots",
            day * (1 + i % 3),
        )
    for i in range(4):
        ask(ids[16 + i], SPIKE_MS, "ms", "escalate", None, day * 2 + hour * i)
    for i in range(3):
        ask(ids[20 + i], "Bila PRU15 diadakan?", "ms", "answer", "my-ge15-dates", day * 3)
    ask(ids[23], "undi pos macam mana", "ms", "clarify", None, day * 4)
    ask(ids[24], PRIVATE_TEXT, "en", "escalate", None, day * 1)
    for i in range(3):
        ask(ids[25 + i], REPEATED_UNANSWERED, "en", "escalate", None, day * 5 + hour * i)
    for i in range(5):
        ask(ids[28], LONE_REPEATER, "en", "escalate", None, day * 6 + hour * i)
    for i in range(2):
        ask(ids[29 + i], "how are votes counted", "en", "answer", "en-count", day * 2)
    # -- previous period
    ask(ids[31], "บัตรเลือกตั้งปลอม จริงไหม", "th", "answer", "th-claim-fake-ballots", day * 9)
    for i in range(3):
        ask(ids[32 + i], "Bila PRU15 diadakan?", "ms", "answer", "my-ge15-dates", day * 10)
    for i in range(4):
        ask(ids[35 + i], "นับคะแนนเลือกตั้งอย่างไร", "th", "escalate", None, day * 11)
    for i in range(2):
        ask(ids[35 + i], "what was the turnout", "en", "escalate", None, day * 12)
    # -- older than both periods: never counted
    ask(ids[39], "บัตรเลือกตั้งปลอม จริงไหม", "th", "answer", "th-claim-fake-ballots", day * 20)

    with database.session() as session:
        session.add_all(questions)
        open_ticket = Ticket(
            claim_text=OPEN_CLAIM,
            claim_key=OPEN_CLAIM.lower(),
            language="en",
            status="open",
            askers=5,
            created_at=now - day * 10,
        )
        lone_ticket = Ticket(
            claim_text=WITHHELD_CLAIM,
            claim_key=WITHHELD_CLAIM.lower(),
            language="en",
            status="open",
            askers=1,
            created_at=now - day,
        )
        closed = Ticket(
            claim_text="Answered long ago",
            claim_key="answered long ago",
            language="th",
            status="answered",
            askers=9,
            created_at=now - day * 3,
        )
        session.add_all([open_ticket, lone_ticket, closed])
        session.flush()
        for i in range(5):
            joined = now - (day * 2 if i < 3 else day * 9)
            session.add(
                TicketSubscriber(
                    ticket_id=open_ticket.id, voter_id=ids[i], language="en", created_at=joined
                )
            )
        session.add(
            TicketSubscriber(
                ticket_id=lone_ticket.id, voter_id=ids[24], language="en", created_at=now - day
            )
        )
        for i in range(4):
            session.add(
                Feedback(voter_id=ids[i], entry_id="en-count", helpful=i == 0, created_at=now - day)
            )
            session.add(
                Feedback(
                    voter_id=ids[i], entry_id="my-ge15-dates", helpful=True, created_at=now - day
                )
            )
    return Seeded(database, now, ids)
