"""A message's query vector is computed once while it is recent: the matcher and the open-ticket
index share the embedders, and an escalated message is embedded by both."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from knowledge.embeddings import CachedEmbedder, EmbeddingCache


class CountingEmbedder:
    """A deterministic stand-in model (a vector from the text's bytes) that counts its calls."""

    name = "counting"
    dim = 4

    def __init__(self) -> None:
        self.calls = 0

    def query(self, text: str) -> np.ndarray:
        self.calls += 1
        raw = np.frombuffer(text.encode().ljust(4, b"\0")[:4], dtype=np.uint8).astype(np.float32)
        return raw / (np.linalg.norm(raw) or 1.0)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self.query(t) for t in texts])


def test_a_recent_message_is_embedded_once_and_its_vector_is_shared_read_only(tmp_path) -> None:
    model = CountingEmbedder()
    embedder = CachedEmbedder(model, EmbeddingCache(tmp_path))
    first = embedder.query("abcd")
    again = embedder.query("abcd")
    assert model.calls == 1 and np.array_equal(first, again)
    assert np.array_equal(first, CountingEmbedder().query("abcd"))  # what the model says
    with pytest.raises(ValueError):
        again[0] = 0.0  # shared between callers: nobody may change it


def test_the_memory_is_bounded(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(CachedEmbedder, "QUERY_MEMORY", 2)
    model = CountingEmbedder()
    embedder = CachedEmbedder(model, EmbeddingCache(tmp_path))
    for text in ("aaaa", "bbbb", "cccc"):
        embedder.query(text)
    embedder.query("cccc")
    assert model.calls == 3
    embedder.query("aaaa")  # forgotten: embedded again
    assert model.calls == 4
