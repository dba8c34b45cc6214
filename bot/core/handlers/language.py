"""/language, the language menu and its buttons.

A chosen language beats detection from then on (a Thai voter who quotes an English rumour still
wants Thai), so choosing is stored in the database; memory keeps it working while the database
is down.
"""

from __future__ import annotations

from bot.core import callbacks
from bot.core.context import TurnContext
from bot.core.messages import Button, Reply
from bot.core.state import VoterLanguage
from bot.texts import NATIVE_NAMES, t
from nlu.languages import LANGUAGES

#: What voters type after /language.
ALIASES: dict[str, str] = {
    "th": "th", "thai": "th", "ไทย": "th", "ภาษาไทย": "th",
    "ms": "ms", "my": "ms", "bm": "ms", "malay": "ms", "melayu": "ms", "bahasa": "ms",
    "en": "en", "english": "en", "eng": "en", "inggeris": "en", "อังกฤษ": "en",
}


def language_menu(current: str | None) -> tuple[tuple[Button, ...], ...]:
    """One row: ไทย / Bahasa Melayu / English, the current one ticked."""
    return (
        tuple(
            Button(("✓ " if lang == current else "") + NATIVE_NAMES[lang], callbacks.language(lang))
            for lang in LANGUAGES
        ),
    )


async def command(ctx: TurnContext) -> list[Reply]:
    if not ctx.incoming.args:
        return [Reply(ctx.t("choose_language"), language_menu(ctx.lang))]
    choice = ALIASES.get(" ".join(ctx.incoming.args).strip().casefold())
    if choice is None:
        return [Reply(ctx.t("language_unknown"), language_menu(ctx.lang))]
    return await choose(ctx, choice)


async def on_button(ctx: TurnContext, value: str | None) -> list[Reply]:
    if value not in LANGUAGES:
        return [Reply(ctx.t("language_unknown"), language_menu(ctx.lang))]
    return await choose(ctx, value)


async def choose(ctx: TurnContext, lang: str) -> list[Reply]:
    incoming = ctx.incoming
    memory = ctx.deps.memory
    known = memory.voter(incoming.user_id) or VoterLanguage()
    memory.set_voter(incoming.user_id, VoterLanguage(chosen=lang, last=known.last))
    await ctx.store.set_chosen_language(incoming.user_id, incoming.chat_id, lang)
    ctx.lang = lang
    return [Reply(t(lang, "language_set"))]
