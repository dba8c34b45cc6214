"""Tickets: everything done with them, by voters and by fact-checkers, as one service.

`TicketService` is the voter side (bot.escalation.voter_tickets: escalate, join, choose among
offered tickets) and the checker side (bot.escalation.checker_tickets: the queue, take, word,
answer, reject, merge) over the shared state and helpers of bot.escalation.ticket_common. Storage
(bot.storage) keeps the rows and queries; the workflow is here.
"""

from __future__ import annotations

from bot.escalation.checker_tickets import CheckerTickets
from bot.escalation.ticket_common import (
    HOLD_SECONDS,
    MILESTONES,
    REJECT_CATEGORIES,
    ActionReceipt,
    AnswerView,
    HistoryItem,
    TicketDetail,
    TicketSummary,
    enqueue,
    languages_asked,
    validate_answer,
    validate_wording,
)
from bot.escalation.voter_tickets import VoterTickets


class TicketService(VoterTickets, CheckerTickets):
    """Everything done with tickets: voters joining them, checkers working them.

    `listeners` are called (ticket_id, event) after the change is committed, where event is
    "opened" (a new ticket), "held" (a new ticket kept out of the queue while its voter says
    whether it is an open ticket's claim; the queue shows it once the hold ends), "milestone" (an
    open ticket reached 10, 100, 1000... askers), "answered", "rejected" or "duplicate". The
    composition root uses them to wake the outbox dispatcher, to serve a new answer as knowledge,
    and to post cards in the checkers' group.
    They may be called from a worker thread (the conversation runs escalations in threads).
    """


__all__ = [
    "HOLD_SECONDS", "MILESTONES", "REJECT_CATEGORIES", "ActionReceipt", "AnswerView",
    "HistoryItem", "TicketDetail", "TicketService", "TicketSummary", "enqueue",
    "languages_asked", "validate_answer", "validate_wording",
]
