"""The fact-checkers' Telegram group, channel-neutral: Incoming in, Reply objects out.

The Telegram layer routes every update from the checkers' chat (settings.checkers_chat_id) to
`CheckersDesk.handle` and sends the replies back to that chat; it also posts `ticket_card` when a
ticket opens or passes a milestone of askers (`announce_for`). Everything a checker can do here
goes through TicketService, so the authorisation, the audit trail and the single transaction
that answers and enqueues the notifications are the same as at the command line.

Built like the voters' conversation (bot.core.handlers.router): tables say what handles what.
COMMANDS (/queue, /cancel, and /skip, /done within a draft) and TICKET_COMMANDS (/show N,
/take N, /word N TEXT, /answer N (guided), /fact N (guided, a question of fact answered without
a verdict), /link N ENTRY_ID|#M (answered with a knowledge entry or an answered ticket),
/reject N [out-of-scope] REASON, /dup N M) map a
command to its handler; TICKET_BUTTONS (a card's Take, Answer, Not a claim, Duplicate, and
Link for each entry the ticket's askers were offered and rejected) and
DRAFT_BUTTONS (a step of the guided answer) map a button's DeskAction to its handler, the data
parsed only by bot.core.callbacks.parse_desk; STAGES maps where a draft is (`Stage`) to what a
typed reply does there.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.callbacks import DeskAction, entry_hash, parse_desk
from bot.core.callbacks import desk as button
from bot.core.messages import Button, Incoming, Reply
from bot.core.ports import EscalationReceipt, EscalationVia
from bot.escalation.errors import EscalationError, NotAuthorised
from bot.escalation.notification_text import render_answer
from bot.escalation.rejected_view import RejectedEntry, reasons_text, rejected_for_ticket
from bot.escalation.tickets import (
    MILESTONES,
    REJECT_CATEGORIES,
    TicketDetail,
    TicketService,
    TicketSummary,
    validate_answer,
    validate_wording,
)
from bot.storage.repository import OPEN_STATUSES
from bot.texts import Markup
from bot.texts.desk import desk
from knowledge.loader import KnowledgeBase
from knowledge.model import VERDICTS, Entry

log = logging.getLogger(__name__)

STATE_TTL = 30 * 60
#: The languages a guided answer asks an explanation in, in this order.
EXPLANATION_ORDER = ("en", "th", "ms")
#: Country codes offered as buttons when answering (any two-letter code may be typed).
REGIONS = ("TH", "MY")
URL = re.compile(r"https?://\S+")
#: Rejected entries listed (and offered as links) on a ticket card.
MAX_REJECTED_SHOWN = 5


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
    fact: bool = False  # a question of fact: answered without a verdict
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
    def __init__(
        self, tickets: TicketService, *, chat_id: int | None = None,
        knowledge: Callable[[], KnowledgeBase | None] | None = None,
    ) -> None:
        self.tickets = tickets
        self.chat_id = chat_id
        #: The knowledge the bot serves now: what /link resolves entry ids in, and what names
        #: the entries a ticket's askers rejected (None: ids only, and /link N #M alone).
        self.knowledge = knowledge
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
        rejected = self._rejected(detail.ticket.id)
        text += self._rejected_text(rejected)
        buttons = self._card_buttons(detail.ticket)
        if buttons:
            buttons += self._link_buttons(detail.ticket.id, rejected)
        return Reply(text, buttons, photo=photo)

    # -- what the knowledge already offered the askers -----------------------------------------
    def _rejected(self, ticket_id: int) -> list[RejectedEntry]:
        try:
            return rejected_for_ticket(self.tickets.repo, ticket_id)
        except Exception:  # noqa: BLE001 - the card matters more than this list
            log.exception("could not read the entries rejected for ticket %s", ticket_id)
            return []

    def _entry(self, entry_id: str) -> Entry | None:
        knowledge = self.knowledge() if self.knowledge is not None else None
        return knowledge.get(entry_id) if knowledge is not None else None

    def _rejected_text(self, rejected: list[RejectedEntry]) -> str:
        if not rejected:
            return ""
        lines = [desk("card_rejected_head")]
        for item in rejected[:MAX_REJECTED_SHOWN]:
            entry = self._entry(item.entry_id)
            said = entry.text_in("en") if entry is not None else desk("rejected_gone")
            lines.append(desk(
                "card_rejected_item", entry=item.entry_id, text=said,
                reasons=reasons_text(item, lambda r: desk(f"reason_{r}")),
            ))
        return "\n" + "\n".join(lines)

    def _link_buttons(
        self, ticket_id: int, rejected: list[RejectedEntry]
    ) -> tuple[tuple[Button, ...], ...]:
        """One "link" button per rejected entry still served (a checker may judge the voter
        was wrong: answering with it costs one tap)."""
        rows = []
        for item in rejected[:MAX_REJECTED_SHOWN]:
            if self.knowledge is not None and self._entry(item.entry_id) is None:
                continue
            data = button(DeskAction.LINK, ticket_id, entry_hash(item.entry_id))
            rows.append((Button(desk("button_link", entry=item.entry_id[:40]), data=data),))
        return tuple(rows)

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
            lines.append(
                desk("card_verdict", verdict=detail.answer.verdict) if detail.answer.verdict
                else desk("card_fact_answer")
            )
            if detail.answer.entry_id:
                lines.append(desk("card_linked", entry=detail.answer.entry_id))
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

    @staticmethod
    def _key(incoming: Incoming) -> tuple[int, int]:
        """Drafts are per checker and per chat."""
        return (incoming.chat_id, incoming.user_id)

    # -- commands (COMMANDS, TICKET_COMMANDS) --------------------------------------------------
    def _command(self, incoming: Incoming) -> list[Reply]:
        name, args = incoming.command or "", list(incoming.args)
        plain = COMMANDS.get(name)
        if plain is not None:
            return plain(self, incoming)
        on_ticket = TICKET_COMMANDS.get(name)
        if on_ticket is None:
            return []
        number = _int(args[0]) if args else None
        if number is None:
            return [Reply(desk("usage", command=name) + "".join(
                desk(key) for key in USAGE_ARGS.get(name, ())
            ))]
        return on_ticket(self, incoming, number, args[1:])

    def _on_queue(self, incoming: Incoming) -> list[Reply]:
        self._require(incoming, "see the queue")
        return [self._queue()]

    def _on_cancel(self, incoming: Incoming) -> list[Reply]:
        had = self._drafts.pop(self._key(incoming), None)
        return [Reply(desk("cancelled") if had else desk("nothing_to_cancel"))]

    def _on_show(self, incoming: Incoming, number: int, rest: list[str]) -> list[Reply]:
        self._require(incoming, "see tickets", number)
        return [self.ticket_card(number)]

    def _on_take(self, incoming: Incoming, number: int, rest: list[str]) -> list[Reply]:
        summary = self.tickets.take(number, incoming.user_id)
        return [Reply(desk("taken", ticket=summary.id))]

    def _on_answer(self, incoming: Incoming, number: int, rest: list[str]) -> list[Reply]:
        return self._start_answer(incoming, number)

    def _on_word(self, incoming: Incoming, number: int, rest: list[str]) -> list[Reply]:
        region = rest[0] if len(rest) > 1 and rest[0].upper() in REGIONS else None
        words = " ".join(rest[1:] if region else rest)
        summary = self.tickets.set_wording(number, incoming.user_id, wording=words, region=region)
        return [Reply(desk("worded", ticket=summary.id, wording=summary.claim_wording or ""))]

    def _on_reject(self, incoming: Incoming, number: int, rest: list[str]) -> list[Reply]:
        category = "not-a-claim"
        if rest and rest[0] in REJECT_CATEGORIES:
            category, rest = rest[0], rest[1:]
        if not rest:
            self._require(incoming, "reject tickets", number)
            self._drafts[self._key(incoming)] = _Draft(
                number, Stage.REJECT_REASON, category=category
            )
            return [Reply(desk("reject_why", ticket=number))]
        return [self._reject(incoming, number, " ".join(rest), category)]

    def _on_fact(self, incoming: Incoming, number: int, rest: list[str]) -> list[Reply]:
        """The guided answer for a question of fact: no verdict, straight to the wording."""
        self._require(incoming, "answer tickets", number)
        detail = self.tickets.show(number)
        if detail.ticket.status not in OPEN_STATUSES:
            return [Reply(desk("already_closed", ticket=number, status=detail.ticket.status))]
        draft = _Draft(number, Stage.WORDING, fact=True)
        self._drafts[self._key(incoming)] = draft
        claim = detail.ticket.claim_text or desk("no_text")
        return [Reply(desk("fact_start", ticket=number, claim=claim)), self._ask_wording(draft)]

    def _on_link(self, incoming: Incoming, number: int, rest: list[str]) -> list[Reply]:
        """/link N ENTRY_ID or /link N #M: answer with a knowledge entry or an answered ticket."""
        target = rest[0].strip() if rest else ""
        if not target:
            return [Reply(desk("usage", command="link") + desk("usage_link_args"))]
        answered = _int(target.lstrip("#")) if target.startswith("#") else None
        if answered is not None:
            receipt = self.tickets.link_ticket(number, answered, incoming.user_id)
            return [Reply(desk("linked_ticket", ticket=number, target=receipt.ticket_id,
                               notified=receipt.notifications))]
        entry = self._entry(target)
        if entry is None:
            return [Reply(desk("link_unknown", entry=target))]
        return [self._link(incoming, number, entry)]

    def _link(self, incoming: Incoming, number: int, entry: Entry) -> Reply:
        receipt = self.tickets.link_entry(number, incoming.user_id, entry)
        return Reply(desk("linked_entry", ticket=number, entry=entry.id,
                          notified=receipt.notifications))

    def _on_dup(self, incoming: Incoming, number: int, rest: list[str]) -> list[Reply]:
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

    # -- buttons (TICKET_BUTTONS, DRAFT_BUTTONS) -----------------------------------------------
    def _callback(self, incoming: Incoming) -> list[Reply]:
        parsed = parse_desk(incoming.callback_data or "")
        if parsed is None:
            return []
        if parsed.action == DeskAction.CANCEL:
            self._drafts.pop(self._key(incoming), None)
            return [Reply(desk("nothing_sent"))]
        number = parsed.ticket
        if number is None:
            return []
        on_ticket = TICKET_BUTTONS.get(parsed.action)
        if on_ticket is not None:
            return on_ticket(self, incoming, number, parsed.value)
        on_draft = DRAFT_BUTTONS.get(parsed.action)
        if on_draft is None:
            return []
        draft = self._drafts.get(self._key(incoming))
        if draft is None or draft.ticket_id != number:
            return [Reply(desk("draft_elsewhere", ticket=number))]
        draft.touched = time.monotonic()
        return on_draft(self, incoming, draft, parsed.value)

    def _press_take(self, incoming: Incoming, number: int, value: str | None) -> list[Reply]:
        summary = self.tickets.take(number, incoming.user_id)
        return [Reply(desk("taken_by", ticket=summary.id, checker=incoming.user_id))]

    def _press_answer(self, incoming: Incoming, number: int, value: str | None) -> list[Reply]:
        return self._start_answer(incoming, number)

    def _press_reject(self, incoming: Incoming, number: int, value: str | None) -> list[Reply]:
        self._require(incoming, "reject tickets", number)
        self._drafts[self._key(incoming)] = _Draft(number, Stage.REJECT_REASON)
        return [Reply(desk("reject_why_button", ticket=number))]

    def _press_duplicate(self, incoming: Incoming, number: int, value: str | None) -> list[Reply]:
        self._require(incoming, "mark tickets as duplicates", number)
        self._drafts[self._key(incoming)] = _Draft(number, Stage.DUPLICATE_TARGET)
        return [Reply(desk("duplicate_which", ticket=number))]

    def _press_link(self, incoming: Incoming, number: int, value: str | None) -> list[Reply]:
        """A card's link button: the entry is one of those the ticket's askers rejected (the
        button carries its hash, resolved against that list, so no id needs to fit in it)."""
        self._require(incoming, "answer tickets", number)
        found = next(
            (r.entry_id for r in self._rejected(number) if entry_hash(r.entry_id) == value), None
        )
        entry = self._entry(found) if found is not None else None
        if entry is None:
            return [Reply(desk("link_unknown", entry=found or "?"))]
        return [self._link(incoming, number, entry)]

    def _press_verdict(self, incoming: Incoming, draft: _Draft, value: str | None) -> list[Reply]:
        if value not in VERDICTS:
            return []
        draft.verdict, draft.stage = value, Stage.WORDING
        return [self._ask_wording(draft)]

    def _press_region(self, incoming: Incoming, draft: _Draft, value: str | None) -> list[Reply]:
        if draft.stage != Stage.REGION:
            return []
        _, draft.region = validate_wording(None, value or None)
        draft.stage = Stage.EXPLANATION
        return [self._ask_explanation(draft)]

    def _press_send(self, incoming: Incoming, draft: _Draft, value: str | None) -> list[Reply]:
        if draft.stage != Stage.CONFIRM:
            return []
        del self._drafts[self._key(incoming)]
        receipt = self.tickets.answer(
            draft.ticket_id, incoming.user_id, verdict=None if draft.fact else draft.verdict or "",
            explanation=draft.explanation, sources=draft.sources,
            wording=draft.wording, region=draft.region, fact=draft.fact,
        )
        return [Reply(desk("answered", ticket=draft.ticket_id, notified=receipt.notifications))]

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

    # -- replies in a draft (STAGES) -----------------------------------------------------------
    def _text(self, incoming: Incoming) -> list[Reply]:
        draft = self._drafts.get(self._key(incoming))
        if draft is None:
            return []  # ordinary group chatter
        draft.touched = time.monotonic()
        on_stage = STAGES.get(draft.stage)
        if on_stage is None:
            return []  # waiting for a button
        return on_stage(self, incoming, draft, incoming.text.strip())

    def _reply_reject_reason(self, incoming: Incoming, draft: _Draft, text: str) -> list[Reply]:
        del self._drafts[self._key(incoming)]
        category = draft.category
        if text.lower().startswith("out-of-scope:"):
            category, text = "out-of-scope", text.split(":", 1)[1].strip()
        return [self._reject(incoming, draft.ticket_id, text, category)]

    def _reply_duplicate_target(
        self, incoming: Incoming, draft: _Draft, text: str
    ) -> list[Reply]:
        target = _int(text.lstrip("#"))
        if target is None:
            return [Reply(desk("duplicate_number"))]
        del self._drafts[self._key(incoming)]
        return [self._duplicate(incoming, draft.ticket_id, target)]

    def _reply_wording(self, incoming: Incoming, draft: _Draft, text: str) -> list[Reply]:
        if incoming.command != "skip" and text:
            draft.wording, _ = validate_wording(text)
        draft.stage = Stage.REGION
        return [self._ask_region(draft)]

    def _reply_region(self, incoming: Incoming, draft: _Draft, text: str) -> list[Reply]:
        if incoming.command != "skip" and text:
            _, draft.region = validate_wording(None, text)
        draft.stage = Stage.EXPLANATION
        return [self._ask_explanation(draft)]

    def _reply_explanation(self, incoming: Incoming, draft: _Draft, text: str) -> list[Reply]:
        if incoming.command != "skip" and text:
            draft.explanation[EXPLANATION_ORDER[draft.language_index]] = text
        draft.language_index += 1
        if draft.language_index < len(EXPLANATION_ORDER):
            return [self._ask_explanation(draft)]
        if not draft.explanation:
            draft.language_index = 0
            return [Reply(desk("explanation_needed")), self._ask_explanation(draft)]
        draft.stage = Stage.SOURCES
        return [Reply(desk("ask_sources"))]

    def _reply_sources(self, incoming: Incoming, draft: _Draft, text: str) -> list[Reply]:
        if incoming.command == "done":
            return [self._confirm(draft)]
        found = URL.findall(text)
        if not found:
            return [Reply(desk("not_a_url"))]
        draft.sources += [u for u in found if u not in draft.sources]
        return [Reply(desk("sources_so_far", count=len(draft.sources)))]

    def _confirm(self, draft: _Draft) -> Reply:
        verdict, explanation, sources = validate_answer(
            None if draft.fact else draft.verdict or "", draft.explanation, draft.sources,
            fact=draft.fact,
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


TicketCommand = Callable[[CheckersDesk, Incoming, int, list[str]], list[Reply]]
TicketButton = Callable[[CheckersDesk, Incoming, int, str | None], list[Reply]]
DraftButton = Callable[[CheckersDesk, Incoming, _Draft, str | None], list[Reply]]
StageReply = Callable[[CheckersDesk, Incoming, _Draft, str], list[Reply]]

#: Commands that name no ticket. /skip and /done are replies within a draft.
COMMANDS: dict[str, Callable[[CheckersDesk, Incoming], list[Reply]]] = {
    "queue": CheckersDesk._on_queue,
    "cancel": CheckersDesk._on_cancel,
    "skip": CheckersDesk._text,
    "done": CheckersDesk._text,
}
#: Commands on ticket N (`/name N ...`): the handler gets N and the words after it.
TICKET_COMMANDS: dict[str, TicketCommand] = {
    "show": CheckersDesk._on_show,
    "take": CheckersDesk._on_take,
    "answer": CheckersDesk._on_answer,
    "word": CheckersDesk._on_word,
    "reject": CheckersDesk._on_reject,
    "dup": CheckersDesk._on_dup,
    "fact": CheckersDesk._on_fact,
    "link": CheckersDesk._on_link,
}
#: What a command's usage line adds after "/name N" (desk text keys).
USAGE_ARGS: dict[str, tuple[str, ...]] = {
    "dup": ("usage_dup_args",),
    "reject": ("usage_reject_args",),
    "word": ("usage_word_args",),
    "link": ("usage_link_args",),
}
#: A ticket card's buttons: they act on the ticket, with no draft needed.
TICKET_BUTTONS: dict[str, TicketButton] = {
    DeskAction.TAKE: CheckersDesk._press_take,
    DeskAction.ANSWER: CheckersDesk._press_answer,
    DeskAction.REJECT: CheckersDesk._press_reject,
    DeskAction.DUPLICATE: CheckersDesk._press_duplicate,
    DeskAction.LINK: CheckersDesk._press_link,
}
#: The guided answer's buttons: they act on the pressing checker's draft for that ticket.
DRAFT_BUTTONS: dict[str, DraftButton] = {
    DeskAction.VERDICT: CheckersDesk._press_verdict,
    DeskAction.REGION: CheckersDesk._press_region,
    DeskAction.SEND: CheckersDesk._press_send,
}
#: What a checker's typed reply does at each stage of a draft (a stage not here waits for a
#: button: VERDICT, CONFIRM).
STAGES: dict[Stage, StageReply] = {
    Stage.REJECT_REASON: CheckersDesk._reply_reject_reason,
    Stage.DUPLICATE_TARGET: CheckersDesk._reply_duplicate_target,
    Stage.WORDING: CheckersDesk._reply_wording,
    Stage.REGION: CheckersDesk._reply_region,
    Stage.EXPLANATION: CheckersDesk._reply_explanation,
    Stage.SOURCES: CheckersDesk._reply_sources,
}
