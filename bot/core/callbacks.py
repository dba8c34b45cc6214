"""Button callback data: short, self-describing, and within Telegram's 64-byte limit.

Entry ids can be long ("th-2023-advance-voting-date-and-registration-deadline"), so buttons carry
an 8-character hash of the id, resolved against the knowledge being served. Hashes (rather than a
server-side table) keep a card's buttons working after a restart. What cannot be hashed (the
voter's original question, for "none of these" and "not what I asked") lives in the chat's
short-term memory under a small token; an unknown token answers "please ask again".

Formats (ASCII, ":"-separated):
    l:<lang>              choose a reply language
    p:<token>:<hash>      pick a candidate from a "did you mean" list
    x:<token>             none of these → escalate the question
    h:<token>:<hash>      feedback: helpful
    w:<token>:<hash>      feedback: not what I asked
    f:y / f:n             /forget confirmed / cancelled
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Callback:
    action: str
    token: str | None = None
    value: str | None = None


def parse(data: str) -> Callback | None:
    """The parsed callback, or None for data this version of the bot did not produce."""
    parts = data.split(":")
    action = parts[0]
    if action in ("l", "f") and len(parts) == 2:
        return Callback(action, value=parts[1])
    if action == "x" and len(parts) == 2:
        return Callback(action, token=parts[1])
    if action in ("p", "h", "w") and len(parts) == 3:
        return Callback(action, token=parts[1], value=parts[2])
    return None


def language(lang: str) -> str:
    return f"l:{lang}"


def pick(token: str, entry_id: str) -> str:
    return f"p:{token}:{entry_hash(entry_id)}"


def none_of_these(token: str) -> str:
    return f"x:{token}"


def helpful(token: str, entry_id: str) -> str:
    return f"h:{token}:{entry_hash(entry_id)}"


def not_what_i_asked(token: str, entry_id: str) -> str:
    return f"w:{token}:{entry_hash(entry_id)}"


def forget(confirm: bool) -> str:
    return "f:y" if confirm else "f:n"
