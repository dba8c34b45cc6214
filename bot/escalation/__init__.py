"""Escalation to human fact-checkers: from the voter's question to the checker's answer and back
to every voter who asked it, in their own language, across restarts.

- `tickets.py`: `TicketService`. Voters join tickets (`escalate_or_join`), or, when the matcher
  is unsure, are asked whether their question is an open ticket's claim and answer with
  `choose_ticket` (their own ticket is held out of the queue meanwhile, and merged on a "yes");
  checkers list, show, take, answer, reject and merge them; an answer enqueues its notifications
  in its transaction.
- `ticket_index.py`: `OpenTicketIndex`, the matcher over open tickets (reworded claims join;
  plausible ones are offered to the voter to confirm).
- `checkers.py`: `CheckerRegistry`, CHECKER_IDS plus the `checkers` table; `NotAuthorised` else.
- `outbox.py`: `OutboxDispatcher`, durable rate-limited delivery (leases, retries, blocked voters).
- `ratelimit.py`: Telegram's limits (30 messages in any second, one per second per chat).
- `render.py`, `texts.py`: the notification a voter receives, in th / ms / en.
- `answered.py`: answered tickets as knowledge entries, and as files (`kb export-answers`).
- `checkers_group.py`: the checkers' Telegram group, channel-neutral (Incoming in, Reply out).
- `wiring.py`: what the composition root (bot/services.py) plugs in.
- `audit.py`, `errors.py`: the audit trail; the errors a checker is shown.
"""
