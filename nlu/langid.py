"""Which of Thai, Malay (Indonesian included) and English a chat message is written in.

General-purpose detectors fail on exactly what voters send: two or three words, Malay short
forms ("sy nk tanya"), English inside Malay ("is it true ke SPR cancel PRU"), laughter as digits.
So the decision is layered, cheapest and surest first:

1. Script. Thai letters mean a Thai writer, whatever English sits around them; letters of
   another script (CJK, Cyrillic, ...) mean none of our languages; no letters at all is "und".
2. Latin words, each weighed as log-odds of Malay against English: function words, particles
   and short forms from hand-written lexicons (nlu/lexicons/), then known content words.
   Malay function words weigh more than English ones on purpose: Malaysian and Indonesian
   voters borrow English freely, English writers never use "ke", "tak" or "yg".
3. Only when what the lexicons know leaves the question open are the words they do not know
   scored by character n-grams: first by our own model (langdetect's English and Indonesian
   profiles, restricted to those two and scored deterministically, plus n-grams trained from
   the package's word lists and their regular affixations), and where that one is unsure, by
   lingua restricted to Malay, Indonesian and English. Our model alone reached 95.3% on
   lingua's ms+id word pairs, lingua's per-word probabilities 97.3%; asking lingua only when
   ours is unsure keeps most of that at a fraction of the cost. Most messages carry a function
   word, so most never reach this step (BENCHMARKS.md has the figures).

Confidence is the logistic of the summed evidence, so a message with no evidence ("ok", "555",
"👍") sits at or below 0.5 and never counts as a confident detection.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from nlu.languages import LANGUAGES, UNDETERMINED
from nlu.lexicons import read_mapping, read_words
from nlu.normalize import arabic_digits, clean, fold_repeats, strip_noise

__all__ = [
    "CONFIDENCE_THRESHOLD", "DETECTED", "LanguageGuess", "clear_caches", "detect_language"
]

DETECTED = (*LANGUAGES, UNDETERMINED)
CONFIDENCE_THRESHOLD = 0.75
"""At or above this a guess may switch the reply language; "ok" or one unknown word stays below."""


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A language ("th", "ms", "en" or "und") and how sure the detector is of it.

    Frozen so a guess can be cached and shared between the reply-language choice, the matcher
    and the log without anyone changing it underway."""

    language: str
    confidence: float

    @property
    def is_confident(self) -> bool:
        return self.language != "und" and self.confidence >= CONFIDENCE_THRESHOLD


# Evidence weights, in log-odds (positive = Malay, negative = English).
W_MS_FUNCTION = 3.0
W_EN_FUNCTION = 1.6
W_MS_SHORTFORM = 2.5
W_EN_SHORTFORM = 0.8  # "u", "pls", "thx" are Malaysian chat as much as English
W_CONTENT = 1.4
W_NGRAM_CAP = 2.0
W_OTHER = 3.0  # a function word of another Latin-script language
W_MS_CONTENT_BOOST = 1.5  # see _latin: borrowing runs from English into Malay
W_BORROWED_EN = 0.3
W_THAI_ROMAN = 4.0  # a Thai particle in Latin letters ("khob khun krub")
OWN_MODEL_SURE = 3.0  # |log-odds| from our n-gram model beyond which lingua is not asked
W_DECISIVE = 6.0  # known evidence beyond which unknown words are not looked at

_LETTER = re.compile(r"[^\W\d_]")
_THAI_LETTER = re.compile("[\u0e01-\u0e30\u0e32\u0e33\u0e40-\u0e46]")  # letters, not marks
_LATIN_LETTER = re.compile(
    "[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"
)
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def detect_language(text: str) -> LanguageGuess:
    """The language of one chat message, with a confidence in 0..1."""
    return _detect(text)


def clear_caches() -> None:
    """Forget every message and word seen, so a benchmark measures cold lookups."""
    _detect.cache_clear()
    _word_evidence.cache_clear()
    _ngram_evidence.cache_clear()


