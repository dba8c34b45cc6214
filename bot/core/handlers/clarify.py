""""Did you mean": the voter picks one of the offered checks, or says none of them fits.

Picking shows that entry's card. "None of these" records that the voter rejected the offered
entries (checkers see it with the ticket) and then asks before sending the voter's words to
fact-checkers, as Cofacts does: the voter may only have wanted to browse, and a person will read
what they wrote. "Yes" escalates the question kept in the chat's memory under the button's token,
with the image or link it came with; "no" keeps it from the checkers. In a group "none of these"
only suggests a private chat, since groups never escalate.
"""

from __future__ import annotations

from bot.core import callbacks
from bot.core.callbacks import FeedbackReason
from bot.core.cards import card_reply, clarify_reply
from bot.core.context import TurnContext
from bot.core.handlers.escalation import escalate
from bot.core.messages import Button, Reply
from bot.core.ports import CoreStore
from bot.core.state import QuestionContext
from knowledge.model import Entry


def offer(
    ctx: TurnContext, question: QuestionContext, entries: list[Entry], *, more: bool = False
) -> Reply:
    """The list of `entries` for `question` (remembered as what was offered last)."""
    question.offered = [e.id for e in entries]
    for entry in entries:
        if entry.id not in question.shown:
            question.shown.append(entry.id)
    return clarify_reply(entries, ctx.lang, question.token, more=more)


async def show_pick(ctx: TurnContext, question: QuestionContext, entry: Entry) -> list[Reply]:
    """The card of the entry the voter chose from the list (by button or by typing its number)."""
    if entry.id not in question.shown:
        question.shown.append(entry.id)
    question.answered = entry.id
    question.offered = []
    return [card_reply(entry, ctx.lang, question.token)]


async def on_pick(ctx: TurnContext, token: str | None, digest: str | None) -> list[Reply]:
    entry = ctx.entry_by_hash(digest)
    if entry is None:
        return [Reply(ctx.t("button_expired"))]
    question = await ctx.recall(token)
    if question is None:
        # The question fell out of memory (restart, or long ago): the card is still right.
        question = ctx.chat.remember(entry.text_in(ctx.lang), ctx.lang, None)
    return await show_pick(ctx, question, entry)


async def on_none(ctx: TurnContext, token: str | None) -> list[Reply]:
    question = await ctx.recall(token)
    if question is None:
        return [Reply(ctx.t("button_expired"))]
    if not ctx.incoming.is_private:
        return [Reply(ctx.t("group_unknown"))]
    if question.escalated:
        return []  # a double tap: the first one already answered
    await record_rejected(ctx, question, question.offered, FeedbackReason.NONE_OF_THESE)
    question.offered = []
    return [ask_consent(ctx, question)]


def ask_consent(ctx: TurnContext, question: QuestionContext) -> Reply:
    """"Send this to the fact-checkers?" with yes / no."""
    return Reply(
        ctx.t("escalate_consent"),
        (
            (
                Button(ctx.t("button_consent_yes"), callbacks.consent(question.token, True)),
                Button(ctx.t("button_consent_no"), callbacks.consent(question.token, False)),
            ),
        ),
    )


async def on_consent(ctx: TurnContext, token: str | None, answer: str | None) -> list[Reply]:
    question = await ctx.recall(token)
    if question is None:
        return [Reply(ctx.t("button_expired"))]
    if not ctx.incoming.is_private:
        return [Reply(ctx.t("group_unknown"))]
    if question.escalated:
        return []  # a double tap, or "yes" after it was already sent
    if answer != "y":
        return [Reply(ctx.t("escalate_declined"))]
    question.escalated = True
    return await escalate(ctx, question.text, question.question_id, media=question.media)


async def record_rejected(
    ctx: TurnContext, question: QuestionContext, entry_ids: list[str], reason: FeedbackReason
) -> None:
    """Store that the voter rejected these entries for this question (not helpful, and why)."""
    if not entry_ids:
        return
    user_id, question_id = ctx.incoming.user_id, question.question_id
    ids = list(entry_ids)

    def store_all(store: CoreStore) -> None:
        for entry_id in ids:
            store.record_feedback(
                user_id=user_id, entry_id=entry_id, helpful=False, question_id=question_id,
                reason=reason.value,
            )

    await ctx.db(store_all)
