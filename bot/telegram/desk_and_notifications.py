"""The escalation side of Telegram: the fact-checkers' group and notifications to voters.

Three jobs, all thin, because the logic lives in bot/escalation:

* Updates from the checkers' group (settings.checkers_chat_id) go to `CheckersDesk.handle`
  (synchronous, it uses the database, so it runs in a thread) and its replies go back to that
  group. They never reach the voters' conversation.
* `TicketAnnouncer` posts a ticket card to that group when a ticket opens or passes a milestone
  of askers (`announce_tickets`, a JobQueue job).
* `make_sender` gives the outbox dispatcher its `send(chat_id, text, buttons)`: it sends exactly
  like a reply and lets python-telegram-bot's RetryAfter / Forbidden / BadRequest propagate, which
  `bot.escalation.outbox.classify` turns into "wait", "blocked" and "failed" (the dispatcher, not
  this layer, decides about retries, so a notification is never lost or sent twice here).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from telegram import Bot, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import ContextTypes

from bot.core.messages import Button, Incoming, Reply
from bot.telegram.replies import drop_keyboard, keyboard, send_replies
from bot.telegram.updates import BotIdentity, from_update
from bot.texts.desk import desk as desk_text

log = logging.getLogger(__name__)

#: Key of the desk in `application.bot_data` (absent: no checkers' group configured).
DESK_KEY = "checkers_desk"
#: How often the checkers' group is told about new tickets, and how many open tickets are read.
ANNOUNCE_SECONDS = 3.0
ANNOUNCE_SCAN_LIMIT = 1000


class Desk(Protocol):
    """What this layer needs of bot.escalation.checkers_desk.CheckersDesk."""

    def handle(self, incoming: Incoming) -> list[Reply]: ...


Sender = Callable[[int, str, Sequence[Sequence[Button]]], Awaitable[None]]


def make_sender(bot: Bot) -> Sender:
    """The outbox dispatcher's `send`: one HTML message with its buttons, errors propagated."""

    async def send(chat_id: int, text: str, buttons: Sequence[Sequence[Button]]) -> None:
        reply = Reply(text, tuple(tuple(row) for row in buttons))
        await bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    return send


async def on_checkers_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message, command or button press in the checkers' group: the desk answers it."""
    desk: Desk | None = context.bot_data.get(DESK_KEY)
    if desk is None:
        return
    me = BotIdentity(id=context.bot.id, username=context.bot.username or "")
    incoming = from_update(update, me)
    if incoming is None:
        return
    # Checkers talk to the desk without mentioning the bot (the guided answer asks for plain
    # text), so everything in their group is addressed to it.
    query = update.callback_query
    if query is not None:
        try:
            await query.answer()
        except (BadRequest, Forbidden, NetworkError) as exc:
            log.debug("could not answer a checkers' callback query: %s", exc)
    try:
        replies = await asyncio.to_thread(desk.handle, incoming)
    except Exception:
        log.exception("the checkers' desk failed on an update in chat %s", incoming.chat_id)
        replies = [Reply(desk_text("failed"))]
    if query is not None and query.message is not None and query.message.is_accessible:
        await drop_keyboard(query.message)  # type: ignore[arg-type]
    await send_replies(context.bot, incoming.chat_id, replies)


class TicketAnnouncer:
    """Posts a ticket card to the checkers' group for each new ticket, and again when a ticket's
    askers reach a milestone (a rumour spreading deserves attention).

    It compares the open tickets with what it saw last time, so it also announces tickets opened
    by other processes (the spool replay, a second bot instance). Tickets already open when the
    bot starts are not announced again: /queue lists them.
    """

    def __init__(self, tickets: Any, desk: Any, lock: Any = None) -> None:
        self.tickets = tickets
        self.desk = desk
        #: bot.storage.database.ProcessLock: with two `all` processes on one database, only
        #: the one holding it posts, so each card reaches the group once (None: always post).
        self.lock = lock
        self._seen: dict[int, int] | None = None

    def poll(self) -> list[Reply]:
        """The cards to post now (synchronous: it reads the database; run it in a thread)."""
        from bot.escalation.checkers_desk import MILESTONES

        if self.lock is not None and not self.lock.held():
            self._seen = None  # if this process takes over, it starts from what is open then
            return []

        open_tickets = self.tickets.list_open(limit=ANNOUNCE_SCAN_LIMIT)
        current = {t.id: t.askers for t in open_tickets}
        seen, self._seen = self._seen, current
        if seen is None:
            return []
        cards: list[Reply] = []
        for ticket in sorted(open_tickets, key=lambda t: t.id):
            before = seen.get(ticket.id)
            if before is None:
                cards.append(self.desk.ticket_card(ticket.id))
            elif any(before < milestone <= ticket.askers for milestone in MILESTONES):
                headline = desk_text("card_asked_now", ticket=ticket.id, askers=ticket.askers)
                cards.append(self.desk.ticket_card(ticket.id, headline=headline))
        return cards


async def announce_tickets(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue callback: post the cards the announcer finds (the job's data is the announcer)."""
    job = context.job
    if job is None or job.chat_id is None:
        return
    announcer: TicketAnnouncer = job.data  # type: ignore[assignment]
    try:
        cards = await asyncio.to_thread(announcer.poll)
    except Exception as exc:  # noqa: BLE001 - the database may be down; try again next time
        log.warning("could not check for new tickets to announce: %s", exc)
        return
    if cards:
        await send_replies(context.bot, job.chat_id, cards)


def desk_for(services: Any, checkers_chat_id: int | None) -> Desk | None:
    """The fact-checkers' desk for the configured group, or None (no group, no escalation).

    Built here, over the services' TicketService, because the desk is the Telegram group's
    (bot/escalation/checkers_desk.py: "the Telegram layer routes every update from the checkers'
    chat to CheckersDesk.handle").
    """
    escalation = getattr(services, "escalation", None)
    if checkers_chat_id is None or escalation is None:
        return None
    from bot.escalation.checkers_desk import CheckersDesk

    served = getattr(services, "knowledge", None)

    def knowledge() -> Any:
        """The knowledge the bot serves now (what /link resolves entry ids in)."""
        try:
            return served.snapshot()[0] if served is not None else None
        except RuntimeError:  # nothing loaded yet
            return None

    return CheckersDesk(escalation.tickets, chat_id=checkers_chat_id, knowledge=knowledge)
