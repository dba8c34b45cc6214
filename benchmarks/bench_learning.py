"""Learning from voters (issue #15): how many voters are answered with no tap, with one tap, or
by a checker, over time, with and without learning.

What is real: `build_services` as the bot runs it over the bundled knowledge (knowledge/base), the
real matcher, intent classifier and language identifier, the escalation wiring and a fresh SQLite
database per run; every message and tap goes through `Conversation.handle`.

The stream (seeded, --seed): a few popular claims asked again and again by different voters, in
Thai, Malay and English. The claims are the hand-written voter phrasings of tests/data/
match_queries.tsv labelled for the bundled knowledge (paraphrases, typos, short forms, code-mixed,
chat-wrapped...; never the knowledge's own texts or variants, which are dropped if a query equals
one once normalised): how voters ask, not how the knowledge words it, so nothing is fitted to the
knowledge. Popularity follows Zipf's law over --claims of them. Each message is a copy or a light
edit of its claim (casing, punctuation, emoji, a word or two added, a typo). Most messages come
from a new voter; some from a voter who asked before.

The simulated voter knows which entry answers their claim (the query's label). A list: they tap
that entry if offered (one tap), else "none of these" and "yes, send it" (checker). A card: right,
done (no tap); wrong, "not what I asked" (counted as a wrong answer), "a different claim", then the
right entry from the next list if offered, else to the checkers. An escalation: checker.

    .venv/bin/python benchmarks/bench_learning.py                  # 1000 messages, both modes
    .venv/bin/python benchmarks/bench_learning.py --messages 2000 --block 200
    .venv/bin/python benchmarks/bench_learning.py --bar            # the near-identical bar
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.core.callbacks import entry_hash, parse  # noqa: E402
from bot.core.learned import NEAR_IDENTICAL, phrase_of, similarity  # noqa: E402
from bot.core.messages import Button, Incoming, Reply  # noqa: E402
from bot.monitoring import metrics  # noqa: E402
from bot.services import Services, build_services  # noqa: E402
from knowledge.loader import load_directory  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge" / "base"
QUERIES = REPO / "tests" / "data" / "match_queries.tsv"
#: Kinds of labelled query that are a voter asking about a known entry (not near misses, not
#: off-topic messages, not whole articles).
SEED_KINDS = {
    "paraphrase", "typo", "shortform", "chat-wrapped", "codemix", "no-tone-marks",
    "thai-no-spaces", "cross-lingual",
}
ADDED = {
    "th": ["จริงไหม", "ช่วยเช็คหน่อย", "แชร์ต่อด่วน", "ใครรู้บ้าง"],
    "ms": ["betul ke", "tolong semak", "sebarkan", "ada sesiapa tahu"],
    "en": ["is this true", "please check", "share now", "anyone know"],
}
EMOJI = ["‼️", "😱", "🙏", "⚠️", "🔥", "🤔"]
OUTCOMES = ("no tap", "one tap", "checker", "other")


@dataclass(frozen=True)
class Claim:
    language: str
    text: str
    expected: frozenset[str]


def claims(seed: int, count: int) -> list[Claim]:
    """`count` labelled voter phrasings of the bundled knowledge, most popular first."""
    kb = load_directory(KNOWLEDGE)
    own = {
        phrase_of(text, lang)
        for entry in kb.published()
        for lang, text in [*entry.text.items(),
                           *((lg, v) for lg, vs in entry.variants.items() for v in vs)]
    }
    pool = []
    for row in QUERIES.read_text("utf-8").splitlines()[1:]:
        _id, _split, base, lang, kind, expected, text = row.split("\t")
        if base != "bundled" or kind not in SEED_KINDS or not expected:
            continue
        if phrase_of(text, lang) in own:
            continue  # the knowledge's own words: not what this benchmark measures
        pool.append(Claim(lang, text, frozenset(expected.split("|"))))
    rng = random.Random(seed)
    rng.shuffle(pool)
    return pool[:count]


def typo(rng: random.Random, text: str, lang: str) -> str:
    """One slip of the thumb: two letters swapped or one dropped in a word (Thai: a tone mark
    dropped or a vowel doubled)."""
    if lang == "th":
        marks = [i for i, ch in enumerate(text) if "\u0e48" <= ch <= "\u0e4b"]
        if marks and rng.random() < 0.6:
            i = rng.choice(marks)
            return text[:i] + text[i + 1:]
        vowels = [i for i, ch in enumerate(text) if unicodedata.category(ch) == "Mn"]
        if vowels:
            i = rng.choice(vowels)
            return text[:i + 1] + text[i] + text[i + 1:]
        return text
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    words[i] = (word[:j] + word[j + 1] + word[j] + word[j + 2:]) if rng.random() < 0.5 else (
        word[:j] + word[j + 1:]
    )
    return " ".join(words)


def light_edit(rng: random.Random, text: str, lang: str) -> str:
    """A copy as people forward it: the same words, or a little changed."""
    roll = rng.random()
    if roll < 0.40:
        return text
    if roll < 0.50:
        return text.upper() if lang != "th" else text + "!!!"
    if roll < 0.60:
        return text.lower().rstrip(".!?") + rng.choice(["!!", "??", " ...", "?!"])
    if roll < 0.72:
        return f"{rng.choice(EMOJI)} {text} {rng.choice(EMOJI)}"
    if roll < 0.86:
        added = rng.choice(ADDED[lang])
        return f"{added} {text}" if rng.random() < 0.5 else f"{text} {added}"
    return typo(rng, text, lang)


def stream(seed: int, messages: int, count: int) -> list[tuple[int, Claim, str]]:
    """(voter, claim, text) per message; Zipf popularity; mostly new voters."""
    rng = random.Random(seed)
    popular = claims(seed, count)
    weights = [1.0 / (rank + 1) for rank in range(len(popular))]
    out = []
    voters: list[int] = []
    for _ in range(messages):
        claim = rng.choices(popular, weights)[0]
        if voters and rng.random() < 0.15:
            voter = rng.choice(voters)
        else:
            voter = 2_000_000 + len(voters)
            voters.append(voter)
        out.append((voter, claim, light_edit(rng, claim.text, claim.language)))
    return out


# -- the simulated voter ------------------------------------------------------------------------
def buttons(replies: list[Reply]) -> list[Button]:
    return [b for reply in replies for b in reply.all_buttons()]


def action(button: Button) -> str:
    return (button.data or "").split(":", 1)[0]


class Voter:
    def __init__(self, services: Services, user: int, lang: str, hashes: dict[str, str]) -> None:
        self.services, self.user, self.lang, self.hashes = services, user, lang, hashes

    async def send(self, text: str) -> list[Reply]:
        return await self.services.conversation.handle(
            Incoming.from_text(self.user, self.user, text, language_code=self.lang)
        )

    async def press(self, button: Button) -> list[Reply]:
        return await self.services.conversation.handle(
            Incoming(self.user, self.user, callback_data=button.data, language_code=self.lang)
        )

    def entry(self, button: Button) -> str | None:
        parsed = parse(button.data or "")
        return self.hashes.get(parsed.value or "") if parsed else None

    async def ask(self, claim: Claim, text: str) -> tuple[str, bool]:
        """(outcome, whether a wrong card was shown)."""
        escalated = metrics.ESCALATIONS.total()
        replies = await self.send(text)
        shown = buttons(replies)
        if any(action(b) == "p" for b in shown):
            return await self._choose(claim, shown, escalated), False
        cards = [b for b in shown if action(b) == "h"]
        if cards:
            if self.entry(cards[0]) in claim.expected:
                return "no tap", False
            wrong = next(b for b in shown if action(b) == "w")
            why = buttons(await self.press(wrong))
            other = next((b for b in why if (b.data or "").endswith(":c")), None)
            after = buttons(await self.press(other)) if other else []
            if any(action(b) == "p" for b in after):
                outcome = await self._choose(claim, after, escalated)
                return ("other" if outcome == "one tap" else outcome), True
            await self._consent(after)
            return ("checker" if metrics.ESCALATIONS.total() > escalated else "other"), True
        return ("checker" if metrics.ESCALATIONS.total() > escalated else "other"), False

    async def _choose(self, claim: Claim, shown: list[Button], escalated: float) -> str:
        right = next(
            (b for b in shown if action(b) == "p" and self.entry(b) in claim.expected), None
        )
        if right is not None:
            await self.press(right)
            return "one tap"
        none = next((b for b in shown if action(b) == "x"), None)
        if none is not None:
            await self._consent(buttons(await self.press(none)))
        return "checker" if metrics.ESCALATIONS.total() > escalated else "other"

    async def _consent(self, shown: list[Button]) -> None:
        yes = next((b for b in shown if (b.data or "").startswith("e:") and b.data.endswith(":y")),
                   None)
        if yes is not None:
            await self.press(yes)


# -- one run ------------------------------------------------------------------------------------
def make_services(tmp: Path, learning: bool) -> Services:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        knowledge_dir=KNOWLEDGE,
        database_url=f"sqlite:///{tmp / 'bench.db'}",
        cache_dir=REPO / "var" / "cache",
        rate_limit_per_minute=100_000,
        rate_limit_per_day=1_000_000,
        read_links=False,
        learn_from_voters=learning,
    )
    services = build_services(settings, spool_path=tmp / "spool.jsonl")
    services.intents.warm_up()
    return services


async def run(
    messages: list[tuple[int, Claim, str]], learning: bool, block: int
) -> tuple[list[Counter[str]], int, float]:
    """Outcome counts per block of `block` messages, wrong cards shown, seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        services = make_services(Path(tmp), learning)
        kb, _ = services.knowledge.snapshot()
        hashes = {entry_hash(e.id): e.id for e in kb.published()}
        blocks: list[Counter[str]] = []
        wrong = 0
        start = time.perf_counter()
        for i, (user, claim, text) in enumerate(messages):
            if i % block == 0:
                blocks.append(Counter())
            outcome, was_wrong = await Voter(services, user, claim.language, hashes).ask(
                claim, text
            )
            blocks[-1][outcome] += 1
            wrong += was_wrong
        seconds = time.perf_counter() - start
        await services.conversation.aclose()
        if services.database is not None:
            services.database.dispose()
    return blocks, wrong, seconds


