"""Cutting replies that are too long for one Telegram message (4,096 characters).

A long explanation or a voter's long text quoted back must arrive as several readable messages,
not be refused by Telegram. Cuts fall at a paragraph break if there is one in the second half of
the allowed length, else a line break, a sentence end, a space, and only as a last resort in the
middle of a word; never inside an HTML tag or entity. Tags open at a cut are closed at the end of
one part and reopened at the start of the next, so every part is valid Telegram-HTML. Buttons go
on the last part, under the end of the text they belong to.

Length is counted in UTF-16 code units of the HTML source, which is never less than what
Telegram counts (it counts the text after parsing, where an emoji is two units).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from bot.core.messages import Reply

TELEGRAM_LIMIT = 4096
#: Kept free in each part for the closing tags a cut adds.
RESERVE = 64

_MARKUP = re.compile(r"<[^<>]*>|&#?\w+;")
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^<>]*?)(/?)>")
_SENTENCE_END = re.compile(r"[.!?…。](?=\s)|[\u0e2f\u0e46](?=\s)")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_reply(reply: Reply, limit: int = TELEGRAM_LIMIT) -> list[Reply]:
    parts = split_html(reply.text, limit)
    if len(parts) == 1:
        return [reply]
    out = [replace(reply, text=part, buttons=()) for part in parts[:-1]]
    out.append(replace(reply, text=parts[-1]))
    return out


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """`text` as parts of at most `limit` UTF-16 units each, every part valid HTML on its own."""
    if limit <= RESERVE * 2:
        raise ValueError(f"limit must be more than {RESERVE * 2}")
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        reopened = _leading_tags_end(rest)
        cut = _find_cut(rest, limit - RESERVE, reopened)
        head, tail = rest[:cut], rest[cut:]
        stack = _open_tags(head)
        closing = "".join(f"</{name}>" for name, _ in reversed(stack))
        reopening = "".join(tag for _, tag in stack)
        head = head.rstrip() + closing
        if _visible(head).strip():
            parts.append(head)
        rest = reopening + tail.lstrip()
    if _visible(rest).strip() or not parts:
        parts.append(rest)
    return parts


def _visible(html_text: str) -> str:
    return _MARKUP.sub("", html_text)


def _leading_tags_end(text: str) -> int:
    """Where the text after any opening tags at the very start begins (a cut must come later)."""
    position = 0
    while True:
        match = _TAG.match(text, position)
        if not match or match.group(1):
            return position
        position = match.end()


def _find_cut(text: str, budget: int, minimum: int) -> int:
    """The best index to cut `text` at, with text[:index] at most `budget` UTF-16 units."""
    unsafe = bytearray(len(text) + 1)  # 1 where a cut would fall inside a tag or entity
    for match in _MARKUP.finditer(text):
        unsafe[match.start() + 1 : match.end()] = b"\x01" * (match.end() - match.start() - 1)

    # The largest index whose prefix fits the budget.
    units = 0
    hi = minimum
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > budget:
            break
        hi = index + 1
    lo = max(minimum + 1, hi // 2)

    def last_safe(pattern: re.Pattern[str] | str, after_match: bool = True) -> int | None:
        best = None
        regex = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
        for match in regex.finditer(text, lo, hi):
            index = match.end() if after_match else match.start()
            if lo <= index <= hi and not unsafe[index]:
                best = index
        return best

    for pattern in ("\n\n", "\n", _SENTENCE_END, re.compile(r"\s")):
        found = last_safe(pattern)
        if found is not None:
            return found
    # A hard cut: step back out of any tag or entity, and off combining marks (Thai vowels and
    # tone marks belong to the consonant before them).
    index = hi
    while index > minimum + 1 and (
        unsafe[index] or (index < len(text) and unicodedata.combining(text[index]))
        or (index < len(text) and unicodedata.category(text[index]) == "Mn")
    ):
        index -= 1
    return max(index, minimum + 1)


def _open_tags(html_text: str) -> list[tuple[str, str]]:
    """(name, opening tag) of the tags still open at the end of `html_text`, outermost first."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(html_text):
        closing, name, _, self_closing = match.groups()
        name = name.lower()
        if self_closing:
            continue
        if closing:
            for position in range(len(stack) - 1, -1, -1):
                if stack[position][0] == name:
                    del stack[position:]
                    break
        else:
            stack.append((name, match.group(0)))
    return stack
