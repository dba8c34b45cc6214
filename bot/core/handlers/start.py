"""/start: who the bot is, the language menu and the one-line privacy note.

A deep link can carry a language (t.me/<bot>?start=th, or start=lang_ms), so a campaign poster
in Thai opens the bot in Thai; it is stored as the voter's choice.
"""

from __future__ import annotations

from bot.core.context import TurnContext
from bot.core.handlers.language import ALIASES, choose, language_menu
from bot.core.messages import Reply
from nlu.languages import LANGUAGES


async def handle(ctx: TurnContext) -> list[Reply]:
    if not ctx.incoming.is_private:
        return [Reply(ctx.t("welcome_group"))]
    if ctx.incoming.args:
        payload = ctx.incoming.args[0].casefold().removeprefix("lang_").removeprefix("lang-")
        if payload in ALIASES and ALIASES[payload] in LANGUAGES:
            await choose(ctx, ALIASES[payload])  # sets ctx.lang; the welcome below says the rest
    text = "\n\n".join([ctx.t("welcome"), ctx.t("privacy_short"), ctx.t("choose_language")])
    return [Reply(text, language_menu(ctx.lang))]
