"""Learning from voters (issue #15): what voters confirm a message means is answered directly.

In a real election most messages are forwards of the same few rumours. When a voter picks an
entry from a "did you mean" list (and does not then say "not what I asked"), their message,
normalised, and the entry are recorded (`record_pick`); "not what I asked" turns it into a dissent
(`withdraw`). Once the pairing is learned (bot.storage.learned: two different voters and no
dissent, or a checker), the next voter sending that message, or a near-identical one, gets the
entry's card without the list (`learned_answer`).

Safety: the matcher still decides what may be served. A learned phrasing is used only when the
matcher, for this very message, offers its entry as a candidate of a list, does not flag that the
plausible entries come from different countries (regions_differ), and does not see a near miss
for that entry (another number, the opposite claim, another country named). So a learned
phrasing can only save the tap on a choice the matcher already put in front of the voter: two
accounts cannot teach the bot an arbitrary verdict. A checker's rejection is never served.

Near-identical: the token sets of the two normalised messages overlap by at least
NEAR_IDENTICAL (Jaccard), in the same order (`similarity`). At 0.9 a message of ten words may
differ by one added or dropped word and no more; shorter messages must have exactly the same
words. benchmarks/bench_learning.py --bar prints how close texts of *different* entries of the
bundled knowledge come: none reaches the bar unless the two are the same words (BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from knowledge.matcher import Matcher, MatchResult
from nlu.normalize import clean, tokenize

if TYPE_CHECKING:
    from bot.core.context import TurnContext
    from bot.core.state import QuestionContext
    from knowledge.model import Entry

log = logging.getLogger(__name__)

#: Token-set overlap (Jaccard) from which a message counts as a learned phrasing's near twin.
NEAR_IDENTICAL = 0.9
#: Words that turn a claim around: a near twin may not differ from a learned phrasing by one of
#: these ("เบอร์ สส เขต ไม่ เหมือน เบอร์ พรรค" is the opposite claim of the same words without
#: ไม่), nor by a number (the matcher's near-miss rule reads numbers, not negations).
NEGATIONS = frozenset({
    "not", "no", "never", "dont", "don't", "doesnt", "doesn't", "isnt", "isn't", "cannot",
    "cant", "can't", "wont", "won't", "tidak", "tak", "bukan", "jangan", "belum", "tiada",
    "ไม่", "มิ", "ไม่ได้", "ห้าม", "ยัง", "ไม่ใช่",
})
#: Longer normalised messages are not learned (long forwards are the matcher's to read, and a
#: variant exported for the knowledge should be a phrasing, not an article).
MAX_PHRASE_CHARS = 500


def phrase_of(text: str, language: str | None) -> str:
    """The normalised message: nlu.normalize's tokens joined by spaces ("" when too long)."""
    phrase = " ".join(tokenize(clean(text), language))
    return phrase if len(phrase) <= MAX_PHRASE_CHARS else ""


def similarity(a: str, b: str) -> float:
    """How near-identical two normalised messages are: the Jaccard overlap of their token sets,
    or less when the shared words come in another order ("open at what time" is not "what time
    do they close", and word order can carry the claim), as difflib's ratio over the tokens."""
    la, lb = a.split(), b.split()
    ta, tb = set(la), set(lb)
    if not ta or not tb:
        return 0.0
    if any(t in NEGATIONS or any(c.isdigit() for c in t) for t in ta ^ tb):
        return 0.0  # not a near twin: the difference may be what the claim says
    jaccard = len(ta & tb) / len(ta | tb)
    if jaccard < NEAR_IDENTICAL or la == lb:
        return jaccard
    return min(jaccard, SequenceMatcher(None, la, lb, autojunk=False).ratio())


