"""Turns a checker's answer (or rejection) into the message one waiting voter receives.

Rendered when the notification is enqueued, not when it is sent, so the outbox row holds exactly
what will be delivered: a restart, a later edit or a deleted question cannot change a message
that is already on its way. The words are bot/texts' `notify_*` keys, in the voter's language;
what is substituted into them is escaped here and passed as Markup.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.core.cards import claim_verdict_label
from bot.storage.repository import QUOTE_CHARS
from bot.texts import Markup, language_name, t

#: Telegram refuses messages longer than 4096 characters; leave room for entities.
MAX_MESSAGE = 4000
MAX_QUOTE = QUOTE_CHARS
FALLBACK_ORDER = ("en", "ms", "th")


@dataclass(frozen=True)
class Rendered:
    text: str
    language: str  # the voter's language
    answer_language: str  # the language the explanation is in (differs when falling back)


def _quote(claim: str) -> str:
    claim = " ".join(claim.split())
    if len(claim) > MAX_QUOTE:
        claim = claim[: MAX_QUOTE - 1].rstrip() + "…"
    return html.escape(claim)


def pick_language(available: Mapping[str, str], wanted: str) -> str:
    """The voter's language when the checker wrote it, else English, Malay, Thai in that order."""
    if available.get(wanted):
        return wanted
    for lang in (*FALLBACK_ORDER, *available):
        if available.get(lang):
            return lang
    raise ValueError("an answer needs an explanation in at least one language")


def _source_line(url: str) -> str:
    host = urlsplit(url).netloc or url
    return f'• <a href="{html.escape(url, quote=True)}">{html.escape(host)}</a>'


def render_answer(
    *,
    claim: str | None,
    verdict: str | None,
    explanation: Mapping[str, str],
    sources: Sequence[str],
    language: str,
    question: str | None = None,
) -> Rendered:
    """The answer for one voter. `claim` is the claim as this voter may see it: their own words,
    or the checker's wording; None when there is neither (another voter's words are never
    shown). `question` is the voter's own wording when it differs from the checked claim (they
    joined the ticket through the matcher): both are shown, so the voter can see which claim the
    verdict is about."""
    lang = pick_language(explanation, language)
    if question and claim:
        head = [
            t(language, "notify_you_asked", question=Markup(_quote(question))),
            "",
            t(language, "notify_checked_claim"),
            f"<i>{_quote(claim)}</i>",
        ]
    elif question:
        head = [t(language, "notify_you_asked", question=Markup(_quote(question))), "",
                t(language, "notify_answer_intro_unworded")]
    elif claim:
        head = [t(language, "notify_answer_intro"), f"<i>{_quote(claim)}</i>"]
    else:
        head = [t(language, "notify_answer_intro_unworded")]
    parts = [
        *head,
        "",
        # The same label as a card from the knowledge ("❌ FALSE"), wherever the answer came from.
        f"<b>{claim_verdict_label(verdict, language)}</b>",
        "",
    ]
    body = explanation[lang].strip()
    tail = _tail(language, lang, sources)
    parts.append(_fitted(body, MAX_MESSAGE - len("\n".join(parts)) - len("\n".join(tail)) - 2))
    return Rendered("\n".join(parts + tail), language, lang)


def _tail(language: str, lang: str, sources: Sequence[str]) -> list[str]:
    """What follows the explanation: a note when it is in another language than the voter's,
    then the sources."""
    tail = []
    if lang != language:
        tail += ["", t(language, "notify_fallback_note", lang_name=language_name(language, lang))]
    if sources:
        tail += ["", t(language, "notify_sources"), *(_source_line(u) for u in sources)]
    return tail


def _fitted(body: str, room: int) -> str:
    """`body` escaped for HTML and cut (with "…") to fit the `room` a message has left: the
    heading, verdict and sources are never the part Telegram's size limit cuts."""
    escaped = html.escape(body)
    while len(escaped) > room and body:
        body = body[: int(len(body) * 0.9)].rstrip()
        escaped = html.escape(body) + "…"
    return escaped


def render_rejection(*, claim: str | None, category: str, language: str) -> Rendered:
    """The rejection note for one voter; `claim` as in render_answer (None: not quoted)."""
    key = (
        "notify_rejected_out_of_scope" if category == "out-of-scope"
        else "notify_rejected_not_a_claim"
    )
    head = (
        f"{t(language, 'notify_rejected_intro')}\n<i>{_quote(claim)}</i>"
        if claim
        else t(language, "notify_rejected_intro_unquoted")
    )
    return Rendered(f"{head}\n\n{t(language, key)}", language, language)


def render_correction(
    *,
    claim: str,
    verdict: str | None,
    answer: Mapping[str, str] | None,
    sources: Sequence[str],
    language: str,
) -> Rendered:
    """A correction for one voter who was shown a knowledge entry that has since changed
    (`answer` its new answer per language, `verdict` its new verdict, None for a fact) or been
    retracted (`answer` None). `claim` is the entry's own text (the knowledge's words) in the
    voter's language where it has one. The verdict label is the cards' label, as everywhere."""
    if answer is None:
        text = t(language, "notify_correction_retracted", claim=Markup(f"<i>{_quote(claim)}</i>"))
        return Rendered(text, language, language)
    lang = pick_language(answer, language)
    parts = [
        t(language, "notify_correction_intro"),
        f"<i>{_quote(claim)}</i>",
        "",
        f"<b>{claim_verdict_label(verdict, language)}</b>",
        "",
    ]
    tail = _tail(language, lang, sources)
    body = answer[lang].strip()
    parts.append(_fitted(body, MAX_MESSAGE - len("\n".join(parts)) - len("\n".join(tail)) - 2))
    return Rendered("\n".join(parts + tail), language, lang)
