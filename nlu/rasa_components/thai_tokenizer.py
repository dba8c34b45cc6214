"""A Rasa tokenizer that segments Thai with pythainlp and splits Latin text on word boundaries.

Rasa's WhitespaceTokenizer refuses Thai (it lists "th" as unsupported), and rightly: Thai writes
no spaces between words, so "เลือกตั้งวันไหน" would be one token and the word-level featurizers
would learn nothing from it. Voters in this project mix Thai, Malay and English in one chat (and
sometimes one message), so this tokenizer cuts each Thai run with pythainlp's ``newmm`` (its
bundled dictionary, nothing downloaded) and every other run like the whitespace tokenizer does.

This module imports Rasa and runs only inside the Rasa service (scripts/rasa.sh puts the
repository on PYTHONPATH so ``nlu.rasa_components.thai_tokenizer.ThaiTokenizer`` resolves); the
bot never imports it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

# A run of Thai letters, marks and digits; and, outside Thai, a Latin/number word (keeping
# "PRU16", "don't", "10.30") or a single symbol such as an emoji.
_THAI_RUN = re.compile("[\u0e01-\u0e5b]+")
_OTHER_TOKEN = re.compile(r"[^\W_]+(?:[.'’:/-][^\W_]+)*|[^\w\s]", re.UNICODE)
_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’…")


@lru_cache(maxsize=1)
def _segment():  # type: ignore[no-untyped-def]
    """pythainlp's newmm with its bundled dictionary, loaded once per process."""
    from pythainlp.tokenize import word_tokenize

    def segment(text: str) -> list[str]:
        return word_tokenize(text, engine="newmm", keep_whitespace=False)

    return segment


def split_words(text: str) -> list[str]:
    """Words of ``text`` in order, each a substring of it (Rasa locates tokens by search)."""
    words: list[str] = []
    pos = 0
    for match in _THAI_RUN.finditer(text):
        words.extend(_latin_words(text[pos : match.start()]))
        words.extend(w for w in _segment()(match.group()) if w.strip() and w != "ๆ")
        pos = match.end()
    words.extend(_latin_words(text[pos:]))
    return words


def _latin_words(chunk: str) -> list[str]:
    return [w for w in _OTHER_TOKEN.findall(chunk) if w not in _PUNCTUATION]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class ThaiTokenizer(Tokenizer):
    """Thai segmented by pythainlp (newmm), everything else split on word boundaries."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["pythainlp"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ThaiTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        words = split_words(text)
        if not words:  # only punctuation (e.g. "???"): one token, as WhitespaceTokenizer does
            words = [text] if text.strip() else []
        tokens = self._convert_words_to_tokens(words, text)
        return self._apply_token_pattern(tokens)
