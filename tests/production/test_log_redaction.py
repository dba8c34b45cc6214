"""The bot token never reaches a log line: not python-telegram-bot's DEBUG line with the Bot API
URL, not another logger's message, argument or traceback (bot/logsafe.py)."""

from __future__ import annotations

import logging

import pytest

from bot import logsafe

TOKEN = "123456789:AAH-secretKEYnobodyshouldsee_0123456789"
KEY = TOKEN.split(":", 1)[1]


@pytest.fixture
def redacting():
    logsafe.install([TOKEN, None, "short"])
    yield
    logsafe.uninstall()


def test_ptb_debug_line_with_the_api_url_is_redacted(redacting, caplog):
    from telegram.ext import ExtBot

    caplog.set_level(logging.DEBUG)
    ExtBot(TOKEN, base_url="http://127.0.0.1:9/bot")
    assert "Bot API URL" in caplog.text  # the line is still there, without the token
    assert TOKEN not in caplog.text and KEY not in caplog.text
    assert logsafe.REDACTED in caplog.text


def test_any_logger_level_argument_and_traceback_is_redacted(redacting, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("somewhere.else").debug("calling %s/getMe", f"https://x/bot{TOKEN}")
    logging.getLogger("httpx").warning("key %s leaked", KEY)
    try:
        raise RuntimeError(f"request to /bot{TOKEN}/sendMessage failed")
    except RuntimeError:
        logging.getLogger("bot.telegram").exception("sending failed")
    records = caplog.records
    assert len(records) == 3
    assert TOKEN not in caplog.text and KEY not in caplog.text
    assert caplog.text.count(logsafe.REDACTED) >= 3
    assert logsafe.redact("a short word") == "a short word"


# The real command at DEBUG against an unreachable Bot API (its log carries the Bot API URL from
# the first line on): tests/production/test_telegram_startup.py.
