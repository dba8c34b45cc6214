"""Telegram failing the bot, end to end: the bot degrades and carries on, it never crashes.

The bridge answers chosen Bot API calls with the errors real Telegram sends (403 when a voter
blocked the bot, 429 with retry_after when the bot is too fast, 502 when Telegram is unreachable);
the `e2e` fixture still fails a test if any of that made the bot log an ERROR or a traceback.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e

QUESTION = "What time do polling stations open and close on election day?"


def test_voter_who_blocked_the_bot_does_not_break_it(e2e) -> None:
    blocked = e2e.voter("en")
    e2e.bridge.inject(
        "sendMessage",
        403,
        "Forbidden: bot was blocked by the user",
        chat_id=blocked.chat_id,
        times=5,
    )
    blocked.say(QUESTION)
    # The bot tried to answer, was refused, and the voter received nothing.
    e2e.bridge.wait_for_call(
        "sendMessage", 20, lambda call: str(call.params.get("chat_id")) == str(blocked.chat_id)
    )
    assert blocked.silence(0.5) == []

    # Everyone else is still answered.
    other = e2e.voter("en")
    other.say(QUESTION)
    (card,) = other.replies(1)
    assert "E2E-HOURS" in card.text


def test_flood_limit_is_waited_out(e2e) -> None:
    voter = e2e.voter("en")
    e2e.bridge.inject(
        "sendMessage",
        429,
        "Too Many Requests: retry after 1",
        chat_id=voter.chat_id,
        retry_after=1,
    )
    voter.say(QUESTION)
    (card,) = voter.replies(1, timeout=25)
    assert "E2E-HOURS" in card.text
    attempts = e2e.bridge.calls_of("sendMessage", chat_id=voter.chat_id)
    assert [call.ok for call in attempts] == [False, True]


def test_telegram_unreachable_for_a_moment(e2e) -> None:
    voter = e2e.voter("en")
    e2e.bridge.inject("sendMessage", 502, "Bad Gateway", chat_id=voter.chat_id)
    voter.say(QUESTION)
    (card,) = voter.replies(1, timeout=25)
    assert "E2E-HOURS" in card.text


def test_typing_indicator_failure_is_harmless(e2e) -> None:
    voter = e2e.voter("en")
    e2e.bridge.inject(
        "sendChatAction", 400, "Bad Request: not enough rights", times=3, chat_id=voter.chat_id
    )
    voter.say(QUESTION)
    (card,) = voter.replies(1)
    assert "E2E-HOURS" in card.text


@pytest.mark.parametrize("stack", ["webhook"], indirect=True)
def test_webhook_refuses_posts_without_the_secret(e2e) -> None:
    hook = e2e.bridge.registered_webhook()
    update = {
        "update_id": 999_999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "Mallory"},
            "text": "/start",
        },
    }
    no_secret = httpx.post(hook["url"], json=update, timeout=5)
    wrong = httpx.post(
        hook["url"],
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"},
        timeout=5,
    )
    assert no_secret.status_code == 403
    assert wrong.status_code == 403
    assert hook["secret_token"]
    # With the right secret, a body that is not JSON (or not UTF-8) is the request's fault: 400.
    right = {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"],
             "Content-Type": "application/json"}
    for body in (b'{"update_id": 1, "message": ', b"\xff\xfe not utf-8"):
        response = httpx.post(hook["url"], content=body, headers=right, timeout=5)
        assert response.status_code == 400, (body, response.status_code)
