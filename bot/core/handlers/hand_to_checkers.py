"""Handing a question to human fact-checkers, so that nothing a voter asked is lost.

The store's `escalate` (ctx.store) opens a ticket (or joins the open one for the same claim) and
subscribes the voter, who is messaged when checkers answer. When open tickets may be the same
claim but the matcher is not sure, the new ticket comes back with them as `offers`, and the voter
is asked whether their question is one of those (bot.core.handlers.ticket_choice records the
answer).
When the database fails, the escalation goes to the spool and the voter is told, truthfully, that
it is saved and will be passed on.
"""

from __future__ import annotations

import logging

from bot.core.cards import ticket_offer_reply
from bot.core.context import TurnContext
from bot.core.handlers import media as media_turn
from bot.core.messages import Reply
from bot.core.ports import EscalationVia
from bot.media.model import MediaRead
from bot.monitoring import metrics

log = logging.getLogger(__name__)


async def escalate(
    ctx: TurnContext, text: str, question_id: int | None, *, intro: str | None = None,
    key: str | None = None, media: MediaRead | None = None,
) -> list[Reply]:
    """`key`: the claim key of the ticket to join instead of the one of `text` (an image or
    link already sent to a ticket, see bot.core.handlers.media). `media`: the image or link the
    question came with, when a later turn (a button) escalates it."""
    incoming = ctx.incoming
    language = ctx.lang
    result = await ctx.store.escalate(
        user_id=incoming.user_id,
        chat_id=incoming.chat_id,
        text=text,
        language=language,
        question_id=question_id,
        ask_similar=True,  # a voter is here to say whether it is a claim being checked
        key=key,
    )
    receipt = result.value
    if receipt is not None:
        await media_turn.attach(ctx, receipt.ticket_id, question_id, media)
        if receipt.offers:
            metrics.record_escalation("new")  # a ticket of its own, held while the voter says
            _retry_spool(ctx)
            return [ticket_offer_reply(receipt.offers, ctx.lang, receipt.ticket_id, intro=intro)]
        if receipt.via == EscalationVia.ANSWERED:  # the outbox sends the answer now
            message = ctx.t("escalated_answered")
            metrics.record_escalation("answered")
        elif receipt.joined_existing and receipt.askers > 1:
            message = ctx.t("escalated_joined", askers=receipt.askers)
            metrics.record_escalation("joined")
        else:
            message = ctx.t("escalated_new")
            metrics.record_escalation("new")
        _retry_spool(ctx)
    else:
        try:
            ctx.deps.spool.add(
                user_id=incoming.user_id, chat_id=incoming.chat_id, text=text,
                language=ctx.lang, question_id=question_id,
            )
        except Exception:  # noqa: BLE001 - the last line of defence; say so honestly
            log.exception("could not spool an escalation; the voter is asked to resend")
            metrics.record_escalation("lost")
            return [Reply(_with_intro(ctx.t("escalate_lost"), intro))]
        message = ctx.t("escalated_spooled")
        metrics.record_escalation("spooled")
    return [Reply(_with_intro(message, intro))]


def _with_intro(message: str, intro: str | None) -> str:
    return f"{intro}\n\n{message}" if intro else message


def _retry_spool(ctx: TurnContext) -> None:
    """The database answers again: deliver what was spooled while it did not."""
    spool = ctx.deps.spool
    repository = ctx.deps.repository
    if not len(spool) or repository is None:
        return
    if ctx.deps.background is not None:
        ctx.deps.background(ctx.deps.guard.run(spool.drain, repository))
