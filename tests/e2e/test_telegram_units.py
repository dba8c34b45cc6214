"""Fast checks of the Telegram layer's translations, without any server (no e2e marker).

They live beside the end-to-end tests because they test the same layer (bot/telegram) and pin the
cases the emulator cannot produce: UTF-16 entity offsets, another bot's command, captions,
channel posts, quoted messages, and the Bot API URL forms.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.core.messages import Button, Reply
from bot.telegram.app import api_base_url, file_base_url
from bot.telegram.replies import as_plain_text, keyboard
from bot.telegram.updates import BotIdentity, from_update

ME = BotIdentity(id=666, username="FactBot")
VOTER = {"id": 42, "is_bot": False, "first_name": "Voter", "language_code": "th"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Voter"}
GROUP = {"id": -100, "type": "supergroup", "title": "Election chat"}
BOT_USER = {"id": 666, "is_bot": True, "first_name": "Fact", "username": "FactBot"}


def message(text: str | None = None, chat: dict[str, Any] = PRIVATE, **extra: Any) -> Update:
    data: dict[str, Any] = {"message_id": 7, "date": 1_700_000_000, "chat": chat, "from": VOTER}
    if text is not None:
        data["text"] = text
    data.update(extra)
    return Update.de_json({"update_id": 1, "message": data}, None)


def entity(kind: str, offset: int, length: int) -> dict[str, Any]:
    return {"type": kind, "offset": offset, "length": length}


def test_private_text_is_addressed_and_keeps_its_words() -> None:
    incoming = from_update(message("เลือกตั้งวันไหน"), ME)
    assert incoming is not None
    assert (incoming.chat_id, incoming.user_id, incoming.text) == (42, 42, "เลือกตั้งวันไหน")
    assert incoming.addressed and incoming.is_private
    assert incoming.language_code == "th"
    assert not incoming.forwarded and incoming.command is None


def test_group_message_without_mention_is_not_addressed() -> None:
    incoming = from_update(message("polls close at five", GROUP), ME)
    assert incoming is not None
    assert incoming.chat_type == "group" and not incoming.addressed


def test_mention_after_an_emoji_uses_utf16_offsets_and_is_stripped() -> None:
    text = "🗳️ @FactBot is this true?"
    offset = len("🗳️ ".encode("utf-16-le")) // 2
    update = message(text, GROUP, entities=[entity("mention", offset, 8)])
    incoming = from_update(update, ME)
    assert incoming is not None and incoming.addressed
    assert incoming.text == "🗳️ is this true?"


def test_mention_of_another_bot_does_not_address_us() -> None:
    update = message("@OtherBot hi", GROUP, entities=[entity("mention", 0, 9)])
    incoming = from_update(update, ME)
    assert incoming is not None and not incoming.addressed


def test_reply_to_the_bot_is_addressed_and_quotes_nothing() -> None:
    replied = {"message_id": 3, "date": 1, "chat": GROUP, "from": BOT_USER, "text": "card"}
    incoming = from_update(message("and this?", GROUP, reply_to_message=replied), ME)
    assert incoming is not None and incoming.addressed
    assert incoming.quoted_text is None


def test_reply_to_the_bots_list_carries_its_buttons() -> None:
    """ "2" written as a reply to a "did you mean" list: the core picks from that list."""
    keyboard_ = {
        "inline_keyboard": [
            [{"text": "1. Polls", "callback_data": "p:q5:AAAAAAAA"}],
            [{"text": "2. Ink", "callback_data": "p:q5:BBBBBBBB"}],
            [{"text": "Site", "url": "https://example.org"}],
            [{"text": "None of these", "callback_data": "x:q5"}],
        ]
    }
    replied = {
        "message_id": 3, "date": 1, "chat": PRIVATE, "from": BOT_USER, "text": "Which one?",
        "reply_markup": keyboard_,
    }
    incoming = from_update(message("2", reply_to_message=replied), ME)
    assert incoming is not None
    assert incoming.replied_buttons == ("p:q5:AAAAAAAA", "p:q5:BBBBBBBB", "x:q5")
    # Someone else's message with buttons (a forwarded bot post) is not our list.
    other = replied | {"from": VOTER}
    incoming = from_update(message("2", reply_to_message=other), ME)
    assert incoming is not None and incoming.replied_buttons == ()


def test_mention_under_someone_elses_message_quotes_it() -> None:
    rumour = {"message_id": 3, "date": 1, "chat": GROUP, "from": VOTER, "text": "Polls moved!"}
    update = message("@FactBot", GROUP, reply_to_message=rumour, entities=[entity("mention", 0, 8)])
    incoming = from_update(update, ME)
    assert incoming is not None and incoming.addressed
    assert incoming.quoted_text == "Polls moved!"


def test_commands_for_us_and_for_another_bot() -> None:
    ours = message("/language@FactBot th", GROUP, entities=[entity("bot_command", 0, 17)])
    incoming = from_update(ours, ME)
    assert incoming is not None
    assert (incoming.command, incoming.args, incoming.addressed) == ("language", ("th",), True)

    theirs = message("/start@OtherBot", GROUP, entities=[entity("bot_command", 0, 15)])
    assert from_update(theirs, ME) is None


def test_forwarded_caption_is_the_text() -> None:
    origin = {"type": "hidden_user", "sender_user_name": "Someone", "date": 1}
    update = message(None, caption="Vote twice with no ink!", forward_origin=origin, photo=[])
    incoming = from_update(update, ME)
    assert incoming is not None
    assert incoming.text == "Vote twice with no ink!" and incoming.forwarded


def test_channel_posts_and_bots_are_ignored() -> None:
    channel = {"id": -5, "type": "channel", "title": "News"}
    post = Update.de_json(
        {
            "update_id": 2,
            "channel_post": {"message_id": 1, "date": 1, "chat": channel, "text": "x"},
        },
        None,
    )
    assert from_update(post, ME) is None
    from_bot = message("hi", GROUP)
    from_bot.message.from_user._unfreeze()  # type: ignore[union-attr]
    from_bot.message.from_user.is_bot = True  # type: ignore[union-attr]
    assert from_update(from_bot, ME) is None


def test_button_press() -> None:
    update = Update.de_json(
        {
            "update_id": 3,
            "callback_query": {
                "id": "9",
                "from": VOTER,
                "chat_instance": "1",
                "data": "l:th",
                "message": {"message_id": 5, "date": 1, "chat": PRIVATE, "text": "menu"},
            },
        },
        None,
    )
    incoming = from_update(update, ME)
    assert incoming is not None
    assert (incoming.callback_data, incoming.chat_id, incoming.user_id) == ("l:th", 42, 42)


def test_keyboard_and_plain_text() -> None:
    reply = Reply(
        "<b>x</b>",
        ((Button("👍", data="h:1:a"), Button("Source", url="https://example.org")),),
    )
    markup = keyboard(reply)
    assert markup is not None
    (row,) = markup.inline_keyboard
    assert row[0].callback_data == "h:1:a" and row[1].url == "https://example.org"
    assert keyboard(Reply("no buttons")) is None
    assert as_plain_text("<b>A &amp; B</b> <a href='u'>link</a>") == "A & B link"


def test_api_base_url_forms() -> None:
    assert api_base_url("http://localhost:8081") == "http://localhost:8081/bot"
    assert api_base_url("http://localhost:8081/bot/") == "http://localhost:8081/bot"
    assert api_base_url("http://h/x/{token}/") == "http://h/x/{token}"
    assert file_base_url("http://bothost:8081/bot") == "http://bothost:8081/file/bot"
    assert file_base_url("http://h/x/bot{token}") == "http://h/x/file/bot{token}"


def test_ticket_announcer_posts_new_tickets_and_milestones_only() -> None:
    from dataclasses import dataclass

    from bot.telegram.desk_and_notifications import TicketAnnouncer

    @dataclass
    class Summary:
        id: int
        askers: int

    class Tickets:
        open: list[Summary] = []

        def list_open(self, limit: int) -> list[Summary]:
            return list(self.open)

    class Desk:
        def ticket_card(self, ticket_id: int, *, headline: str | None = None) -> Reply:
            return Reply(headline or f"new #{ticket_id}")

    tickets = Tickets()
    tickets.open = [Summary(1, 3)]
    announcer = TicketAnnouncer(tickets, Desk())
    assert announcer.poll() == []  # the backlog at start is /queue's job
    tickets.open = [Summary(1, 9), Summary(2, 1)]
    assert [r.text for r in announcer.poll()] == ["new #2"]
    tickets.open = [Summary(1, 10), Summary(2, 1)]
    (milestone,) = announcer.poll()
    assert "#1" in milestone.text and "10" in milestone.text
    assert announcer.poll() == []


def test_daily_digest_is_scheduled_only_when_configured(tmp_path) -> None:
    """DIGEST_HOUR with a checkers' group puts one daily job on PTB's real JobQueue."""
    from types import SimpleNamespace

    from telegram.ext import ApplicationBuilder

    from bot.config import Settings
    from bot.reports.digest import DIGEST_JOB_NAME
    from bot.storage import Database
    from bot.telegram.app import _schedule_digest

    database = Database(f"sqlite:///{tmp_path / 'digest.db'}")
    services = SimpleNamespace(database=database, store=SimpleNamespace(current=None))
    for hour, chat, expected in ((7, -100, 1), (None, -100, 0), (7, None, 0)):
        application = ApplicationBuilder().token("1:TEST").build()
        settings = Settings(digest_hour=hour, checkers_chat_id=chat, digest_timezone="Asia/Bangkok")
        _schedule_digest(application, settings, services)  # type: ignore[arg-type]
        jobs = application.job_queue.get_jobs_by_name(DIGEST_JOB_NAME)
        assert len(jobs) == expected