class NearMissCache:
    """The matcher's near-miss flags per message, for the current matcher only (as
    bot.core.match_cache keeps its answers): copies of a learned rumour are checked once."""

    def __init__(self, size: int = 5_000) -> None:
        self.size = size
        self._matcher: Matcher | None = None
        self._flags: OrderedDict[tuple[str, str | None], dict[str, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def flags(self, matcher: Matcher, text: str, language: str | None) -> dict[str, bool]:
        key = (text, language)
        with self._lock:
            if matcher is self._matcher and key in self._flags:
                self._flags.move_to_end(key)
                return self._flags[key]
        features = matcher.features(text, language)
        flags = {
            entry_id: bool(near)
            for entry_id, near in zip(features.entry_ids, features.near_miss, strict=True)
        }
        with self._lock:
            if matcher is not self._matcher:
                self._matcher = matcher
                self._flags.clear()
            self._flags[key] = flags
            while len(self._flags) > self.size:
                self._flags.popitem(last=False)
        return flags


async def learned_answer(
    ctx: TurnContext, text: str, match_text: str, match: MatchResult, language: str | None
) -> Entry | None:
    """The entry voters taught for this message, when the matcher allows serving it (see the
    module doc); None means: show the list as usual. `text` is what is stored for the question
    (its phrasing is compared), `match_text` what the matcher read."""
    matcher = ctx.matcher
    if not ctx.deps.learning or matcher is None:
        return None
    if match.decision != "clarify" or match.regions_differ:
        return None
    offered = tuple(c.entry_id for c in match.candidates)
    phrase = phrase_of(text, language)
    if not offered or not phrase:
        return None
    found = await ctx.store.learned_for(phrase=phrase, entry_ids=offered)
    if not found.ok or found.value is None:
        return None
    best: dict[str, float] = {}
    for learned in found.value.learned:
        if learned.entry_id in found.value.rejected:
            continue
        score = 1.0 if learned.phrase == phrase else similarity(learned.phrase, phrase)
        if score >= NEAR_IDENTICAL and score > best.get(learned.entry_id, 0.0):
            best[learned.entry_id] = score
    if not best:
        return None
    ranked = sorted(best.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1]:
        return None  # two entries taught for it equally: the voter chooses
    entry_id = ranked[0][0]
    try:
        flags = await asyncio.to_thread(
            ctx.deps.near_miss_cache.flags, matcher, match_text, language
        )
    except Exception:  # noqa: BLE001 - unsure: the list, as without learning
        log.exception("matcher failed while checking a learned phrasing")
        return None
    if flags.get(entry_id, True):  # a near miss, or no longer among its candidates
        return None
    return ctx.entry(entry_id)


async def record_pick(ctx: TurnContext, question: QuestionContext, entry_id: str) -> None:
    """The voter chose `entry_id` from the list their question got: one confirmation. Only in
    a private chat: in a group the list may be another member's question, whose words must not
    be kept under the one who tapped (their /forget would not reach them)."""
    phrase = phrase_of(question.text, question.language)
    if question.question_id is None or not phrase or not ctx.incoming.is_private:
        return  # not the voter's own stored words (a question forgotten after a restart)
    await ctx.store.confirm_pick(
        user_id=ctx.incoming.user_id, question_id=question.question_id, phrase=phrase,
        language=question.language or ctx.lang, entry_id=entry_id,
    )


async def withdraw(ctx: TurnContext, question: QuestionContext, entry_id: str) -> None:
    """"Not what I asked" of `entry_id` for this question: their confirmation, if they gave
    one, becomes a dissent, and so does this voter's word on a phrasing others taught."""
    phrase = phrase_of(question.text, question.language)
    if not phrase:
        return
    await ctx.store.withdraw_pick(
        user_id=ctx.incoming.user_id, question_id=question.question_id, phrase=phrase,
        entry_id=entry_id,
    )


__all__ = [
    "MAX_PHRASE_CHARS", "NEAR_IDENTICAL", "NEGATIONS", "NearMissCache", "learned_answer",
    "phrase_of", "record_pick", "similarity", "withdraw",
]