def share(counter: Counter[str], outcome: str) -> str:
    total = sum(counter.values())
    return f"{100 * counter[outcome] / total:5.1f}" if total else "   - "


def report(results: dict[bool, tuple[list[Counter[str]], int, float]], block: int) -> None:
    print("\nShare of voters (%) per block of messages: no tap / one tap / checker / other")
    print(f"{'messages':>11} | {'without learning':^27} | {'with learning':^27}")
    off, on = results[False][0], results[True][0]
    for i, (a, b) in enumerate(zip(off, on, strict=True)):
        row = " ".join(share(a, o) for o in OUTCOMES)
        row2 = " ".join(share(b, o) for o in OUTCOMES)
        print(f"{i * block + 1:>5}-{(i + 1) * block:<5} | {row} | {row2}")
    for learning in (False, True):
        blocks, wrong, seconds = results[learning]
        total: Counter[str] = sum(blocks, Counter())
        n = sum(total.values())
        shares = ", ".join(f"{o} {100 * total[o] / n:.1f} %" for o in OUTCOMES)
        print(f"{'with' if learning else 'without'} learning, all {n}: {shares}; "
              f"wrong cards {wrong}; {seconds:.0f} s")


def bar_report() -> None:
    """How close do texts of *different* entries come, normalised, by token-set overlap? The
    near-identical bar must stay above that: a learned phrasing of one entry must never be the
    near twin of a message about another."""
    kb = load_directory(KNOWLEDGE)
    phrases: list[tuple[str, str]] = []
    for entry in kb.published():
        for lang, text in [*entry.text.items(),
                           *((lg, v) for lg, vs in entry.variants.items() for v in vs)]:
            phrase = phrase_of(text, lang)
            if phrase:
                phrases.append((entry.id, phrase))
    closest: list[tuple[float, str, str]] = []
    same = 0
    for i, (a_id, a) in enumerate(phrases):
        for b_id, b in phrases[i + 1:]:
            if a_id != b_id:
                if a == b:  # the knowledge's own ambiguity: the matcher's list decides
                    same += 1
                    continue
                score = similarity(a, b)
                if score >= 0.6:
                    closest.append((score, a, b))
    closest.sort(reverse=True)
    over = sum(1 for s, _, _ in closest if s >= NEAR_IDENTICAL)
    print(f"{len(phrases)} normalised texts and variants of {len(kb.published())} entries")
    print(f"texts shared word for word by two entries (left to the matcher's list): {same}")
    print(f"other pairs of different entries at or above the bar ({NEAR_IDENTICAL}): {over}")
    for score, a, b in closest[:8]:
        print(f"  {score:.2f}  {a!r}  /  {b!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--block", type=int, default=100)
    parser.add_argument("--claims", type=int, default=40, help="popular claims in the stream")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--bar", action="store_true", help="only the near-identical bar report")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.bar:
        bar_report()
        return 0
    messages = stream(args.seed, args.messages, args.claims)
    languages = Counter(claim.language for _, claim, _ in messages)
    voters = len({user for user, _, _ in messages})
    print(f"{len(messages)} messages from {voters} voters ({dict(languages)}), "
          f"{args.claims} claims, seed {args.seed}")
    results: dict[bool, Any] = {}
    for learning in (False, True):
        results[learning] = asyncio.run(run(messages, learning, args.block))
    report(results, args.block)
    # A database call given up under load would change an outcome, not only a time.
    print(f"database calls timed out: {metrics.DATABASE_TIMEOUTS.total():.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
