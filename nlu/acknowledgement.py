"""A message that only acknowledges ("ok", "โอเค", "baik") is a thank-you, decided by rule.

Why a rule and not training examples: the lone "ok" is the commonest reply to an answer, and as
examples in `nlu/data/nlu.yml` the four acknowledgements pulled Rasa's goodbyes that *start* with
"ok" ("ok bye then") towards `thanks` (held-out accuracy 0.941 -> 0.929). Matching the whole
message only leaves every longer message to the classifiers. The list is
`nlu/lexicons/acknowledgements.txt`, so an organisation can extend it without code.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from nlu.lexicons import read_lines

#: The intent an acknowledgement gets: the conversation answers it with a short "you're welcome"
#: and keeps the voter's language and context (a goodbye would close the conversation).
ACKNOWLEDGEMENT_INTENT = "thanks"

_REPEATS = re.compile(r"(.)\1+")
_POLITE_TH = ("นะครับ", "นะคะ", "ครับ", "คับ", "ค่ะ", "คะ", "ค่า", "จ้า", "จ้ะ", "นะ")


def _letters(text: str) -> str:
    """Lower-case; letters and Thai marks only, words separated by one space."""
    kept = "".join(ch if unicodedata.category(ch)[0] in "LM" else " " for ch in text.casefold())
    return " ".join(kept.split())


def _squeeze(text: str) -> str:
    return _REPEATS.sub(r"\1", text)


def _strip_polite(text: str) -> str:
    """Drop trailing Thai polite particles ("โอเคค่ะ", "ได้เลยนะครับ"); before squeezing repeats,
    which would merge the ค of โอเค with the one of ค่ะ."""
    for _ in range(2):
        for particle in _POLITE_TH:
            if text.endswith(particle) and len(text) > len(particle):
                text = text[: -len(particle)].rstrip()
                break
    return text


@cache
def _forms() -> frozenset[str]:
    return frozenset(_squeeze(_letters(line)) for line in read_lines("acknowledgements.txt"))


def is_acknowledgement(text: str) -> bool:
    """True when the whole message only acknowledges (see the module docstring)."""
    letters = _letters(text)
    if not letters or len(letters) > 40:
        return False
    return _squeeze(_strip_polite(letters)) in _forms()
