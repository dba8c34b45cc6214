"""Greetings, thanks, goodbyes, "are you a bot?", typed feedback: answered, never escalated."""

from __future__ import annotations

from bot.core.context import TurnContext
from bot.core.handlers.language import full_menu
from bot.core.messages import Reply

REPLIES = {
    "greet": "greet",
    "goodbye": "goodbye",
    "thanks": "thanks",
    "help": "help",
    "bot_challenge": "bot_challenge",
    "feedback_positive": "feedback_thanks",
    "feedback_negative": "feedback_sorry",
}


async def handle(ctx: TurnContext, intent: str | None) -> list[Reply]:
    if intent == "change_language":
        return [Reply(ctx.t("choose_language"), full_menu(ctx))]
    if intent in ("feedback_positive", "feedback_negative"):
        await _record_typed_feedback(ctx, helpful=intent == "feedback_positive")
    return [Reply(ctx.t(REPLIES.get(intent or "", "greet")))]


async def _record_typed_feedback(ctx: TurnContext, *, helpful: bool) -> None:
    """"Thanks, that helped" right after an answer is feedback on that answer."""
    latest = ctx.chat.latest()
    if latest is None or latest.answered is None:
        return
    user_id, entry_id, question_id = ctx.incoming.user_id, latest.answered, latest.question_id
    await ctx.store.record_feedback(
        user_id=user_id, entry_id=entry_id, helpful=helpful, question_id=question_id
    )
