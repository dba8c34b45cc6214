"""/help, /about, /privacy and /tips: fixed texts in the voter's language."""

from __future__ import annotations

from bot.core.context import TurnContext
from bot.core.messages import Reply


async def help_(ctx: TurnContext) -> list[Reply]:
    return [Reply(ctx.t("help"))]


async def about(ctx: TurnContext) -> list[Reply]:
    return [Reply(ctx.t("about"))]


async def privacy(ctx: TurnContext) -> list[Reply]:
    return [Reply(ctx.t("privacy", days=ctx.deps.retention_days))]


async def tips(ctx: TurnContext) -> list[Reply]:
    """Advice on checking a rumour before sharing it: the habit outlasts any one fact-check."""
    return [Reply(ctx.t("tips"))]
