""""Did you mean": the voter picks one of the offered checks, or says none of them fits.

Picking shows that entry's card. "None of these" sends the voter's original question (kept in the
chat's memory under the button's token) to fact-checkers; in a group it only suggests a private
chat, since groups never escalate.
"""

from __future__ import annotations

from bot.core.cards import card_reply, clarify_reply
from bot.core.context import TurnContext
from bot.core.handlers.escalation import escalate
from bot.core.messages import Reply
from knowledge.model import Entry


def offer(ctx: TurnContext, entries: list[Entry], token: str, *, more: bool = False) -> Reply:
    return clarify_reply(entries, ctx.lang, token, more=more)


async def on_pick(ctx: TurnContext, token: str | None, digest: str | None) -> list[Reply]:
    entry = ctx.entry_by_hash(digest)
    if entry is None:
        return [Reply(ctx.t("button_expired"))]
    question = await ctx.recall(token)
    if question is None:
        # The question fell out of memory (restart, or long ago): the card is still right.
        question = ctx.chat.remember(entry.text_in(ctx.lang), ctx.lang, None)
    if entry.id not in question.shown:
        question.shown.append(entry.id)
    question.answered = entry.id
    return [card_reply(entry, ctx.lang, question.token)]


async def on_none(ctx: TurnContext, token: str | None) -> list[Reply]:
    question = await ctx.recall(token)
    if question is None:
        return [Reply(ctx.t("button_expired"))]
    if not ctx.incoming.is_private:
        return [Reply(ctx.t("group_unknown"))]
    if question.escalated:
        return []  # a double tap: the first one already answered
    question.escalated = True
    return await escalate(ctx, question.text, question.question_id)
