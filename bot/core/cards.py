"""How a knowledge entry is shown to a voter: the verdict card.

The verdict comes first, as a localised word with its own marker (✅ ❌ ⚠️ 🌓 ❓), because that is
what a voter who reads nothing else must take away; facts get an ℹ️ information card without a
verdict. Then the claim as checked (so the voter can see it is their claim), the explanation,
the sources as links and the date. Everything from the knowledge files is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bot.core import callbacks
from bot.core.inputs import trim_label
from bot.core.messages import Button, Reply
from bot.core.ports import TicketOffer
from bot.texts import format_date, keys, language_name, t
from knowledge.model import Entry
from nlu.languages import LANGUAGES

VERDICT_KEYS = {
    "true": "verdict_true",
    "false": "verdict_false",
    "misleading": "verdict_misleading",
    "partly-true": "verdict_partly_true",
    "unproven": "verdict_unproven",
}


def verdict_label(entry: Entry, lang: str) -> str:
    return claim_verdict_label(entry.verdict if entry.kind == "claim" else None, lang)


def claim_verdict_label(verdict: str | None, lang: str) -> str:
    """"❌ FALSE": the label of a verdict, the same on a card from the knowledge and on a
    checker's answer (bot.escalation.notification_text); no verdict: the information label."""
    if verdict in VERDICT_KEYS:
        return t(lang, VERDICT_KEYS[verdict])
    return t(lang, "info_label")


def render_card(entry: Entry, lang: str) -> str:
    """The card's Telegram-HTML text in `lang` (with a note when the answer is in another)."""
    answer_lang, answer = entry.answer_in(lang)
    lines = [f"<b>{verdict_label(entry, lang)}</b>", ""]
    heading = "card_claim" if entry.kind == "claim" else "card_question"
    text_lang = lang if lang in entry.text else answer_lang
    lines.append(t(lang, heading, text=entry.text.get(text_lang) or entry.text_in(lang)))
    lines.append("")
    lines.append(html.escape(answer, quote=False))
    if answer_lang != lang:
        lines.append(t(lang, "card_language_note", language=language_name(lang, answer_lang)))
    if entry.sources:
        lines.append("")
        lines.append(t(lang, "card_sources"))
        for source in entry.sources:
            # Named in the card's language when the knowledge gives it ("กกต." on a Thai card).
            lines.append(
                "• " + source_link(source.url, source.title_in(lang), source.publisher_in(lang))
            )
    if entry.published:
        lines.append("")
        lines.append(t(lang, "card_date", date=format_date(lang, entry.published)))
    return "\n".join(lines)


def source_link(url: str, title: str | None, publisher: str | None) -> str:
    label = title or publisher or url
    # "Title (Publisher)" unless one already says the other, as official pages often do.
    if title and publisher:
        if _says(publisher, title):
            label = publisher
        elif not _says(title, publisher):
            label = f"{title} ({publisher})"
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(label, quote=False)}</a>'


