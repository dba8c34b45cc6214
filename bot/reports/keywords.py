"""Rising keywords and two-word phrases per language: this period against the one before.

Counting words needs the text of each question, so unlike every other figure this part runs in
Python, on a bounded sample: the most recent SAMPLE_SIZE questions per language and period (the
caller fetches them with LIMIT). A term's count in the sample is scaled to the period's total
question count (from SQL), so a busy week does not look like a rise just because the sample of
the quiet week before held fewer questions.

A term counts once per question (document frequency): a voter pasting "ปลอม ปลอม ปลอม" is one
question about fakes. It is shown only when at least MIN_COUNT distinct askers used it (privacy.py),
and never when it is only digits (phone and ID-card numbers are the commonest personal data in
forwarded messages).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.reports.privacy import may_show

#: Most recent questions per language and period that keywords are counted over.
SAMPLE_SIZE = 2000
#: A term rises when its (scaled) count this period is at least this multiple of the last.
RISE_RATIO = 1.5
STOPWORDS_DIR = Path(__file__).resolve().parent / "stopwords"
_THAI = re.compile("[\u0e00-\u0e7f]")
# Sentence and clause breaks. A dot, comma or colon counts only before a space or the end, so
# links and e-mail addresses stay whole for the tokenizer, which removes them.
_CLAUSE_BREAK = re.compile(r"[!?;\n…()\[\]\"“”]+|[.,:]+(?=\s|$)|\s-\s")

Tokenizer = Callable[[str, str | None], list[str]]


def _fallback_tokenize(text: str, language: str | None = None) -> list[str]:
    """Used only when nlu.normalize is not there: pythainlp for Thai, words for the rest."""
    from pythainlp.tokenize import word_tokenize

    text = unicodedata.normalize("NFKC", text).casefold()
    tokens: list[str] = []
    for chunk in re.findall(r"[\u0e00-\u0e7f]+|[^\W_]+", text):
        if _THAI.search(chunk):
            tokens.extend(t for t in word_tokenize(chunk, engine="newmm") if t.strip())
        else:
            tokens.append(chunk)
    return tokens


def _tokenizer() -> Tokenizer:
    try:
        from nlu.normalize import tokenize
    except ImportError:  # pragma: no cover - the teammate's module is part of the tree today
        return _fallback_tokenize
    return tokenize


@lru_cache(maxsize=8)
def stopwords(language: str) -> frozenset[str]:
    """The stop words of `language` (th, ms, en), in the form the tokenizer produces.

    Each listed word is also run through the tokenizer, because it normalises (NFKC turns Thai
    "ทำ" into "ทํา"; Malay "nak" becomes "hendak"): the list is written as people spell and
    matched as the tokenizer spells. English words are stop words in every language (voters mix).
    """
    tokenize = _tokenizer()
    words: set[str] = set()
    files = {language, "en"} if language in ("th", "ms") else {language}
    for name in sorted(files):
        path = STOPWORDS_DIR / f"{name}.txt"
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            word = line.strip()
            if not word or word.startswith("#"):
                continue
            words.add(unicodedata.normalize("NFKC", word).casefold())
            words.update(tokenize(word, name))
    return frozenset(words)


def _keep(token: str, stop: frozenset[str]) -> bool:
    if token in stop or not any(ch.isalpha() for ch in token):
        return False  # digits-only: phone and ID numbers; punctuation; emoji
    # One Latin letter says nothing; one Thai syllable fragment from segmentation neither.
    return len(token) >= 2


def terms(text: str, language: str, tokenize: Tokenizer | None = None) -> set[str]:
    """The keywords and two-word phrases of one question (a phrase is two adjacent kept tokens,
    joined by a space)."""
    stop = stopwords(language)
    tokenize = tokenize or _tokenizer()
    found: set[str] = set()
    for clause in _CLAUSE_BREAK.split(text):  # no phrase spans a sentence break
        kept = [t if _keep(t, stop) else None for t in tokenize(clause, language)]
        found.update(t for t in kept if t is not None)
        for left, right in zip(kept, kept[1:], strict=False):
            if left is not None and right is not None and left != right:
                found.add(f"{left} {right}")
    return found


@dataclass(frozen=True)
class TermCounts:
    """How many sampled questions, and how many distinct askers, used each term."""

    questions: Counter[str]
    askers: dict[str, int]
    sampled: int


def count_terms(
    rows: Sequence[tuple[str, object]], language: str, tokenize: Tokenizer | None = None
) -> TermCounts:
    """Count the terms of sampled questions: `rows` are (text, asker) pairs, where the asker is
    an opaque key used only to tell askers apart (None: count the question as its own asker).
    Only the number of distinct askers per term is kept."""
    tokenize = tokenize or _tokenizer()
    questions: Counter[str] = Counter()
    askers: dict[str, set[object]] = {}
    # A forwarded rumour arrives as the same text many times: segment each text once.
    memo: dict[str, set[str]] = {}
    for index, (text, asker) in enumerate(rows):
        key = asker if asker is not None else ("question", index)
        found = memo.get(text)
        if found is None:
            found = memo[text] = terms(text, language, tokenize)
        for term in found:
            questions[term] += 1
            askers.setdefault(term, set()).add(key)
    return TermCounts(questions, {t: len(keys) for t, keys in askers.items()}, len(rows))


@dataclass(frozen=True)
class Sample:
    """The term counts of one language and period's sample, and how many questions the period
    holds in all (from SQL), so sampled counts can be scaled to the period."""

    counts: TermCounts
    total: int

    @property
    def scale(self) -> float:
        return self.total / self.counts.sampled if self.counts.sampled else 0.0


@dataclass(frozen=True)
class RisingTerm:
    term: str
    kind: str  # "word" or "phrase"
    current: int  # questions containing it this period (scaled from the sample)
    previous: int  # the same, in the previous period
    ratio: float | None  # current / previous; None when it was not asked before

    @property
    def increase(self) -> int:
        return self.current - self.previous


def rising_terms(
    current: Sample, previous: Sample, *, limit: int = 10
) -> tuple[list[RisingTerm], list[RisingTerm]]:
    """(rising words, rising phrases), biggest increase first.

    A term rises when at least MIN_COUNT distinct askers used it this period and its scaled count
    is at least RISE_RATIO times last period's (new terms always qualify).
    """
    words: list[RisingTerm] = []
    phrases: list[RisingTerm] = []
    before_counts = previous.counts.questions
    for term, count in current.counts.questions.items():
        if not may_show(current.counts.askers[term]):
            continue
        now = round(count * current.scale)
        before = round(before_counts.get(term, 0) * previous.scale)
        if before and now < RISE_RATIO * before:
            continue
        ratio = round(now / before, 2) if before else None
        kind = "phrase" if " " in term else "word"
        (phrases if kind == "phrase" else words).append(RisingTerm(term, kind, now, before, ratio))
    order = lambda t: (-t.increase, -t.current, t.term)  # noqa: E731 - a sort key, named once
    return sorted(words, key=order)[:limit], sorted(phrases, key=order)[:limit]
