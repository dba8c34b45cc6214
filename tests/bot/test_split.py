"""Replies longer than Telegram's 4,096 characters are split into valid, readable parts."""

from __future__ import annotations

import html
import re

import pytest

from bot.core import Button, Reply, split_html, split_reply
from bot.core.split import TELEGRAM_LIMIT, utf16_len

TAG = re.compile(r"<(/?)([a-z]+)[^<>]*>")


def balanced(part: str) -> bool:
    stack = []
    for closing, name in TAG.findall(part):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def visible(part: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", part))


def test_short_text_is_one_part():
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]


def test_splits_at_paragraphs_and_keeps_every_word():
    paragraphs = [f"Paragraph {i}. " + "word " * 150 for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_html(text)
    assert len(parts) > 1
    assert all(utf16_len(p) <= TELEGRAM_LIMIT for p in parts)
    assert all(p.rstrip().endswith("word") for p in parts)  # cut at a paragraph end
    assert " ".join(visible(p) for p in parts).split() == text.split()


def test_never_cuts_inside_a_tag_or_entity_and_reopens_tags():
    body = " ".join(f"fact&amp;{i}" for i in range(3000))
    text = f'<b>Title</b>\n<i>{body}</i>\n<a href="https://example.org/?a=1&amp;b=2">link</a>'
    parts = split_html(text, 500)
    assert len(parts) > 5
    for part in parts:
        assert utf16_len(part) <= 500
        assert balanced(part), part[:80]
        assert not re.search(r"&[a-z#0-9]*$", part) and not re.search(r"^[a-z#0-9]*;", part)
        assert part.count("<") == part.count(">")
    joined = " ".join(visible(p) for p in parts)
    assert joined.split() == visible(text).split()


def test_long_thai_without_spaces_is_cut_between_characters_not_marks():
    text = "ผู้มีสิทธิเลือกตั้ง" * 400
    parts = split_html(text, 300)
    assert all(utf16_len(p) <= 300 for p in parts)
    assert "".join(parts) == text
    for part in parts[1:]:
        assert part[0] not in "ั็่้๊๋ิีึืุู์"  # never starts with a vowel or tone mark


def test_emoji_count_double():
    text = "🗳️ " * 3000
    parts = split_html(text)
    assert all(utf16_len(p) <= TELEGRAM_LIMIT for p in parts)


def test_buttons_go_on_the_last_part():
    reply = Reply("line\n" * 2000, ((Button("ok", "h:1:abc"),),))
    parts = split_reply(reply)
    assert len(parts) > 1
    assert all(not p.buttons for p in parts[:-1])
    assert parts[-1].buttons == reply.buttons


def test_tiny_limits_are_refused():
    with pytest.raises(ValueError):
        split_html("x" * 500, 100)