@lru_cache(maxsize=8192)
def _detect(text: str) -> LanguageGuess:
    text = arabic_digits(strip_noise(clean(text)))
    letters = len(_LETTER.findall(text))
    thai = len(_THAI_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    other = letters - thai - latin
    if thai and thai >= other:
        # Thai script is only ever written by Thai readers here; a couple of letters suffices.
        share = thai / (thai + latin + other)
        return LanguageGuess("th", round(min(0.99, 0.8 + 0.2 * share + 0.02 * thai), 4))
    if other > latin:
        return LanguageGuess("und", 0.9)
    if not latin:
        return LanguageGuess("und", 1.0)
    return _latin(text)


def _latin(text: str) -> LanguageGuess:
    folded = text.casefold().replace("’", "'")
    accented = 0
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded)
        accented = sum(1 for ch in folded if unicodedata.combining(ch))
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    grammar = 0.0  # function words and short forms
    malay_grammar = False
    content_ms = content_en = 0.0  # content words and n-grams, kept apart (see below)
    evidence = 0
    other_hits = 0
    thai_hits = 0
    unknown: list[str] = []
    for word in _LATIN_WORD.findall(folded):
        value, kind = _word_evidence(word)
        if kind == "other":
            other_hits += 1
        elif kind == "thai":
            thai_hits += 1
        elif kind == "unknown":
            unknown.append(word)
        elif kind:
            evidence += 1
            if kind in ("function", "shortform"):
                grammar += value
                malay_grammar = malay_grammar or value > 0
            elif value > 0:
                content_ms += value
            else:
                content_en += value
    # Words the lexicons do not know go to the n-gram model, unless what is known already
    # settles the question: most sentences carry a few function words, so this is the rare,
    # expensive path, taken by short messages of names and content words.
    if unknown and abs(grammar + content_ms + content_en) < W_DECISIVE:
        for word in unknown:
            value = _ngram_evidence(word)
            evidence += 1
            if value > 0:
                content_ms += value
            else:
                content_en += value
    # Borrowing runs one way: Malay and Indonesian writers use English nouns and verbs all the
    # time ("sy dah register online"), English writers almost never use Malay ones. So Malay
    # content weighs more than English content, and English content counts little once the
    # message carries Malay grammar.
    english_weight = W_BORROWED_EN if malay_grammar else 1.0
    score = grammar + W_MS_CONTENT_BOOST * content_ms + english_weight * content_en
    if thai_hits and W_THAI_ROMAN * thai_hits > abs(score):
        return LanguageGuess("th", round(_sigmoid(W_THAI_ROMAN * thai_hits - abs(score)), 4))
    # Diacritics: Vietnamese, French, Spanish... Malay and English chat do without them.
    other_score = W_OTHER * other_hits + (1.5 * min(accented, 3) if accented else 0.0)
    if other_score > abs(score) and (other_hits or accented >= 2):
        return LanguageGuess("und", round(_sigmoid(other_score - abs(score)), 4))
    if evidence == 0:
        return LanguageGuess("en", 0.5)  # letters, but nothing that tells: "ok", "lol"
    language = "ms" if score > 0 else "en"
    return LanguageGuess(language, round(_sigmoid(abs(score)), 4))


@lru_cache(maxsize=65536)
def _word_evidence(word: str) -> tuple[float, str]:
    """(log-odds Malay over English, kind of evidence) for one lower-cased, accent-free word."""
    lex = _lexicons()
    word = fold_repeats(word)
    if word in lex.neutral:
        return 0.0, ""
    if word in lex.ms_function and word not in lex.en_function:
        return W_MS_FUNCTION, "function"
    if word in lex.en_function and word not in lex.ms_function:
        return -W_EN_FUNCTION, "function"
    if word in lex.other_function:
        return 0.0, "other"
    if word in lex.th_romanized:
        return 0.0, "thai"
    if word in lex.ms_short:
        return W_MS_SHORTFORM, "shortform"
    if word in lex.en_short:
        return -W_EN_SHORTFORM, "shortform"
    in_ms = word in lex.ms_words
    in_en = word in lex.en_words
    if in_ms != in_en:
        return (W_CONTENT if in_ms else -W_CONTENT), "content"
    if len(word) < 2:
        return 0.0, ""
    return 0.0, "unknown"


