"""/forget: delete everything stored about the voter, after one confirmation.

Deletion reaches the database, the escalation spool and the conversation's memory. When the
database cannot be reached the voter is told it did not work, never that it did.
"""

from __future__ import annotations

from bot.core import callbacks
from bot.core.context import TurnContext
from bot.core.messages import Button, Reply


async def command(ctx: TurnContext) -> list[Reply]:
    if not ctx.incoming.is_private:
        return [Reply(ctx.t("group_private_only"))]
    buttons = (
        (
            Button(ctx.t("button_forget_yes"), callbacks.forget(True)),
            Button(ctx.t("button_cancel"), callbacks.forget(False)),
        ),
    )
    return [Reply(ctx.t("forget_confirm"), buttons)]


async def on_button(ctx: TurnContext, value: str | None) -> list[Reply]:
    if value != "y":
        return [Reply(ctx.t("forget_cancelled"))]
    if not ctx.incoming.is_private:
        return [Reply(ctx.t("group_private_only"))]
    user_id = ctx.incoming.user_id
    spooled = ctx.deps.spool.forget_user(user_id)
    result = await ctx.store.forget_voter(user_id)
    if not result.ok:
        return [Reply(ctx.t("forget_failed"))]
    ctx.deps.memory.forget(user_id, ctx.incoming.chat_id)
    return [Reply(ctx.t("forget_done", count=int(result.value or 0) + spooled))]
