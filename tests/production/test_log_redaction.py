"""The bot token never reaches a log line: not python-telegram-bot's DEBUG line with the Bot API
URL, not another logger's message, argument or traceback (bot/logsafe.py)."""

from __future__ import annotations

import logging
import subprocess
import sys

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


def test_factcheck_run_redacts_from_the_first_line(tmp_path):
    """The real command at DEBUG, against a Bot API that does not answer: whatever it logs
    before giving up, the token is not in it."""
    env = {
        "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9", "LOG_LEVEL": "DEBUG",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "HEALTH_PORT": "0",
        "SPOOL_PATH": str(tmp_path / "spool.jsonl"), "CACHE_DIR": str(tmp_path / "cache"),
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TELEGRAM_START_ATTEMPTS": "1",
    }
    code = (
        "import sys; from bot.cli import main; sys.exit(main(['-v', 'run']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
        cwd=tmp_path,
    )
    output = proc.stdout + proc.stderr
    assert "Bot API URL" in output, output[-3000:]
    assert TOKEN not in output and KEY not in output
