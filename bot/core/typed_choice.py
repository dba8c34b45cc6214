"""A choice from a "did you mean" list, typed instead of tapped: "1", "1.", "๑", "the first one",
"2nd", "yang pertama", "nombor 2", "อันแรก", "ข้อ 2".

Voters answer a numbered list the way they answer a person: with a number, an ordinal word, or a
short phrase around one, in their own language and script. `parse_choice` reads such a message
as the number it names, and only when the whole message is that (a filler word or two around a
number or an ordinal, nothing else), so "2nd round of voting" or "first-time voters" stay
questions. Whether there is a list to choose from is the caller's business (bot/core/handlers/
clarify.py): outside one, "1" is just a number.

One table per language; Thai is written without spaces, so every phrase is matched with spaces
and punctuation removed, and a message is read by peeling known fillers off either end until a
number or an ordinal is left.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

#: Returned for "the last one": the caller knows how long its list is.
LAST = -1
#: Longer messages are questions, not choices.
MAX_CHARS = 40
#: The biggest number read from words or digits (lists are short; "2023" is a year).
MAX_NUMBER = 99

#: Number and ordinal words, per language (lower case, no spaces).
ORDINALS: dict[str, dict[str, int]] = {
    "en": {
        "first": 1, "1st": 1, "one": 1,
        "second": 2, "2nd": 2, "two": 2,
        "third": 3, "3rd": 3, "three": 3,
        "fourth": 4, "4th": 4, "four": 4,
        "fifth": 5, "5th": 5, "five": 5,
        "sixth": 6, "6th": 6, "six": 6,
        "last": LAST, "lastone": LAST,
    },
    "ms": {
        "pertama": 1, "satu": 1,
        "kedua": 2, "dua": 2,
        "ketiga": 3, "tiga": 3,
        "keempat": 4, "empat": 4,
        "kelima": 5, "lima": 5,
        "keenam": 6, "enam": 6,
        "terakhir": LAST, "akhir": LAST,
    },
    "th": {
        "แรก": 1, "หนึ่ง": 1,
        "สอง": 2,
        "สาม": 3,
        "สี่": 4,
        "ห้า": 5,
        "หก": 6,
        "สุดท้าย": LAST,
    },
}

#: Words that may come before the number ("the", "option", "yang", "ข้อ"), per language.
PREFIXES: dict[str, tuple[str, ...]] = {
    "en": (
        "imean", "imeant", "iwant", "iwould like", "illtake", "itake", "give me", "showme",
        "show", "its", "itis", "thats", "the", "option", "number", "no", "num", "choice",
        "pick", "answer", "item", "ok",
    ),
    "ms": (
        "sayamaksudkan", "maksudsaya", "saya pilih", "sayanak", "nak", "saya", "pilih",
        "yang", "nombor", "no", "pilihan", "ke", "itu", "tu",
    ),
    "th": (
        "ผมหมายถึง", "หมายถึง", "ขอดู", "ขอ", "เอา", "เลือก", "ตัวเลือก", "ตัว", "อัน", "ข้อ",
        "ที่", "เบอร์", "หมายเลข", "เลข", "ลำดับ",
    ),
}

#: Words that may come after it ("one", "please", "ya", "ครับ"), per language.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "en": (
        "one", "option", "please", "pls", "plz", "thanks", "thankyou", "thx", "ok", "onthelist",
        "inthelist",
    ),
    "ms": ("lah", "ya", "je", "sahaja", "saja", "tu", "itu", "terimakasih", "tq", "ok"),
    "th": (
        "ครับ", "คับ", "ค่ะ", "คะ", "ค่า", "จ้า", "จ้ะ", "นะ", "ละกัน", "แล้วกัน", "อัน",
        "ข้อ", "ที่", "เลย", "ด้วย",
    ),
}


def _compact(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({w.replace(" ", "") for w in words}, key=len, reverse=True))


_ALL_ORDINALS: dict[str, int] = {k: v for table in ORDINALS.values() for k, v in table.items()}
_ALL_PREFIXES = _compact(tuple(w for words in PREFIXES.values() for w in words))
_ALL_SUFFIXES = _compact(tuple(w for words in SUFFIXES.values() for w in words))

#: Messages that read like a number but refuse the list ("no one" is not "no. 1").
REFUSALS = frozenset({"noone", "none", "nothing", "neither", "tiada", "takada", "ไม่มี"})

#: Characters dropped before reading: emoji variation selectors and the keycap mark of "1️⃣".
_INVISIBLE = {"\ufe0f", "\ufe0e", "\u20e3", "\u200b", "\u200c", "\u200d", "\u2060"}


def parse_choice(text: str | None) -> int | None:
    """The list number `text` names (1-based; `LAST` for "the last one"), or None when the
    message is anything more than a choice."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    if not text or len(text) > MAX_CHARS:
        return None
    tokens = _tokens(text)
    if tokens is None:
        return None
    compact = "".join(tokens)
    return None if compact in REFUSALS else _read(compact)


def _tokens(text: str) -> list[str] | None:
    """The message as words, punctuation and symbols dropped, every digit (Thai ๑, Arabic-Indic,
    full-width) as ASCII; None when it holds two separate numbers ("1 or 2", "1.5")."""
    tokens: list[str] = []
    current: list[str] = []
    numbers = 0

    def close() -> None:
        nonlocal numbers
        if current:
            word = "".join(current)
            numbers += any(ch.isdigit() for ch in word)
            tokens.append(word)
            current.clear()

    for ch in text.casefold():
        if ch in _INVISIBLE:
            continue
        category = unicodedata.category(ch)
        if category == "Nd":
            current.append(str(unicodedata.digit(ch)))
        elif category[0] in "LM":
            current.append(ch)
        elif ch == "#" and not current:
            continue
        else:  # space, punctuation, symbols, emoji: word breaks
            close()
    close()
    if numbers > 1 or not tokens:
        return None
    return tokens


@lru_cache(maxsize=2048)
def _read(compact: str) -> int | None:
    """Peel fillers off both ends of `compact` until a number or an ordinal is left."""
    seen: set[str] = set()
    todo = [compact]
    while todo:
        rest = todo.pop()
        if rest in seen or not rest:
            continue
        seen.add(rest)
        if rest.isdigit():
            value = int(rest)
            return value if value <= MAX_NUMBER else None
        if rest in _ALL_ORDINALS:
            return _ALL_ORDINALS[rest]
        for prefix in _ALL_PREFIXES:
            if rest.startswith(prefix):
                todo.append(rest[len(prefix):])
        for suffix in _ALL_SUFFIXES:
            if rest.endswith(suffix):
                todo.append(rest[: -len(suffix)])
    return None


def choices_text(count: int, conjunction: str) -> str:
    """ "1, 2 or 3" for a list of `count` (the conjunction in the voter's language)."""
    numbers = [str(n) for n in range(1, count + 1)]
    if len(numbers) == 1:
        return numbers[0]
    return ", ".join(numbers[:-1]) + conjunction + numbers[-1]


def resolve(number: int, count: int) -> int | None:
    """The 0-based index of choice `number` in a list of `count`, or None when out of range."""
    if number == LAST:
        return count - 1 if count else None
    return number - 1 if 1 <= number <= count else None
