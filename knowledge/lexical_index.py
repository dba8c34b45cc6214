"""Sparse lexical retrieval: BM25 over a passage-by-term matrix.

Used twice by the matcher, once over content tokens and once over character trigrams of the folded
text (the channel that survives Thai written without spaces or tone marks, and typos). Passages of
one entry are contiguous rows, so an entry's score is the best of its passages.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np
from scipy import sparse

K1 = 1.2
B = 0.75
#: Recent builds kept for reuse (the matcher builds two indexes, the ticket index two more).
KEEP_BUILDS = 4


class LexicalIndex:
    """BM25 with document frequencies counted per entry (not per passage), so an entry with many
    variants does not make its own words look common."""

    def __init__(self, docs: Sequence[Sequence[str]], owner: np.ndarray, n_entries: int) -> None:
        owner = np.asarray(owner)
        start, self.vocab, rows, cols, tfs, lengths, row_ends, vocab_sizes = _resume(docs, owner)
        for row in range(start, len(docs)):
            terms = docs[row]
            counts = Counter(terms)
            lengths[row] = len(terms)
            for term, tf in counts.items():
                col = self.vocab.setdefault(term, len(self.vocab))
                rows.append(row)
                cols.append(col)
                tfs.append(tf)
            row_ends.append(len(rows))
            vocab_sizes.append(len(self.vocab))
        _remember(_Build(list(docs), owner.copy(), self.vocab, rows, cols, tfs, lengths.copy(),
                         row_ends, vocab_sizes))
        tf_all = np.asarray(tfs, dtype=np.float32)
        row_idx = np.asarray(rows, dtype=np.int64)
        col_idx = np.asarray(cols, dtype=np.int64)
        # Document frequency per entry (each entry counted once per term), vectorised.
        width = max(len(self.vocab), 1)
        pairs = np.unique(owner[row_idx].astype(np.int64) * width + col_idx)
        df = np.bincount(pairs % width, minlength=len(self.vocab)).astype(np.float32)
        self.n_entries = max(n_entries, 1)
        self.idf = np.log(1.0 + (self.n_entries - df + 0.5) / (df + 0.5)).astype(np.float32)
        #: the idf of an average term of this base
        self.mean_idf = float(self.idf.mean()) if len(self.idf) else 1.0
        #: the idf of a term no entry contains: the rarest possible
        self.unseen_idf = float(np.log(1.0 + (self.n_entries + 0.5) / 0.5))
        avg = float(lengths.mean()) if len(lengths) else 1.0
        avg = avg or 1.0
        norm = K1 * (1 - B + B * lengths[row_idx] / avg) if len(rows) else tf_all
        weights = (
            self.idf[col_idx] * tf_all * (K1 + 1) / (tf_all + norm) if len(rows) else tf_all
        )
        self.matrix = sparse.csr_matrix(
            (weights, (row_idx, col_idx)), shape=(len(docs), max(len(self.vocab), 1))
        ).tocsc()

    def term_idf(self, term: str) -> float:
        col = self.vocab.get(term)
        return float(self.idf[col]) if col is not None else self.unseen_idf

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for a query (each distinct query term counted once)."""
        cols = sorted({self.vocab[t] for t in terms if t in self.vocab})
        if not cols:
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        return np.asarray(self.matrix[:, cols].sum(axis=1)).ravel()


# -- reuse across builds ------------------------------------------------------------------------
# A matcher is rebuilt whenever its entries change (a knowledge reload; the open-ticket index on
# every new ticket, bot/escalation/ticket_index.py), and the new documents usually begin with the
# old ones (curated entries first, tickets in id order). Counting the terms of every passage again
# was most of such a rebuild, so the counts of the rows a build shares with a recent one (the same
# terms, the same owner entry, from the first row on) are taken from it. Row and column numbers
# come out exactly as a build from scratch would give them (the vocabulary is rebuilt to the same
# prefix), so the index, and every score, is identical; only the work is less.


@dataclass
class _Build:
    docs: list[Sequence[str]]
    owner: np.ndarray
    vocab: dict[str, int]
    rows: list[int]
    cols: list[int]
    tfs: list[float]
    lengths: np.ndarray
    row_ends: list[int]  # len(rows) after each row
    vocab_sizes: list[int]  # len(vocab) after each row


_RECENT: list[_Build] = []
_LOCK = threading.Lock()


def _shared_rows(build: _Build, docs: Sequence[Sequence[str]], owner: np.ndarray) -> int:
    """How many leading rows `docs` shares with `build` (same terms in the same order, same
    owner entry)."""
    limit = min(len(build.docs), len(docs))
    k = 0
    old = build.docs
    while k < limit and _same(old[k], docs[k]):
        k += 1
    if k:
        differs = np.flatnonzero(build.owner[:k] != owner[:k])
        if len(differs):
            k = int(differs[0])
    return k


_Resumed = tuple[
    int, dict[str, int], list[int], list[int], list[float], np.ndarray, list[int], list[int]
]


def _same(a: Sequence[str], b: Sequence[str]) -> bool:
    """The same row: the same object, or equal and ordered (two equal sets may iterate in
    different orders, which would number the vocabulary differently)."""
    return a is b or (isinstance(a, tuple | list) and type(a) is type(b) and a == b)


def _resume(docs: Sequence[Sequence[str]], owner: np.ndarray) -> _Resumed:
    """Where to start counting, and the state a from-scratch build would have reached there."""
    lengths = np.zeros(len(docs), dtype=np.float32)
    with _LOCK:
        recent = list(_RECENT)
    best, start = None, 0
    for build in recent:
        if build.docs and docs and _same(build.docs[0], docs[0]):
            k = _shared_rows(build, docs, owner)
            if k > start:
                best, start = build, k
    if best is None:
        return 0, {}, [], [], [], lengths, [], []
    end = best.row_ends[start - 1]
    vocab = dict(islice(best.vocab.items(), best.vocab_sizes[start - 1]))
    lengths[:start] = best.lengths[:start]
    return (start, vocab, best.rows[:end], best.cols[:end], best.tfs[:end], lengths,
            best.row_ends[:start], best.vocab_sizes[:start])


def _remember(build: _Build) -> None:
    with _LOCK:
        _RECENT.append(build)
        del _RECENT[:-KEEP_BUILDS]
