"""The embedded intent classifier: the bot's own engine, trained from the Rasa training data.

Rasa runs as a separate service (it needs Python 3.10 and old TensorFlow), so the bot must keep
working when it is absent or down. This classifier is trained from the very same
``nlu/data/nlu.yml`` so both engines agree on the intents and their examples, and the data has one
home. It is deliberately small: TF-IDF over character n-grams (robust to Thai without spaces, to
typos and to Malay chat spellings) plus word tokens from :func:`nlu.normalize.tokenize` (which
segments Thai and expands Malay short forms), fed to a logistic regression whose probabilities
give a usable confidence. Below :data:`CONFIDENCE_THRESHOLD` the answer is ``out_of_scope``: a
wrong confident intent (say "goodbye" for a rumour) is worse for the conversation than "not sure".

Training takes a second or two, so the fitted model is cached on disk keyed by a hash of the data
and of the code that shapes the features; start-up then only unpickles it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.intents import FALLBACK_INTENT, INTENTS, IntentResult
from nlu.normalize import clean, tokenize

__all__ = [
    "CONFIDENCE_THRESHOLD",
    "DEFAULT_DATA",
    "Example",
    "IntentClassifier",
    "load_examples",
    "strip_annotations",
]

log = logging.getLogger(__name__)

_NLU_DIR = Path(__file__).resolve().parent
DEFAULT_DATA = _NLU_DIR / "data" / "nlu.yml"


def default_cache_dir() -> Path:
    """``$CACHE_DIR/intents`` (the bot's cache setting; the Docker image sets it, since the
    installed package's own directory is read-only there), else ``var/cache/intents`` in the
    repository."""
    base = os.environ.get("CACHE_DIR")
    return (Path(base) if base else _NLU_DIR.parent / "var" / "cache") / "intents"


#: Below this top-class probability the classifier answers ``out_of_scope``. Chosen on the
#: held-out set (tests/data/intents_heldout.yml, see BENCHMARKS.md): it keeps nearly all correct
#: in-scope answers while gibberish and unrelated chat (whose probability mass is spread over
#: twelve classes) fall under it.
CONFIDENCE_THRESHOLD = 0.35

#: Bump when the feature pipeline changes in a way the cache key would not notice.
MODEL_VERSION = 3

# [text](entity), [text](entity:value), [text]{"entity": ..., "value": ...}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class Example:
    """One training or evaluation example, with the language its block is marked with."""

    text: str
    intent: str
    language: str | None
    entities: tuple[dict[str, Any], ...] = ()


def strip_annotations(line: str) -> tuple[str, tuple[dict[str, Any], ...]]:
    """Rasa's ``[Malaysia](country)`` markup turned into plain text plus entity dicts.

    Offsets in the returned entities refer to the plain text, as Rasa's do.
    """
    entities: list[dict[str, Any]] = []
    out: list[str] = []
    pos = 0
    for match in _ANNOTATION.finditer(line):
        out.append(line[pos : match.start()])
        start = sum(len(part) for part in out)
        text = match.group("text")
        entity, value = _annotation_target(match, text)
        out.append(text)
        entities.append(
            {"entity": entity, "value": value, "start": start, "end": start + len(text)}
        )
        pos = match.end()
    out.append(line[pos:])
    return "".join(out), tuple(entities)


def _annotation_target(match: re.Match[str], text: str) -> tuple[str, str]:
    if match.group("short") is not None:
        entity, _, value = match.group("short").partition(":")
        return entity.strip(), (value.strip() or text)
    data = yaml.safe_load(match.group("json")) or {}
    return str(data.get("entity", "")), str(data.get("value", text))


def load_examples(path: Path | str = DEFAULT_DATA) -> list[Example]:
    """Every ``- intent:`` example in a Rasa 3 NLU YAML file, annotations stripped.

    Also accepts the held-out file, which uses the same format. Blocks without
    ``metadata.language`` get ``language=None``.
    """
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
    for block in doc.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        intent = str(block["intent"])
        metadata = block.get("metadata") or {}
        language = metadata.get("language") if isinstance(metadata, dict) else None
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            text, entities = strip_annotations(line[2:].strip())
            if text:
                examples.append(Example(text, intent, language, entities))
    return examples


def load_synonyms(path: Path | str = DEFAULT_DATA) -> dict[str, str]:
    """Rasa ``- synonym:`` blocks as a lower-cased surface form -> canonical value map."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    mapping: dict[str, str] = {}
    for block in doc.get("nlu") or []:
        if isinstance(block, dict) and "synonym" in block:
            canonical = str(block["synonym"])
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    mapping[clean(line[2:]).casefold()] = canonical
    return mapping


# --- features -------------------------------------------------------------------------------
# Module-level functions (not lambdas) so the fitted pipeline pickles.


def char_text(text: str) -> str:
    """What the character n-grams see: cleaned, case-folded text."""
    return clean(text).casefold()


def word_tokens(text: str) -> list[str]:
    """What the word features see: the project's shared tokens plus adjacent pairs."""
    tokens = tokenize(text)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def _build_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=char_text,
                    analyzer="char_wb",
                    ngram_range=(1, 4),
                    sublinear_tf=True,
                ),
            ),
            ("words", TfidfVectorizer(analyzer=word_tokens, sublinear_tf=True)),
        ]
    )
    classifier = LogisticRegression(C=20.0, max_iter=3000)
    return Pipeline([("features", features), ("classifier", classifier)])


