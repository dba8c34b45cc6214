"""The conversation: one `handle(incoming) -> replies` for every channel.

Each turn: groups are ignored unless the bot is addressed; the voter's rate limit is checked;
the reply language is chosen (chosen > confident detection > last confident > Telegram's
language_code > English) and a confident detection is remembered; then the router picks a
handler. Whatever goes wrong inside a handler is logged and answered with an apology, and a
substantial question caught in such a failure is spooled for fact-checkers rather than dropped.
Replies longer than Telegram allows are split before they are returned.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

from bot.core import policy
from bot.core.context import CoreDeps, TurnContext
from bot.core.handlers import router
from bot.core.inputs import Prepared, prepare, scrub
from bot.core.media_input import read_media, text_with_media
from bot.core.messages import Incoming, Reply
from bot.core.split import TELEGRAM_LIMIT, split_reply
from bot.core.state import VoterLanguage
from bot.monitoring import metrics
from bot.storage.guard import DatabaseUnavailable
from bot.texts import t
from nlu.langid import LanguageGuess, detect_language
from nlu.reply_language import REPLY_LANGUAGES, choose_reply_language

log = logging.getLogger(__name__)

#: Mentions of the bot at the start or end of a group message ("@FactBot is this true?").
_EDGE_MENTIONS = re.compile(r"^(?:\s*@\w+[,:]?)+|(?:@\w+\s*)+$")


class Conversation:
    def __init__(self, deps: CoreDeps, *, message_limit: int = TELEGRAM_LIMIT) -> None:
        self.deps = deps
        self.message_limit = message_limit
        self._tasks: set[asyncio.Future[Any]] = set()
        if deps.background is None:
            deps.background = self._spawn

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """The replies to one incoming message or button press (possibly none)."""
        kind = (
            "button" if incoming.callback_data is not None
            else "command" if incoming.command is not None else "message"
        )
        incoming = _scrubbed(incoming)
        with metrics.REPLY_SECONDS.time(kind):  # what the voter waits for, per process
            try:
                replies = await self._handle(incoming)
            except Exception:  # noqa: BLE001 - never crash, never drop the voter's question
                log.exception("handling a message from chat %s failed", incoming.chat_id)
                replies = self._on_failure(incoming)
        out: list[Reply] = []
        for reply in replies:
            out.extend(split_reply(reply, self.message_limit))
        return out

    async def aclose(self) -> None:
        """Wait for background work (spool replays) started by turns."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- one turn --------------------------------------------------------------------------------
    async def _handle(self, incoming: Incoming) -> list[Reply]:
        if not incoming.is_private and not incoming.addressed:
            return []
        limiter = self.deps.limiter
        if limiter is None or limiter.would_allow(incoming.user_id):  # no OCR for a flood
            incoming = await read_media(
                incoming, self.deps.media, read_links=self.deps.read_links
            )
        text = self._text_to_check(incoming)
        is_text = incoming.callback_data is None and incoming.command is None
        prepared = prepare(text if is_text else "")
        text_guess = _guess(prepared) if is_text else None
        # The language the voter reads is the one they wrote in, not the one of a message they
        # replied to ("@bot is this true?" under a Malay rumour is still an English speaker);
        # a screenshot sent without a word is read in the language of its text.
        guess = text_guess
        if is_text and text != incoming.text:
            own = prepare(incoming.text) if incoming.text else None
            if incoming.media is None or (own is not None and own.letters > 0):
                guess = _guess(own) if own is not None else None

        voter = await self._voter(incoming.user_id)
        lang = choose_reply_language(
            chosen=voter.chosen,
            detected=guess,
            last_confident=voter.last,
            telegram_code=incoming.language_code,
        )
        if self.deps.limiter is not None:
            verdict = self.deps.limiter.check(incoming.user_id)
            if not verdict.allowed:
                if verdict.notify:
                    return [Reply(t(lang, f"rate_limited_{verdict.window}"))]
                return []
        if guess is not None and guess.is_confident and guess.language in REPLY_LANGUAGES:
            await self._remember_language(incoming, voter, guess.language)

        kb, matcher = self.deps.knowledge.snapshot()
        ctx = TurnContext(
            incoming=incoming if text == incoming.text else replace(incoming, text=text),
            lang=lang,
            deps=self.deps,
            chat=self.deps.memory.chat(incoming.chat_id),
            kb=kb,
            matcher=matcher,
        )
        match_language = (
            text_guess.language if text_guess is not None and text_guess.is_confident else None
        )
        return await router.route(ctx, prepared, match_language)

    def _text_to_check(self, incoming: Incoming) -> str:
        """The text to understand. In a group, without the bot's mention. When the voter replied
        to someone's message with a short remark ("@bot is this true?", "?"), the replied-to
        message is what they want checked; a reply longer than the quoted message is a question
        of its own."""
        text = incoming.text or ""
        if not incoming.is_private:
            text = _EDGE_MENTIONS.sub(" ", text).strip()
        if incoming.media is not None:  # the caption, then the image's or the page's text
            return text_with_media(text, incoming.media)
        quoted = (incoming.quoted_text or "").strip()
        if quoted and len(prepare(text).cleaned) < min(len(prepare(quoted).cleaned), 80):
            return quoted
        return text

    async def _voter(self, user_id: int) -> VoterLanguage:
        memory = self.deps.memory
        known = memory.voter(user_id)
        if known is not None:
            return known
        repository = self.deps.repository
        if repository is None:
            return VoterLanguage()
        try:
            record = await self.deps.guard.call(repository.get_voter, user_id)
        except DatabaseUnavailable:  # hung: the guard logged it; this voter is not remembered
            return VoterLanguage()
        except Exception:  # noqa: BLE001 - answer in a default language rather than not at all
            log.exception("could not read voter %s", user_id)
            return VoterLanguage()
        known = (
            VoterLanguage(record.chosen_language, record.last_language)
            if record is not None
            else VoterLanguage()
        )
        memory.set_voter(user_id, known)
        return known

    async def _remember_language(
        self, incoming: Incoming, voter: VoterLanguage, language: str
    ) -> None:
        if voter.last == language:
            return
        self.deps.memory.set_voter(incoming.user_id, VoterLanguage(voter.chosen, language))
        repository = self.deps.repository
        if repository is None:
            return
        try:
            await self.deps.guard.call(
                repository.set_last_language, incoming.user_id, incoming.chat_id, language
            )
        except DatabaseUnavailable:
            pass  # memory has it; the guard logged the hung database
        except Exception:  # noqa: BLE001 - memory still has it
            log.exception("could not store the last language of voter %s", incoming.user_id)

    def _on_failure(self, incoming: Incoming) -> list[Reply]:
        known = self.deps.memory.voter(incoming.user_id) or VoterLanguage()
        lang = choose_reply_language(
            chosen=known.chosen, detected=None, last_confident=known.last,
            telegram_code=incoming.language_code,
        )
        is_text = incoming.callback_data is None and incoming.command is None
        if is_text and incoming.is_private:
            prepared = prepare(incoming.text)
            if prepared.kind == "text" and policy.substantial(prepared):
                try:
                    self.deps.spool.add(
                        user_id=incoming.user_id, chat_id=incoming.chat_id,
                        text=prepared.store_text, language=lang,
                    )
                    return [Reply(t(lang, "escalated_spooled"))]
                except Exception:  # noqa: BLE001
                    log.exception("could not spool a question after a failure")
        return [Reply(t(lang, "error"))]

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _scrubbed(incoming: Incoming) -> Incoming:
    """The incoming message with its texts storable (inputs.scrub): where text enters the bot."""
    text = scrub(incoming.text) if incoming.text else incoming.text
    quoted = scrub(incoming.quoted_text) if incoming.quoted_text else incoming.quoted_text
    args = tuple(scrub(arg) for arg in incoming.args)
    if text == incoming.text and quoted == incoming.quoted_text and args == incoming.args:
        return incoming
    return replace(incoming, text=text, quoted_text=quoted, args=args)


def _guess(prepared: Prepared) -> LanguageGuess | None:
    if prepared.kind == "empty":
        return None
    try:
        return detect_language(prepared.match_text)
    except Exception:  # noqa: BLE001 - unknown language: the last one holds
        log.exception("language detection failed")
        return None
