"""The core's `Reply` objects → Telegram messages, and Telegram's failures → a logged shrug.

Sending is where Telegram says no: the voter blocked the bot (Forbidden), the bot is sending too
fast (RetryAfter, mostly absorbed by the rate limiter's retries), the network hiccuped, or the
HTML of a reply did not parse. None of these may crash a handler or lose the rest of a
conversation, so every send goes through `send_replies`, which degrades instead: a blocked voter
is logged and skipped, a parse error is re-sent as plain text, a network error is retried once.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.core.messages import Reply
from bot.core.split import split_reply

log = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_TAG = re.compile(r"<[^>]+>")
#: Seconds before the one retry after a network error.
NETWORK_RETRY_DELAY = 1.0
#: The longest RetryAfter we wait out ourselves, beyond the rate limiter's own retries.
MAX_EXTRA_WAIT = 10.0


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (None when it has none)."""
    if not reply.buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(b.label, url=b.url)
            if b.url is not None
            else InlineKeyboardButton(b.label, callback_data=b.data)
            for b in row
        ]
        for row in reply.buttons
    ]
    return InlineKeyboardMarkup(rows)


def as_plain_text(text: str) -> str:
    """Telegram-HTML without its tags, for when Telegram refuses the HTML."""
    return html.unescape(_TAG.sub("", text))


def _is_parse_error(error: BadRequest) -> bool:
    return "parse entities" in error.message.lower() or "unsupported start tag" in error.message


class ChatGone(Exception):
    """The voter blocked the bot or the chat no longer exists: stop sending to it."""


async def _send_one(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
    preview_off: bool,
) -> Message | None:
    preview = _NO_PREVIEW if preview_off else None
    for attempt in (1, 2):
        try:
            return await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=preview,
            )
        except Forbidden as exc:
            log.warning("chat %s refuses messages (%s); not sending", chat_id, exc.message)
            raise ChatGone from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                log.warning("chat %s not found; not sending", chat_id)
                raise ChatGone from exc
            if not _is_parse_error(exc):
                raise
            log.warning("Telegram refused the HTML of a reply (%s); sending it as text", exc)
            return await bot.send_message(
                chat_id, as_plain_text(text), reply_markup=markup, link_preview_options=preview
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            if attempt == 2 or seconds > MAX_EXTRA_WAIT:
                log.warning("flood limit in chat %s (%.0f s); reply dropped", chat_id, seconds)
                return None
            await asyncio.sleep(seconds)
        except NetworkError as exc:  # includes TimedOut
            if attempt == 2:
                log.warning("could not reach Telegram to reply in chat %s: %s", chat_id, exc)
                return None
            await asyncio.sleep(NETWORK_RETRY_DELAY)
    return None


async def send_replies(bot: Bot, chat_id: int, replies: Sequence[Reply]) -> list[Message]:
    """Send the core's replies in order; long texts are split, buttons go on the last part.

    Returns the messages Telegram accepted. Never raises for Telegram's refusals (see module doc).
    """
    sent: list[Message] = []
    try:
        for reply in replies:
            if reply.photo is not None:  # a ticket's screenshot, above its card
                photo = await _send_photo(bot, chat_id, reply.photo)
                if photo is not None:
                    sent.append(photo)
            # The core's splitter keeps every part valid HTML and puts the buttons on the last.
            for part in split_reply(reply, MessageLimit.MAX_TEXT_LENGTH):
                message = await _send_one(
                    bot, chat_id, part.text, keyboard(part), part.disable_preview
                )
                if message is not None:
                    sent.append(message)
    except ChatGone:
        pass
    except TelegramError as exc:
        log.warning("Telegram refused a reply in chat %s: %s", chat_id, exc)
    return sent


async def _send_photo(bot: Bot, chat_id: int, path: str) -> Message | None:
    """Send an image file; one that is gone (deleted by /forget or retention meanwhile) or
    refused is skipped with a warning: the card that follows still says everything."""
    try:
        with open(path, "rb") as file:
            return await bot.send_photo(chat_id, file)
    except OSError as exc:
        log.warning("image %s for chat %s is not available: %s", path, chat_id, exc)
    except (BadRequest, NetworkError) as exc:
        log.warning("Telegram refused an image for chat %s: %s", chat_id, exc)
    return None


async def drop_keyboard(message: Message | None) -> None:
    """Remove the buttons of a message whose button was just pressed.

    A pressed keyboard that stays is an invitation to press it again (a second vote, a second
    escalation); the answer itself comes as a new message, so the conversation reads in order.
    """
    if message is None or not isinstance(message, Message) or message.reply_markup is None:
        return
    try:
        await message.edit_reply_markup(reply_markup=None)
    except BadRequest as exc:
        # "message is not modified" (pressed twice) or too old to edit: nothing to do.
        log.debug("could not remove the keyboard of message %s: %s", message.message_id, exc)
    except (Forbidden, NetworkError) as exc:
        log.warning("could not remove a keyboard in chat %s: %s", message.chat_id, exc)
    except TelegramError as exc:
        log.warning("could not remove a keyboard in chat %s: %s", message.chat_id, exc)
