""""Is your question one of the claims being checked?": the voter's answer.

When a question goes to fact-checkers and open tickets are plausibly, but not surely, the same
claim (a reworded or translated rumour), the bot does not guess: the voter's question is saved as
a ticket of its own, held out of the checkers' queue for a few minutes, and the voter is shown
the candidate claims (bot.core.cards.ticket_offer_reply). Here their tap is recorded:

- "Yes, this one" joins that ticket, with the same effects as a confident join: they count as an
  asker, are messaged its answer in their language, and are told it is already being checked.
  Their own ticket, with nobody left waiting on it, becomes a duplicate of the chosen one.
- "No, something else" sends their own ticket to the checkers' queue at once.

Both buttons carry the ticket numbers (bot.core.callbacks), so nothing lives in memory: a tap
after a restart, or hours later, still does the right thing, and the tickets' state in the
database decides what it means by then (answered, closed, merged meanwhile).
"""

from __future__ import annotations

from bot.core.context import TurnContext
from bot.core.messages import Reply
from bot.core.ports import ChoiceOutcome
from bot.monitoring import metrics


async def on_same(ctx: TurnContext, own: str | None, ticket: str | None) -> list[Reply]:
    """The voter says their question (ticket `own`) is the claim of open ticket `ticket`."""
    if own is None or ticket is None:
        return [Reply(ctx.t("button_expired"))]
    return await _choose(ctx, int(own), int(ticket))


async def on_other(ctx: TurnContext, own: str | None) -> list[Reply]:
    """The voter says their question (ticket `own`) is about something else."""
    if own is None:
        return [Reply(ctx.t("button_expired"))]
    return await _choose(ctx, int(own), None)


async def _choose(ctx: TurnContext, own: int, ticket: int | None) -> list[Reply]:
    user_id = ctx.incoming.user_id
    result = await ctx.store.choose_ticket(
        user_id=user_id, own_ticket_id=own, target_ticket_id=ticket
    )
    receipt = result.value
    if receipt is None:
        # The question is stored as its own ticket already; only the choice is lost, and the
        # ticket reaches the checkers' queue when its hold ends. Say exactly that.
        return [Reply(ctx.t("ticket_choice_failed"))]
    outcome = receipt.outcome
    metrics.record_ticket_choice(outcome)
    if outcome in (ChoiceOutcome.JOINED, ChoiceOutcome.ALREADY):
        if receipt.askers > 1:
            return [Reply(ctx.t("escalated_joined", askers=receipt.askers))]
        return [Reply(ctx.t("escalated_new"))]
    key = {
        ChoiceOutcome.ANSWERED: "escalated_answered",
        ChoiceOutcome.KEPT: "ticket_kept",
        ChoiceOutcome.TARGET_CLOSED: "ticket_target_closed",
        ChoiceOutcome.CLOSED: "ticket_choice_closed",
    }.get(outcome, "button_expired")
    return [Reply(ctx.t(key))]
