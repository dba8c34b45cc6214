"""The intent vocabulary shared by the Rasa project and the embedded classifier.

Both engines are trained from ``nlu/data/nlu.yml``; this tuple is the contract the rest of the bot
codes against, so an answer naming an intent outside it (a stale Rasa model, a typo in the data)
is treated as garbage rather than passed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thanks",
    "help",
    "ask_election_info",
    "check_claim",
    "feedback_positive",
    "feedback_negative",
    "change_language",
    "talk_to_human",
    "bot_challenge",
    "out_of_scope",
)

#: The intent returned when nothing is confident enough; the conversation treats it as
#: "maybe a claim, maybe noise" rather than guessing a wrong action.
FALLBACK_INTENT = "out_of_scope"


@dataclass(frozen=True)
class IntentResult:
    """What one message means to the bot.

    ``entities`` are plain dicts shaped like Rasa's (``entity``, ``value``, optional ``start``/
    ``end``) so both engines produce the same structure; ``engine`` says which one answered
    (``"rasa"``, ``"embedded"``, or ``"rule"`` for an acknowledgement decided before either),
    which the logs and benchmarks rely on.
    """

    intent: str
    confidence: float
    entities: tuple[dict[str, Any], ...] = ()
    engine: str = "embedded"
