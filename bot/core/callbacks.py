"""Button callback data: short, self-describing, and within Telegram's 64-byte limit.

Entry ids can be long ("th-2023-advance-voting-date-and-registration-deadline"), so buttons carry
an 8-character hash of the id, resolved against the knowledge being served. Hashes (rather than a
server-side table) keep a card's buttons working after a restart. What cannot be hashed (the
voter's original question, for "none of these" and "not what I asked") is named by a token: its
database id ("q..."), read back after a restart, or a process-local one when it could not be
stored (bot/core/state.py); an unknown token answers "please ask again". The answer to
"is your question one of the claims being checked?" carries ticket numbers instead: the voter's
question is already stored as its own ticket, so that choice needs no memory at all and still
works after a restart.

Formats (ASCII, ":"-separated):
    l:<lang>              choose a reply language
    p:<token>:<hash>      pick a candidate from a "did you mean" list
    x:<token>             none of these → ask whether to send it to fact-checkers
    e:<token>:y / e:<token>:n   yes, send my question to fact-checkers / no, don't
    r:<token>:<hash>:<why>     why the answer was not what the voter asked (FeedbackReason code)
    h:<token>:<hash>      feedback: helpful
    w:<token>:<hash>      feedback: not what I asked
    f:y / f:n             /forget confirmed / cancelled
    j:<own>:<ticket>      yes, my question (ticket <own>) is the claim of open ticket <ticket>
    k:<own>               no, something else: my question (ticket <own>) is checked on its own

The checkers' desk (bot.escalation.checkers_desk) has its own buttons, all under "ck:", named
here too (`DeskAction`) so that every callback code the bot writes is in this one module:
    ck:take:<n> / ck:ans:<n> / ck:rej:<n> / ck:dup:<n>   a ticket card's buttons
    ck:v:<n>:<verdict> / ck:r:<n>:<region>               a step of the guided answer
    ck:ok:<n> / ck:no                                    send the answer / cancel
    ck:ln:<n>:<hash>     answer ticket n with the entry (of those its askers were offered)
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from enum import StrEnum

from knowledge.loader import KnowledgeBase
from knowledge.model import Entry

HASH_CHARS = 8


def entry_hash(entry_id: str) -> str:
    digest = hashlib.blake2s(entry_id.encode("utf-8"), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:HASH_CHARS]


class EntryIndex:
    """hash → entry for one KnowledgeBase, rebuilt only when the knowledge object changes."""

    def __init__(self) -> None:
        self._kb: KnowledgeBase | None = None
        self._by_hash: dict[str, Entry] = {}

    def resolve(self, kb: KnowledgeBase, digest: str) -> Entry | None:
        if self._kb is not kb:
            self._by_hash = {entry_hash(e.id): e for e in kb.published()}
            self._kb = kb
        return self._by_hash.get(digest)


class Action(StrEnum):
    """The voters' buttons (the one-letter codes of the formats above)."""

    LANGUAGE = "l"
    PICK = "p"
    NONE_OF_THESE = "x"
    CONSENT = "e"
    REASON = "r"
    HELPFUL = "h"
    NOT_WHAT_I_ASKED = "w"
    FORGET = "f"
    SAME_TICKET = "j"
    OTHER_TICKET = "k"


class DeskAction(StrEnum):
    """The checkers' desk's buttons (after DESK_PREFIX)."""

    TAKE = "take"
    ANSWER = "ans"
    REJECT = "rej"
    DUPLICATE = "dup"
    VERDICT = "v"
    REGION = "r"
    SEND = "ok"
    CANCEL = "no"
    LINK = "ln"


DESK_PREFIX = "ck"


class FeedbackReason(StrEnum):
    """Why a voter said an answer was not what they asked (stored in feedback.reason)."""

    NONE_OF_THESE = "none_of_these"  # offered in a list and rejected with "none of these"
    OTHER_CLAIM = "other_claim"  # the card is about a different claim or question
    WRONG_COUNTRY = "wrong_country"  # right topic, the other country's election
    OUTDATED = "outdated"  # an earlier election, or since changed
    OTHER = "other"


#: The one-letter codes the "why?" buttons carry (the reasons a voter can choose).
REASON_CODES: dict[str, FeedbackReason] = {
    "c": FeedbackReason.OTHER_CLAIM,
    "r": FeedbackReason.WRONG_COUNTRY,
    "d": FeedbackReason.OUTDATED,
    "o": FeedbackReason.OTHER,
}


