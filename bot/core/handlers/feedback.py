"""The buttons under a card: "helpful" and "not what I asked".

Both are recorded (that is how curators learn which answers miss). "Not what I asked" first asks
why (a different claim, the other country, out of date, something else) and records it; then it
offers the next closest checks the voter has not seen yet, or, when there are none, asks whether
to send the question to fact-checkers, because the voter has told us the knowledge does not
answer it (the same consent as after "none of these").
"""

from __future__ import annotations

import asyncio
import logging

from bot.core import callbacks
from bot.core.callbacks import REASON_CODES, FeedbackReason
from bot.core.context import TurnContext
from bot.core.handlers.clarify import ask_consent, offer
from bot.core.learned import withdraw
from bot.core.messages import Button, Reply
from bot.core.state import QuestionContext

log = logging.getLogger(__name__)

#: The text key of each reason's button, in the order they are shown.
REASON_LABELS: dict[FeedbackReason, str] = {
    FeedbackReason.OTHER_CLAIM: "button_reason_other_claim",
    FeedbackReason.WRONG_COUNTRY: "button_reason_wrong_country",
    FeedbackReason.OUTDATED: "button_reason_outdated",
    FeedbackReason.OTHER: "button_reason_other",
}
assert set(REASON_LABELS) == set(REASON_CODES.values())


async def _record(
    ctx: TurnContext, token: str | None, digest: str | None, *, helpful: bool,
    reason: FeedbackReason | None = None,
) -> QuestionContext | None:
    """Store the voter's feedback on the entry the button was attached to; return the question
    the card answered (None once the bot has forgotten it, e.g. after a restart)."""
    entry = ctx.entry_by_hash(digest)
    question = await ctx.recall(token)
    if entry is not None:
        user_id, entry_id = ctx.incoming.user_id, entry.id
        question_id = question.question_id if question else None
        why = reason.value if reason else None
        await ctx.store.record_feedback(
            user_id=user_id, entry_id=entry_id, helpful=helpful, question_id=question_id,
            reason=why,
        )
    return question


async def on_helpful(ctx: TurnContext, token: str | None, digest: str | None) -> list[Reply]:
    await _record(ctx, token, digest, helpful=True)
    return [Reply(ctx.t("feedback_thanks"))]


async def on_not_what_i_asked(
    ctx: TurnContext, token: str | None, digest: str | None
) -> list[Reply]:
    """Record the miss at once (the voter may never say why), then ask why."""
    question = await _record(ctx, token, digest, helpful=False)
    entry = ctx.entry_by_hash(digest)
    if question is None or entry is None or token is None:
        return [Reply(ctx.t("button_expired"))]
    await withdraw(ctx, question, entry.id)  # what they picked (or were taught) was wrong
    rows = tuple(
        (Button(ctx.t(label), callbacks.reason(token, entry.id, why)),)
        for why, label in REASON_LABELS.items()
    )
    return [Reply(ctx.t("feedback_why"), rows)]


async def on_reason(
    ctx: TurnContext, token: str | None, digest: str | None, reason: FeedbackReason | None
) -> list[Reply]:
    question = await _record(ctx, token, digest, helpful=False, reason=reason)
    entry = ctx.entry_by_hash(digest)
    if question is None:
        return [Reply(ctx.t("button_expired"))]
    if question.escalated:
        return []  # a double tap: the first one already answered
    exclude = set(question.shown)
    if entry is not None:
        exclude.add(entry.id)
    entries = []
    if ctx.matcher is not None:
        try:
            candidates = await asyncio.to_thread(
                ctx.matcher.next_candidates, question.text, exclude, question.language
            )
        except Exception:  # noqa: BLE001 - no alternatives then; ask to escalate below
            log.exception("matcher failed while looking for next candidates")
            candidates = ()
        entries = [e for e in (ctx.entry(c.entry_id) for c in candidates) if e is not None]
    if entries:
        return [offer(ctx, question, entries, more=True)]
    if not ctx.incoming.is_private:
        return [Reply(ctx.t("group_unknown"))]
    return [ask_consent(ctx, question)]