def _says(text: str, name: str) -> bool:
    """`name` appears in `text` as whole words ("ECT" is not in "Election")."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def card_reply(entry: Entry, lang: str, token: str) -> Reply:
    return Reply(render_card(entry, lang), feedback_buttons(entry.id, lang, token))


def feedback_buttons(entry_id: str, lang: str, token: str) -> tuple[tuple[Button, ...], ...]:
    """"👍 Helpful" and "🤔 Not what I asked" for the answer `entry_id` to the question `token`:
    under every answer, the knowledge's cards and the checkers' answers sent later alike."""
    return (
        (
            Button(t(lang, "button_helpful"), callbacks.helpful(token, entry_id)),
            Button(t(lang, "button_not_what_i_asked"), callbacks.not_what_i_asked(token, entry_id)),
        ),
    )


def clarify_reply(entries: list[Entry], lang: str, token: str, *, more: bool = False) -> Reply:
    """"Did you mean": one button per candidate (its text in the voter's language), then
    "none of these". Candidates whose texts read the same (one question answered per country)
    are told apart by their region."""
    texts = [entry.text_in(lang) for entry in entries]
    names = [
        f"{text} ({_region(entry, lang, index)})" if texts.count(text) > 1 else text
        for index, (entry, text) in enumerate(zip(entries, texts, strict=True), 1)
    ]
    # No verdict marker on a candidate: until the voter picks one, we do not know it is their
    # claim, and showing "false" beside a claim they did not ask about is the worst mistake.
    rows = [
        (Button(f"{number}. {trim_label(name, 56)}", callbacks.pick(token, entry.id)),)
        for number, (entry, name) in enumerate(zip(entries, names, strict=True), 1)
    ]
    rows.append((Button(t(lang, "button_none"), callbacks.none_of_these(token)),))
    lines = [t(lang, "clarify_more" if more else "clarify_prompt"), ""]
    for number, (entry, name) in enumerate(zip(entries, names, strict=True), 1):
        lines.append(f"{number}. " + html.escape(name, quote=False))
        # What a voter needs to choose: whose election, and a checked claim or information.
        lines.append("    " + html.escape(_origin(entry, lang), quote=False))
    return Reply("\n".join(lines), tuple(rows))


def flag(region: str | None) -> str:
    """The flag emoji of an ISO 3166 alpha-2 code (two regional indicator letters)."""
    if not region or len(region) != 2 or not region.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in region.upper())


def _origin(entry: Entry, lang: str) -> str:
    """"🇹🇭 Thailand · checked claim": the entry's country (when it has one) and its kind."""
    kind = t(lang, "kind_claim" if entry.kind == "claim" else "kind_fact")
    if not entry.region:
        return kind
    return f"{flag(entry.region)} {_region(entry, lang, 0)} · {kind}"


#: Characters of a ticket's claim shown in the question (a pasted article can be a ticket).
OFFER_CLAIM_CHARS = 300


def ticket_offer_reply(
    offers: Sequence[TicketOffer], lang: str, own_ticket_id: int, *, intro: str | None = None
) -> Reply:
    """ "Is your question one of the claims being checked?": the claims as the checkers worded
    them (in their own language, named when it is not the voter's), a "yes" button per claim and
    "no, something else". No verdict and no answer: until the voter says so, we do not know the
    claim is theirs. The voter's question is already saved as ticket `own_ticket_id`."""
    many = len(offers) > 1
    lines = [intro, ""] if intro else []
    lines += [t(lang, "ticket_offer_many" if many else "ticket_offer_one"), ""]
    rows: list[tuple[Button, ...]] = []
    for number, offer in enumerate(offers, 1):
        claim = html.escape(trim_label(offer.wording, OFFER_CLAIM_CHARS), quote=False)
        other = offer.language != lang and offer.language in LANGUAGES
        note = f" ({language_name(lang, offer.language)})" if other else ""
        lines.append((f"{number}. " if many else "") + f"<i>{claim}</i>{note}")
        label = (
            f"✅ {number}. {trim_label(offer.wording, 52)}"
            if many
            else t(lang, "button_ticket_same")
        )
        rows.append((Button(label, callbacks.same_ticket(own_ticket_id, offer.ticket_id)),))
    rows.append((Button(t(lang, "button_ticket_other"), callbacks.other_ticket(own_ticket_id)),))
    lines += [
        "",
        t(lang, "ticket_offer_question_many" if many else "ticket_offer_question_one"),
        t(lang, "ticket_offer_footer"),
    ]
    return Reply("\n".join(lines), tuple(rows))


def _region(entry: Entry, lang: str, index: int) -> str:
    if entry.region and f"region_{entry.region}" in keys(lang):
        return t(lang, f"region_{entry.region}")
    return entry.region or str(index)


__all__ = [
    "card_reply",
    "claim_verdict_label",
    "clarify_reply",
    "feedback_buttons",
    "render_card",
    "ticket_offer_reply",
    "verdict_label",
]
