"""The Telegram handlers: small async functions that turn updates into core calls.

Every message, command and button press takes the same road: `updates.from_update` describes it,
the core's per-voter batcher (bot/core/batching.py) joins a burst of text into one question and
keeps each voter's turns in order, and `deliver` asks the conversation for replies and sends them
while a typing indicator shows that the bot is working. State lives in `application.bot_data`
(see `BotState`), never in module globals, as in python-telegram-bot's own examples.

Nothing here may crash the bot: a failing conversation is logged (with its traceback, as an
error: that is a bug) and the voter is told something sensible; Telegram's own refusals are
handled in `replies` and in `on_error` as warnings, because they are the network's weather.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from telegram import Bot, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.core.batching import MessageBatcher
from bot.core.messages import Incoming, Reply
from bot.telegram.desk_and_notifications import on_checkers_update
from bot.telegram.media import fetch_image, message_with_image
from bot.telegram.replies import drop_keyboard, send_replies
from bot.telegram.updates import BotIdentity, from_update
from bot.texts import t
from nlu.languages import LANGUAGES

log = logging.getLogger(__name__)

#: The Application type, as PTB spells it with its six type parameters.
App = Application[Any, Any, Any, Any, Any, Any]
#: Key of the `BotState` in `application.bot_data`.
STATE_KEY = "factcheck"
#: Telegram shows "typing…" for about 5 s; renewed this often while the core works.
TYPING_RENEW_SECONDS = 4.0


class ConversationPort(Protocol):
    """What the Telegram layer needs from the core (bot.core.conversation.Conversation)."""

    async def handle(self, incoming: Incoming) -> list[Reply]: ...


@dataclass
class BotState:
    """Everything the handlers share, kept in `application.bot_data[STATE_KEY]`."""

    conversation: ConversationPort
    batcher: MessageBatcher
    me: BotIdentity | None = None


def state_of(application: App) -> BotState:
    return application.bot_data[STATE_KEY]


def identity(bot: Bot) -> BotIdentity:
    """The bot's id and username from getMe (fetched by `Application.initialize`)."""
    return BotIdentity(id=bot.id, username=bot.username or "")


def reply_language(incoming: Incoming | None) -> str:
    """Best guess of the voter's language for messages the core did not write (errors)."""
    code = (incoming.language_code or "")[:2].lower() if incoming else ""
    if code == "id":  # Indonesian readers get the Malay texts, as the core does
        code = "ms"
    return code if code in LANGUAGES else "en"


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends (renewed; failures do not matter)."""

    async def keep_typing() -> None:
        while True:
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as exc:
                log.debug("typing indicator for chat %s failed: %s", chat_id, exc)
                if isinstance(exc, Forbidden):
                    return
            await asyncio.sleep(TYPING_RENEW_SECONDS)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def make_deliver(application: App):  # noqa: ANN201
    """The batcher's delivery callback: one (possibly merged) Incoming → replies, sent."""

    async def deliver(incoming: Incoming) -> None:
        bot = application.bot
        conversation = state_of(application).conversation
        try:
            if incoming.addressed:
                async with typing(bot, incoming.chat_id):
                    replies = await conversation.handle(incoming)
            else:
                replies = await conversation.handle(incoming)
        except Exception:
            log.exception(
                "the conversation failed on a message in chat %s; the voter is told to retry",
                incoming.chat_id,
            )
            replies = [Reply(t(reply_language(incoming), "error"))] if incoming.addressed else []
        if replies:
            await send_replies(bot, incoming.chat_id, replies)

    return deliver


async def _submit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Incoming | None:
    state = state_of(context.application)
    if state.me is None:
        state.me = identity(context.bot)
    incoming = from_update(update, state.me)
    if incoming is None:
        return None
    if incoming.addressed and not incoming.is_callback:
        # Acknowledge at once: the batcher may wait a moment for more parts of the message.
        try:
            await context.bot.send_chat_action(incoming.chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("typing indicator for chat %s failed: %s", incoming.chat_id, exc)
        source = (
            message_with_image(update.message, state.me.id)
            if update.message is not None and not incoming.is_command else None
        )
        if source is not None:
            # A photo or image file (or the one replied to): fetched now, read (OCR) by the
            # core off the event loop.
            image = await fetch_image(context.bot, source)
            if image is not None:
                incoming = replace(incoming, image=image)
    await state.batcher.submit(incoming)
    return incoming


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, /help, /language, /about, /privacy, /forget, unknown ones: the core answers all."""
    await _submit(update, context)


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text (or captioned, or other) message: a claim or question, batched per voter."""
    await _submit(update, context)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: stop its spinner, let the core answer, retire the pressed keyboard."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()
    except BadRequest as exc:  # "query is too old": the press still counts
        log.debug("could not answer callback query %s: %s", query.id, exc)
    except (Forbidden, NetworkError) as exc:
        log.warning("could not answer a callback query: %s", exc)
    if await _submit(update, context) is not None:
        message = query.message
        await drop_keyboard(message if message is not None and message.is_accessible else None)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Last line of defence: log, and tell the voter something when there is a voter to tell."""
    error = context.error
    if isinstance(error, Forbidden | RetryAfter | NetworkError):
        log.warning("Telegram: %s (%s)", error, type(error).__name__)
        return
    log.error("unhandled error while handling an update", exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    incoming = Incoming(
        update.effective_chat.id,
        user.id if user else 0,
        language_code=user.language_code if user else None,
    )
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(
            update.effective_chat.id, t(reply_language(incoming), "error")
        )


def _checkers_only(checkers_chat_id: int):  # noqa: ANN202
    """A handler for the checkers' group that keeps its updates from the voters' handlers."""

    async def on_checkers(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None or chat.id != checkers_chat_id:
            return  # a voter's button press: the voters' handlers (group 0) take it
        await on_checkers_update(update, context)
        raise ApplicationHandlerStop

    return on_checkers


def register(application: App, checkers_chat_id: int | None = None) -> None:
    """Add the handlers to the application (the core answers every command itself).

    With a checkers' group configured, its updates go to the fact-checkers' desk first (handler
    group -1) and stop there; everything else is a voter's and goes to the conversation.
    """
    if checkers_chat_id is not None:
        on_checkers = _checkers_only(checkers_chat_id)
        in_desk_chat = filters.Chat(chat_id=checkers_chat_id)
        application.add_handler(
            MessageHandler(in_desk_chat & ~filters.StatusUpdate.ALL, on_checkers), group=-1
        )
        application.add_handler(CallbackQueryHandler(on_checkers), group=-1)
    application.add_handler(MessageHandler(filters.COMMAND, on_command))
    application.add_handler(
        MessageHandler(
            (filters.ChatType.PRIVATE | filters.ChatType.GROUPS)
            & ~filters.COMMAND
            & ~filters.StatusUpdate.ALL,
            on_message,
        )
    )
    application.add_handler(CallbackQueryHandler(on_callback))
    application.add_error_handler(on_error)
