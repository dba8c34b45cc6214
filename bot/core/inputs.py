"""Looking at a message before anyone tries to understand it.

Voters send anything: nothing, a blank line, a 50 kB chat log, control characters, a row of emoji,
a bare link. Each gets a sensible reply instead of a matcher call on garbage. Long text is cut
(at a word boundary) for matching and the voter is told; the full text, up to a generous limit,
is still what fact-checkers receive.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from nlu.normalize import clean

#: Characters of a message given to the matcher and intent classifier. A claim is a sentence or a
#: paragraph; past this a message is a chat log or an article, and the beginning says what it is.
MATCH_CHARS = 1000
#: Characters kept for storage and for fact-checkers.
STORE_CHARS = 4000

Kind = Literal["empty", "no_text", "url_only", "text"]

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class Prepared:
    kind: Kind
    cleaned: str  # the whole message, cleaned (control and invisible characters gone)
    match_text: str  # what the matcher and intent classifier see (cut to MATCH_CHARS)
    store_text: str  # what is stored and escalated (cut to STORE_CHARS)
    truncated: bool
    letters: int  # letters (any script) in the message, URLs excluded


def prepare(text: str | None) -> Prepared:
    cleaned = clean(text or "")
    without_urls = _URL.sub(" ", cleaned)
    letters = sum(1 for ch in without_urls if unicodedata.category(ch)[0] == "L")
    if not cleaned:
        kind: Kind = "empty"
    elif letters == 0 and _URL.search(cleaned):
        kind = "url_only"
    elif letters == 0:
        kind = "no_text"  # emoji, punctuation, "555" (Thai laughter), a lone number
    else:
        kind = "text"
    truncated = len(cleaned) > MATCH_CHARS
    return Prepared(
        kind=kind,
        cleaned=cleaned,
        match_text=cut(cleaned, MATCH_CHARS),
        store_text=cut(cleaned, STORE_CHARS),
        truncated=truncated,
        letters=letters,
    )


def cut(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` characters, at a space when one is near the end, and
    never between a Thai consonant and its vowel or tone mark."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    if space >= limit * 0.8:
        return head[:space].rstrip()
    while head and unicodedata.category(text[len(head)]) == "Mn":
        head = head[:-1]
    return head


def trim_label(text: str, limit: int = 60) -> str:
    """A short one-line version of an entry's text for a button label."""
    one_line = " ".join(text.split())
    if len(one_line) <= limit:
        return one_line
    return cut(one_line, limit - 1).rstrip(" ,.;:") + "…"


_UNSTORABLE = re.compile("[\ud800-\udfff]")


def scrub(text: str) -> str:
    """`text` as something every store, file and terminal accepts: a lone surrogate (which no
    UTF-8 encoder takes, and Telegram's JSON or a JSON-lines input can still carry) becomes
    U+FFFD, and NUL (which PostgreSQL text refuses) goes. Applied where text enters the bot,
    so one such message cannot fail where it is stored, spooled or printed."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _UNSTORABLE.sub("\ufffd", text)
