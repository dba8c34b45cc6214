"""The voter's conversation, knowing nothing of Telegram.

Channels build an `Incoming`, call `await conversation.handle(incoming)` and render the `Reply`
objects (Telegram-HTML text, rows of `Button`). `bot.services.build_services()` wires a
`Conversation` with the knowledge, matcher, intent service and database.
"""

from bot.core.batching import MessageBatcher
from bot.core.context import CoreDeps
from bot.core.conversation import Conversation
from bot.core.limits import RateLimiter
from bot.core.messages import CALLBACK_DATA_LIMIT, Button, Incoming, Reply
from bot.core.split import split_html, split_reply
from bot.core.spool import Spool

__all__ = [
    "CALLBACK_DATA_LIMIT",
    "Button",
    "Conversation",
    "CoreDeps",
    "Incoming",
    "MessageBatcher",
    "RateLimiter",
    "Reply",
    "Spool",
    "split_html",
    "split_reply",
]
