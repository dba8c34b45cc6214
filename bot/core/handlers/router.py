"""Which handler a turn goes to: button presses by their callback prefix, commands by name,
everything else to the question flow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core import callbacks
from bot.core.callbacks import Action
from bot.core.context import TurnContext
from bot.core.handlers import (
    clarify,
    feedback,
    forget,
    info_commands,
    language,
    question,
    start,
    ticket_choice,
)
from bot.core.inputs import Prepared
from bot.core.messages import Reply

CommandHandler = Callable[[TurnContext], Awaitable[list[Reply]]]

COMMANDS: dict[str, CommandHandler] = {
    "start": start.handle,
    "help": info_commands.help_,
    "about": info_commands.about,
    "privacy": info_commands.privacy,
    "tips": info_commands.tips,
    "language": language.command,
    "lang": language.command,
    "bahasa": language.command,
    "forget": forget.command,
}


async def route(ctx: TurnContext, prepared: Prepared, match_language: str | None) -> list[Reply]:
    incoming = ctx.incoming
    if incoming.callback_data is not None:
        return await _callback(ctx, incoming.callback_data)
    if incoming.command is not None:
        handler = COMMANDS.get(incoming.command)
        if handler is None:
            return [Reply(ctx.t("unknown_command"))]
        return await handler(ctx)
    # "2", "the first one", or a reply to a list: a choice from a list, before any matching.
    typed = await clarify.on_typed_choice(ctx)
    if typed is not None:
        return typed
    return await question.handle(ctx, prepared, match_language)


async def _callback(ctx: TurnContext, data: str) -> list[Reply]:
    parsed = callbacks.parse(data)
    if parsed is None:
        return [Reply(ctx.t("button_expired"))]
    action, token, value = parsed.action, parsed.token, parsed.value
    if action == Action.LANGUAGE:
        return await language.on_button(ctx, value)
    if action == Action.FORGET:
        return await forget.on_button(ctx, value)
    if action == Action.PICK:
        return await clarify.on_pick(ctx, token, value)
    if action == Action.NONE_OF_THESE:
        return await clarify.on_none(ctx, token)
    if action == Action.CONSENT:
        return await clarify.on_consent(ctx, token, value)
    if action == Action.REASON:
        return await feedback.on_reason(ctx, token, value, parsed.reason)
    if action == Action.HELPFUL:
        return await feedback.on_helpful(ctx, token, value)
    if action == Action.NOT_WHAT_I_ASKED:
        return await feedback.on_not_what_i_asked(ctx, token, value)
    if action == Action.SAME_TICKET:
        return await ticket_choice.on_same(ctx, token, value)
    if action == Action.OTHER_TICKET:
        return await ticket_choice.on_other(ctx, token)
    return [Reply(ctx.t("button_expired"))]
