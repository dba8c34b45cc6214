"""Escalation to human fact-checkers: from the voter's question to the checker's answer and back
to every voter who asked it, in their own language, across restarts.

- `tickets.py`: `TicketService`, the ticket workflow: the voter side and the checker side below.
- `voter_tickets.py`: voters join tickets (`escalate_or_join`), or, when the matcher is unsure,
  are asked whether their question is an open ticket's claim and answer with `choose_ticket`
  (their own ticket is held out of the queue meanwhile, and merged on a "yes").
- `checker_tickets.py`: checkers list, show, take, word, answer, reject and merge tickets; an
  answer enqueues its notifications in its transaction.
- `ticket_common.py`: what both sides share (receipts, views, outbox rows, validation).
- `ticket_index.py`: `OpenTicketIndex`, the matcher over open tickets (reworded claims join;
  plausible ones are offered to the voter to confirm).
- `checker_registry.py`: `CheckerRegistry`, CHECKER_IDS plus the `checkers` table;
  `NotAuthorised` else.
- `outbox.py`: `OutboxDispatcher`, durable rate-limited delivery (leases, retries, blocked voters).
- `ratelimit.py`: Telegram's limits (30 messages in any second, one per second per chat).
- `notification_text.py`: the notification a voter receives, in th / ms / en (words in
  bot/texts, `notify_*`).
- `answered.py`: answered tickets as knowledge entries, and as files (`kb export-answers`).
- `checkers_desk.py`: the checkers' desk (their Telegram group), channel-neutral (Incoming in,
  Reply out; words in bot/texts/desk.py).
- `wiring.py`: what the composition root (bot/services.py) plugs in.
- `audit.py`, `errors.py`: the audit trail; the errors a checker is shown.
"""