@lru_cache(maxsize=65536)
def _ngram_evidence(word: str) -> float:
    """Log-odds Malay over English for a word no lexicon knows, capped so that one odd word
    (a name, a typo) cannot outweigh a function word.

    Our own n-gram model answers first (microseconds, pure Python); lingua, more accurate on
    short words but slower, is asked only when ours is unsure."""
    own = _own_log_odds(word)
    if abs(own) >= OWN_MODEL_SURE:
        return max(-W_NGRAM_CAP, min(W_NGRAM_CAP, own))
    english = 0.0
    for result in _lingua().compute_language_confidence_values(word):
        if result.language.name == "ENGLISH":
            english = result.value
    english = min(max(english, 1e-4), 1 - 1e-4)
    return max(-W_NGRAM_CAP, min(W_NGRAM_CAP, math.log((1 - english) / english)))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True, slots=True)
class _Lexicons:
    ms_function: frozenset[str]
    en_function: frozenset[str]
    other_function: frozenset[str]
    ms_short: frozenset[str]
    en_short: frozenset[str]
    ms_words: frozenset[str]
    en_words: frozenset[str]
    neutral: frozenset[str]
    th_romanized: frozenset[str]


@lru_cache(maxsize=1)
def _lexicons() -> _Lexicons:
    en_words = read_words("en_words.txt")
    en_function = read_words("en_function.txt")
    english = en_words | en_function
    return _Lexicons(
        ms_function=read_words("ms_function.txt") - english,
        en_function=en_function,
        other_function=read_words("other_function.txt") - english - read_words("ms_words.txt"),
        ms_short=frozenset(read_mapping("ms_shortforms.txt")) - english,
        en_short=frozenset(read_mapping("en_shortforms.txt")),
        ms_words=read_words("ms_words.txt"),
        en_words=en_words,
        neutral=read_words("neutral.txt"),
        th_romanized=read_words("th_romanized.txt") - english - read_words("ms_words.txt"),
    )


@lru_cache(maxsize=1)
def _lingua() -> Any:
    """lingua restricted to Malay, Indonesian and English (its models for those three only).

    Asked only about words that neither the lexicons nor our own n-gram model settle, so it
    runs on few messages; Thai never reaches it, script settles Thai."""
    from lingua import Language, LanguageDetectorBuilder  # ~50 MB of models: load on first use
    languages = (Language.MALAY, Language.INDONESIAN, Language.ENGLISH)
    return LanguageDetectorBuilder.from_languages(*languages).build()


# ---------------------------------------------------------------------------------------------
# Our own character n-gram model: the fast first opinion on an unknown word


def _own_log_odds(word: str) -> float:
    """Mean per-n-gram log-odds of Malay over English, times a length factor, so that long
    words (more n-grams, more reliable) speak louder than short ones."""
    table = _ngram_table()
    padded = f" {word} "
    total = 0.0
    count = 0
    for n in (2, 3, 4):
        for i in range(len(padded) - n + 1):
            value = table.get(padded[i : i + n])
            if value is not None:
                total += value
                count += 1
    if not count:
        return 0.0
    return total / count * min(1.0 + len(word) / 6.0, 2.5)


@lru_cache(maxsize=1)
def _ngram_table() -> dict[str, float]:
    own = _train_own()
    ld = _langdetect_table()
    return {gram: 0.5 * own.get(gram, 0.0) + 0.5 * ld.get(gram, 0.0) for gram in own.keys() | ld}


