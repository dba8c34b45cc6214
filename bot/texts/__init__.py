"""Every user-facing string, one module per language (en.py, th.py, ms.py).

`t(lang, key, **values)` is the only way the core produces words, so a translator edits one
file and a test (tests/bot/test_texts.py) proves the three files define the same keys and the
same {placeholders}. Values passed in are HTML-escaped here: a voter's text or a knowledge entry
can never break the Telegram-HTML of a reply. Use `Markup` for a value that is already HTML.
"""

from __future__ import annotations

import html
import string
from datetime import date
from types import ModuleType

from bot.texts import en, ms, th

DEFAULT_LANGUAGE = "en"
#: The voters' commands in Telegram's command menu, in menu order (each has a `menu_<name>` text).
MENU_COMMANDS = ("start", "help", "language", "about", "privacy", "tips", "forget")
CATALOGS: dict[str, ModuleType] = {"en": en, "th": th, "ms": ms}

#: How each language names itself on the language menu (the same in every language, so a voter
#: who cannot read the current language still finds their own).
NATIVE_NAMES: dict[str, str] = {"th": "ไทย", "ms": "Bahasa Melayu", "en": "English"}


class Markup(str):
    """A value that is already safe Telegram-HTML and must not be escaped again."""


def _lang(lang: str | None) -> str:
    return lang if lang in CATALOGS else DEFAULT_LANGUAGE


def t(lang: str | None, key: str, **values: object) -> str:
    """The text `key` in `lang` (English when the language or key is missing), filled in."""
    catalog: dict[str, str] = CATALOGS[_lang(lang)].TEXTS
    template = catalog.get(key)
    if template is None:
        template = en.TEXTS[key]  # a KeyError here is a programming error, caught by tests
    safe = {
        name: value if isinstance(value, Markup) else html.escape(str(value), quote=False)
        for name, value in values.items()
    }
    return template.format(**safe) if safe or "{" in template else template


def keys(lang: str) -> frozenset[str]:
    return frozenset(CATALOGS[lang].TEXTS)


def placeholders(template: str) -> frozenset[str]:
    """The {names} a template uses (what the completeness test compares)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def format_date(lang: str | None, value: date) -> str:
    """A date as that language writes it (Thai: Buddhist era, short month)."""
    catalog = CATALOGS[_lang(lang)]
    return catalog.DATE_FORMAT.format(
        day=value.day, month=catalog.MONTHS[value.month - 1], year=value.year + catalog.YEAR_OFFSET
    )


def language_name(lang: str | None, of: str) -> str:
    """The name of language `of`, written in language `lang` ("Thai", "ภาษาไทย", ...)."""
    return t(lang, f"lang_name_{of}")
