"""A bounded cache of the matcher's answers, in front of the matcher the conversation uses.

On an election evening most messages are copies of a few forwarded rumours, and the matcher
(embedding, lexical scoring, calibration) is the costliest step of a turn. Its answer depends
only on the text it is given, the language hint and the matcher object (built from one version
of the knowledge, never changed in place: a reload builds a new one). So the answer is kept per
(text, language) for the matcher that gave it, and the whole cache is dropped the moment the
conversation's snapshot carries another matcher (a knowledge reload, a checker's answer served
as knowledge). The key is the exact text the matcher reads (bot.core.inputs' `match_text`), so
a cached answer is the answer the matcher would give: nothing is matched less well.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from knowledge.matcher import Matcher, MatchResult

#: Distinct messages remembered (a few MB at most: a MatchResult is a handful of candidates).
DEFAULT_SIZE = 10_000


class MatchCache:
    """LRU of `matcher.match(text, language)` results for the current matcher only."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._matcher: Matcher | None = None
        self._results: OrderedDict[tuple[str, str | None], MatchResult] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, matcher: Matcher, text: str, language: str | None) -> MatchResult | None:
        with self._lock:
            if matcher is not self._matcher:
                return None
            found = self._results.get((text, language))
            if found is None:
                self.misses += 1
                return None
            self._results.move_to_end((text, language))
            self.hits += 1
            return found

    def put(self, matcher: Matcher, text: str, language: str | None, result: MatchResult) -> None:
        with self._lock:
            if matcher is not self._matcher:  # another knowledge version: forget the old answers
                self._matcher = matcher
                self._results.clear()
            self._results[(text, language)] = result
            self._results.move_to_end((text, language))
            while len(self._results) > self.size:
                self._results.popitem(last=False)

    def match(self, matcher: Matcher, text: str, language: str | None) -> MatchResult:
        """The matcher's answer, from the cache when this matcher gave it before."""
        found = self.get(matcher, text, language)
        if found is not None:
            return found
        result = matcher.match(text, language)
        self.put(matcher, text, language, result)
        return result

    def __len__(self) -> int:
        return len(self._results)
