"""The fact-checkers' Telegram group, channel-neutral: Incoming in, Reply objects out.

The Telegram layer routes every update from the checkers' chat (settings.checkers_chat_id) to
`CheckersDesk.handle` and sends the replies back to that chat; it also posts `ticket_card` when a
ticket opens or passes a milestone of askers (`announce_for`). Everything a checker can do here
goes through TicketService, so the authorisation, the audit trail and the single transaction
that answers and enqueues the notifications are the same as at the command line.

Commands: /queue, /show N, /take N, /word N TEXT, /answer N (guided),
/reject N [out-of-scope] REASON, /dup N M, /cancel. Buttons on a ticket card: Take, Answer,
Not a claim, Duplicate.

The guided answer asks, in turn: the verdict (buttons), the claim in the checker's own words
(what other voters will see of it: a voter's words are shown to that voter and the checkers
only; /skip keeps an earlier wording, or shows no claim to other voters), the country it is
about, the explanation in English, Thai and Malay (each may be skipped, at least one is needed),
the source URLs, then shows the message voters will get and asks for confirmation. State is per
checker and per chat, in memory, and expires after half an hour: a restart costs a checker at
most a half-typed answer, never a sent one.

Handlers are synchronous (they use the database): the Telegram layer runs them with
asyncio.to_thread.
"""

from __future__ import annotations

import html
import logging
import re
import time
from dataclasses import dataclass, field

from bot.core.messages import Button, Incoming, Reply
from bot.core.ports import EscalationReceipt, EscalationVia
from bot.escalation.errors import EscalationError, NotAuthorised
from bot.escalation.render import render_answer
from bot.escalation.tickets import (
    MILESTONES,
    TicketDetail,
    TicketService,
    TicketSummary,
    validate_answer,
    validate_wording,
)
from bot.storage.repository import OPEN_STATUSES
from knowledge.model import VERDICTS

log = logging.getLogger(__name__)

PREFIX = "ck"
#: Shown to checkers for a ticket whose asker's words were deleted with /forget.
NO_TEXT = "(the asker's words were deleted at their request)"
STATE_TTL = 30 * 60
EXPLANATION_ORDER = (("en", "English"), ("th", "Thai"), ("ms", "Malay"))
#: Country codes offered as buttons when answering (any two-letter code may be typed).
REGIONS = ("TH", "MY")
URL = re.compile(r"https?://\S+")


@dataclass
class _Draft:
    """A checker's answer or action in progress."""

    ticket_id: int
    # verdict | wording | region | explanation | sources | confirm | reject_reason
    # | duplicate_target
    stage: str
    verdict: str | None = None
    wording: str | None = None
    region: str | None = None
    explanation: dict[str, str] = field(default_factory=dict)
    language_index: int = 0
    sources: list[str] = field(default_factory=list)
    category: str = "not-a-claim"
    touched: float = field(default_factory=time.monotonic)


def announce_for(receipt: EscalationReceipt) -> bool:
    """Whether the checkers' group should see a card for this escalation: a new ticket, or a
    ticket whose askers just reached a milestone (a rumour spreading deserves attention). The
    same rule makes TicketService emit its "opened" / "milestone" events."""
    return receipt.via == EscalationVia.NEW or (
        receipt.via != EscalationVia.ANSWERED
        and receipt.joined_existing
        and receipt.askers in MILESTONES
    )


def _e(text: str) -> str:
    return html.escape(text, quote=False)


