"""`factcheck lang` as installed: the real console command, fed JSON and plain lines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _factcheck() -> str:
    beside_python = Path(sys.executable).with_name("factcheck")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("factcheck")
    if not found:
        pytest.fail("the factcheck console command is not installed (pip install -e .)")
    return found


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_factcheck(), *args], input=stdin, capture_output=True, text=True, timeout=120,
        check=False,
    )


def test_lang_answers_every_line_in_order() -> None:
    lines = [
        json.dumps({"text": "sy nk tanya pasal undi pos"}),
        "when is polling day",
        json.dumps({"text": "เลือกตั้งวันไหน"}, ensure_ascii=False),
        "👍",
        "",
        json.dumps({"text": "is it true ke SPR cancel PRU"}),
    ]
    result = _run("lang", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(lines)
    assert [a["text"] for a in answers] == [
        "sy nk tanya pasal undi pos", "when is polling day", "เลือกตั้งวันไหน", "👍", "",
        "is it true ke SPR cancel PRU",
    ]
    assert [a["language"] for a in answers] == ["ms", "en", "th", "und", "und", "ms"]
    for answer in answers:
        assert set(answer) == {"text", "language", "confidence"}
        assert 0.0 <= answer["confidence"] <= 1.0
        assert round(answer["confidence"], 4) == answer["confidence"]


def test_lang_help_describes_the_protocol() -> None:
    result = _run("lang", "--help")
    assert result.returncode == 0
    assert "JSON" in result.stdout
    assert "ms" in result.stdout


def test_lang_answers_bad_lines_too_and_writes_only_utf8() -> None:
    """SPEC 1.1: a lone surrogate or invalid UTF-8 gets its own answer with an "error", in
    order, and the lines after it are answered (it used to end with a traceback)."""
    stdin = (
        b'{"text": "\\ud800 abc"}\n'
        b'{"text":"after"}\n'
        b"\xff\xfe when is polling day\n"
        b'{"text": "nul\\u0000 inside"}\n'
        b"last line\n"
    )
    result = subprocess.run(
        [_factcheck(), "lang"], input=stdin, capture_output=True, timeout=120, check=False,
        env={**os.environ, "LC_ALL": "C", "PYTHONIOENCODING": ""},
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    answers = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [a["text"] for a in answers] == [
        "\ufffd abc", "after", "\ufffd\ufffd when is polling day", "nul inside", "last line",
    ]
    assert "surrogate" in answers[0]["error"]
    assert "UTF-8" in answers[2]["error"]
    assert [("error" in a) for a in answers] == [True, False, True, False, False]
    assert all(a["language"] in ("th", "ms", "en", "und") for a in answers)
