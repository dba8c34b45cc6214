"""/language, the language menu and its buttons.

A chosen language beats detection from then on (a Thai voter who quotes an English rumour still
wants Thai), so choosing is stored in the database; memory keeps it working while the database
is down. "Automatic" (`/language auto`, or its button under /language) takes the choice back:
the bot answers in the language each message is written in again.
"""

from __future__ import annotations

from bot.core import callbacks
from bot.core.context import TurnContext
from bot.core.messages import Button, Reply
from bot.core.state import VoterLanguage
from bot.texts import NATIVE_NAMES, t
from nlu.languages import LANGUAGES
from nlu.reply_language import choose_reply_language

#: The language button and argument that takes a chosen language back.
AUTO = "auto"

#: What voters type after /language.
ALIASES: dict[str, str] = {
    "th": "th", "thai": "th", "ไทย": "th", "ภาษาไทย": "th",
    "ms": "ms", "my": "ms", "bm": "ms", "malay": "ms", "melayu": "ms", "bahasa": "ms",
    "en": "en", "english": "en", "eng": "en", "inggeris": "en", "อังกฤษ": "en",
    "auto": AUTO, "automatic": AUTO, "detect": AUTO, "default": AUTO, "automatik": AUTO,
    "auto-detect": AUTO, "autodetect": AUTO, "อัตโนมัติ": AUTO, "ออโต้": AUTO,
}


def language_menu(current: str | None) -> tuple[tuple[Button, ...], ...]:
    """One row: ไทย / Bahasa Melayu / English, the current one ticked."""
    return (
        tuple(
            Button(("✓ " if lang == current else "") + NATIVE_NAMES[lang], callbacks.language(lang))
            for lang in LANGUAGES
        ),
    )


def full_menu(ctx: TurnContext) -> tuple[tuple[Button, ...], ...]:
    """The three languages and, below them, "automatic"; the voter's choice ticked (automatic
    when they chose none)."""
    known = ctx.deps.memory.voter(ctx.incoming.user_id)
    chosen = known.chosen if known is not None else None
    auto = ("✓ " if chosen is None else "") + ctx.t("button_language_auto")
    return (*language_menu(chosen), (Button(auto, callbacks.language(AUTO)),))


async def command(ctx: TurnContext) -> list[Reply]:
    if not ctx.incoming.args:
        return [Reply(ctx.t("choose_language"), full_menu(ctx))]
    choice = ALIASES.get(" ".join(ctx.incoming.args).strip().casefold())
    if choice is None:
        return [Reply(ctx.t("language_unknown"), full_menu(ctx))]
    if choice == AUTO:
        return await automatic(ctx)
    return await choose(ctx, choice)


async def on_button(ctx: TurnContext, value: str | None) -> list[Reply]:
    if value == AUTO:
        return await automatic(ctx)
    if value not in LANGUAGES:
        return [Reply(ctx.t("language_unknown"), full_menu(ctx))]
    return await choose(ctx, value)


async def automatic(ctx: TurnContext) -> list[Reply]:
    """Forget the chosen language: from now on each message is answered in its own language
    (this reply: in the last one the voter wrote in, else their Telegram's)."""
    incoming = ctx.incoming
    memory = ctx.deps.memory
    known = memory.voter(incoming.user_id) or VoterLanguage()
    memory.set_voter(incoming.user_id, VoterLanguage(chosen=None, last=known.last))
    await ctx.store.set_chosen_language(incoming.user_id, incoming.chat_id, None)
    ctx.lang = choose_reply_language(
        chosen=None, detected=None, last_confident=known.last,
        telegram_code=incoming.language_code,
    )
    return [Reply(ctx.t("language_auto_set"))]


async def choose(ctx: TurnContext, lang: str) -> list[Reply]:
    incoming = ctx.incoming
    memory = ctx.deps.memory
    known = memory.voter(incoming.user_id) or VoterLanguage()
    memory.set_voter(incoming.user_id, VoterLanguage(chosen=lang, last=known.last))
    await ctx.store.set_chosen_language(incoming.user_id, incoming.chat_id, lang)
    ctx.lang = lang
    return [Reply(t(lang, "language_set"))]
