"""The knowledge entry as the rest of the program sees it (SPEC section 1, format version 1).

Entries are immutable once loaded: a reload builds a new set and swaps it in whole, so a
conversation that is half-way through a reply never sees a mix of old and new knowledge.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from nlu.languages import LANGUAGES

KINDS = ("fact", "claim")
VERDICTS = ("true", "false", "misleading", "partly-true", "unproven")
STATUSES = ("published", "draft", "retracted")


@dataclass(frozen=True)
class Source:
    """A source's link and names. `title` and `publisher` are written once (any language) or
    per language (`titles`, `publishers`: a Thai card names the Election Commission in Thai when
    the knowledge gives it); `title`/`publisher` are then the English name, else the first."""

    url: str
    title: str | None = None
    publisher: str | None = None
    titles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    publishers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def title_in(self, lang: str) -> str | None:
        return self.titles.get(lang) or self.title

    def publisher_in(self, lang: str) -> str | None:
        return self.publishers.get(lang) or self.publisher


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    text: Mapping[str, str]
    answer: Mapping[str, str]
    verdict: str | None = None
    region: str | None = None
    topics: tuple[str, ...] = ()
    variants: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    sources: tuple[Source, ...] = ()
    published: date | None = None
    status: str = "published"
    file: str = ""
    line: int = 0

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def languages(self) -> tuple[str, ...]:
        """Languages the entry can be shown in: it needs an answer in that language."""
        return tuple(lang for lang in LANGUAGES if lang in self.answer)

    def text_in(self, lang: str) -> str:
        """The entry's text in `lang`, else in the first language it has (for labels and cards)."""
        return self.text.get(lang) or next(iter(self.text.values()))

    def answer_in(self, lang: str) -> tuple[str, str]:
        """(language actually used, answer): the answer in `lang` when it exists, else a fallback.

        The fallback order prefers English, which most voters of the three languages read, then
        whatever the entry has.
        """
        if lang in self.answer:
            return lang, self.answer[lang]
        for other in ("en", "ms", "th"):
            if other in self.answer:
                return other, self.answer[other]
        raise KeyError(self.id)

    def content_hash(self) -> str:
        """A stable hash of everything a matcher indexes, so caches are keyed by content."""
        payload = json.dumps(
            {"text": dict(self.text), "variants": {k: list(v) for k, v in self.variants.items()}},
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
