"""Election terms that mean the same across Thai, Malay and English (`knowledge/glossary.yml`).

The matcher's word channel only rewards words spelt alike, so a Malay "undi awal" and a Thai-only
fact-check about "เลือกตั้งล่วงหน้า" share nothing there, and the dense model alone has to carry the
match. Reading every term of a concept as that concept, in entries and in messages alike, gives
the word channel a shared token ("≡advance-voting") across the three languages.

The glossary is data that maintainers extend (README, "The knowledge base"); the bot's
`GLOSSARY_FILE` setting points at another copy. A broken file is an error that names the file,
never a silent empty glossary: a matcher quietly without it would lose cross-lingual matches
nobody would notice.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.analysis import fold, strip_accents
from nlu.normalize import clean

DEFAULT_PATH = Path(__file__).with_name("glossary.yml")
#: Prefix of concept tokens: no tokenizer produces it, so a concept never collides with a word.
PREFIX = "≡"
_THAI = re.compile(r"[\u0E00-\u0E7F]")
_REPEAT = re.compile(r"([a-z])\1{2,}")


class GlossaryError(ValueError):
    """The glossary file cannot be used; the message names the file."""


@dataclass(frozen=True)
class Glossary:
    """Concept detection: Latin terms as whole words, Thai terms as substrings of folded text."""

    latin: re.Pattern[str] | None
    latin_concepts: dict[str, str]  # normalised term -> concept
    thai: tuple[tuple[str, str], ...]  # (folded term, concept)
    size: int

    @classmethod
    def from_mapping(cls, concepts: dict[str, list[str]], origin: str = "glossary") -> Glossary:
        latin: dict[str, str] = {}
        thai: list[tuple[str, str]] = []
        if not isinstance(concepts, dict):
            raise GlossaryError(f"{origin}: 'concepts' must be a mapping of name -> list of terms")
        for name, terms in concepts.items():
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                raise GlossaryError(f"{origin}: concept {name!r} must be a list of terms")
            for term in terms:
                if _THAI.search(term):
                    folded = fold(term)
                    if folded:
                        thai.append((folded, str(name)))
                else:
                    norm = _latin_form(term)
                    if norm:
                        latin.setdefault(norm, str(name))
        pattern = None
        if latin:
            alternatives = sorted(latin, key=len, reverse=True)
            pattern = re.compile(
                r"(?<![a-z0-9])(?:"
                + "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in alternatives)
                + r")(?![a-z0-9])"
            )
        return cls(pattern, latin, tuple(thai), len(latin) + len(thai))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Glossary:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise GlossaryError(f"{path}: cannot read the glossary: {exc}") from exc
        if not isinstance(data, dict) or "concepts" not in data:
            raise GlossaryError(f"{path}: expected a mapping with a 'concepts' key")
        return cls.from_mapping(data["concepts"], str(path))

    def concepts(self, text: str) -> frozenset[str]:
        """The concepts `text` mentions, as tokens (`≡name`)."""
        found: set[str] = set()
        if self.latin is not None:
            latin_text = _latin_form(text)
            for m in self.latin.finditer(latin_text):
                found.add(self.latin_concepts[re.sub(r"\s+", " ", m.group(0))])
        if self.thai and _THAI.search(text):
            folded = fold(text)
            for term, concept in self.thai:
                if term in folded:
                    found.add(concept)
        return frozenset(PREFIX + c for c in found)


def _latin_form(text: str) -> str:
    """Lower case, accents dropped, runs of one letter squeezed ("saaaman" = "saman"), words
    separated by single spaces."""
    text = strip_accents(clean(text).lower())
    text = _REPEAT.sub(r"\1", text)
    return re.sub(r"[^\w\u0E00-\u0E7F-]+", " ", text).strip()


EMPTY = Glossary(None, {}, (), 0)


@lru_cache(maxsize=4)
def load_glossary(path: str | None = None) -> Glossary:
    """The glossary at `path`, else the bundled one (cached per path)."""
    return Glossary.load(path or DEFAULT_PATH)
