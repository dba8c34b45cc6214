"""A running bot picks up edited knowledge, and a broken edit never takes knowledge away."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from knowledge.loader import KnowledgeBase, KnowledgeInvalid
from knowledge.store import KnowledgeStore

ENTRY = 'id: {id}\nkind: fact\ntext: {{en: "{q}"}}\nanswer: {{en: "{a}"}}\n'


def write(path: Path, **fields: str) -> None:
    path.write_text(ENTRY.format(**fields), encoding="utf-8")
    # Make the edit visible even on filesystems with coarse timestamps.
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_edit_is_picked_up_and_dependants_rebuilt(tmp_path: Path) -> None:
    seen: list[KnowledgeBase] = []
    write(tmp_path / "a.yml", id="a", q="When?", a="Sunday")
    store = KnowledgeStore(tmp_path, on_reload=seen.append)
    assert store.current.get("a").answer["en"] == "Sunday"
    assert not store.reload_if_changed().changed  # nothing edited: nothing done
    write(tmp_path / "a.yml", id="a", q="When?", a="Monday")
    result = store.reload_if_changed()
    assert result.changed and result.loaded
    assert store.current.get("a").answer["en"] == "Monday"
    assert [kb.get("a").answer["en"] for kb in seen] == ["Sunday", "Monday"]


def test_invalid_edit_keeps_last_good_and_logs_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "a.yml", id="a", q="When?", a="Sunday")
    store = KnowledgeStore(tmp_path)
    (tmp_path / "b.yml").write_text("id: Bad Id\nkind: fact\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        result = store.reload_if_changed()
    assert result.changed and not result.loaded
    assert any("b.yml:1" in str(e) for e in result.errors)
    assert store.current.get("a").answer["en"] == "Sunday"
    assert "still serving the last good knowledge" in caplog.text and "b.yml" in caplog.text
    (tmp_path / "b.yml").unlink()  # the fix is picked up on the next check
    assert store.reload_if_changed().loaded and store.last_errors == ()


def test_failing_dependant_keeps_old_knowledge(tmp_path: Path) -> None:
    calls = []

    def rebuild(kb: KnowledgeBase) -> None:
        calls.append(kb)
        if len(calls) > 1:
            raise RuntimeError("index build failed")

    write(tmp_path / "a.yml", id="a", q="When?", a="Sunday")
    store = KnowledgeStore(tmp_path, on_reload=rebuild)
    write(tmp_path / "a.yml", id="a", q="When?", a="Monday")
    assert not store.reload_if_changed().loaded
    assert store.current.get("a").answer["en"] == "Sunday"


def test_invalid_knowledge_at_start_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(KnowledgeInvalid):
        KnowledgeStore(tmp_path)


async def test_watch_reloads_in_the_background(tmp_path: Path) -> None:
    write(tmp_path / "a.yml", id="a", q="When?", a="Sunday")
    store = KnowledgeStore(tmp_path)
    task = asyncio.create_task(store.watch(interval=0.05))
    try:
        write(tmp_path / "a.yml", id="a", q="When?", a="Tuesday")
        for _ in range(100):
            await asyncio.sleep(0.05)
            if store.current.get("a").answer["en"] == "Tuesday":
                break
        assert store.current.get("a").answer["en"] == "Tuesday"
    finally:
        task.cancel()


def test_reload_reads_only_the_edited_file(tmp_path: Path) -> None:
    """Unchanged files are served from the store's file cache; the result is what a fresh load
    of the directory gives, errors of a still-broken file included."""
    for name in "abc":
        write(tmp_path / f"{name}.yml", id=name, q=f"Question {name}?", a="old")
    store = KnowledgeStore(tmp_path)
    files = store._files
    assert files.reused == 0
    write(tmp_path / "b.yml", id="b", q="Question b?", a="new")
    assert store.reload_if_changed().loaded
    assert files.reused == 2  # a.yml and c.yml
    assert [store.current.get(x).answer["en"] for x in "abc"] == ["old", "new", "old"]
    (tmp_path / "c.yml").unlink()
    (tmp_path / "d.yml").write_text("id: Bad Id\nkind: fact\n", encoding="utf-8")
    broken = store.reload_if_changed()
    assert not broken.loaded and any("d.yml:1" in str(e) for e in broken.errors)
    write(tmp_path / "a.yml", id="a", q="Question a?", a="newer")
    again = store.reload_if_changed()  # d.yml is still broken: reused, its error still reported
    assert not again.loaded and any("d.yml:1" in str(e) for e in again.errors)
    (tmp_path / "d.yml").unlink()
    assert store.reload_if_changed().loaded
    assert sorted(e.id for e in store.current.entries) == ["a", "b"]
    assert store.current.get("a").answer["en"] == "newer"
    fresh = KnowledgeStore(tmp_path).current
    assert [(e.id, dict(e.answer)) for e in fresh.entries] == [
        (e.id, dict(e.answer)) for e in store.current.entries
    ]
