"""`factcheck chat` and `factcheck run` (without a token) in a subprocess, fed by a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FACTCHECK = Path(sys.executable).parent / "factcheck"
#: The installed console script, else the same entry point through this interpreter.
COMMAND = (
    [str(FACTCHECK)] if FACTCHECK.exists()
    else [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
)


def run(args: list[str], lines: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_TOKEN"}
    env["TELEGRAM_TOKEN"] = ""
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'chat.db'}"
    return subprocess.run(
        [*COMMAND, *args, "--knowledge", str(ROOT / "tests/data/kb-small"),
         "--spool", str(tmp_path / "spool.jsonl")],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )


def test_chat_answers_piped_messages_and_presses_numbered_buttons(tmp_path):
    result = run(
        ["chat"],
        [
            "/start", "1", "ส่ง SMS เพื่อเลือกตั้งได้ไหม", "/language en", "/help",
            "Where do I have to vote?", "1", "/quit", "this line is never read",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] ไทย   [2] Bahasa Melayu   [3] ✓ English" in out
    assert "ต่อจากนี้ผมจะตอบเป็นภาษาไทยครับ" in out  # button 1 pressed: Thai
    assert "❌ ไม่จริง" in out  # the card, in Thai, as plain text
    assert "<b>" not in out and "&amp;" not in out
    assert "ECT (https://www.ect.go.th/)" in out  # links shown with their address
    assert "/language – choose the language I reply in" in out
    assert "Which one do you mean?" in out
    assert ". Where do I have to vote? (" in out and "[1] 1. " in out
    assert "ℹ️ ELECTION INFORMATION" in out  # a candidate picked by its number
    assert "never read" not in out


def test_run_without_a_token_starts_the_local_chat(tmp_path):
    result = run(["run"], ["hi"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_TOKEN is not set" in result.stderr
    assert "Hello!" in result.stdout


@pytest.mark.parametrize("command", ["chat", "run"])
def test_help_is_quick_and_lists_options(command):
    result = subprocess.run(
        [*COMMAND, command, "--help"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert result.returncode == 0
    assert "--knowledge" in result.stdout
