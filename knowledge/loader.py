"""Reads and validates a knowledge directory (SPEC section 1).

Maintainers edit these files by hand, so every problem is reported with the file, the line and
the entry id, and all problems of a directory are reported in one run rather than one per edit.
A directory with any error is refused as a whole: the caller keeps whatever knowledge it had.

The YAML is walked as a node graph (not as constructed Python objects) so that every value keeps
its line number, and so that a hostile file (an alias bomb, a huge or binary file) is rejected
before anything expands it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

import yaml

from knowledge.model import KINDS, STATUSES, VERDICTS, Entry, Source
from nlu.languages import LANGUAGES

try:  # The C loader is much faster on large files; the pure-Python one gives the same marks.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ALIASES = 1000
MAX_EXPANDED_NODES = 1_000_000
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ENTRY_FIELDS = frozenset(
    {
        "id",
        "kind",
        "verdict",
        "region",
        "topics",
        "text",
        "variants",
        "answer",
        "sources",
        "published",
        "status",
    }
)
SOURCE_FIELDS = frozenset({"url", "title", "publisher"})
#: Source fields that may also be written per language (a mapping of th / ms / en to text).
LOCALISED_SOURCE_FIELDS = frozenset({"title", "publisher"})
TOP_LEVEL_FIELDS = frozenset({"entries"})
YAML_SUFFIXES = (".yml", ".yaml")
STR_TAG = "tag:yaml.org,2002:str"
#: How a plain YAML scalar that is not text reads, for the message asking to quote it.
_TAG_NAMES = {
    "tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a yes/no value", "tag:yaml.org,2002:null": "empty (null)",
    "tag:yaml.org,2002:timestamp": "a date",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a look) in a knowledge file."""

    file: str
    line: int
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: [{self.entry_id}] {self.message}"
            if self.entry_id
            else f"{where}: {self.message}"
        )


@dataclass(frozen=True)
class KnowledgeBase:
    """A validated knowledge directory: every entry, in file order."""

    directory: str
    entries: tuple[Entry, ...]
    warnings: tuple[Problem, ...] = ()
    by_id: MappingProxyType[str, Entry] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, directory: str, entries: list[Entry], warnings: list[Problem]) -> KnowledgeBase:
        return cls(
            directory, tuple(entries), tuple(warnings), MappingProxyType({e.id: e for e in entries})
        )

    def published(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.is_published)

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)


class KnowledgeInvalid(Exception):
    """Raised with every error found; the directory must not be served."""

    def __init__(self, directory: str, errors: list[Problem]) -> None:
        self.directory = directory
        self.errors = sorted(errors)
        super().__init__(f"{len(self.errors)} error(s) in knowledge directory {directory}")


def knowledge_files(directory: Path) -> list[Path]:
    """Every YAML file below `directory`, recursively, skipping hidden files and folders."""
    found: list[Path] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(root) / name
            for name in sorted(files)
            if name.endswith(YAML_SUFFIXES) and not name.startswith(".")
        )
    return found


def load_directory(
    directory: str | os.PathLike[str], cache: FileCache | None = None
) -> KnowledgeBase:
    """Load and validate a whole directory; raise KnowledgeInvalid listing every error."""
    entries, errors, warnings = check_directory(directory, cache)
    if errors:
        raise KnowledgeInvalid(str(directory), errors)
    return KnowledgeBase.of(str(directory), entries, warnings)


@dataclass(frozen=True)
class FileResult:
    """What checking one file gave: its valid entries, its problems, and the id and line of
    every entry with a usable id, valid or not (the duplicate-id check needs them all, so that a
    duplicate is reported in the same run as the entry's other errors)."""

    entries: list[Entry]
    errors: list[Problem]
    warnings: list[Problem]
    ids: list[tuple[str, int]]


