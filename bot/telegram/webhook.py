"""The webhook endpoint answers a malformed body with 400, not 500.

python-telegram-bot's webhook handler checks the secret token, then parses the body with
`json.loads` outside any error handling: a body that is not JSON (or not UTF-8), sent with the
right secret, ends in an unhandled exception and a 500, which Telegram would retry and which
says "the bot is broken" when it is the request that is. `install()` puts a handler in its
place that refuses such a body with 400 and a log line, after the same secret check, and
passes everything else to the original unchanged.

With several workers (WEB_CONCURRENCY) it also does what makes them one bot: a valid post is
stored in the shared PostgreSQL inbox (`Accept`, bot/telegram/inbox.py) and answered 200 only
once it is stored, instead of going to this process's own update queue; a database that cannot
store it gives 500, which Telegram retries.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, ClassVar

import tornado.web
from telegram.ext._utils import webhookhandler

log = logging.getLogger(__name__)

#: Stores one posted update in the inbox (True: new, False: a retried delivery).
Accept = Callable[[dict[str, Any]], Awaitable[bool]]


class CheckedTelegramHandler(webhookhandler.TelegramHandler):
    """TelegramHandler that refuses a body that is not JSON with 400, and with an inbox
    stores the update there instead of queueing it in this process."""

    accept: ClassVar[Accept | None] = None

    async def post(self) -> None:
        self._validate_post()  # the content type and the secret token, first
        try:
            data = json.loads(self.request.body.decode())
        except (UnicodeDecodeError, ValueError):
            log.warning("refused a webhook post whose body is not JSON (%d bytes)",
                        len(self.request.body))
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST, reason="Body is not JSON") from None
        accept = type(self).accept
        if accept is None:
            await super().post()
            return
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            log.warning("refused a webhook post without an update_id")
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST, reason="No update_id")
        try:
            await accept(data)
        except Exception as exc:
            log.warning("could not store update %s in the inbox (%s); Telegram will retry",
                        data["update_id"], exc)
            raise tornado.web.HTTPError(
                HTTPStatus.INTERNAL_SERVER_ERROR, reason="Not stored"
            ) from None
        self.set_status(HTTPStatus.OK)


def install(accept: Accept | None = None) -> None:
    """Make the webhook server use CheckedTelegramHandler (before run_webhook builds it);
    with `accept`, posted updates go to the shared inbox."""
    CheckedTelegramHandler.accept = accept
    webhookhandler.TelegramHandler = CheckedTelegramHandler  # type: ignore[misc]
