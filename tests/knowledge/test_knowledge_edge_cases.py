"""Knowledge mistakes found by an audit: each is reported with its file and line, in one run,
and none goes unnoticed by a running bot or ends a start-up with a bare traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from knowledge.loader import check_directory
from knowledge.store import KnowledgeStore

KB_SMALL = Path(__file__).resolve().parent.parent / "data" / "kb-small"


def write(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def messages(directory: Path) -> list[str]:
    _, errors, _ = check_directory(directory)
    return [f"{Path(p.file).name}:{p.line}: [{p.entry_id}] {p.message}" for p in errors]


def test_values_that_yaml_reads_as_numbers_or_strings_where_lists_belong_are_errors(tmp_path):
    write(tmp_path, "typed.yml", """\
        entries:
          - id: typed-entry
            kind: fact
            region: 42
            topics: "advance-voting"
            text: {en: "When is polling day?"}
            answer: {en: 12}
            sources: [{url: "https://www.spr.gov.my/", publisher: 2023}]
        """)
    found = messages(tmp_path)
    assert any(m.startswith("typed.yml:4: [typed-entry] `region` must be text") for m in found)
    assert any(m.startswith("typed.yml:5: [typed-entry] `topics` must be a list") for m in found)
    assert any(m.startswith("typed.yml:7: [typed-entry] `answer.en` must be text") for m in found)
    assert any(m.startswith("typed.yml:8: [typed-entry] `sources.publisher` must be text")
               for m in found)
    assert len(found) == 4, found


def test_quoted_values_and_a_missing_topics_list_are_fine(tmp_path):
    write(tmp_path, "ok.yml", """\
        id: quoted-entry
        kind: fact
        region: "42"
        topics: ["2023"]
        text: {en: "When is polling day?"}
        answer: {en: "12"}
        """)
    entries, errors, _ = check_directory(tmp_path)
    assert errors == [] and entries[0].answer["en"] == "12" and entries[0].topics == ("2023",)


def test_a_duplicate_id_is_reported_in_the_same_run_as_the_entrys_other_errors(tmp_path):
    write(tmp_path, "a.yml", """\
        id: same-id
        kind: fact
        text: {en: "When is polling day?"}
        answer: {en: "On Saturday."}
        """)
    write(tmp_path, "b.yml", """\
        id: same-id
        kind: fact
        text: {xx: "Polling day?"}
        answer: {en: "Saturday."}
        """)
    found = messages(tmp_path)
    assert any("unknown language 'xx'" in m for m in found), found
    assert any(m.startswith("b.yml:1: [same-id] duplicate id: also defined at") for m in found)


def test_a_dangling_symlink_is_noticed_by_the_running_bot(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(KB_SMALL, kb)
    store = KnowledgeStore(kb)
    os.symlink(tmp_path / "nowhere.yml", kb / "moved.yml")
    result = store.reload_if_changed()
    assert result.changed and not result.loaded
    assert [(Path(p.file).name, p.line) for p in store.last_errors] == [("moved.yml", 1)]
    assert "cannot read file" in store.last_errors[0].message


def test_invalid_knowledge_at_start_up_names_file_and_line_without_a_traceback(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(KB_SMALL, kb)
    os.symlink(tmp_path / "nowhere.yml", kb / "moved.yml")
    write(kb, "bad.yml", """\
        id: bad-entry
        kind: rumour
        text: {en: "x"}
        answer: {en: "y"}
        """)
    env = {
        **os.environ, "KNOWLEDGE_DIR": str(kb), "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}",
        "SPOOL_PATH": str(tmp_path / "spool.jsonl"), "CACHE_DIR": str(tmp_path / "cache"),
        "TELEGRAM_TOKEN": "",
    }
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(['chat']))"],
        env=env, input="", capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = proc.stderr.splitlines()
    assert f"error: {kb / 'bad.yml'}:2: [bad-entry] unknown kind 'rumour'" in lines[0], lines
    assert any(line.startswith(f"error: {kb / 'moved.yml'}:1: cannot read file") for line in lines)
    assert "2 error(s)" in proc.stderr
