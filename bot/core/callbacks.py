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
    action = parts[0]
    if action in ("l", "f") and len(parts) == 2:
        return Callback(action, value=parts[1])
    if action == "x" and len(parts) == 2:
        return Callback(action, token=parts[1])
    if action == "e" and len(parts) == 3 and parts[2] in ("y", "n"):
        return Callback(action, token=parts[1], value=parts[2])
    if action == "r" and len(parts) == 4 and parts[3] in REASON_CODES:
        return Callback(action, token=parts[1], value=parts[2], reason=REASON_CODES[parts[3]])
    if action in ("p", "h", "w") and len(parts) == 3:
        return Callback(action, token=parts[1], value=parts[2])
    if action == "j" and len(parts) == 3 and _number(parts[1]) and _number(parts[2]):
        return Callback(action, token=parts[1], value=parts[2])
    if action == "k" and len(parts) == 2 and _number(parts[1]):
        return Callback(action, token=parts[1])
    return None


def _number(text: str) -> bool:
    """A ticket number as this bot writes it (ASCII digits; not "๑๒", which int() accepts)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def language(lang: str) -> str:
    return f"l:{lang}"


def pick(token: str, entry_id: str) -> str:
    return f"p:{token}:{entry_hash(entry_id)}"


def none_of_these(token: str) -> str:
    return f"x:{token}"


def consent(token: str, send: bool) -> str:
    return f"e:{token}:{'y' if send else 'n'}"


def reason(token: str, entry_id: str, why: FeedbackReason) -> str:
    code = next(code for code, value in REASON_CODES.items() if value == why)
    return f"r:{token}:{entry_hash(entry_id)}:{code}"


def helpful(token: str, entry_id: str) -> str:
    return f"h:{token}:{entry_hash(entry_id)}"


def not_what_i_asked(token: str, entry_id: str) -> str:
    return f"w:{token}:{entry_hash(entry_id)}"


def forget(confirm: bool) -> str:
    return "f:y" if confirm else "f:n"


def same_ticket(own_ticket_id: int, ticket_id: int) -> str:
    return f"j:{own_ticket_id}:{ticket_id}"


def other_ticket(own_ticket_id: int) -> str:
    return f"k:{own_ticket_id}"
