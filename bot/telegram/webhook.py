"""The webhook endpoint answers a malformed body with 400, not 500.

python-telegram-bot's webhook handler checks the secret token, then parses the body with
`json.loads` outside any error handling: a body that is not JSON (or not UTF-8), sent with the
right secret, ends in an unhandled exception and a 500, which Telegram would retry and which
says "the bot is broken" when it is the request that is. `install()` puts a handler in its
place that refuses such a body with 400 and a log line, after the same secret check, and
passes everything else to the original unchanged.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

import tornado.web
from telegram.ext._utils import webhookhandler

log = logging.getLogger(__name__)


class CheckedTelegramHandler(webhookhandler.TelegramHandler):
    """TelegramHandler that refuses a body that is not JSON with 400."""

    async def post(self) -> None:
        self._validate_post()  # the content type and the secret token, first
        try:
            json.loads(self.request.body.decode())
        except (UnicodeDecodeError, ValueError):
            log.warning("refused a webhook post whose body is not JSON (%d bytes)",
                        len(self.request.body))
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST, reason="Body is not JSON") from None
        await super().post()


def install() -> None:
    """Make the webhook server use CheckedTelegramHandler (before run_webhook builds it)."""
    webhookhandler.TelegramHandler = CheckedTelegramHandler  # type: ignore[misc]
