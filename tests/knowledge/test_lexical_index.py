"""A rebuilt lexical index reuses the counts of rows it shares with a recent build, and comes out
identical to a build from scratch (same vocabulary numbering, weights, idf), whatever changed."""

from __future__ import annotations

import random

import numpy as np
import pytest

from knowledge import lexical_index
from knowledge.lexical_index import LexicalIndex

WORDS = [f"w{i}" for i in range(60)]


def corpus(rng: random.Random, entries: int) -> tuple[list[tuple[str, ...]], np.ndarray]:
    docs, owner = [], []
    for entry in range(entries):
        for _ in range(rng.randint(1, 3)):
            docs.append(tuple(rng.choice(WORDS) for _ in range(rng.randint(0, 8))))
            owner.append(entry)
    return docs, np.asarray(owner)


def fresh(docs: list[tuple[str, ...]], owner: np.ndarray, n: int) -> LexicalIndex:
    lexical_index._RECENT.clear()
    return LexicalIndex(docs, owner, n)


def same(a: LexicalIndex, b: LexicalIndex) -> None:
    assert list(a.vocab.items()) == list(b.vocab.items())
    assert np.array_equal(a.idf, b.idf) and a.unseen_idf == b.unseen_idf
    assert (a.matrix != b.matrix).nnz == 0 and a.matrix.shape == b.matrix.shape
    query = WORDS[::7] + ["unseen"]
    assert np.array_equal(a.scores(query), b.scores(query))


@pytest.mark.parametrize("change", ["append", "drop_middle", "drop_last", "reword", "reowner"])
def test_a_rebuild_is_identical_to_a_build_from_scratch(change: str) -> None:
    rng = random.Random(change)
    docs, owner = corpus(rng, 40)
    n = int(owner[-1]) + 1
    first = fresh(docs, owner, n)
    assert first.vocab  # the corpus is not empty
    if change == "append":  # a new ticket
        docs2 = [*docs, ("w1", "w2", "new")]
        owner2, n2 = np.append(owner, n), n + 1
    elif change == "drop_middle":  # a ticket closed
        keep = owner != 20
        docs2 = [d for d, k in zip(docs, keep, strict=True) if k]
        owner2 = np.where(owner[keep] > 20, owner[keep] - 1, owner[keep])
        n2 = n - 1
    elif change == "drop_last":
        keep = owner != n - 1
        docs2, owner2, n2 = [d for d, k in zip(docs, keep, strict=True) if k], owner[keep], n - 1
    elif change == "reword":  # an edited entry
        docs2 = list(docs)
        docs2[5] = ("totally", "different")
        owner2, n2 = owner, n
    else:  # the same rows, split differently between entries
        docs2, owner2, n2 = docs, np.minimum(owner + (np.arange(len(owner)) % 2), n - 1), n
    lexical_index._RECENT[:] = [lexical_index._RECENT[-1]]  # only `first` to reuse
    reused = LexicalIndex(docs2, owner2, n2)
    same(reused, fresh(docs2, owner2, n2))


def test_a_new_ticket_counts_only_its_own_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    docs, owner = corpus(random.Random(1), 30)
    fresh(docs, owner, 30)
    starts: list[int] = []
    resume = lexical_index._resume

    def recording(d, o):  # type: ignore[no-untyped-def]
        found = resume(d, o)
        starts.append(found[0])
        return found

    monkeypatch.setattr(lexical_index, "_resume", recording)
    LexicalIndex([*docs, ("w3",)], np.append(owner, 30), 31)
    assert starts == [len(docs)]


def test_an_empty_index_still_scores() -> None:
    index = fresh([], np.asarray([], dtype=np.int64), 0)
    assert index.scores(["w1"]).shape == (0,)
    assert index.term_idf("w1") == index.unseen_idf
