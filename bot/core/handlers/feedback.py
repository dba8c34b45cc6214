"""The buttons under a card: "helpful" and "not what I asked".

Both are recorded (that is how curators learn which answers miss). "Not what I asked" then offers
the next closest checks the voter has not seen yet, or, when there are none, escalates the
original question, because the voter has told us the knowledge does not answer it.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.context import TurnContext
from bot.core.handlers.clarify import offer
from bot.core.handlers.escalation import escalate
from bot.core.messages import Reply
from bot.core.state import QuestionContext

log = logging.getLogger(__name__)


async def _record(
    ctx: TurnContext, token: str | None, digest: str | None, *, helpful: bool
) -> QuestionContext | None:
    """Store the voter's feedback on the entry the button was attached to; return the question
    the card answered (None once the bot has forgotten it, e.g. after a restart)."""
    entry = ctx.entry_by_hash(digest)
    question = await ctx.recall(token)
    if entry is not None:
        user_id, entry_id = ctx.incoming.user_id, entry.id
        question_id = question.question_id if question else None
        await ctx.store.record_feedback(
            user_id=user_id, entry_id=entry_id, helpful=helpful, question_id=question_id
        )
    return question


async def on_helpful(ctx: TurnContext, token: str | None, digest: str | None) -> list[Reply]:
    await _record(ctx, token, digest, helpful=True)
    return [Reply(ctx.t("feedback_thanks"))]


async def on_not_what_i_asked(
    ctx: TurnContext, token: str | None, digest: str | None
) -> list[Reply]:
    question = await _record(ctx, token, digest, helpful=False)
    entry = ctx.entry_by_hash(digest)
    if question is None:
        return [Reply(ctx.t("button_expired"))]
    exclude = set(question.shown)
    if entry is not None:
        exclude.add(entry.id)
    entries = []
    if ctx.matcher is not None:
        try:
            candidates = await asyncio.to_thread(
                ctx.matcher.next_candidates, question.text, exclude, question.language
            )
        except Exception:  # noqa: BLE001 - no alternatives then; escalate below
            log.exception("matcher failed while looking for next candidates")
            candidates = ()
        entries = [e for e in (ctx.entry(c.entry_id) for c in candidates) if e is not None]
    if entries:
        question.shown.extend(e.id for e in entries)
        return [offer(ctx, entries, question.token, more=True)]
    if not ctx.incoming.is_private:
        return [Reply(ctx.t("group_unknown"))]
    if question.escalated:
        return []
    question.escalated = True
    return await escalate(ctx, question.text, question.question_id)