def _train_own() -> dict[str, float]:
    """Log-odds per n-gram from the package's word lists, with affixed forms generated from
    them so that Malay morphology (meN-, ber-, di-, -kan, -nya) and English (-ing, -ed, -tion)
    are seen as running text shows them."""
    ms_words = read_words("ms_words.txt") | read_words("ms_function.txt")
    en_words = read_words("en_words.txt") | read_words("en_function.txt")
    ms_corpus = list(ms_words) + [w for root in ms_words for w in _malay_affixes(root)]
    en_corpus = list(en_words) + [w for root in en_words for w in _english_affixes(root)]
    ms_counts = _count(ms_corpus)
    en_counts = _count(en_corpus)
    ms_total = sum(ms_counts.values())
    en_total = sum(en_counts.values())
    return {
        gram: math.log(
            ((ms_counts.get(gram, 0) + 0.5) / ms_total)
            / ((en_counts.get(gram, 0) + 0.5) / en_total)
        )
        for gram in ms_counts.keys() | en_counts.keys()
    }


def _count(words: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in words:
        if not word.isalpha():
            continue
        padded = f" {word} "
        for n in (2, 3, 4):
            for i in range(len(padded) - n + 1):
                gram = padded[i : i + n]
                counts[gram] = counts.get(gram, 0) + 1
    return counts


def _malay_affixes(root: str) -> list[str]:
    if len(root) < 4 or not root.isalpha():
        return []
    first = root[0]
    if first in "aeiough":
        men = "meng" + root
    elif first in "bfpv":
        men = "mem" + (root[1:] if first == "p" else root)
    elif first in "cdjtz":
        men = "men" + (root[1:] if first == "t" else root)
    elif first == "s":
        men = "meny" + root[1:]
    elif first == "k":
        men = "meng" + root[1:]
    else:
        men = "me" + root
    pe = "pe" + men[2:]
    return [
        men, men + "kan", "di" + root, "di" + root + "kan", "ber" + root, "ter" + root,
        root + "nya", root + "kan", root + "an", pe + "an", "ke" + root + "an", root + "lah",
    ]


def _english_affixes(root: str) -> list[str]:
    if len(root) < 3 or not root.isalpha():
        return []
    stem = root[:-1] if root.endswith("e") else root
    return [root + "s", stem + "ed", stem + "ing", root + "ly", stem + "er", stem + "ation",
            "un" + root, "re" + root, root + "ness"]


@lru_cache(maxsize=1)
def _langdetect_table() -> dict[str, float]:
    """Log-odds per n-gram from langdetect's English and Indonesian profiles (shipped with the
    langdetect package): corpus frequencies that our word lists cannot give."""
    base = files("langdetect").joinpath("profiles")
    profiles = {}
    for lang in ("en", "id"):
        data = json.loads(base.joinpath(lang).read_text(encoding="utf-8"))
        profiles[lang] = (data["freq"], data["n_words"])
    # The profiles are pruned: a missing n-gram is rare there, not absent, so it gets half the
    # smallest count kept for that length rather than zero.
    floors = {}
    for key, (freq, totals) in profiles.items():
        for n in (2, 3):
            floors[key, n] = 0.5 * min(v for g, v in freq.items() if len(g) == n) / totals[n - 1]
    en_freq, en_n = profiles["en"]
    id_freq, id_n = profiles["id"]
    table: dict[str, float] = {}
    for gram in en_freq.keys() | id_freq.keys():
        n = len(gram)
        if n < 2 or gram != gram.lower() or not all(c.isalpha() or c == " " for c in gram):
            continue
        p_ms = id_freq[gram] / id_n[n - 1] if gram in id_freq else floors["id", n]
        p_en = en_freq[gram] / en_n[n - 1] if gram in en_freq else floors["en", n]
        table[gram] = math.log(p_ms / p_en)
    return table
