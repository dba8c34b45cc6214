"""Sparse lexical retrieval: BM25 over a passage-by-term matrix.

Used twice by the matcher, once over content tokens and once over character trigrams of the folded
text (the channel that survives Thai written without spaces or tone marks, and typos). Passages of
one entry are contiguous rows, so an entry's score is the best of its passages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

K1 = 1.2
B = 0.75


class LexicalIndex:
    """BM25 with document frequencies counted per entry (not per passage), so an entry with many
    variants does not make its own words look common."""

    def __init__(self, docs: Sequence[Sequence[str]], owner: np.ndarray, n_entries: int) -> None:
        self.vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        lengths = np.zeros(len(docs), dtype=np.float32)
        entry_terms: list[set[int]] = [set() for _ in range(n_entries)]
        for row, terms in enumerate(docs):
            counts = Counter(terms)
            lengths[row] = len(terms)
            for term, tf in counts.items():
                col = self.vocab.setdefault(term, len(self.vocab))
                rows.append(row)
                cols.append(col)
                tfs.append(tf)
                entry_terms[owner[row]].add(col)
        df = np.zeros(len(self.vocab), dtype=np.float32)
        for terms_of_entry in entry_terms:
            for col in terms_of_entry:
                df[col] += 1
        self.n_entries = max(n_entries, 1)
        self.idf = np.log(1.0 + (self.n_entries - df + 0.5) / (df + 0.5)).astype(np.float32)
        #: the idf of an average term of this base
        self.mean_idf = float(self.idf.mean()) if len(self.idf) else 1.0
        #: the idf of a term no entry contains: the rarest possible
        self.unseen_idf = float(np.log(1.0 + (self.n_entries + 0.5) / 0.5))
        avg = float(lengths.mean()) if len(lengths) else 1.0
        avg = avg or 1.0
        tf_all = np.asarray(tfs, dtype=np.float32)
        row_idx = np.asarray(rows, dtype=np.int64)
        col_idx = np.asarray(cols, dtype=np.int64)
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
