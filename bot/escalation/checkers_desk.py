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
from enum import StrEnum

from bot.core.callbacks import DeskAction, parse_desk
from bot.core.callbacks import desk as button
from bot.core.messages import Button, Incoming, Reply
from bot.core.ports import EscalationReceipt, EscalationVia
from bot.escalation.errors import EscalationError, NotAuthorised
from bot.escalation.notification_text import render_answer
from bot.escalation.tickets import (
    MILESTONES,
    TicketDetail,
    TicketService,
    TicketSummary,
    validate_answer,
    validate_wording,
)
from bot.storage.repository import OPEN_STATUSES
from bot.texts import Markup
from bot.texts.desk import desk
from knowledge.model import VERDICTS

log = logging.getLogger(__name__)

STATE_TTL = 30 * 60
#: The languages a guided answer asks an explanation in, in this order.
EXPLANATION_ORDER = ("en", "th", "ms")
#: Country codes offered as buttons when answering (any two-letter code may be typed).
REGIONS = ("TH", "MY")
URL = re.compile(r"https?://\S+")


class Stage(StrEnum):
    """Where a checker's draft is: which reply the desk waits for next."""

    VERDICT = "verdict"  # a verdict button
    WORDING = "wording"  # the claim in the checker's words, or /skip
    REGION = "region"  # a country button or code, or /skip
    EXPLANATION = "explanation"  # one explanation per language in EXPLANATION_ORDER
    SOURCES = "sources"  # source URLs, then /done
    CONFIRM = "confirm"  # the send button under the preview
    REJECT_REASON = "reject_reason"  # one line saying why the ticket is rejected
    DUPLICATE_TARGET = "duplicate_target"  # the number of the ticket it duplicates


