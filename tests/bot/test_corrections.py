"""Corrections (issue #15): a voter shown a fact-check that later changes, or is retracted, is
told once, in their language, through the outbox; on SQLite and PostgreSQL.

Through the real paths: voters ask in the conversation core, a maintainer edits the knowledge
files, the knowledge store reloads them (as its watcher does), and the outbox dispatcher
delivers. "Once" is checked across a reload that changes nothing, a restart (new services on the
same database, as another worker process or a redeploy would be), and two processes racing to
record the same change.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select, update

from bot.core import callbacks
from bot.core.cards import claim_verdict_label
from bot.escalation.corrections import Corrections
from bot.escalation.ratelimit import Limits
from bot.storage import Database
from bot.storage.models import EntryVersion, OutboxMessage, Question, Voter
from bot.texts import t
from knowledge.loader import load_directory

KB_SMALL = Path(__file__).resolve().parent.parent / "data" / "kb-small"
SMS = "small-claim-vote-by-sms"
SLOW_MACHINE = {"database_timeout_seconds": 30}


class Inbox:
    def __init__(self) -> None:
        self.got: dict[int, list[tuple[str, list[object]]]] = {}

    async def send(self, chat_id: int, text: str, buttons: object) -> None:
        rows = buttons if isinstance(buttons, (list, tuple)) else []
        self.got.setdefault(chat_id, []).append((text, [b for row in rows for b in row]))


def edit_entry(kb: Path, entry_id: str, **changes: object) -> None:
    """What a maintainer does: edit one entry in its YAML file (None removes a field)."""
    path = kb / "claims.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in doc["entries"]:
        if entry["id"] == entry_id:
            for key, value in changes.items():
                if value is None:
                    entry.pop(key, None)
                else:
                    entry[key] = value
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def corrections_in(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(
            select(func.count()).select_from(OutboxMessage)
            .where(OutboxMessage.kind == "correction")
        ) or 0)


async def deliver(services) -> Inbox:  # type: ignore[no-untyped-def]
    inbox = Inbox()
    dispatcher = services.escalation.make_dispatcher(inbox.send, limits=Limits(per_second=None))
    await dispatcher.drain(timeout=20)
    return inbox


async def test_a_changed_verdict_reaches_each_voter_shown_it_once_in_their_language(
    make_services, database: Database, chat_on, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    kb = tmp_path / "kb"
    shutil.copytree(KB_SMALL, kb)
    services = make_services(knowledge_dir=kb, database_url=database.url, **SLOW_MACHINE)
    english = chat_on(services, user_id=11, language_code="en")
    thai = chat_on(services, user_id=12, language_code="th")
    old = chat_on(services, user_id=13, language_code="en")
    never = chat_on(services, user_id=14, language_code="en")
    assert "<b>❌" in (await english.card("You can vote by SMS or online", "SMS")).text
    await thai.card("สามารถลงคะแนนเลือกตั้งผ่าน SMS หรือทางออนไลน์ได้", "SMS")
    await old.card("send an sms to vote", "SMS")
    await never.say("When is advance voting in Thailand?")
    # Voter 13 was shown it 40 days ago: outside the 30 days, not told.
    with services.database.session() as session:
        voter_13 = select(Voter.id).where(Voter.telegram_id == 13).scalar_subquery()
        session.execute(update(Question).where(Question.voter_id == voter_13).values(
            created_at=datetime.now(UTC) - timedelta(days=40)))

    # Nothing changed: nothing is sent (the first load only remembered what entries say).
    services.store.reload()
    assert corrections_in(services.database) == 0

    # A maintainer changes the verdict and the answer.
    edit_entry(kb, SMS, verdict="misleading", answer={
        "en": "Misleading. UPDATED: a pilot of online voting exists abroad, not here.",
        "th": "ทำให้เข้าใจผิด ฉบับแก้ไข: มีการทดลองลงคะแนนออนไลน์ในต่างประเทศ แต่ไม่ใช่ที่นี่",
        "ms": "Mengelirukan. DIKEMAS KINI: ujian undi dalam talian ada di luar negara sahaja.",
    })
    assert services.store.reload().loaded
    inbox = await deliver(services)
    [(to_english, buttons)] = inbox.got[11]
    assert t("en", "notify_correction_intro") in to_english
    assert f"<b>{claim_verdict_label('misleading', 'en')}</b>" in to_english
    assert "UPDATED" in to_english and "You can vote by SMS or online" in to_english
    # The feedback buttons of a card, on the voter's own question.
    assert callbacks.entry_hash(SMS) in " ".join(getattr(b, "data", "") or "" for b in buttons)
    [(to_thai, _)] = inbox.got[12]
    assert t("th", "notify_correction_intro") in to_thai and "ฉบับแก้ไข" in to_thai
    assert f"<b>{claim_verdict_label('misleading', 'th')}</b>" in to_thai
    assert 13 not in inbox.got and 14 not in inbox.got

    # Never twice: a reload without changes, and a restart on the same database, send nothing.
    services.store.reload()
    restarted = make_services(knowledge_dir=kb, database_url=database.url, **SLOW_MACHINE)
    assert restarted.escalation is not None
    assert corrections_in(services.database) == 2

    # Retracted: the voters shown it are told it was withdrawn, once.
    edit_entry(kb, SMS, status="retracted")
    assert services.store.reload().loaded
    restarted.store.reload()  # the other process sees the same change: it sends nothing more
    inbox = await deliver(services)
    [(withdrawn, no_buttons)] = inbox.got[11]
    assert withdrawn.startswith("⚠️") and "You can vote by SMS or online" in withdrawn
    assert no_buttons == []
    assert "ถอน" in inbox.got[12][0][0]
    assert corrections_in(services.database) == 4
    with services.database.session() as session:
        versions = session.scalars(
            select(EntryVersion.status).where(EntryVersion.entry_id == SMS)
            .order_by(EntryVersion.seq)
        ).all()
    assert versions == ["published", "published", "retracted"]

    # /forget removes the voter's corrections with everything else.
    await thai.say("/forget")
    await thai.press(t("th", "button_forget_yes"))
    with services.database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.chat_id == 12)) == 0


def test_two_processes_noticing_one_change_send_it_once(database: Database) -> None:
    from bot.storage.repository import Repository

    repository = Repository(database)
    repository.record_question(
        user_id=21, chat_id=21, text="vote by sms?", language="en", intent=None,
        decision="answer", entry_id=SMS, score=0.9,  # type: ignore[arg-type]
    )
    before = load_directory(KB_SMALL)
    first, second = Corrections(database), Corrections(database)
    assert first.on_knowledge(before).remembered == len(before.published())
    assert second.on_knowledge(before).remembered == 0  # remembered already: nothing new
    entry = before.get(SMS)
    assert entry is not None
    changed = replace(entry, verdict="true")
    # Both read version 1 and try to record version 2: one insert wins, and only it enqueues.
    won = first._new_version(SMS, 1, changed, {})
    lost = second._new_version(SMS, 1, changed, {})
    assert won == 1 and lost is None
    assert corrections_in(database) == 1


def test_a_swapped_knowledge_directory_retracts_nothing(database: Database, tmp_path: Path) -> None:
    corrections = Corrections(database)
    corrections.on_knowledge(load_directory(KB_SMALL))
    empty = tmp_path / "other"
    empty.mkdir()
    (empty / "one.yml").write_text(
        "entries:\n  - id: other-one\n    kind: fact\n    text: {en: 'x?'}\n"
        "    answer: {en: 'y.'}\n", encoding="utf-8",
    )
    report = corrections.on_knowledge(load_directory(empty))
    assert report.retracted == [] and len(report.held_back) == len(
        load_directory(KB_SMALL).published()
    )