@dataclass(frozen=True)
class Callback:
    action: str
    token: str | None = None
    value: str | None = None
    reason: FeedbackReason | None = None


def parse(data: str) -> Callback | None:
    """The parsed callback, or None for data this version of the bot did not produce."""
    parts = data.split(":")
    try:
        action = Action(parts[0])
    except ValueError:
        return None
    if action in (Action.LANGUAGE, Action.FORGET) and len(parts) == 2:
        return Callback(action, value=parts[1])
    if action == Action.NONE_OF_THESE and len(parts) == 2:
        return Callback(action, token=parts[1])
    if action == Action.CONSENT and len(parts) == 3 and parts[2] in ("y", "n"):
        return Callback(action, token=parts[1], value=parts[2])
    if action == Action.REASON and len(parts) == 4 and parts[3] in REASON_CODES:
        return Callback(action, token=parts[1], value=parts[2], reason=REASON_CODES[parts[3]])
    if action in (Action.PICK, Action.HELPFUL, Action.NOT_WHAT_I_ASKED) and len(parts) == 3:
        return Callback(action, token=parts[1], value=parts[2])
    if (action == Action.SAME_TICKET and len(parts) == 3 and _number(parts[1])
            and _number(parts[2])):
        return Callback(action, token=parts[1], value=parts[2])
    if action == Action.OTHER_TICKET and len(parts) == 2 and _number(parts[1]):
        return Callback(action, token=parts[1])
    return None


@dataclass(frozen=True)
class DeskCallback:
    """A desk button: its action, the ticket number it is about (None when absent or not a
    number) and the value after it (a verdict, a region; None when absent)."""

    action: str
    ticket: int | None = None
    value: str | None = None


def parse_desk(data: str) -> DeskCallback | None:
    """A desk button's data, or None when it is not one (not under DESK_PREFIX). The action is
    returned as written, known or not: the desk ignores actions it does not have."""
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != DESK_PREFIX:
        return None
    ticket = _desk_number(parts[2]) if len(parts) > 2 else None
    return DeskCallback(parts[1], ticket, parts[3] if len(parts) > 3 else None)


def _desk_number(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def desk(action: DeskAction, ticket: int | None = None, value: str | None = None) -> str:
    """A desk button's data: `ck:<action>[:<ticket>[:<value>]]`."""
    parts = [DESK_PREFIX, str(action)]
    if ticket is not None:
        parts.append(str(ticket))
        if value is not None:
            parts.append(value)
    return ":".join(parts)


def picks_in(data: tuple[str, ...] | list[str]) -> tuple[str, list[str]] | None:
    """(token, entry hashes in list order) of the "did you mean" buttons among `data` (a
    message's buttons), or None when it holds no list."""
    token: str | None = None
    digests: list[str] = []
    for item in data:
        parsed = parse(item)
        if parsed is None or parsed.action != Action.PICK or not parsed.token or not parsed.value:
            continue
        if token is None:
            token = parsed.token
        if parsed.token == token:
            digests.append(parsed.value)
    return (token, digests) if token is not None else None


def _number(text: str) -> bool:
    """A ticket number as this bot writes it (ASCII digits; not "๑๒", which int() accepts)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def language(lang: str) -> str:
    return f"{Action.LANGUAGE}:{lang}"


def pick(token: str, entry_id: str) -> str:
    return f"{Action.PICK}:{token}:{entry_hash(entry_id)}"


def none_of_these(token: str) -> str:
    return f"{Action.NONE_OF_THESE}:{token}"


def consent(token: str, send: bool) -> str:
    return f"{Action.CONSENT}:{token}:{'y' if send else 'n'}"


def reason(token: str, entry_id: str, why: FeedbackReason) -> str:
    code = next(code for code, value in REASON_CODES.items() if value == why)
    return f"{Action.REASON}:{token}:{entry_hash(entry_id)}:{code}"


def helpful(token: str, entry_id: str) -> str:
    return f"{Action.HELPFUL}:{token}:{entry_hash(entry_id)}"


def not_what_i_asked(token: str, entry_id: str) -> str:
    return f"{Action.NOT_WHAT_I_ASKED}:{token}:{entry_hash(entry_id)}"


def forget(confirm: bool) -> str:
    return f"{Action.FORGET}:{'y' if confirm else 'n'}"


def same_ticket(own_ticket_id: int, ticket_id: int) -> str:
    return f"{Action.SAME_TICKET}:{own_ticket_id}:{ticket_id}"


def other_ticket(own_ticket_id: int) -> str:
    return f"{Action.OTHER_TICKET}:{own_ticket_id}"
