"""Which language the bot answers in.

A voter who writes "ok" or "555" or "👍" in the middle of a Thai conversation is still a Thai
reader, so only a confident detection may change the reply language; otherwise the last language
the voter was confidently seen writing holds, and Telegram's interface language is the last hint
before English.
"""

from __future__ import annotations

from nlu.langid import LanguageGuess
from nlu.languages import LANGUAGES

__all__ = ["REPLY_LANGUAGES", "DEFAULT_LANGUAGE", "choose_reply_language", "from_telegram_code"]

REPLY_LANGUAGES = frozenset(LANGUAGES)
DEFAULT_LANGUAGE = "en"


def from_telegram_code(code: str | None) -> str | None:
    """Telegram's IETF language_code ("th", "ms", "id", "en-GB", ...) as a reply language."""
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-", 1)[0]
    if primary == "th":
        return "th"
    if primary in ("ms", "id"):
        return "ms"
    if primary == "en":
        return "en"
    return None


def choose_reply_language(
    *,
    chosen: str | None,
    detected: LanguageGuess | None,
    last_confident: str | None,
    telegram_code: str | None,
) -> str:
    """chosen > confident detection > last confident > Telegram language_code > English."""
    if chosen in REPLY_LANGUAGES:
        return chosen
    if detected is not None and detected.is_confident and detected.language in REPLY_LANGUAGES:
        return detected.language
    if last_confident in REPLY_LANGUAGES:
        return last_confident
    return from_telegram_code(telegram_code) or DEFAULT_LANGUAGE