class FileCache:
    """What checking each file gave last time, reused while the file's size and modification
    time are unchanged: a running bot that reloads after a maintainer edits one file re-reads
    that file only (parsing is most of a reload: ~3 s for 8,000 entries in one file)."""

    def __init__(self) -> None:
        self._results: dict[str, tuple[tuple[int, int], FileResult]] = {}
        self.reused = 0  # files served from the cache so far (the tests read it)

    def check(self, path: Path) -> FileResult:
        try:
            st = path.stat()
            key: tuple[int, int] | None = (st.st_size, st.st_mtime_ns)
        except OSError:
            key = None  # the checker reports the unreadable file
        hit = self._results.get(str(path))
        if key is not None and hit is not None and hit[0] == key:
            self.reused += 1
            return hit[1]
        errors: list[Problem] = []
        warnings: list[Problem] = []
        checker = _FileChecker(path, errors, warnings)
        result = FileResult(checker.run(), errors, warnings, checker.ids)
        if key is not None:
            self._results[str(path)] = (key, result)
        return result

    def keep_only(self, paths: list[Path]) -> None:
        """Forget files that are gone."""
        names = {str(p) for p in paths}
        for name in [n for n in self._results if n not in names]:
            del self._results[name]


def check_directory(
    directory: str | os.PathLike[str], cache: FileCache | None = None
) -> tuple[list[Entry], list[Problem], list[Problem]]:
    """(entries, errors, warnings) for a directory, never raising for bad content. With a
    `cache`, files unchanged since it last saw them are not read again."""
    root = Path(directory)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    if not root.is_dir():
        return [], [Problem(str(root), 0, None, "not a directory")], []
    files = knowledge_files(root)
    if not files:
        warnings.append(Problem(str(root), 0, None, "no .yml or .yaml files found"))
    cache = cache or FileCache()  # without one: a cache of this call only
    cache.keep_only(files)
    entries: list[Entry] = []
    seen: dict[str, tuple[str, int]] = {}
    for path in files:
        result = cache.check(path)
        errors.extend(result.errors)
        warnings.extend(result.warnings)
        duplicates: set[int] = set()
        for entry_id, line in result.ids:
            first = seen.get(entry_id)
            if first is not None:
                errors.append(
                    Problem(
                        str(path), line, entry_id,
                        f"duplicate id: also defined at {first[0]}:{first[1]}",
                    )
                )
                duplicates.add(line)
                continue
            seen[entry_id] = (str(path), line)
        entries.extend(e for e in result.entries if e.line not in duplicates)
    return entries, errors, warnings


