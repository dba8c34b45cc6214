"""How the intent classifier and the matcher are combined into one action.

The two disagree in predictable ways, and the costs are lopsided:
- a strong matcher answer beats a weak small-talk intent ("hello, is advance voting cancelled?"
  is a question), but a short, confidently social message ("hi", "thanks", "ok 555") is small
  talk even if some entry happens to look similar;
- nothing short and social ever reaches fact-checkers: their time is the scarcest thing here;
- a message the matcher does not know goes to fact-checkers only when it looks like an election
  claim or question: the classifier says so, it was forwarded (people forward rumours), or it
  names an election word. Other unknown messages get a polite "I only check elections".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.core.inputs import Prepared
from nlu.intents import IntentResult
from nlu.normalize import tokenize

Action = Literal["answer", "clarify", "escalate", "smalltalk", "human", "out_of_scope", "too_short"]

SMALLTALK = frozenset(
    {
        "greet", "goodbye", "thanks", "help", "bot_challenge",
        "feedback_positive", "feedback_negative", "change_language",
    }
)
QUESTION_INTENTS = frozenset({"ask_election_info", "check_claim"})

#: A small-talk intent at least this sure wins over the matcher on a short message.
SMALLTALK_STRONG = 0.8
#: ... and at least this sure wins when the matcher has no answer.
SMALLTALK_MIN = 0.5
HUMAN_MIN = 0.6
QUESTION_MIN = 0.4
OUT_OF_SCOPE_MIN = 0.6
#: Fewer content tokens than this is too little to check or to give to fact-checkers.
SUBSTANTIAL_TOKENS = 3

_ELECTION_WORDS = re.compile(
    "|".join(
        [
            # English
            r"\belect", r"\bvot", r"\bballot", r"\bpoll", r"\bcandidate", r"\bparliament",
            r"\bconstituenc", r"\bcampaign", r"\bpolitic", r"\bparty\b", r"\bparties\b",
            r"\bEC\b", r"\bECT\b", r"\bSPR\b",
            # Malay
            r"\bundi", r"\bmengundi", r"\bpengundi", r"\bpilihan\s*raya", r"\bPRU", r"\bPRN",
            r"\bcalon", r"\bparlimen", r"\bkempen", r"\bdun\b", r"\bparti\b", r"\bpemilu",
            # Thai (no word boundaries in Thai script)
            "เลือกตั้ง", "กกต", "ลงคะแนน", "บัตรเลือกตั้ง", "ผู้สมัคร", "พรรค", "หาเสียง",
            "ใช้สิทธิ", "เขตเลือกตั้ง", "ส\\.ส\\.", "สส", "ประชามติ", "นายก", "คูหา", "โหวต",
        ]
    ),
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str


def substantial(prepared: Prepared) -> bool:
    """Enough words to be a claim or question someone could check."""
    tokens = [tok for tok in tokenize(prepared.match_text) if any(ch.isalnum() for ch in tok)]
    return len(tokens) >= SUBSTANTIAL_TOKENS and prepared.letters >= 8


def mentions_election(text: str) -> bool:
    return bool(_ELECTION_WORDS.search(text))


def decide(
    *,
    intent: IntentResult | None,
    match_decision: str,
    prepared: Prepared,
    forwarded: bool = False,
    wants_human: bool = False,
) -> Decision:
    """The action for one message. `intent` None means the classifier failed; `match_decision`
    is the matcher's answer/clarify/escalate ("escalate" also when the matcher failed)."""
    name = intent.intent if intent else None
    confidence = intent.confidence if intent else 0.0
    big = substantial(prepared)
    social = name in SMALLTALK

    if match_decision == "answer":
        if social and confidence >= SMALLTALK_STRONG and not big:
            return Decision("smalltalk", "short message, confident small-talk intent")
        return Decision("answer", "matcher is confident")
    if social and (confidence >= SMALLTALK_MIN or not big):
        return Decision("smalltalk", f"{name} intent")
    if name == "talk_to_human" and confidence >= HUMAN_MIN:
        return Decision("human", "asked for a person")
    if match_decision == "clarify":
        return Decision("clarify", "matcher has plausible candidates")
    # Nothing in the knowledge matches.
    if not big:
        return Decision("too_short", "too little to check")
    if wants_human:
        return Decision("escalate", "the voter asked for a person, this is what to check")
    if forwarded:
        return Decision("escalate", "a forwarded message: likely a rumour")
    if name in QUESTION_INTENTS and confidence >= QUESTION_MIN:
        return Decision("escalate", f"{name} intent")
    confident_out_of_scope = name == "out_of_scope" and confidence >= OUT_OF_SCOPE_MIN
    if not confident_out_of_scope and mentions_election(prepared.match_text):
        return Decision("escalate", "mentions an election word")
    if intent is None and big:
        return Decision("escalate", "no intent (classifier failed); do not lose a question")
    return Decision("out_of_scope", "not about elections")
