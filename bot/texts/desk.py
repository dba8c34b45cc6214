"""What the fact-checkers' desk (the checkers' Telegram group) says: English only, in one place.

Voters are answered in their language (en.py, ms.py, th.py, through `bot.texts.t`). Checkers work
together in one group with one working language, so their strings are not translated; they live
here rather than inline in bot/escalation so that an organisation rewords its desk by editing
this one file (or gives it another working language by translating the values).

Every value is a Telegram-HTML template. `desk(key, **values)` fills the {placeholders} and
HTML-escapes each value, as `t` does, unless it is `bot.texts.Markup` (already HTML).
"""

from __future__ import annotations

import html

DESK: dict[str, str] = {
    # cards posted for a ticket
    "card_new": "🆕 <b>Ticket #{ticket}</b> · asked by {askers}",
    "card_languages": " ({languages})",
    "card_spreading": "📈 <b>Ticket #{ticket}</b> is spreading: now asked by {askers}",
    "card_asked_now": "📈 <b>Ticket #{ticket}</b> · now asked by {askers}",
    "card_claim": "<i>{claim}</i>",
    "card_status": "Status: {status}",
    "card_taken_by": ", taken by {checker}",
    "card_worded": "Shown to other voters as: <i>{wording}</i>{region}",
    "card_region": " [{region}]",
    "card_not_worded": "Not worded yet: /word {ticket} TEXT words it for other voters.",
    "card_verdict": "Verdict: <b>{verdict}</b>",
    "card_duplicate_of": "Duplicate of #{ticket}",
    "card_link": '\n🔗 <a href="{url}">{shown}</a>{title}',
    "card_link_title": " · {title}",
    "card_link_text": "\n<i>{text}</i>",
    "card_fact_answer": "Answered as a question of fact (no verdict)",
    "card_linked": "Answered with the knowledge entry <code>{entry}</code>",
    "card_rejected_head": "Offered by the bot and rejected by the asker(s):",
    "card_rejected_item": "• <code>{entry}</code> {text} · {reasons}",
    "rejected_gone": "(no longer in the knowledge)",
    # why a voter rejected an entry (bot.core.callbacks.FeedbackReason; "unsaid": not told)
    "reason_none_of_these": "none of these",
    "reason_other_claim": "a different claim",
    "reason_wrong_country": "the other country",
    "reason_outdated": "outdated",
    "reason_other": "another reason",
    "reason_unsaid": "not what they asked",
    "no_text": "(the asker's words were deleted at their request)",
    "button_take": "✋ Take",
    "button_answer": "✍️ Answer",
    "button_reject": "🚫 Not a claim",
    "button_duplicate": "🔁 Duplicate…",
    "button_cancel": "Cancel",
    "button_skip": "Skip",
    "button_send": "📨 Send to {waiting} voter(s)",
    "button_link": "🔗 Answer with {entry}",
    # errors
    "not_a_checker": "⛔ Only fact-checkers can do this. Ask an operator to add you "
    "(<code>factcheck checkers add {user}</code>).",
    "error": "⚠️ {message}",
    "failed": "⚠️ Something went wrong; nothing was changed. Please try again.",
    # commands
    "cancelled": "Cancelled.",
    "nothing_to_cancel": "Nothing to cancel.",
    "usage": "Usage: /{command} N",
    "usage_dup_args": " M",
    "usage_reject_args": " [out-of-scope] REASON",
    "usage_word_args": " [TH|MY] TEXT",
    "usage_link_args": " ENTRY_ID|#M",
    "usage_dup": "Usage: /dup N M (ticket N is the same claim as ticket M)",
    "taken": "✋ Ticket #{ticket} is yours.",
    "taken_by": "✋ Ticket #{ticket} taken by {checker}.",
    "worded": "✍️ Ticket #{ticket} is shown to other voters as: <i>{wording}</i>",
    "reject_why": "Why is #{ticket} rejected? Reply with one line (kept in the audit trail; "
    "voters get a polite standard note).",
    "reject_why_button": "Why is #{ticket} not a claim? Reply with one line (start with "
    "“out-of-scope:” if it is not about elections).",
    "duplicate_which": "Which ticket is #{ticket} a duplicate of? Reply with its number.",
    "duplicate_number": "Reply with the number of the other ticket, or /cancel.",
    "queue_empty": "✅ The queue is empty.",
    "queue_head": "<b>Open tickets</b>, most asked first:",
    "queue_item": "#{ticket} · {askers} asked{taken}\n  <i>{claim}</i>",
    "queue_taken_by": " · taken by {checker}",
    "queue_tail": "Open one with /show N.",
    # the guided answer
    "nothing_sent": "Cancelled; nothing was sent.",
    "draft_elsewhere": "That answer was started elsewhere or expired; start again with "
    "/answer {ticket}.",
    "already_closed": "⚠️ Ticket #{ticket} is already {status}.",
    "ask_verdict": "Answering #{ticket}:\n<i>{claim}</i>\n\nWhat is the verdict?\n"
    "(/fact {ticket} answers a question of fact, without a verdict; /link {ticket} ENTRY_ID "
    "answers with a knowledge entry, /link {ticket} #M with an answered ticket.)",
    "fact_start": "Answering #{ticket} as a question of fact (no verdict):\n<i>{claim}</i>",
    "ask_wording": "Write the claim in your own words, as other voters will see it (one line; "
    "no names, phone numbers or other details of whoever sent it). {keep}.",
    "wording_keep": "/skip keeps the wording given earlier: <i>{wording}</i>",
    "wording_none": "/skip shows no claim to them, only the verdict",
    "ask_region": "Which country is the claim about? Tap one, type a two-letter code, or /skip.",
    "ask_explanation": "Send the explanation in <b>{language}</b> (what voters will read), or "
    "/skip.",
    "explanation_needed": "At least one explanation is needed.",
    "ask_sources": "Send the source URLs (http or https), in one or more messages; then /done.",
    "not_a_url": "That is not a URL. Send http(s) links, then /done.",
    "sources_so_far": "{count} source(s). More, or /done.",
    "preview": "This is what voters will get (shown in {language}):\n\n{message}",
    "answered": "✅ Ticket #{ticket} answered; {notified} voter(s) will be notified in their "
    "language.",
    "rejected": "🚫 Ticket #{ticket} closed ({category}); {notified} voter(s) will get a polite "
    "note.",
    "merged": "🔁 Ticket #{ticket} merged into #{target}{extra}.",
    "merged_answered": "; {notified} voter(s) get its answer now",
    "linked_entry": "🔗 Ticket #{ticket} answered with <code>{entry}</code>; {notified} voter(s) "
    "will be notified in their language.",
    "linked_ticket": "🔗 Ticket #{ticket} answered with #{target}; {notified} voter(s) get its "
    "answer now.",
    "link_unknown": "⚠️ No published entry “{entry}” in the knowledge the bot serves. Check the "
    "id (<code>factcheck kb stats</code>), or link an answered ticket with #M.",
    # the languages an explanation is asked for in
    "language_en": "English",
    "language_th": "Thai",
    "language_ms": "Malay",
}


def desk(key: str, **values: object) -> str:
    """The desk's text `key`, filled in (values HTML-escaped unless they are Markup)."""
    from bot.texts import Markup  # the package imports its catalogues first

    template = DESK[key]  # a KeyError here is a programming error, caught by tests
    if not values:
        return template
    return template.format(**{
        name: value if isinstance(value, Markup) else html.escape(str(value), quote=False)
        for name, value in values.items()
    })


__all__ = ["DESK", "desk"]
