"""`factcheck chat` and `factcheck run` (without a token) in a subprocess, fed by a pipe."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
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


def test_an_answer_given_from_another_terminal_reaches_the_local_chat(tmp_path):
    """The whole escalation loop without Telegram: the voter's question escalates in the local
    chat, an operator answers the ticket with `factcheck tickets answer` in another process,
    and the notification appears in the still-open chat."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_TOKEN"}
    env["TELEGRAM_TOKEN"] = ""
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'chat.db'}"
    chat = subprocess.Popen(
        [*COMMAND, "chat", "--knowledge", str(ROOT / "tests/data/kb-small"),
         "--spool", str(tmp_path / "spool.jsonl")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, cwd=ROOT, env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in chat.stdout], daemon=True).start()

    def read_until(needle: str, timeout: float = 120.0) -> str:
        seen = ""
        deadline = time.monotonic() + timeout
        while needle not in seen:
            try:
                seen += lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {needle!r} in the chat; it printed:\n{seen}")
        return seen

    def operator(*args: str) -> str:
        done = subprocess.run(
            [*COMMAND, *args], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    try:
        assert chat.stdin is not None
        chat.stdin.write(
            "/language en\n"
            "is it true the election commission pays every voter 500 baht after voting?\n"
        )
        chat.stdin.flush()
        read_until("fact-checkers")
        operator("checkers", "add", "4242", "--name", "operator")
        (ticket,) = operator("tickets", "list", "--json").splitlines()
        operator(
            "tickets", "answer", str(json.loads(ticket)["id"]), "--verdict", "false",
            "--explanation-en", "The commission pays voters nothing.",
            "--source", "https://example.org/ect-payment", "--as", "4242",
        )
        notification = read_until("The commission pays voters nothing.")
        assert "example.org/ect-payment" in notification + read_until("example.org/ect-payment")
    finally:
        if chat.stdin is not None:
            chat.stdin.close()
        assert chat.wait(timeout=60) == 0


def test_local_chat_reads_typed_choices_bare_questions_and_language_auto(tmp_path):
    """Issue #15 in the local chat: "the second one" and "ข้อ 1" after a list (typed, not a
    button number), "is this true?" then the claim, and /language back to automatic."""
    result = run(
        ["chat"],
        [
            "Where do I have to vote?", "the second one",
            "ไปเลือกตั้งที่ไหน", "ข้อ 9", "ข้อ 1",
            "is this true?", "Can I vote by SMS or online?",
            "/language ms", "/language auto", "Can I vote by SMS or online?",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("ℹ️ ELECTION INFORMATION") == 1  # "the second one": a card
    assert "ในรายการไม่มีข้อ 9 ครับ" in out and "ℹ️ ข้อมูลการเลือกตั้ง" in out
    assert "Which claim do you mean?" in out
    # After "auto", the English question is answered in English again (a card or a list).
    after = out.split("I'll reply in the language you write in", 1)[1]
    assert "❌ FALSE" in after or "Which one do you mean?" in after
    assert "PALSU" not in after and "Saya jumpa" not in after


def test_local_chat_learns_what_two_voters_picked(tmp_path):
    """Issue #15, learning from voters, in the local chat: two voters (two `--user-id`s on the
    same database) pick the first entry of the list a Malay question gets; the third voter is
    answered with that entry's card, without the list."""
    question = "undi pos macam mana nak mohon"
    picked = []
    for user in ("1", "2"):
        result = run(["chat", "--user-id", user], [question, "1"], tmp_path)
        assert result.returncode == 0, result.stderr
        assert "[1] 1. " in result.stdout, result.stdout
        picked.append(result.stdout.split("[1] 1. ", 1)[1].split("\n", 1)[0].strip())
    assert picked[0] == picked[1]
    third = run(["chat", "--user-id", "3"], [question + " 🙏"], tmp_path)
    assert third.returncode == 0, third.stderr
    assert "[1] 1. " not in third.stdout, third.stdout  # no list
    assert "MAKLUMAT PILIHAN RAYA" in third.stdout, third.stdout
