"""The knowledge a running bot serves: the last good load of a directory, reloaded when it changes.

Maintainers edit YAML while the bot runs. An edit must show up without a restart, and a broken edit
must never take the bot's knowledge away: an invalid directory is logged, and the previous good
knowledge keeps serving until the files are fixed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import (
    FileCache,
    KnowledgeBase,
    KnowledgeInvalid,
    Problem,
    knowledge_files,
    load_directory,
)

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class ReloadResult:
    changed: bool
    loaded: bool
    errors: tuple[Problem, ...] = ()


def fingerprint(directory: Path) -> Fingerprint:
    """Cheap identity of a directory's knowledge files: path, size and modification time."""
    out = []
    for path in knowledge_files(directory):
        try:
            st = path.stat()
        except OSError:  # a dangling symlink, a file without read rights: the loader says so
            out.append((str(path), -1, -1))
            continue
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


class KnowledgeStore:
    """Holds the current KnowledgeBase and swaps in a new one only when it is valid.

    `on_reload` runs after every successful load (including the first) with the new knowledge,
    so that dependants such as the matcher rebuild from exactly what is being served.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        on_reload: Callable[[KnowledgeBase], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self._on_reload = on_reload
        self._lock = threading.Lock()
        self._fingerprint = fingerprint(self.directory)
        self._files = FileCache()  # a reload re-reads only the files that changed
        # An invalid start-up is the caller's error.
        self._current = load_directory(self.directory, self._files)
        self.last_errors: tuple[Problem, ...] = ()
        if on_reload:
            on_reload(self._current)

    @property
    def current(self) -> KnowledgeBase:
        return self._current

    def reload_if_changed(self) -> ReloadResult:
        """Reload when the files changed since the last attempt; otherwise do nothing."""
        new_fp = fingerprint(self.directory)
        if new_fp == self._fingerprint:
            return ReloadResult(changed=False, loaded=False)
        return self.reload(new_fp)

    def reload(self, new_fp: Fingerprint | None = None) -> ReloadResult:
        with self._lock:
            self._fingerprint = fingerprint(self.directory) if new_fp is None else new_fp
            try:
                knowledge = load_directory(self.directory, self._files)
            except KnowledgeInvalid as exc:
                self.last_errors = tuple(exc.errors)
                log.error(
                    "knowledge in %s is invalid; still serving the last good knowledge "
                    "(%d entries). Errors:\n%s",
                    self.directory,
                    len(self._current.entries),
                    "\n".join(str(e) for e in exc.errors),
                )
                return ReloadResult(changed=True, loaded=False, errors=self.last_errors)
            if self._on_reload:
                try:
                    self._on_reload(knowledge)
                except Exception:  # a dependant that cannot rebuild must not lose the old state
                    log.exception("rebuilding from new knowledge failed; keeping the old knowledge")
                    return ReloadResult(changed=True, loaded=False)
            self._current = knowledge
            self.last_errors = ()
            log.info(
                "knowledge reloaded from %s: %d entries", self.directory, len(knowledge.entries)
            )
            return ReloadResult(changed=True, loaded=True)

    async def watch(self, interval: float = 5.0) -> None:
        """Poll for edits forever; the reload (and matcher rebuild) runs off the event loop."""
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.reload_if_changed)
            except Exception:  # never let the watcher die: the next edit must still be seen
                log.exception("knowledge reload check failed")
