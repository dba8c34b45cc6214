"""What the conversation remembers between turns, in memory, per chat.

Only short-lived things live here (the question a "did you mean" list belongs to, a pending
"talk to a human" request); anything that must survive a restart is in the database. Memory is
bounded: old chats and old questions fall off.

A question's token (what its buttons carry) is its database id when it was stored ("q" + id), so
a button pressed after a restart or after the question fell out of memory still finds the
question (TurnContext.recall reads it back), and two questions never share a token. A question
that could not be stored (database down) gets a token unique to this process ("m" + a random
boot tag + a counter): after a restart it is unknown, and the voter is asked to send it again,
instead of a new question that happens to reuse the number being escalated.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.media.model import MediaRead

MAX_CHATS = 20_000
MAX_QUESTIONS_PER_CHAT = 12
#: Distinguishes this process's unstored-question tokens from an earlier process's.
_BOOT = secrets.token_hex(2)


@dataclass
class QuestionContext:
    """One question a voter asked and what the bot has shown for it so far."""

    token: str
    text: str
    language: str | None  # what the matcher was told the question is written in
    question_id: int | None = None
    shown: list[str] = field(default_factory=list)  # entry ids offered or answered already
    answered: str | None = None  # the entry whose card was shown last
    offered: list[str] = field(default_factory=list)  # the entries of the last list shown
    offered_at: datetime | None = None  # when that list was shown (a typed "2" is read until)
    escalated: bool = False
    #: The image or link the question came with, so that escalating it later (after "none of
    #: these") still gives checkers the screenshot, not only the text read from it.
    media: MediaRead | None = None


@dataclass
class ChatMemory:
    questions: OrderedDict[str, QuestionContext] = field(default_factory=OrderedDict)
    next_token: int = 1
    escalate_next: bool = False  # the voter asked for a human; their next claim goes to checkers
    #: The token of the question whose "did you mean" list was shown last: what a typed "2"
    #: picks from. A new question makes it stale (None).
    last_offer: str | None = None
    #: When the voter last asked "is this true?" without saying what: their next message is
    #: the claim (bot.core.handlers.question).
    claim_asked_at: datetime | None = None

    def remember(self, text: str, language: str | None, question_id: int | None) -> QuestionContext:
        if question_id is not None:
            token = stored_token(question_id)
        else:
            token = f"m{_BOOT}{_base36(self.next_token)}"
            self.next_token += 1
        context = self.questions.pop(token, None) or QuestionContext(
            token, text, language, question_id
        )
        self.questions[token] = context
        while len(self.questions) > MAX_QUESTIONS_PER_CHAT:
            self.questions.popitem(last=False)
        return context

    def question(self, token: str | None) -> QuestionContext | None:
        return self.questions.get(token) if token else None

    def open_offer(self, now: datetime, window: timedelta) -> QuestionContext | None:
        """The question whose list was shown last, while that list is still open: not yet
        answered by a pick or "none of these", and shown less than `window` before `now`."""
        question = self.question(self.last_offer)
        if question is None or not question.offered or question.offered_at is None:
            return None
        if not timedelta(0) <= now - question.offered_at <= window:
            return None
        return question

    def latest(self) -> QuestionContext | None:
        return next(reversed(self.questions.values()), None) if self.questions else None


@dataclass
class VoterLanguage:
    """The voter's languages as last read from or written to the database (a cache that also
    keeps the conversation going in the right language while the database is down)."""

    chosen: str | None = None
    last: str | None = None


class Memory:
    """Every chat's ChatMemory and every voter's VoterLanguage; the least recently used go first."""

    def __init__(self, max_chats: int = MAX_CHATS) -> None:
        self.max_chats = max_chats
        self._chats: OrderedDict[int, ChatMemory] = OrderedDict()
        self._voters: OrderedDict[int, VoterLanguage] = OrderedDict()

    def chat(self, chat_id: int) -> ChatMemory:
        memory = self._chats.pop(chat_id, None) or ChatMemory()
        self._chats[chat_id] = memory
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        return memory

    def voter(self, user_id: int) -> VoterLanguage | None:
        found = self._voters.get(user_id)
        if found is not None:
            self._voters.move_to_end(user_id)
        return found

    def set_voter(self, user_id: int, value: VoterLanguage) -> None:
        self._voters[user_id] = value
        self._voters.move_to_end(user_id)
        while len(self._voters) > self.max_chats:
            self._voters.popitem(last=False)

    def forget(self, user_id: int, chat_id: int) -> None:
        self._voters.pop(user_id, None)
        self._chats.pop(chat_id, None)


def stored_token(question_id: int) -> str:
    return f"q{_base36(question_id)}"


def stored_question_id(token: str | None) -> int | None:
    """The database id a token stands for, or None for a memory-only token."""
    if not token or token[0] != "q" or not token[1:].isascii() or not token[1:].isalnum():
        return None
    return int(token[1:], 36)  # ASCII letters and digits: always valid base 36


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
