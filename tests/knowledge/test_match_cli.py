"""`factcheck match` as evaluation scripts call it: the installed console command, in a
subprocess, JSON lines in and out (SPEC section 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
KB_SMALL = DATA / "kb-small"
FIELDS = ["text", "language", "decision", "entry", "score", "candidates"]


def factcheck() -> str:
    script = Path(sys.executable).parent / "factcheck"
    if not script.exists():
        pytest.skip("the factcheck console command is not installed (pip install -e .)")
    return str(script)


def run(args: list[str], stdin: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [factcheck(), *args], input=stdin, capture_output=True, text=True, env=env, timeout=600
    )


def test_match_writes_one_object_per_line_with_exactly_the_spec_fields(tmp_path: Path) -> None:
    lines = [
        "When was advance voting for Thailand's 2023 election?",
        json.dumps({"text": "เลือกตั้งล่วงหน้าปี 66 วันไหน"}, ensure_ascii=False),
        "my uncle says eating durian with cola is deadly",
        "",
    ]
    proc = run(["match", "--knowledge", str(KB_SMALL)], "\n".join(lines) + "\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    for obj in out:
        assert list(obj) == FIELDS
        assert obj["decision"] in ("answer", "clarify", "escalate")
        assert obj["language"] in ("th", "ms", "en", "und")
        assert isinstance(obj["score"], float | int)
        assert len(obj["candidates"]) <= 3
        for cand in obj["candidates"]:
            assert list(cand) == ["id", "score"]
        if obj["decision"] == "answer":
            assert obj["entry"] == obj["candidates"][0]["id"]
        else:
            assert obj["entry"] is None
    assert out[0]["decision"] == "answer"
    assert out[0]["entry"] == "small-th-advance-voting-date"
    assert out[1]["text"] == "เลือกตั้งล่วงหน้าปี 66 วันไหน"
    assert out[1]["language"] == "th"
    assert out[2]["decision"] == "escalate"
    assert out[3]["decision"] == "escalate"


def test_invalid_knowledge_is_refused_with_the_errors_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "kb"
    bad.mkdir()
    (bad / "bad.yml").write_text("entries:\n  - id: Bad Id\n    kind: fact\n", encoding="utf-8")
    proc = run(["match", "--knowledge", str(bad)], "hello\n", tmp_path / "cache")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "bad.yml" in proc.stderr and "Bad Id" in proc.stderr


def test_help_describes_the_protocol(tmp_path: Path) -> None:
    proc = run(["match", "--help"], "", tmp_path)
    assert proc.returncode == 0
    assert "--knowledge" in proc.stdout and "candidates" in proc.stdout


def test_match_reads_knowledge_dir_like_every_other_command(tmp_path: Path) -> None:
    """Without --knowledge, `factcheck match` reads KNOWLEDGE_DIR, as `kb`, `report` and the bot
    do, so an operator checking their deployment sees the knowledge the bot serves."""
    env = {
        **os.environ,
        "CACHE_DIR": str(tmp_path),
        "OMP_NUM_THREADS": "1",
        "KNOWLEDGE_DIR": str(KB_SMALL),
    }
    proc = subprocess.run(
        [factcheck(), "match"],
        input="When was advance voting for Thailand's 2023 election?\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    (result,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert result["candidates"], result
    assert all(c["id"].startswith("small-") for c in result["candidates"])


def test_match_answers_bad_lines_and_goes_on(tmp_path: Path) -> None:
    """A lone surrogate or invalid UTF-8 gets one object with an "error" (SPEC 1.1); the next
    line is still matched."""
    stdin = (
        b'{"text": "\\udc80 can I vote by SMS"}\n'
        b"\xc3\x28 ballot\n"
        b"When was advance voting for Thailand's 2023 election?\n"
    )
    env = {**os.environ, "CACHE_DIR": str(tmp_path), "OMP_NUM_THREADS": "1", "LC_ALL": "C"}
    proc = subprocess.run(
        [factcheck(), "match", "--knowledge", str(KB_SMALL)], input=stdin, capture_output=True,
        env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert len(out) == 3
    assert [obj["text"] for obj in out[:2]] == ["\ufffd can I vote by SMS", "\ufffd( ballot"]
    assert "surrogate" in out[0]["error"] and "UTF-8" in out[1]["error"]
    assert all(obj["decision"] in ("answer", "clarify", "escalate") for obj in out)
    assert out[2]["entry"] == "small-th-advance-voting-date" and "error" not in out[2]
