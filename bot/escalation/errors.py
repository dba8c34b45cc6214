"""What can go wrong when a checker acts on a ticket, as exceptions a channel can show as they are.

Every message is written for the checker who caused it (the CLI prints it, the checkers' group
replies with it), so it says what was wrong and what to do instead.
"""

from __future__ import annotations


class EscalationError(Exception):
    """Base class: a checker's action that was refused, with a message for that checker."""


class NotAuthorised(EscalationError):
    def __init__(self, user_id: int, action: str) -> None:
        super().__init__(
            f"user {user_id} is not a fact-checker, so cannot {action}; an operator can add them "
            f"with `factcheck checkers add {user_id}`"
        )
        self.user_id = user_id
        self.action = action


class TicketNotFound(EscalationError):
    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"there is no ticket #{ticket_id}")
        self.ticket_id = ticket_id


class TicketClosed(EscalationError):
    """The ticket was already answered, rejected or merged (e.g. two checkers at once)."""

    def __init__(self, ticket_id: int, status: str) -> None:
        super().__init__(f"ticket #{ticket_id} is already {status}; nothing was changed")
        self.ticket_id = ticket_id
        self.status = status


class InvalidAction(EscalationError):
    """The action is malformed: an unknown verdict, no explanation, a source that is no URL..."""
