"""Telegram `Update` → the core's `Incoming`: the one place that knows Telegram's message shapes.

The core decides what to say; this module only describes what the voter did, including the things
only Telegram knows: whether a group message was meant for the bot (mentioned by @username or a
text mention, a reply to one of the bot's messages, or a command), whether it was forwarded, which
message it quotes, and the interface language of the voter's Telegram app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Chat, InlineKeyboardMarkup, Message, MessageEntity, Update

from bot.core.messages import ChatType, Incoming


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is, as getMe told us: needed to tell a mention of us from one of someone else."""

    id: int
    username: str

    @property
    def handle(self) -> str:
        return f"@{self.username}".lower()


def chat_type(chat: Chat) -> ChatType | None:
    """Private chats and groups are conversations; channels are not (the bot never answers one)."""
    if chat.type == Chat.PRIVATE:
        return "private"
    if chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        return "group"
    return None


def _text_of(message: Message) -> tuple[str, tuple[MessageEntity, ...]]:
    if message.text is not None:
        return message.text, tuple(message.entities)
    if message.caption is not None:
        return message.caption, tuple(message.caption_entities)
    return "", ()


def _entity_text(text: str, entity: MessageEntity) -> str:
    # Telegram counts offsets in UTF-16 code units; emoji before a mention would shift a naive
    # slice, so slice on the UTF-16 encoding.
    encoded = text.encode("utf-16-le")
    return encoded[entity.offset * 2 : (entity.offset + entity.length) * 2].decode("utf-16-le")


def _mentions(text: str, entities: tuple[MessageEntity, ...], me: BotIdentity) -> bool:
    for entity in entities:
        if entity.type == MessageEntity.MENTION and _entity_text(text, entity).lower() == me.handle:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == me.id:
            return True
    if not me.username:
        return False
    # A client that sent no entities (or an edited text) still says "@bot" in words.
    return re.search(rf"(?<!\w){re.escape(me.handle)}\b", text.lower()) is not None


def _strip_handle(text: str, me: BotIdentity) -> str:
    """The voter's words without "@bot", so the core checks the claim, not the bot's name."""
    stripped = re.sub(rf"(?<!\w){re.escape(me.handle)}\b[:,]?", " ", text, flags=re.IGNORECASE)
    return " ".join(stripped.split())


#: What `_command` answers for "/cmd@SomeOtherBot": a command, but not for us.
OTHER_BOT = ("", ())


def _command(
    text: str, entities: tuple[MessageEntity, ...], me: BotIdentity
) -> tuple[str, tuple[str, ...]] | None:
    """("start", args) for "/start@ThisBot a b"; OTHER_BOT when addressed to another bot."""
    first = next((e for e in entities if e.type == MessageEntity.BOT_COMMAND), None)
    if first is None or first.offset != 0:
        return None
    head = _entity_text(text, first)[1:]
    name, _, target = head.partition("@")
    if target and f"@{target}".lower() != me.handle:
        return OTHER_BOT
    rest = text.encode("utf-16-le")[first.length * 2 :].decode("utf-16-le")
    return name.lower(), tuple(rest.split())


def _button_data(message: Message) -> tuple[str, ...]:
    """The callback data of the buttons under one of the bot's messages, in order (what a reply
    to a "did you mean" list picks from)."""
    markup = message.reply_markup
    if not isinstance(markup, InlineKeyboardMarkup):
        return ()
    return tuple(
        button.callback_data
        for row in markup.inline_keyboard
        for button in row
        if isinstance(button.callback_data, str)
    )


def from_message(message: Message, me: BotIdentity) -> Incoming | None:
    """A voter's message as an Incoming, or None when it is nothing the bot should look at."""
    kind = chat_type(message.chat)
    user = message.from_user
    if kind is None or user is None or user.is_bot:
        return None
    text, entities = _text_of(message)
    command = _command(text, entities, me)
    if command == OTHER_BOT:
        return None

    replied = message.reply_to_message
    replied_to_bot = bool(replied and replied.from_user and replied.from_user.id == me.id)
    mentioned = _mentions(text, entities, me)
    addressed = kind == "private" or command is not None or replied_to_bot or mentioned

    quoted: str | None = None
    if replied is not None and not replied_to_bot:
        quoted_text, _ = _text_of(replied)
        quoted = quoted_text or None

    common = {
        "chat_type": kind,
        "addressed": addressed,
        "language_code": user.language_code,
        "forwarded": message.forward_origin is not None,
        "quoted_text": quoted,
        "replied_buttons": _button_data(replied) if replied is not None and replied_to_bot else (),
        "timestamp": message.date,
    }
    if command is not None:
        name, args = command
        return Incoming(message.chat.id, user.id, text=text, command=name, args=args, **common)
    if mentioned:
        text = _strip_handle(text, me)
    return Incoming(message.chat.id, user.id, text=text, **common)


def from_update(update: Update, me: BotIdentity) -> Incoming | None:
    """Any update the bot subscribes to (messages and button presses) as an Incoming."""
    query = update.callback_query
    if query is not None:
        message = query.message
        if message is None or query.data is None:
            return None
        kind = chat_type(message.chat)
        if kind is None:
            return None
        return Incoming(
            message.chat.id,
            query.from_user.id,
            callback_data=query.data,
            chat_type=kind,
            addressed=True,
            language_code=query.from_user.language_code,
        )
    message = update.message
    if message is None:
        return None
    return from_message(message, me)
