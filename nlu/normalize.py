"""The one place text is cleaned and cut into tokens for matching.

Every caller (matcher, intent classifier, language detector) goes through here so that a
knowledge entry and a voter's chat message end up as the same tokens: "x blh undi ke???" and
"tidak boleh undi ke?" must meet, and so must "จริงงงง" and "จริง".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from nlu.lexicons import read_mapping, read_words

__all__ = ["THAI_DIGITS", "arabic_digits", "clean", "fold_repeats", "strip_noise", "tokenize"]

# Zero-width characters, joiners, BOM and bidi marks that chat apps and copy-paste leave behind.
# ZWJ (U+200D) is kept: it glues emoji sequences (family, flags of professions) together.
_INVISIBLE = re.compile("[\u200b\u200c\u200e\u200f\u2060\u2061-\u2064\ufeff\u00ad\u202a-\u202e]")
_WHITESPACE = re.compile(r"\s+")
# Control characters (category Cc) other than the whitespace ones, which become spaces.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|gov|edu|my|th|id|co|io|ly|me)"
    r"(?:/\S*)?\b",
    re.IGNORECASE,
)
_MENTION = re.compile(r"(?<![\w@])@\w+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_THAI_DIGIT = re.compile("[๐-๙]")

# A run of Thai letters (consonants, vowels, tone marks; not Thai digits, which become Arabic).
_THAI_RUN = re.compile("[\u0e01-\u0e4f\u0e5a\u0e5b]+")
# Thai abbreviations are consonants and dots ("ส.ส.", "พ.ค.", "กกต."): one token, dots dropped,
# so "กกต." matches "กกต" instead of being segmented into "กก" + "ต".
_THAI_ABBREVIATION = re.compile("(?<![\u0e01-\u0e4e])(?:[\u0e01-\u0e2e]{1,4}\\.)+")
_THAI_PIECE = re.compile(f"(?P<abbr>{_THAI_ABBREVIATION.pattern})|{_THAI_RUN.pattern}")
_THAI_CONSONANT = re.compile("[\u0e01-\u0e2e]")
# Word characters other than Thai; "_" is a separator in chat ("undi_awal").
_LATIN_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# Thai marks and following vowels never legitimately repeat ("ค่ะะะ", "มาาา"), so two of them
# fold to one; consonants legitimately double inside words (ธรรม, พรรค) and across word
# boundaries (คนนี้), so only runs of three or more fold.
_THAI_MARK_RUN = re.compile("([\u0e30-\u0e3a\u0e45\u0e47-\u0e4e])\\1+")
_THAI_LETTER_RUN = re.compile("([\u0e01-\u0e2e])\\1{2,}")
_LATIN_RUN = re.compile(r"([^\W\d_])\1{2,}")
# "calon2", "org2": Malay writes reduplication (calon-calon) with a trailing 2.
_REDUPLICATION = re.compile(r"^([^\W\d_]{3,})2$")
_LETTERS_OR_DIGITS = re.compile(r"[^\W\d_]+|\d+")


def clean(text: str) -> str:
    """NFKC-normalised text without invisible or control characters, whitespace collapsed.

    NFKC turns full-width letters and digits, ligatures and compatibility forms into the
    characters people mean; emoji are left as they are (they carry tone, and langid needs to
    see that a message is only emoji).
    """
    text = unicodedata.normalize("NFKC", text)
    if "\u0e4d\u0e32" in text:
        # NFKC splits Thai sara am (ำ) into nikhahit + sara aa, which no Thai dictionary, font
        # or model expects: "ซ้ำ" would stop being a word. Put it back together.
        text = text.replace("\u0e4d\u0e32", "\u0e33")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    return _WHITESPACE.sub(" ", text).strip()


def strip_noise(text: str) -> str:
    """The text without URLs, e-mail addresses and @mentions, which say nothing about the
    voter's language or question (a link is usually English whatever the voter writes)."""
    if "@" in text:
        text = _EMAIL.sub(" ", text)  # before URLs, whose pattern would take "b.com" of "a@b.com"
        text = _MENTION.sub(" ", text)
    if "." in text or "/" in text:
        text = _URL.sub(" ", text)
    return text