class _FileChecker:
    """Validates one file, appending to the shared error and warning lists."""

    def __init__(self, path: Path, errors: list[Problem], warnings: list[Problem]) -> None:
        self.path = path
        self.name = str(path)
        self.errors = errors
        self.warnings = warnings
        self.entry_id: str | None = None
        self.position = 0
        self.failed = False
        self.ids: list[tuple[str, int]] = []  # every usable id, valid entry or not (FileResult)

    def error(self, node: yaml.Node | int | None, message: str) -> None:
        self.failed = True
        self.errors.append(Problem(self.name, _line(node), self.entry_id, message))

    def warn(self, node: yaml.Node | int | None, message: str) -> None:
        self.warnings.append(Problem(self.name, _line(node), self.entry_id, message))

    def run(self) -> list[Entry]:
        root = self._compose()
        if root is None:
            return []
        entries: list[Entry] = []
        for position, node in enumerate(self._entry_nodes(root), start=1):
            self.position = position
            self.entry_id = None
            self.failed = False
            entry = self._entry(node)
            if entry is not None and not self.failed:
                entries.append(entry)
        return entries

    # -- reading -----------------------------------------------------------------------------
    def _compose(self) -> yaml.Node | None:
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            self.error(1, f"cannot read file: {exc.strerror}")
            return None
        if size > MAX_FILE_BYTES:
            self.error(1, f"file is too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,})")
            return None
        raw = self.path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.error(line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
            return None
        if "\x00" in text:
            self.error(text[: text.index("\x00")].count("\n") + 1, "file contains a NUL byte")
            return None
        try:
            # Composing never expands an alias (it shares the anchored node), so an alias bomb
            # is cheap to compose and is refused from the node graph, in one parse of the file.
            root = yaml.compose(text, Loader=_Loader)
            if root is None:
                self.warn(1, "file is empty")
                return None
            aliases = _alias_count(root)
            if aliases > MAX_ALIASES:
                self.error(1, f"too many YAML aliases ({aliases}); refusing a possible alias bomb")
                return None
            if aliases and _expanded_size(root, {}) > MAX_EXPANDED_NODES:
                self.error(
                    1, "YAML aliases expand to over a million values; refusing an alias bomb"
                )
                return None
            return root
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            self.error(line, f"malformed YAML: {exc.problem or exc.context}")
        except yaml.YAMLError as exc:
            self.error(1, f"malformed YAML: {exc}")
        except RecursionError:
            self.error(1, "YAML is nested too deeply")
        return None

    def _entry_nodes(self, root: yaml.Node) -> Iterator[yaml.Node]:
        if isinstance(root, yaml.ScalarNode) and root.value in ("", "~", "null"):
            self.warn(root, "file is empty")
            return
        if not isinstance(root, yaml.MappingNode):
            what = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
            self.error(root, f"file is {what}; expected a mapping with `entries:` or one entry")
            return
        keys = {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        if "entries" not in keys:
            yield root  # a single entry as a top-level mapping
            return
        for key, _value in keys.values():
            if key.value not in TOP_LEVEL_FIELDS:
                self.error(key, f"unknown top-level field `{key.value}`")
        entries = keys["entries"][1]
        if not isinstance(entries, yaml.SequenceNode):
            self.error(entries, "`entries` must be a list of entries")
            return
        yield from entries.value

    # -- one entry ---------------------------------------------------------------------------
    def _entry(self, node: yaml.Node) -> Entry | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "an entry must be a mapping of fields")
            return None
        fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name in fields:
                self.error(key, f"field `{name}` is given twice")
            fields[str(name)] = (key, value)
        raw_id = fields.get("id")
        # Problems are labelled with the id as written, even a bad one, so the maintainer can
        # find the entry; an entry without an id is labelled by its position in the file.
        if raw_id and isinstance(raw_id[1], yaml.ScalarNode) and raw_id[1].value:
            self.entry_id = raw_id[1].value
        else:
            self.entry_id = f"entry #{self.position}"
        entry_id = self._id(node, raw_id)
        if entry_id is not None:
            self.ids.append((entry_id, _line(node)))
        for name, (key, _value) in fields.items():
            if name not in ENTRY_FIELDS:
                self.error(key, f"unknown field `{name}`")

        kind = self._choice(node, fields.get("kind"), "kind", KINDS, required=True)
        verdict = self._verdict(node, fields.get("verdict"), kind)
        text = self._lang_texts(node, fields.get("text"), "text", required=True)
        answer = self._lang_texts(node, fields.get("answer"), "answer", required=True)
        variants = self._variants(fields.get("variants"))
        sources = self._sources(node, fields.get("sources"), required=kind == "claim")
        status = self._status(fields.get("status"))
        region = self._optional_text(fields.get("region"), "region")
        topics = self._string_list(fields.get("topics"), "topics")
        published = self._date(fields.get("published"))
        if entry_id is None or kind is None or text is None or answer is None:
            return None
        return Entry(
            id=entry_id,
            kind=kind,
            verdict=verdict,
            region=region.upper() if region else None,
            topics=tuple(topics),
            text=MappingProxyType(text),
            variants=MappingProxyType(variants),
            answer=MappingProxyType(answer),
            sources=tuple(sources),
            published=published,
            status=status,
            file=self.name,
            line=_line(node),
        )

    def _id(self, entry: yaml.Node, item: tuple[yaml.Node, yaml.Node] | None) -> str | None:
        if item is None:
            self.error(entry, "missing required field `id`")
            return None
        value = item[1]
        if not isinstance(value, yaml.ScalarNode) or not value.value:
            self.error(value, "`id` must be a non-empty string")
            return None
        if not ID_PATTERN.match(value.value):
            self.error(
                value,
                f"bad id {value.value!r}: use lower-case letters, digits and '-', "
                "starting with a letter or digit",
            )
            return None
        return str(value.value)

    def _scalar(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"`{what}` must be a single value, not a list or mapping")
            return None
        return str(node.value)

    def _text(self, node: yaml.Node, what: str) -> str | None:
        """A value that must be text: `answer: {en: 12}` or `region: 42` is a mistake (YAML
        reads it as a number), reported rather than silently turned into "12"."""
        value = self._scalar(node, what)
        if value is None or node.tag == STR_TAG:
            return value
        kind = _TAG_NAMES.get(node.tag, "not text")
        self.error(node, f"`{what}` must be text, not {kind} ({value!r}); put it in quotes")
        return None

    def _choice(
        self,
        entry: yaml.Node,
        item: tuple[yaml.Node, yaml.Node] | None,
        name: str,
        allowed: tuple[str, ...],
        *,
        required: bool,
    ) -> str | None:
        if item is None:
            if required:
                self.error(entry, f"missing required field `{name}`")
            return None
        value = self._scalar(item[1], name)
        if value is None:
            return None
        if value not in allowed:
            self.error(item[1], f"unknown {name} {value!r}; expected one of: {', '.join(allowed)}")
            return None
        return value

    def _verdict(
        self, entry: yaml.Node, item: tuple[yaml.Node, yaml.Node] | None, kind: str | None
    ) -> str | None:
        if kind == "fact":
            if item is not None:
                self.error(item[0], "a `fact` has no verdict (only a `claim` does)")
            return None
        if item is None:
            if kind == "claim":
                self.error(entry, "missing required field `verdict` (every claim has one)")
            return None
        value = self._scalar(item[1], "verdict")
        if value is None:
            return None
        # YAML 1.1 reads true/false (in any case) as booleans; the SPEC means the verdicts.
        normalised = value.lower() if value.lower() in ("true", "false") else value
        if normalised not in VERDICTS:
            self.error(
                item[1], f"unknown verdict {value!r}; expected one of: {', '.join(VERDICTS)}"
            )
            return None
        return normalised

    def _lang_map(
        self, item: tuple[yaml.Node, yaml.Node], name: str
    ) -> list[tuple[yaml.Node, str, yaml.Node]]:
        """(key node, language, value node) for each language key, reporting bad languages."""
        node = item[1]
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"`{name}` must map languages (th, ms, en) to text")
            return []
        out = []
        for key, value in node.value:
            lang = key.value if isinstance(key, yaml.ScalarNode) else repr(key)
            if lang not in LANGUAGES:
                self.error(key, f"unknown language {lang!r} in `{name}`; use th, ms or en")
                continue
            out.append((key, lang, value))
        return out

    def _lang_texts(
        self,
        entry: yaml.Node,
        item: tuple[yaml.Node, yaml.Node] | None,
        name: str,
        *,
        required: bool,
    ) -> dict[str, str] | None:
        if item is None:
            if required:
                self.error(entry, f"missing required field `{name}`")
            return None
        texts: dict[str, str] = {}
        for _key, lang, value in self._lang_map(item, name):
            text = self._text(value, f"{name}.{lang}")
            if text is None:
                continue
            if not text.strip():
                self.error(value, f"empty {name} for language {lang}")
                continue
            texts[lang] = text.strip()
        if not texts:
            if isinstance(item[1], yaml.MappingNode) and not item[1].value:
                self.error(item[1], f"`{name}` needs at least one language")
            return None
        return texts

    def _variants(self, item: tuple[yaml.Node, yaml.Node] | None) -> dict[str, tuple[str, ...]]:
        if item is None:
            return {}
        variants: dict[str, tuple[str, ...]] = {}
        for _key, lang, value in self._lang_map(item, "variants"):
            if isinstance(value, yaml.ScalarNode):
                values = [value]
            elif isinstance(value, yaml.SequenceNode):
                values = value.value
            else:
                self.error(value, f"`variants.{lang}` must be a list of strings")
                continue
            texts = []
            for v in values:
                text = self._text(v, f"variants.{lang}")
                if text is None:
                    continue
                if not text.strip():
                    self.warn(v, f"empty variant for language {lang} ignored")
                    continue
                texts.append(text.strip())
            variants[lang] = tuple(texts)
        return variants

    def _sources(
        self, entry: yaml.Node, item: tuple[yaml.Node, yaml.Node] | None, *, required: bool
    ) -> list[Source]:
        if item is None or (isinstance(item[1], yaml.SequenceNode) and not item[1].value):
            if required:
                self.error(item[1] if item else entry, "a claim needs at least one source")
            return []
        node = item[1]
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, "`sources` must be a list of {url, title, publisher}")
            return []
        sources = []
        for src in node.value:
            if not isinstance(src, yaml.MappingNode):
                self.error(src, "a source must be a mapping with at least `url`")
                continue
            values: dict[str, str] = {}
            named: dict[str, dict[str, str]] = {}
            for key, value in src.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else repr(key)
                if name not in SOURCE_FIELDS:
                    self.error(key, f"unknown source field `{name}`")
                    continue
                if name in LOCALISED_SOURCE_FIELDS and isinstance(value, yaml.MappingNode):
                    # `publisher: {en: Election Commission of Thailand, th: กกต.}`
                    per_language = self._lang_texts(src, (key, value), f"sources.{name}",
                                                    required=False)
                    if per_language:
                        named[name] = per_language
                        values[name] = per_language.get("en") or next(iter(per_language.values()))
                    continue
                text = self._text(value, f"sources.{name}")
                if text is not None:
                    values[name] = text.strip()
            url = values.get("url")
            if not url:
                self.error(src, "a source needs a `url`")
                continue
            if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
                self.error(src, f"source URL must start with http:// or https://: {url!r}")
                continue
            sources.append(
                Source(
                    url=url, title=values.get("title"), publisher=values.get("publisher"),
                    titles=MappingProxyType(named.get("title", {})),
                    publishers=MappingProxyType(named.get("publisher", {})),
                )
            )
        if required and not sources and not self.failed:
            self.error(node, "a claim needs at least one source")
        return sources

    def _status(self, item: tuple[yaml.Node, yaml.Node] | None) -> str:
        if item is None:
            return "published"
        value = self._scalar(item[1], "status")
        if value is None:
            return "draft"
        if value not in STATUSES:
            # Not a SPEC rule, so not an error; but never show what we cannot classify.
            self.warn(item[1], f"unknown status {value!r}; the entry is treated as a draft")
            return "draft"
        return value

    def _optional_text(self, item: tuple[yaml.Node, yaml.Node] | None, name: str) -> str | None:
        if item is None:
            return None
        value = self._text(item[1], name)
        return value.strip() if value else None

    def _string_list(self, item: tuple[yaml.Node, yaml.Node] | None, name: str) -> list[str]:
        if item is None:
            return []
        node = item[1]
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"`{name}` must be a list of strings, e.g. [{name}-one, {name}-two]")
            return []
        out = []
        for n in node.value:
            text = self._text(n, name)
            if text and text.strip():
                out.append(text.strip())
        return out

    def _date(self, item: tuple[yaml.Node, yaml.Node] | None) -> date | None:
        if item is None:
            return None
        value = self._scalar(item[1], "published")
        if not value:
            return None
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            self.warn(item[1], f"`published` is not an ISO date (YYYY-MM-DD): {value!r}; ignored")
            return None


def _alias_count(root: yaml.Node) -> int:
    """How many aliases the document uses: every reference to a node after its first (the
    composer hands an alias the anchored node itself)."""
    seen: set[int] = set()
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            count += 1
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return count


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many nodes the document would have with every alias expanded, computed without
    expanding anything (each shared node is counted once per reference, from a memo)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a self-referencing alias is counted once rather than looping
    if isinstance(node, yaml.SequenceNode):
        total = 1 + sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        total = 1
    memo[key] = min(total, MAX_EXPANDED_NODES + 1)
    return memo[key]


def _line(node: yaml.Node | int | None) -> int:
    if isinstance(node, int):
        return node
    if node is None:
        return 1
    return node.start_mark.line + 1
