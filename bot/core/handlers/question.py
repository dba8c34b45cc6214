"""A voter's text: a claim to check, a question about voting, or small talk.

The intent classifier and the matcher run side by side (the matcher off the event loop); policy.
decide() combines them. Each outcome is answered here: a verdict card, a "did you mean" list,
an escalation to fact-checkers, small talk, or a polite "I only check elections". A failing
matcher or classifier degrades to "no match" / "no intent", never to an error.

In groups the bot speaks only when addressed, and never escalates or small-talks there: an
unknown claim gets "I can't confirm this; message me privately".

A message that only asks whether something is true ("is this true?", "betul ke ni?", "จริงไหม";
bot.core.bare_question) is never matched nor escalated: the bot asks which claim, and the voter's
next message within CLAIM_WAIT is read as the claim they asked about: matched as usual, and, when
nothing in the knowledge answers it, sent to fact-checkers as a forwarded rumour would be (the
voter has said they want it checked), without the bare question.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.core import policy
from bot.core.bare_question import is_bare_question
from bot.core.cards import card_reply
from bot.core.context import TurnContext
from bot.core.handlers import media as media_turn
from bot.core.handlers import smalltalk
from bot.core.handlers.clarify import offer
from bot.core.handlers.hand_to_checkers import escalate
from bot.core.inputs import MATCH_CHARS, Prepared
from bot.core.learned import learned_answer
from bot.core.messages import Reply
from bot.core.ports import QuestionDecision
from bot.core.state import QuestionContext
from bot.monitoring import metrics
from knowledge.matcher import MatchResult
from knowledge.model import Entry
from nlu.intents import IntentResult
from nlu.languages import LANGUAGES

log = logging.getLogger(__name__)

#: How long after "is this true?" the voter's next message is read as the claim they meant.
CLAIM_WAIT = timedelta(minutes=5)


async def handle(ctx: TurnContext, prepared: Prepared, match_language: str | None) -> list[Reply]:
    private = ctx.incoming.is_private
    # "Is this true?" earlier: this message (any message) is what the voter asked about.
    asked_at, ctx.chat.claim_asked_at = ctx.chat.claim_asked_at, None
    asked = asked_at is not None and (
        timedelta(0) <= ctx.incoming.timestamp - asked_at <= CLAIM_WAIT
    )
    if ctx.incoming.media is None and prepared.kind == "text" and is_bare_question(
        prepared.match_text
    ):
        if not private:
            return [Reply(ctx.t("group_hint"))]
        ctx.chat.claim_asked_at = ctx.incoming.timestamp
        return [Reply(ctx.t("bare_question"))]
    if ctx.incoming.media is not None:
        # The same image or page as a ticket's: that ticket (or its answer) at once.
        key = await media_turn.known_ticket_key(ctx) if private else None
        if key is not None:
            question_id = await _record(
                ctx, prepared, None, None, QuestionDecision.ESCALATE, None, match_language
            )
            question = _remember(ctx, prepared, match_language, question_id)
            question.escalated = True
            return await escalate(ctx, prepared.store_text, question_id, key=key)
        early = media_turn.early_reply(ctx, prepared)
        if early is not None:
            return [early]
    if prepared.kind == "empty":
        return [Reply(ctx.t("empty" if private else "group_hint"))]
    if prepared.kind == "url_only":
        return [Reply(ctx.t("url_only"))]

    intent, match = await asyncio.gather(
        _intent(ctx, prepared.match_text),
        _match(ctx, prepared, match_language),
    )
    if prepared.kind == "no_text":  # emoji, punctuation: never a claim
        if private and intent is not None and intent.intent in policy.SMALLTALK and (
            intent.confidence >= policy.SMALLTALK_MIN
        ):
            return await smalltalk.handle(ctx, intent.intent)
        return [Reply(ctx.t("no_text" if private else "group_hint"))]

    wants_human = ctx.chat.escalate_next
    decision = policy.decide(
        intent=intent,
        match_decision=match.decision if match else "escalate",
        prepared=prepared,
        forwarded=ctx.incoming.forwarded or asked,
        wants_human=wants_human,
    )
    log.debug(
        "decision %s (%s); intent %s; match %s", decision.action, decision.reason, intent, match
    )
    notes = [Reply(ctx.t("truncated", chars=MATCH_CHARS))] if prepared.truncated else []
    action = decision.action
    if wants_human and action in ("answer", "clarify", "escalate"):
        ctx.chat.escalate_next = False

    if action == "answer" and match is not None:
        entry = ctx.entry(match.entry_id)
        if entry is not None:
            return notes + [await _answer(ctx, prepared, intent, match, entry, match_language)]
        action = "escalate"  # the entry vanished in a reload between match and lookup

    if action == "clarify" and match is not None:
        # A phrasing voters taught (and the matcher offers): its card, without the list.
        taught = await learned_answer(
            ctx, prepared.store_text, prepared.match_text, match, match_language
        )
        if taught is not None:
            metrics.LEARNED_ANSWERS.inc()
            return notes + [await _answer(ctx, prepared, intent, match, taught, match_language)]
        entries = [e for e in (ctx.entry(c.entry_id) for c in match.candidates) if e is not None]
        if entries:
            question_id = await _record(
                ctx, prepared, intent, match, QuestionDecision.CLARIFY, None, match_language
            )
            question = _remember(ctx, prepared, match_language, question_id)
            return notes + [offer(ctx, question, entries)]
        action = "escalate"

    if action == "escalate":
        if not private:
            return notes + [Reply(ctx.t("group_unknown"))]
        question_id = await _record(
            ctx, prepared, intent, match, QuestionDecision.ESCALATE, None, match_language
        )
        question = _remember(ctx, prepared, match_language, question_id)
        question.escalated = True
        intro = ctx.t("human_intro") if wants_human else None
        return notes + await escalate(ctx, prepared.store_text, question_id, intro=intro)

    if not private:
        key = "group_hint" if action in ("smalltalk", "human") else "group_unknown"
        return notes + [Reply(ctx.t(key))]
    if action == "smalltalk":
        return notes + await smalltalk.handle(ctx, intent.intent if intent else None)
    if action == "human":
        return notes + await _human(ctx, prepared)
    if action == "too_short":
        return notes + [Reply(ctx.t("too_short"))]
    return notes + [Reply(ctx.t("out_of_scope"))]


async def _human(ctx: TurnContext, prepared: Prepared) -> list[Reply]:
    """"I want to talk to a person": pass on the claim they are talking about, or ask for it."""
    if policy.substantial(prepared) and policy.mentions_election(prepared.match_text):
        question = ctx.chat.remember(prepared.store_text, None, None)
        question.escalated = True
        return await escalate(ctx, prepared.store_text, None, intro=ctx.t("human_intro"))
    latest = ctx.chat.latest()
    if latest is not None and not latest.escalated:
        latest.escalated = True
        return await escalate(ctx, latest.text, latest.question_id, intro=ctx.t("human_intro"))
    ctx.chat.escalate_next = True
    return [Reply(ctx.t("human_ask"))]


async def _answer(
    ctx: TurnContext,
    prepared: Prepared,
    intent: IntentResult | None,
    match: MatchResult,
    entry: Entry,
    language: str | None,
) -> Reply:
    """The entry's card, the question stored and remembered as answered by it (a matched
    answer and a phrasing voters taught end the same way)."""
    question_id = await _record(
        ctx, prepared, intent, match, QuestionDecision.ANSWER, entry.id, language
    )
    question = _remember(ctx, prepared, language, question_id)
    question.shown.append(entry.id)
    question.answered = entry.id
    return card_reply(entry, ctx.lang, question.token)


def _remember(
    ctx: TurnContext, prepared: Prepared, language: str | None, question_id: int | None
) -> QuestionContext:
    """The chat remembers the question, with the image or link it came with. A list shown
    before it is no longer what a typed "2" picks from."""
    ctx.chat.last_offer = None
    question = ctx.chat.remember(prepared.store_text, language, question_id)
    question.media = ctx.incoming.media
    return question


async def _intent(ctx: TurnContext, text: str) -> IntentResult | None:
    try:
        return await ctx.deps.intents.parse(text)
    except Exception:  # noqa: BLE001 - IntentService promises not to raise; a double must not either
        log.exception("intent classification failed")
        return None


async def _match(ctx: TurnContext, prepared: Prepared, language: str | None) -> MatchResult | None:
    if ctx.matcher is None or prepared.kind != "text":
        return None
    cache, matcher, text = ctx.deps.match_cache, ctx.matcher, prepared.match_text
    try:
        cached = cache.get(matcher, text, language)
        if cached is not None:  # the same words against the same knowledge: the same answer
            return cached
        result = await asyncio.to_thread(matcher.match, text, language)
        cache.put(matcher, text, language, result)
        return result
    except Exception:  # noqa: BLE001 - no match: the question is escalated, not lost
        log.exception("matcher failed")
        return None


async def _record(
    ctx: TurnContext,
    prepared: Prepared,
    intent: IntentResult | None,
    match: MatchResult | None,
    decision: QuestionDecision,
    entry_id: str | None,
    detected: str | None,
) -> int | None:
    """Store the question (for trends, and for its buttons after a restart) in the language it
    is written in, as detected, not the one it is answered in (a voter who chose Thai may ask
    in English); the reply language only when detection was not sure."""
    language = detected if detected in LANGUAGES else ctx.lang
    # Counted here, where every decided question passes, whether or not the database stores it.
    metrics.record_question(language, decision)
    incoming = ctx.incoming
    result = await ctx.store.record_question(
        user_id=incoming.user_id,
        chat_id=incoming.chat_id,
        text=prepared.store_text,
        language=language,
        intent=intent.intent if intent else None,
        decision=decision,
        entry_id=entry_id,
        score=match.score if match else None,
    )
    return result.value
