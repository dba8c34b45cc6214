"""/tips: present, short and in each language."""

from __future__ import annotations

import re

import pytest

from bot.texts import t


@pytest.mark.parametrize(("language", "marker"), [("th", "แชร์"), ("ms", "kongsi"), ("en", "share")])
def test_tips_in_each_language(language: str, marker: str) -> None:
    text = t(language, "tips")
    assert marker in text
    assert len(text) < 1500  # one screen on a phone, well under Telegram's 4096
    assert "1444" in text  # the ECT hotline in every language
    # Telegram-HTML: only <b>…</b>, and no bare "&".
    assert set(re.findall(r"</?(\w+)", text)) == {"b"}
    assert "&" not in text


def test_unknown_language_falls_back_to_english() -> None:
    assert t("und", "tips") == t("en", "tips")
