"""Every user-facing string exists in Thai, Malay and English, with the same placeholders."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.texts import CATALOGS, Markup, format_date, keys, placeholders, t
from bot.texts.desk import DESK
from nlu.languages import LANGUAGES

ALLOWED_TAGS = {"b", "i", "a"}
TAG = re.compile(r"<(/?)([a-z]+)[^<>]*>")


def test_all_languages_define_the_same_keys():
    english = keys("en")
    for lang in LANGUAGES:
        assert keys(lang) - english == set(), f"{lang} has keys English lacks"
        assert english - keys(lang) == set(), f"{lang} lacks keys"


@pytest.mark.parametrize("lang", ["th", "ms"])
def test_placeholders_match_english(lang):
    for key, template in CATALOGS["en"].TEXTS.items():
        assert placeholders(CATALOGS[lang].TEXTS[key]) == placeholders(template), (lang, key)


@pytest.mark.parametrize("lang", [*LANGUAGES, "desk"])
def test_texts_are_non_empty_valid_telegram_html(lang):
    """The voters' texts in each language, and the checkers' desk (bot/texts/desk.py), which
    also shows commands to copy in <code>."""
    catalog = DESK if lang == "desk" else CATALOGS[lang].TEXTS
    allowed = ALLOWED_TAGS | {"code"} if lang == "desk" else ALLOWED_TAGS
    for key, template in catalog.items():
        assert template.strip(), (lang, key)
        stack = []
        for closing, name in TAG.findall(template):
            assert name in allowed, (lang, key, name)
            if closing:
                assert stack and stack.pop() == name, (lang, key)
            else:
                stack.append(name)
        assert not stack, (lang, key)
        assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#\d+;)", template), (lang, key)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_are_translated(lang):
    """Catch a copy-pasted English text in the Thai or Malay file (commands and names aside)."""
    if lang == "en":
        return
    same = [
        key for key, text in CATALOGS[lang].TEXTS.items()
        if text == CATALOGS["en"].TEXTS[key] and not key.startswith(("lang_name", "region_"))
    ]
    assert same == []


def test_months_and_dates():
    for lang in LANGUAGES:
        assert len(CATALOGS[lang].MONTHS) == 12
    assert format_date("th", date(2023, 5, 14)) == "14 พ.ค. 2566"
    assert format_date("ms", date(2023, 8, 12)) == "12 Ogos 2023"
    assert format_date("en", date(2022, 11, 19)) == "19 November 2022"


def test_values_are_escaped_unless_marked_safe():
    assert t("en", "card_claim", text="<b>x</b> & y") == (
        "<b>Claim checked:</b> &lt;b&gt;x&lt;/b&gt; &amp; y"
    )
    assert t("en", "card_claim", text=Markup("<i>ok</i>")) == "<b>Claim checked:</b> <i>ok</i>"


def test_unknown_language_falls_back_to_english():
    assert t("fr", "greet") == t("en", "greet")
    assert t(None, "greet") == t("en", "greet")
