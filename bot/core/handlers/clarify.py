""""Did you mean": the voter picks one of the offered checks, or says none of them fits.

Picking shows that entry's card. "None of these" records that the voter rejected the offered
entries (checkers see it with the ticket) and then asks before sending the voter's words to
fact-checkers, as Cofacts does: the voter may only have wanted to browse, and a person will read
what they wrote. "Yes" escalates the question kept in the chat's memory under the button's token,
with the image or link it came with; "no" keeps it from the checkers. In a group "none of these"
only suggests a private chat, since groups never escalate.

A choice can also be typed ("2", "the first one", "yang pertama", "อันแรก"; bot.core.typed_choice
reads it): as a reply to a list, it picks from that list; otherwise, in a private chat, from the
list shown last, for TYPED_CHOICE_WINDOW after it was shown and until a choice was made. Without
such a list the text is read as any other message. A number the list does not have gets a reply
naming the numbers it has.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core import callbacks
from bot.core.callbacks import FeedbackReason
from bot.core.cards import card_reply, clarify_reply
from bot.core.context import TurnContext
from bot.core.handlers.hand_to_checkers import escalate
from bot.core.learned import record_pick
from bot.core.messages import Button, Reply
from bot.core.state import QuestionContext
from bot.core.typed_choice import choices_text, parse_choice, resolve
from knowledge.model import Entry

#: How long after a list is shown a typed number still picks from it (a reply to the list always
#: does).
TYPED_CHOICE_WINDOW = timedelta(minutes=30)


def offer(
    ctx: TurnContext, question: QuestionContext, entries: list[Entry], *, more: bool = False
) -> Reply:
    """The list of `entries` for `question` (remembered as what was offered last)."""
    question.offered = [e.id for e in entries]
    question.offered_at = ctx.incoming.timestamp
    ctx.chat.last_offer = question.token
    for entry in entries:
        if entry.id not in question.shown:
            question.shown.append(entry.id)
    return clarify_reply(entries, ctx.lang, question.token, more=more)


async def show_pick(ctx: TurnContext, question: QuestionContext, entry: Entry) -> list[Reply]:
    """The card of the entry the voter chose from the list (by button or by typing its number);
    the question counts as that entry in the trends from now on, and the pick is what voters
    teach the bot (bot.core.learned) until they say "not what I asked"."""
    if entry.id not in question.shown:
        question.shown.append(entry.id)
    question.answered = entry.id
    question.offered = []
    if question.question_id is not None:
        await ctx.store.record_pick(
            question_id=question.question_id, user_id=ctx.incoming.user_id, entry_id=entry.id
        )
        await record_pick(ctx, question, entry.id)
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


async def on_typed_choice(ctx: TurnContext) -> list[Reply] | None:
    """The card of the entry a typed choice names, the numbers to choose from when the list
    has no such number, or None when the message is not a choice from an open list (then it is
    read as any other message)."""
    incoming = ctx.incoming
    if incoming.media is not None or incoming.image is not None:
        return None
    number = parse_choice(incoming.text)
    if number is None:
        return None
    replied = callbacks.picks_in(incoming.replied_buttons)
    if replied is not None:  # a reply to a list: that list, however old
        token, digests = replied
        index = resolve(number, len(digests))
        if index is None:
            return [_out_of_range(ctx, number, len(digests))]
        return await on_pick(ctx, token, digests[index])
    if not incoming.is_private:
        return None  # a group's memory is everyone's: only a reply says whose list it is
    question = ctx.chat.open_offer(incoming.timestamp, TYPED_CHOICE_WINDOW)
    if question is None:
        return None
    index = resolve(number, len(question.offered))
    if index is None:
        return [_out_of_range(ctx, number, len(question.offered))]
    entry = ctx.entry(question.offered[index])
    if entry is None:  # unpublished by a reload since the list was shown
        return [Reply(ctx.t("button_expired"))]
    return await show_pick(ctx, question, entry)


def _out_of_range(ctx: TurnContext, number: int, count: int) -> Reply:
    return Reply(
        ctx.t(
            "choice_out_of_range", number=number,
            choices=choices_text(count, ctx.t("choice_or")),
        )
    )


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
    await ctx.store.record_feedback_each(
        user_id=ctx.incoming.user_id, entry_ids=entry_ids, helpful=False,
        question_id=question.question_id, reason=reason.value,
    )