# --- entities -------------------------------------------------------------------------------

_MONTHS = (
    "jan|january|januari|feb|february|februari|mar|march|mac|apr|april|may|mei|jun|june|"
    "jul|july|julai|aug|august|ogos|sep|sept|september|oct|october|oktober|nov|november|"
    "dec|december|disember|"
    "มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|"
    "พฤศจิกายน|ธันวาคม|ม\\.ค\\.|ก\\.พ\\.|มี\\.ค\\.|เม\\.ย\\.|พ\\.ค\\.|มิ\\.ย\\.|ก\\.ค\\.|"
    "ส\\.ค\\.|ก\\.ย\\.|ต\\.ค\\.|พ\\.ย\\.|ธ\\.ค\\."
)
_DATE = re.compile(
    rf"(?<![\w/])(?:\d{{1,2}}\s*(?:{_MONTHS})(?:\s*\d{{2,4}})?|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Gazetteer:
    """Entity surface forms seen annotated in the training data, and where they may be used.

    An entity type is only reported for intents it was annotated under, so "ไทย" in a rumour
    about Thai politics is not reported as a request to switch to Thai.
    """

    forms: tuple[tuple[str, str, str], ...]  # (surface form casefolded, entity type, value)
    intents_by_type: dict[str, frozenset[str]]

    @classmethod
    def from_examples(cls, examples: Iterable[Example], synonyms: dict[str, str]) -> _Gazetteer:
        forms: dict[tuple[str, str], str] = {}
        by_type: dict[str, set[str]] = {}
        for example in examples:
            for ent in example.entities:
                surface = clean(example.text[ent["start"] : ent["end"]]).casefold()
                value = synonyms.get(surface, ent["value"])
                forms[(surface, ent["entity"])] = value
                by_type.setdefault(ent["entity"], set()).add(example.intent)
        for surface, canonical in synonyms.items():
            for (_, etype), value in list(forms.items()):
                if value == canonical:
                    forms.setdefault((surface, etype), canonical)
                    break
        ordered = sorted(
            ((s, t, v) for (s, t), v in forms.items()), key=lambda f: len(f[0]), reverse=True
        )
        return cls(tuple(ordered), {t: frozenset(i) for t, i in by_type.items()})

    def extract(self, text: str, intent: str) -> tuple[dict[str, Any], ...]:
        folded = text.casefold()  # same length as text for the scripts we handle
        taken = [False] * len(folded)
        found: list[dict[str, Any]] = []

        def add(start: int, end: int, etype: str, value: str) -> None:
            if any(taken[start:end]):
                return
            for i in range(start, end):
                taken[i] = True
            found.append(
                {
                    "entity": etype,
                    "value": value,
                    "start": start,
                    "end": end,
                    "extractor": "embedded",
                }
            )

        if intent in self.intents_by_type.get("date", frozenset()):
            for match in _DATE.finditer(text):
                add(match.start(), match.end(), "date", match.group())
        for surface, etype, value in self.forms:
            if etype == "date" or intent not in self.intents_by_type.get(etype, frozenset()):
                continue
            latin = surface.isascii()
            pattern = rf"(?<!\w){re.escape(surface)}(?!\w)" if latin else re.escape(surface)
            for match in re.finditer(pattern, folded):
                add(match.start(), match.end(), etype, value)
        return tuple(sorted(found, key=lambda e: e["start"]))


# --- the classifier -------------------------------------------------------------------------


@dataclass
class _Model:
    pipeline: object
    labels: tuple[str, ...]
    gazetteer: _Gazetteer


class IntentClassifier:
    """Trains lazily from ``data_path`` at first use, then answers :meth:`predict`.

    Thread-safe: the first callers wait for one training (or one cache load). ``cache_dir=None``
    means :func:`default_cache_dir`; pass ``cache=False`` to never
    touch the disk (tests that must train from scratch).
    """

    def __init__(
        self,
        data_path: Path | str = DEFAULT_DATA,
        cache_dir: Path | str | None = None,
        threshold: float = CONFIDENCE_THRESHOLD,
        cache: bool = True,
    ) -> None:
        self.data_path = Path(data_path)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.threshold = threshold
        self.cache = cache
        self._model: _Model | None = None
        self._lock = threading.Lock()
        #: "cache" or "trained" once the model is ready; tests and logs read it.
        self.loaded_from: str | None = None

    # public API

    def predict(self, text: str) -> IntentResult:
        """The most likely intent, or ``out_of_scope`` when nothing reaches the threshold."""
        intent, confidence = self.rank(text)[0]
        model = self._ensure_model()
        if intent != FALLBACK_INTENT and confidence < self.threshold:
            return IntentResult(FALLBACK_INTENT, confidence, (), "embedded")
        entities = model.gazetteer.extract(clean(text), intent)
        return IntentResult(intent, confidence, entities, "embedded")

    def rank(self, text: str) -> list[tuple[str, float]]:
        """All intents with their probabilities, best first (before the threshold)."""
        model = self._ensure_model()
        if not clean(text):
            return [(FALLBACK_INTENT, 0.0)]
        probabilities = model.pipeline.predict_proba([text])[0]  # type: ignore[attr-defined]
        ranked = sorted(zip(model.labels, probabilities, strict=True), key=lambda p: -p[1])
        return [(label, float(p)) for label, p in ranked]

    def warm_up(self) -> None:
        """Load or train now, so the first voter does not wait for it."""
        self._ensure_model()

    # training and caching

    def cache_key(self) -> str:
        """Hash of everything the fitted model depends on: data, feature code, library version."""
        import sklearn

        digest = hashlib.sha256()
        digest.update(f"v{MODEL_VERSION}|sklearn{sklearn.__version__}|".encode())
        digest.update(self.data_path.read_bytes())
        for path in _feature_sources():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:24]

    def _ensure_model(self) -> _Model:
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                self._model = self._load_or_train()
            return self._model

    def _load_or_train(self) -> _Model:
        key = self.cache_key() if self.cache else ""
        path = self.cache_dir / f"intents-{key}.pkl"
        if self.cache and path.is_file():
            try:
                with path.open("rb") as fh:
                    model = pickle.load(fh)
                if isinstance(model, _Model):
                    self.loaded_from = "cache"
                    return model
            except Exception as exc:  # a truncated or foreign file: retrain
                log.warning("intent model cache %s unreadable (%s); retraining", path, exc)
        model = self._train()
        self.loaded_from = "trained"
        if self.cache:
            self._save(model, path)
        return model

    def _train(self) -> _Model:
        examples = load_examples(self.data_path)
        unknown = {e.intent for e in examples} - set(INTENTS)
        if unknown:
            raise ValueError(f"{self.data_path}: intents not in nlu.intents.INTENTS: {unknown}")
        pipeline = _build_pipeline()
        pipeline.fit([e.text for e in examples], [e.intent for e in examples])
        labels = tuple(str(c) for c in pipeline.classes_)
        gazetteer = _Gazetteer.from_examples(examples, load_synonyms(self.data_path))
        log.info("trained embedded intent classifier on %d examples", len(examples))
        return _Model(pipeline, labels, gazetteer)

    def _save(self, model: _Model, path: Path) -> None:
        """Atomic write (temp file + rename) so a concurrent reader never sees half a model."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".intents-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            for old in path.parent.glob("intents-*.pkl"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:  # read-only checkout: run without a cache
            log.warning("cannot cache intent model in %s: %s", path.parent, exc)


def _feature_sources() -> list[Path]:
    """Files whose content changes the features: this module, normalize and its lexicons."""
    paths = [Path(__file__), _NLU_DIR / "normalize.py"]
    lexicons = _NLU_DIR / "lexicons"
    if lexicons.is_dir():
        paths.extend(sorted(p for p in lexicons.iterdir() if p.suffix == ".txt"))
    return [p for p in paths if p.is_file()]