def arabic_digits(text: str) -> str:
    """Thai digits as Arabic ones ("๒๕๖๖" -> "2566"), so both spellings of a year match."""
    return text.translate(THAI_DIGITS) if _THAI_DIGIT.search(text) else text


def tokenize(text: str, language: str | None = None) -> list[str]:
    """Tokens for matching: Thai segmented, Latin case- and accent-folded, chat forms expanded.

    `language` ("th", "ms", "en" or None) only chooses which chat short forms are expanded:
    Latin words inside Thai text are still split as Latin, Thai inside Malay is still segmented.
    With None both Malay and English short forms are expanded where they do not collide.
    """
    return list(_tokenize_cached(text, language))


@lru_cache(maxsize=32768)
def _tokenize_cached(text: str, language: str | None) -> tuple[str, ...]:
    text = arabic_digits(strip_noise(clean(text)))
    expansions = _expansions(language)
    tokens: list[str] = []
    pos = 0
    for match in _THAI_PIECE.finditer(text):
        _latin_tokens(text[pos : match.start()], expansions, tokens)
        if match.group("abbr"):
            tokens.append(match.group().replace(".", ""))
        else:
            tokens.extend(_thai_tokens(match.group()))
        pos = match.end()
    _latin_tokens(text[pos:], expansions, tokens)
    return tuple(tokens)


def _thai_tokens(run: str) -> list[str]:
    run = run.replace("เเ", "แ")  # two sara e typed for sara ae: a very common typo
    run = _THAI_MARK_RUN.sub(r"\1", run)
    run = _THAI_LETTER_RUN.sub(r"\1", run)
    # a Thai word has a consonant: this drops spaces, "ๆ" (repeat the word before) and "ฯ"
    return [word for word in _segment(run) if _THAI_CONSONANT.search(word)]


@lru_cache(maxsize=1)
def _segmenter() -> Callable[[str], list[str]]:
    """pythainlp's newmm with its bundled dictionary: loaded once, never downloads anything."""
    from pythainlp.tokenize import newmm, word_dict_trie

    trie = word_dict_trie()

    def segment(run: str) -> list[str]:
        return newmm.segment(run, custom_dict=trie)

    return segment


def _segment(run: str) -> list[str]:
    return _segmenter()(run)


def _latin_tokens(chunk: str, expansions: dict[str, str], out: list[str]) -> None:
    if not chunk or chunk.isspace():
        return
    for match in _LATIN_WORD.finditer(_fold_case_and_accents(chunk)):
        word = match.group().replace("'", "").replace("’", "")
        word = fold_repeats(word)
        redup = _REDUPLICATION.match(word)
        if redup:
            word = redup.group(1)
        expanded = expansions.get(word)
        if expanded is not None:
            out.extend(expanded.split())
        elif word.isalpha() or word.isdigit():
            out.append(word)
        else:  # "PRU15", "GE15", "RM50": the same tokens as "PRU 15", "RM 50"
            out.extend(_LETTERS_OR_DIGITS.findall(word))


def _fold_case_and_accents(chunk: str) -> str:
    decomposed = unicodedata.normalize("NFKD", chunk.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_repeats(word: str) -> str:
    """Fold letters stretched for emphasis ("sooooo", "betulll") back to the word.

    A run of three or more becomes two when the doubled form is a known word ("goood" ->
    "good") and one otherwise ("pleaseee" -> "please"); runs of two are left alone because
    English and Malay spell with them ("good", "saat").
    """
    if not _LATIN_RUN.search(word):
        return word
    single = _LATIN_RUN.sub(r"\1", word)
    double = _LATIN_RUN.sub(r"\1\1", word)
    known = _known_words()
    if double in known and single not in known:
        return double
    return single


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    return read_words("en_words.txt") | read_words("ms_words.txt")


@lru_cache(maxsize=4)
def _expansions(language: str | None) -> dict[str, str]:
    malay = read_mapping("ms_shortforms.txt")
    english = read_mapping("en_shortforms.txt")
    if language == "ms":
        return {**english, **malay}  # Malay chat writes "u", "pls", "thx" too
    if language == "en":
        return english
    if language == "th":
        return english  # Latin words in Thai chat are English, not Malay short forms
    # Unknown language: both, except Malay forms that are English words themselves.
    merged = {k: v for k, v in malay.items() if k not in read_words("en_words.txt")}
    merged.update(english)
    return merged