@dataclass
class _Draft:
    """A checker's answer or action in progress."""

    ticket_id: int
    stage: Stage
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
            headline = desk("card_spreading", ticket=ticket_id, askers=detail.ticket.askers)
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
                title = desk("card_link_title", title=view.title) if view.title else ""
                text += desk(
                    "card_link", url=Markup(html.escape(url)), shown=url[:80], title=Markup(title)
                )
                read = " ".join((view.read_text or "").split())
                if read and read != view.title:
                    shown = read[:300] + ("…" if len(read) > 300 else "")
                    text += desk("card_link_text", text=shown)
        return Reply(text, self._card_buttons(detail.ticket), photo=photo)

    def _card_text(self, detail: TicketDetail, headline: str | None = None) -> str:
        t = detail.ticket
        langs = ", ".join(f"{k} {v}" for k, v in sorted(detail.languages.items()))
        lines = [
            headline or desk("card_new", ticket=t.id, askers=t.askers)
            + (desk("card_languages", languages=langs) if langs else ""),
            desk("card_claim", claim=t.claim_text or desk("no_text")),
            desk("card_status", status=t.status)
            + (desk("card_taken_by", checker=t.assigned_to) if t.assigned_to else ""),
        ]
        if t.claim_wording:
            region = desk("card_region", region=t.region) if t.region else ""
            lines.append(desk("card_worded", wording=t.claim_wording, region=Markup(region)))
        else:
            lines.append(desk("card_not_worded", ticket=t.id))
        if detail.answer is not None:
            lines.append(desk("card_verdict", verdict=detail.answer.verdict))
        if detail.duplicate_of:
            lines.append(desk("card_duplicate_of", ticket=detail.duplicate_of))
        return "\n".join(lines)

    @staticmethod
    def _card_buttons(t: TicketSummary) -> tuple[tuple[Button, ...], ...]:
        if t.status not in OPEN_STATUSES:
            return ()
        return (
            (Button(desk("button_take"), data=button(DeskAction.TAKE, t.id)),
             Button(desk("button_answer"), data=button(DeskAction.ANSWER, t.id))),
            (Button(desk("button_reject"), data=button(DeskAction.REJECT, t.id)),
             Button(desk("button_duplicate"), data=button(DeskAction.DUPLICATE, t.id))),
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
            return [Reply(desk("not_a_checker", user=incoming.user_id))]
        except EscalationError as exc:
            return [Reply(desk("error", message=str(exc)))]

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
            return [Reply(desk("cancelled") if had else desk("nothing_to_cancel"))]
        if name in ("skip", "done"):
            return self._text(incoming)
        if name not in ("show", "take", "answer", "reject", "dup", "word"):
            return []
        number = _int(args[0]) if args else None
        if number is None:
            return [Reply(desk("usage", command=name)
                          + (desk("usage_dup_args") if name == "dup" else "")
                          + (desk("usage_reject_args") if name == "reject" else "")
                          + (desk("usage_word_args") if name == "word" else ""))]
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
            return [Reply(desk("taken", ticket=summary.id))]
        if name == "answer":
            return self._start_answer(incoming, number)
        if name == "word":
            region = rest[0] if len(rest) > 1 and rest[0].upper() in REGIONS else None
            words = " ".join(rest[1:] if region else rest)
            summary = self.tickets.set_wording(
                number, incoming.user_id, wording=words, region=region
            )
            return [Reply(desk("worded", ticket=summary.id, wording=summary.claim_wording or ""))]
        if name == "reject":
            category = "not-a-claim"
            if rest and rest[0] in ("out-of-scope", "not-a-claim"):
                category, rest = rest[0], rest[1:]
            if not rest:
                self._require(incoming, "reject tickets", number)
                self._drafts[key] = _Draft(number, Stage.REJECT_REASON, category=category)
                return [Reply(desk("reject_why", ticket=number))]
            return [self._reject(incoming, number, " ".join(rest), category)]
        target = _int(rest[0]) if rest else None
        if target is None:
            return [Reply(desk("usage_dup"))]
        return [self._duplicate(incoming, number, target)]

    def _queue(self) -> Reply:
        tickets = self.tickets.list_open(limit=15)
        if not tickets:
            return Reply(desk("queue_empty"))
        lines = [desk("queue_head")]
        for t in tickets:
            claim = " ".join((t.claim_text or desk("no_text")).split())
            claim = claim if len(claim) <= 80 else claim[:79] + "…"
            who = desk("queue_taken_by", checker=t.assigned_to) if t.assigned_to else ""
            lines.append(
                desk("queue_item", ticket=t.id, askers=t.askers, taken=Markup(who), claim=claim)
            )
        lines.append(desk("queue_tail"))
        return Reply("\n".join(lines))

    # -- buttons -------------------------------------------------------------------------------
    def _callback(self, incoming: Incoming) -> list[Reply]:
        parsed = parse_desk(incoming.callback_data or "")
        if parsed is None:
            return []
        action, number = parsed.action, parsed.ticket
        key = (incoming.chat_id, incoming.user_id)
        if action == DeskAction.CANCEL:
            self._drafts.pop(key, None)
            return [Reply(desk("nothing_sent"))]
        if number is None:
            return []
        if action == DeskAction.TAKE:
            summary = self.tickets.take(number, incoming.user_id)
            return [Reply(desk("taken_by", ticket=summary.id, checker=incoming.user_id))]
        if action == DeskAction.ANSWER:
            return self._start_answer(incoming, number)
        if action == DeskAction.REJECT:
            self._require(incoming, "reject tickets", number)
            self._drafts[key] = _Draft(number, Stage.REJECT_REASON)
            return [Reply(desk("reject_why_button", ticket=number))]
        if action == DeskAction.DUPLICATE:
            self._require(incoming, "mark tickets as duplicates", number)
            self._drafts[key] = _Draft(number, Stage.DUPLICATE_TARGET)
            return [Reply(desk("duplicate_which", ticket=number))]
        draft = self._drafts.get(key)
        if draft is None or draft.ticket_id != number:
            return [Reply(desk("draft_elsewhere", ticket=number))]
        draft.touched = time.monotonic()
        if action == DeskAction.VERDICT and parsed.value in VERDICTS:
            draft.verdict, draft.stage = parsed.value, Stage.WORDING
            return [self._ask_wording(draft)]
        if action == DeskAction.REGION and draft.stage == Stage.REGION:
            code = parsed.value or ""
            _, draft.region = validate_wording(None, code or None)
            draft.stage = Stage.EXPLANATION
            return [self._ask_explanation(draft)]
        if action == DeskAction.SEND and draft.stage == Stage.CONFIRM:
            del self._drafts[key]
            receipt = self.tickets.answer(
                number, incoming.user_id, verdict=draft.verdict or "",
                explanation=draft.explanation, sources=draft.sources,
                wording=draft.wording, region=draft.region,
            )
            return [Reply(desk("answered", ticket=number, notified=receipt.notifications))]
        return []

    # -- the guided answer ---------------------------------------------------------------------
    def _start_answer(self, incoming: Incoming, number: int) -> list[Reply]:
        self._require(incoming, "answer tickets", number)
        detail = self.tickets.show(number)
        if detail.ticket.status not in OPEN_STATUSES:
            return [Reply(desk("already_closed", ticket=number, status=detail.ticket.status))]
        self._drafts[(incoming.chat_id, incoming.user_id)] = _Draft(number, Stage.VERDICT)
        rows = (
            tuple(Button(v, data=button(DeskAction.VERDICT, number, v)) for v in VERDICTS[:3]),
            tuple(Button(v, data=button(DeskAction.VERDICT, number, v)) for v in VERDICTS[3:]),
            (Button(desk("button_cancel"), data=button(DeskAction.CANCEL)),),
        )
        claim = detail.ticket.claim_text or desk("no_text")
        return [Reply(desk("ask_verdict", ticket=number, claim=claim), rows)]

    def _ask_wording(self, draft: _Draft) -> Reply:
        detail = self.tickets.show(draft.ticket_id)
        earlier = detail.ticket.claim_wording
        keep = (desk("wording_keep", wording=earlier) if earlier else desk("wording_none"))
        return Reply(desk("ask_wording", keep=Markup(keep)))

    def _ask_region(self, draft: _Draft) -> Reply:
        rows = (
            tuple(
                Button(code, data=button(DeskAction.REGION, draft.ticket_id, code))
                for code in REGIONS
            )
            + (Button(desk("button_skip"), data=button(DeskAction.REGION, draft.ticket_id, "")),),
        )
        return Reply(desk("ask_region"), rows)

    def _ask_explanation(self, draft: _Draft) -> Reply:
        lang = EXPLANATION_ORDER[draft.language_index]
        return Reply(desk("ask_explanation", language=desk(f"language_{lang}")))

    def _text(self, incoming: Incoming) -> list[Reply]:
        key = (incoming.chat_id, incoming.user_id)
        draft = self._drafts.get(key)
        if draft is None:
            return []  # ordinary group chatter
        draft.touched = time.monotonic()
        text = incoming.text.strip()
        command = incoming.command
        if draft.stage == Stage.REJECT_REASON:
            del self._drafts[key]
            category = draft.category
            if text.lower().startswith("out-of-scope:"):
                category, text = "out-of-scope", text.split(":", 1)[1].strip()
            return [self._reject(incoming, draft.ticket_id, text, category)]
        if draft.stage == Stage.DUPLICATE_TARGET:
            target = _int(text.lstrip("#"))
            if target is None:
                return [Reply(desk("duplicate_number"))]
            del self._drafts[key]
            return [self._duplicate(incoming, draft.ticket_id, target)]
        if draft.stage == Stage.WORDING:
            if command != "skip" and text:
                draft.wording, _ = validate_wording(text)
            draft.stage = Stage.REGION
            return [self._ask_region(draft)]
        if draft.stage == Stage.REGION:
            if command != "skip" and text:
                _, draft.region = validate_wording(None, text)
            draft.stage = Stage.EXPLANATION
            return [self._ask_explanation(draft)]
        if draft.stage == Stage.EXPLANATION:
            if command != "skip" and text:
                lang = EXPLANATION_ORDER[draft.language_index]
                draft.explanation[lang] = text
            draft.language_index += 1
            if draft.language_index < len(EXPLANATION_ORDER):
                return [self._ask_explanation(draft)]
            if not draft.explanation:
                draft.language_index = 0
                return [Reply(desk("explanation_needed")), self._ask_explanation(draft)]
            draft.stage = Stage.SOURCES
            return [Reply(desk("ask_sources"))]
        if draft.stage == Stage.SOURCES:
            if command != "done":
                found = URL.findall(text)
                if not found:
                    return [Reply(desk("not_a_url"))]
                draft.sources += [u for u in found if u not in draft.sources]
                return [Reply(desk("sources_so_far", count=len(draft.sources)))]
            return [self._confirm(draft)]
        return []

    def _confirm(self, draft: _Draft) -> Reply:
        verdict, explanation, sources = validate_answer(
            draft.verdict or "", draft.explanation, draft.sources
        )
        draft.stage = Stage.CONFIRM
        detail = self.tickets.show(draft.ticket_id)
        # What a voter who did not send the claim gets: the checker's wording, or no claim.
        preview = render_answer(
            claim=draft.wording or detail.ticket.claim_wording, verdict=verdict,
            explanation=explanation, sources=sources, language=next(iter(explanation)),
        )
        waiting = sum(detail.languages.values())
        return Reply(
            desk("preview", language=preview.language, message=Markup(preview.text)),
            ((Button(desk("button_send", waiting=waiting),
                     data=button(DeskAction.SEND, draft.ticket_id)),
              Button(desk("button_cancel"), data=button(DeskAction.CANCEL))),),
        )

    # -- reject / duplicate --------------------------------------------------------------------
    def _reject(self, incoming: Incoming, number: int, reason: str, category: str) -> Reply:
        receipt = self.tickets.reject(number, incoming.user_id, reason=reason, category=category)
        return Reply(desk("rejected", ticket=number, category=category,
                          notified=receipt.notifications))

    def _duplicate(self, incoming: Incoming, number: int, target: int) -> Reply:
        receipt = self.tickets.mark_duplicate(number, target, incoming.user_id)
        extra = (desk("merged_answered", notified=receipt.notifications)
                 if receipt.notifications else "")
        return Reply(desk("merged", ticket=number, target=receipt.ticket_id, extra=Markup(extra)))


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