class CheckersDesk:
    def __init__(self, tickets: TicketService, *, chat_id: int | None = None) -> None:
        self.tickets = tickets
        self.chat_id = chat_id
        self._drafts: dict[tuple[int, int], _Draft] = {}

    # -- cards ---------------------------------------------------------------------------------
    def card_for_event(self, ticket_id: int, event: str) -> Reply | None:
        """The card to post in the group for a TicketService event, or None (nothing to post):
        "opened" and "milestone" are news for checkers; answers and merges they made themselves."""
        if event == "opened":
            return self.ticket_card(ticket_id)
        if event == "milestone":
            detail = self.tickets.show(ticket_id)
            headline = (f"📈 <b>Ticket #{ticket_id}</b> is spreading: now asked by "
                        f"{detail.ticket.askers}")
            return self._card(detail, headline)
        return None

    def ticket_card(self, ticket_id: int, *, headline: str | None = None) -> Reply:
        return self._card(self.tickets.show(ticket_id), headline)

    def _card(self, detail: TicketDetail, headline: str | None) -> Reply:
        """The card, with the screenshot voters sent shown above it and their links in it."""
        text = self._card_text(detail, headline)
        photo = None
        media = getattr(self.tickets.repo, "media_of_ticket", None)
        if media is not None:
            try:
                views = media(detail.ticket.id)
            except Exception:  # noqa: BLE001 - the card matters more than its pictures
                log.exception("could not read the media of ticket %s", detail.ticket.id)
                views = []
            photo = next((v.path for v in views if v.kind == "image" and v.path), None)
            links = [v for v in views if v.kind == "link"]
            for view in links[:3]:
                url = view.url or view.canonical_url or ""
                title = f" · {_e(view.title)}" if view.title else ""
                text += f'\n🔗 <a href="{html.escape(url)}">{_e(url[:80])}</a>{title}'
                read = " ".join((view.read_text or "").split())
                if read and read != view.title:
                    text += f"\n<i>{_e(read[:300] + ('…' if len(read) > 300 else ''))}</i>"
        return Reply(text, self._card_buttons(detail.ticket), photo=photo)

    def _card_text(self, detail: TicketDetail, headline: str | None = None) -> str:
        t = detail.ticket
        langs = ", ".join(f"{k} {v}" for k, v in sorted(detail.languages.items()))
        lines = [
            headline or f"🆕 <b>Ticket #{t.id}</b> · asked by {t.askers}"
            + (f" ({langs})" if langs else ""),
            f"<i>{_e(t.claim_text or NO_TEXT)}</i>",
            f"Status: {t.status}" + (f", taken by {t.assigned_to}" if t.assigned_to else ""),
        ]
        if t.claim_wording:
            region = f" [{t.region}]" if t.region else ""
            lines.append(f"Shown to other voters as: <i>{_e(t.claim_wording)}</i>{region}")
        else:
            lines.append(f"Not worded yet: /word {t.id} TEXT words it for other voters.")
        if detail.answer is not None:
            lines.append(f"Verdict: <b>{detail.answer.verdict}</b>")
        if detail.duplicate_of:
            lines.append(f"Duplicate of #{detail.duplicate_of}")
        return "\n".join(lines)

    @staticmethod
    def _card_buttons(t: TicketSummary) -> tuple[tuple[Button, ...], ...]:
        if t.status not in OPEN_STATUSES:
            return ()
        return (
            (Button("✋ Take", data=f"{PREFIX}:take:{t.id}"),
             Button("✍️ Answer", data=f"{PREFIX}:ans:{t.id}")),
            (Button("🚫 Not a claim", data=f"{PREFIX}:rej:{t.id}"),
             Button("🔁 Duplicate…", data=f"{PREFIX}:dup:{t.id}")),
        )

    # -- entry point ---------------------------------------------------------------------------
    def handle(self, incoming: Incoming) -> list[Reply]:
        """One update from the checkers' chat; replies go back to the same chat."""
        if self.chat_id is not None and incoming.chat_id != self.chat_id:
            return []
        self._expire()
        try:
            if incoming.callback_data is not None:
                return self._callback(incoming)
            if incoming.command is not None:
                return self._command(incoming)
            return self._text(incoming)
        except NotAuthorised:
            return [Reply("⛔ Only fact-checkers can do this. Ask an operator to add you "
                          f"(<code>factcheck checkers add {incoming.user_id}</code>).")]
        except EscalationError as exc:
            return [Reply(f"⚠️ {_e(str(exc))}")]

    def _require(self, incoming: Incoming, action: str, ticket_id: int | None = None) -> None:
        self.tickets.registry.require(incoming.user_id, action, ticket_id)

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, d in self._drafts.items() if now - d.touched > STATE_TTL]:
            del self._drafts[key]

    # -- commands ------------------------------------------------------------------------------
    def _command(self, incoming: Incoming) -> list[Reply]:
        name, args = incoming.command or "", list(incoming.args)
        key = (incoming.chat_id, incoming.user_id)
        if name == "queue":
            self._require(incoming, "see the queue")
            return [self._queue()]
        if name == "cancel":
            had = self._drafts.pop(key, None)
            return [Reply("Cancelled." if had else "Nothing to cancel.")]
        if name in ("skip", "done"):
            return self._text(incoming)
        if name not in ("show", "take", "answer", "reject", "dup", "word"):
            return []
        number = _int(args[0]) if args else None
        if number is None:
            return [Reply(f"Usage: /{name} N" + (" M" if name == "dup" else "")
                          + (" [out-of-scope] REASON" if name == "reject" else "")
                          + (" [TH|MY] TEXT" if name == "word" else ""))]
        return self._ticket_command(incoming, name, number, args[1:])

    def _ticket_command(
        self, incoming: Incoming, name: str, number: int, rest: list[str]
    ) -> list[Reply]:
        key = (incoming.chat_id, incoming.user_id)
        if name == "show":
            self._require(incoming, "see tickets", number)
            return [self.ticket_card(number)]
        if name == "take":
            summary = self.tickets.take(number, incoming.user_id)
            return [Reply(f"✋ Ticket #{summary.id} is yours.")]
        if name == "answer":
            return self._start_answer(incoming, number)
        if name == "word":
            region = rest[0] if len(rest) > 1 and rest[0].upper() in REGIONS else None
            words = " ".join(rest[1:] if region else rest)
            summary = self.tickets.set_wording(
                number, incoming.user_id, wording=words, region=region
            )
            return [Reply(f"✍️ Ticket #{summary.id} is shown to other voters as: "
                          f"<i>{_e(summary.claim_wording or '')}</i>")]
        if name == "reject":
            category = "not-a-claim"
            if rest and rest[0] in ("out-of-scope", "not-a-claim"):
                category, rest = rest[0], rest[1:]
            if not rest:
                self._require(incoming, "reject tickets", number)
                self._drafts[key] = _Draft(number, "reject_reason", category=category)
                return [Reply(f"Why is #{number} rejected? Reply with one line (kept in the "
                              "audit trail; voters get a polite standard note).")]
            return [self._reject(incoming, number, " ".join(rest), category)]
        target = _int(rest[0]) if rest else None
        if target is None:
            return [Reply("Usage: /dup N M (ticket N is the same claim as ticket M)")]
        return [self._duplicate(incoming, number, target)]

    def _queue(self) -> Reply:
        tickets = self.tickets.list_open(limit=15)
        if not tickets:
            return Reply("✅ The queue is empty.")
        lines = ["<b>Open tickets</b>, most asked first:"]
        for t in tickets:
            claim = " ".join((t.claim_text or NO_TEXT).split())
            claim = claim if len(claim) <= 80 else claim[:79] + "…"
            who = f" · taken by {t.assigned_to}" if t.assigned_to else ""
            lines.append(f"#{t.id} · {t.askers} asked{who}\n  <i>{_e(claim)}</i>")
        lines.append("Open one with /show N.")
        return Reply("\n".join(lines))

    # -- buttons -------------------------------------------------------------------------------
    def _callback(self, incoming: Incoming) -> list[Reply]:
        parts = (incoming.callback_data or "").split(":")
        if len(parts) < 2 or parts[0] != PREFIX:
            return []
        action = parts[1]
        number = _int(parts[2]) if len(parts) > 2 else None
        key = (incoming.chat_id, incoming.user_id)
        if action == "no":
            self._drafts.pop(key, None)
            return [Reply("Cancelled; nothing was sent.")]
        if number is None:
            return []
        if action == "take":
            summary = self.tickets.take(number, incoming.user_id)
            return [Reply(f"✋ Ticket #{summary.id} taken by {incoming.user_id}.")]
        if action == "ans":
            return self._start_answer(incoming, number)
        if action == "rej":
            self._require(incoming, "reject tickets", number)
            self._drafts[key] = _Draft(number, "reject_reason")
            return [Reply(f"Why is #{number} not a claim? Reply with one line (start with "
                          "“out-of-scope:” if it is not about elections).")]
        if action == "dup":
            self._require(incoming, "mark tickets as duplicates", number)
            self._drafts[key] = _Draft(number, "duplicate_target")
            return [Reply(f"Which ticket is #{number} a duplicate of? Reply with its number.")]
        draft = self._drafts.get(key)
        if draft is None or draft.ticket_id != number:
            return [Reply("That answer was started elsewhere or expired; start again with "
                          f"/answer {number}.")]
        draft.touched = time.monotonic()
        if action == "v" and len(parts) > 3 and parts[3] in VERDICTS:
            draft.verdict, draft.stage = parts[3], "wording"
            return [self._ask_wording(draft)]
        if action == "r" and draft.stage == "region":
            code = parts[3] if len(parts) > 3 else ""
            _, draft.region = validate_wording(None, code or None)
            draft.stage = "explanation"
            return [self._ask_explanation(draft)]
        if action == "ok" and draft.stage == "confirm":
            del self._drafts[key]
            receipt = self.tickets.answer(
                number, incoming.user_id, verdict=draft.verdict or "",
                explanation=draft.explanation, sources=draft.sources,
                wording=draft.wording, region=draft.region,
            )
            return [Reply(f"✅ Ticket #{number} answered; {receipt.notifications} voter(s) will "
                          "be notified in their language.")]
        return []

    # -- the guided answer ---------------------------------------------------------------------
    def _start_answer(self, incoming: Incoming, number: int) -> list[Reply]:
        self._require(incoming, "answer tickets", number)
        detail = self.tickets.show(number)
        if detail.ticket.status not in OPEN_STATUSES:
            return [Reply(f"⚠️ Ticket #{number} is already {detail.ticket.status}.")]
        self._drafts[(incoming.chat_id, incoming.user_id)] = _Draft(number, "verdict")
        rows = (
            tuple(Button(v, data=f"{PREFIX}:v:{number}:{v}") for v in VERDICTS[:3]),
            tuple(Button(v, data=f"{PREFIX}:v:{number}:{v}") for v in VERDICTS[3:]),
            (Button("Cancel", data=f"{PREFIX}:no"),),
        )
        return [Reply(f"Answering #{number}:\n<i>{_e(detail.ticket.claim_text or NO_TEXT)}</i>\n\n"
                      "What is the verdict?", rows)]

    def _ask_wording(self, draft: _Draft) -> Reply:
        detail = self.tickets.show(draft.ticket_id)
        earlier = detail.ticket.claim_wording
        keep = (f"/skip keeps the wording given earlier: <i>{_e(earlier)}</i>" if earlier
                else "/skip shows no claim to them, only the verdict")
        return Reply("Write the claim in your own words, as other voters will see it (one line; "
                     "no names, phone numbers or other details of whoever sent it). "
                     f"{keep}.")

    def _ask_region(self, draft: _Draft) -> Reply:
        rows = (
            tuple(Button(code, data=f"{PREFIX}:r:{draft.ticket_id}:{code}") for code in REGIONS)
            + (Button("Skip", data=f"{PREFIX}:r:{draft.ticket_id}:"),),
        )
        return Reply("Which country is the claim about? Tap one, type a two-letter code, or "
                     "/skip.", rows)

    def _ask_explanation(self, draft: _Draft) -> Reply:
        _, name = EXPLANATION_ORDER[draft.language_index]
        return Reply(f"Send the explanation in <b>{name}</b> (what voters will read), or /skip.")

    def _text(self, incoming: Incoming) -> list[Reply]:
        key = (incoming.chat_id, incoming.user_id)
        draft = self._drafts.get(key)
        if draft is None:
            return []  # ordinary group chatter
        draft.touched = time.monotonic()
        text = incoming.text.strip()
        command = incoming.command
        if draft.stage == "reject_reason":
            del self._drafts[key]
            category = draft.category
            if text.lower().startswith("out-of-scope:"):
                category, text = "out-of-scope", text.split(":", 1)[1].strip()
            return [self._reject(incoming, draft.ticket_id, text, category)]
        if draft.stage == "duplicate_target":
            target = _int(text.lstrip("#"))
            if target is None:
                return [Reply("Reply with the number of the other ticket, or /cancel.")]
            del self._drafts[key]
            return [self._duplicate(incoming, draft.ticket_id, target)]
        if draft.stage == "wording":
            if command != "skip" and text:
                draft.wording, _ = validate_wording(text)
            draft.stage = "region"
            return [self._ask_region(draft)]
        if draft.stage == "region":
            if command != "skip" and text:
                _, draft.region = validate_wording(None, text)
            draft.stage = "explanation"
            return [self._ask_explanation(draft)]
        if draft.stage == "explanation":
            if command != "skip" and text:
                lang, _ = EXPLANATION_ORDER[draft.language_index]
                draft.explanation[lang] = text
            draft.language_index += 1
            if draft.language_index < len(EXPLANATION_ORDER):
                return [self._ask_explanation(draft)]
            if not draft.explanation:
                draft.language_index = 0
                return [Reply("At least one explanation is needed."), self._ask_explanation(draft)]
            draft.stage = "sources"
            return [Reply("Send the source URLs (http or https), in one or more messages; "
                          "then /done.")]
        if draft.stage == "sources":
            if command != "done":
                found = URL.findall(text)
                if not found:
                    return [Reply("That is not a URL. Send http(s) links, then /done.")]
                draft.sources += [u for u in found if u not in draft.sources]
                return [Reply(f"{len(draft.sources)} source(s). More, or /done.")]
            return [self._confirm(draft)]
        return []

    def _confirm(self, draft: _Draft) -> Reply:
        verdict, explanation, sources = validate_answer(
            draft.verdict or "", draft.explanation, draft.sources
        )
        draft.stage = "confirm"
        detail = self.tickets.show(draft.ticket_id)
        # What a voter who did not send the claim gets: the checker's wording, or no claim.
        preview = render_answer(
            claim=draft.wording or detail.ticket.claim_wording, verdict=verdict,
            explanation=explanation, sources=sources, language=next(iter(explanation)),
        )
        waiting = sum(detail.languages.values())
        return Reply(
            f"This is what voters will get (shown in {preview.language}):\n\n{preview.text}",
            ((Button(f"📨 Send to {waiting} voter(s)", data=f"{PREFIX}:ok:{draft.ticket_id}"),
              Button("Cancel", data=f"{PREFIX}:no")),),
        )

    # -- reject / duplicate --------------------------------------------------------------------
    def _reject(self, incoming: Incoming, number: int, reason: str, category: str) -> Reply:
        receipt = self.tickets.reject(number, incoming.user_id, reason=reason, category=category)
        return Reply(f"🚫 Ticket #{number} closed ({category}); {receipt.notifications} voter(s) "
                     "will get a polite note.")

    def _duplicate(self, incoming: Incoming, number: int, target: int) -> Reply:
        receipt = self.tickets.mark_duplicate(number, target, incoming.user_id)
        extra = (f"; {receipt.notifications} voter(s) get its answer now"
                 if receipt.notifications else "")
        return Reply(f"🔁 Ticket #{number} merged into #{receipt.ticket_id}{extra}.")


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
