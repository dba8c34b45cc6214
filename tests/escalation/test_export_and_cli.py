"""`factcheck kb export-answers`, `factcheck tickets` and `factcheck checkers`: the export is valid
knowledge, and the real commands run in a subprocess against a temporary SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.escalation.answered import export_answers
from bot.escalation.ticket_rows import PlainTicketStore
from bot.escalation.tickets import TicketService
from bot.storage import Database
from knowledge.loader import check_directory, load_directory

CHECKER = 9001
FACTCHECK = str(Path(sys.executable).with_name("factcheck"))


def test_exported_answers_are_valid_knowledge(
    database: Database, service: TicketService, tmp_path: Path
) -> None:
    repo = PlainTicketStore(database)
    yes = repo.escalate(user_id=1, chat_id=1, text="เลือกตั้งล่วงหน้าถูกยกเลิกแล้ว", language="th")
    no = repo.escalate(user_id=2, chat_id=2, text="Undi pos dibuka kepada semua", language="ms")
    repo.escalate(user_id=3, chat_id=3, text="Still waiting", language="en")
    unworded = repo.escalate(user_id=4, chat_id=4, text="Ink is poisonous", language="en")
    service.answer(yes.ticket_id, CHECKER, verdict="false",
                   explanation={"th": "ไม่จริง", "en": "Not true: \"it goes ahead\": 7 May"},
                   sources=["https://www.ect.go.th/"],
                   wording="กกต. ยกเลิกการเลือกตั้งล่วงหน้า", region="th")
    service.answer(no.ticket_id, CHECKER, verdict="true",
                   explanation={"ms": "Benar: ya, true/false?"},
                   sources=["https://www.spr.gov.my/", "http://example.org/a?b=c#d"],
                   wording="Semua pengundi boleh mengundi melalui pos")
    service.answer(unworded.ticket_id, CHECKER, verdict="false", explanation={"en": "No."},
                   sources=["https://www.spr.gov.my/"])
    out = tmp_path / "exported"
    written = export_answers(database, out)
    # No checker's wording, nothing to export: the voter's words never go into git.
    assert sorted(p.name for p in written) == [
        f"ticket-{yes.ticket_id}.yml", f"ticket-{no.ticket_id}.yml"
    ]
    entries, errors, _ = check_directory(out)
    assert errors == []
    by_id = {e.id: e for e in load_directory(out).entries}
    first = by_id[f"ticket-{yes.ticket_id}"]
    assert first.verdict == "false" and first.text == {"th": "กกต. ยกเลิกการเลือกตั้งล่วงหน้า"}
    assert first.answer["en"] == 'Not true: "it goes ahead": 7 May'
    assert (first.region, first.status) == ("TH", "draft")
    second = by_id[f"ticket-{no.ticket_id}"]
    assert second.verdict == "true" and len(second.sources) == 2
    assert (second.region, second.status) == (None, "draft")
    files = "".join(p.read_text("utf-8") for p in written)
    assert "เลือกตั้ง" in files  # not escaped
    for voters_words in ("ถูกยกเลิกแล้ว", "dibuka kepada semua", "Ink is poisonous"):
        assert voters_words not in files
    # Exporting again rewrites the same files (a maintainer can re-run it safely).
    assert len(export_answers(database, out)) == 2
    assert check_directory(out)[1] == []


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FACTCHECK, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CHECKER_IDS")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", CHECKER_IDS=str(CHECKER))
    return env


def test_the_ticket_commands_work_end_to_end(cli_env: dict[str, str], tmp_path: Path) -> None:
    database = Database(cli_env["DATABASE_URL"])
    database.migrate()
    repo = PlainTicketStore(database)
    first = repo.escalate(user_id=1, chat_id=1, text="Polls close at noon", language="en")
    repo.escalate(user_id=2, chat_id=2, text="polls close at noon!", language="th")
    second = repo.escalate(user_id=3, chat_id=3, text="Nice weather today", language="ms")
    third = repo.escalate(user_id=4, chat_id=4, text="Polling ends at 12pm", language="en")

    listed = _run(["tickets", "list", "--json"], cli_env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["askers"]) for r in rows] == [
        (first.ticket_id, 2), (second.ticket_id, 1), (third.ticket_id, 1)
    ]
    assert "alembic" not in listed.stderr.lower()

    answer = ["tickets", "answer", str(first.ticket_id), "--verdict", "false",
              "--explanation-en", "Polls close at 5pm.", "--explanation-th", "ปิดหีบ 17.00 น.",
              "--source", "https://www.ect.go.th/", "--source", "https://example.org/hours",
              "--wording", "Polling stations shut at midday on election day", "--region", "TH"]
    refused = _run([*answer, "--as", "12345"], cli_env, tmp_path)
    assert refused.returncode == 1
    assert "12345 is not a fact-checker" in refused.stderr and "Traceback" not in refused.stderr

    added = _run(["checkers", "add", "12345", "--name", "Volunteer"], cli_env, tmp_path)
    assert added.returncode == 0 and "12345 added" in added.stdout
    checkers = _run(["checkers", "list", "--json"], cli_env, tmp_path)
    assert [json.loads(x)["user_id"] for x in checkers.stdout.splitlines()] == [CHECKER, 12345]

    done = _run([*answer, "--as", "12345"], cli_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 voter(s) will be notified" in done.stdout
    again = _run([*answer, "--as", "12345"], cli_env, tmp_path)
    assert again.returncode == 1 and "already answered" in again.stderr

    bad = _run(["tickets", "answer", str(third.ticket_id), "--verdict", "false",
                "--explanation-en", "x", "--source", "not-a-url", "--as", str(CHECKER)],
               cli_env, tmp_path)
    assert bad.returncode == 1 and "not an http(s) URL" in bad.stderr

    bad_region = _run(["tickets", "word", str(third.ticket_id), "--wording", "x",
                       "--region", "Thailand", "--as", str(CHECKER)], cli_env, tmp_path)
    assert bad_region.returncode == 1 and "two-letter country code" in bad_region.stderr
    worded = _run(["tickets", "word", str(third.ticket_id), "--wording", "Voting stops at 12:00",
                   "--as", str(CHECKER)], cli_env, tmp_path)
    assert worded.returncode == 0, worded.stderr
    dup = _run(["tickets", "dup", str(third.ticket_id), "--of", str(first.ticket_id),
                "--as", str(CHECKER)], cli_env, tmp_path)
    assert dup.returncode == 0, dup.stderr
    reject = _run(["tickets", "reject", str(second.ticket_id), "--reason", "small talk",
                   "--category", "out-of-scope", "--as", str(CHECKER)], cli_env, tmp_path)
    assert reject.returncode == 0 and "1 voter(s) will be told" in reject.stdout

    shown = _run(["tickets", "show", str(first.ticket_id), "--json"], cli_env, tmp_path)
    detail = json.loads(shown.stdout)
    assert detail["status"] == "answered" and detail["askers"] == 3
    assert detail["duplicates"] == [third.ticket_id]
    assert detail["notifications"] == {"pending": 3}
    assert [h["action"] for h in detail["history"]] == ["refused", "answer"]
    assert (detail["wording"], detail["region"]) == (
        "Polling stations shut at midday on election day", "TH"
    )
    text = _run(["tickets", "show", str(first.ticket_id)], cli_env, tmp_path)
    assert "Verdict: false" in text.stdout and "source: https://www.ect.go.th/" in text.stdout
    missing = _run(["tickets", "show", "999"], cli_env, tmp_path)
    assert missing.returncode == 1 and "no ticket #999" in missing.stderr
    assert _run(["tickets", "list"], cli_env, tmp_path).stdout == ""

    removed = _run(["checkers", "remove", "12345"], cli_env, tmp_path)
    assert removed.returncode == 0
    assert _run(["checkers", "remove", str(CHECKER)], cli_env, tmp_path).returncode == 1

    out = tmp_path / "answers"
    exported = subprocess.run(
        [sys.executable, "-m", "bot.cli.export_answers", str(out)], env=cli_env, cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
    )
    assert exported.returncode == 0, exported.stderr + exported.stdout
    assert [p.name for p in out.iterdir()] == [f"ticket-{first.ticket_id}.yml"]
    exported_text = (out / f"ticket-{first.ticket_id}.yml").read_text("utf-8")
    [doc] = yaml.safe_load(exported_text)["entries"]
    # The checkers' wordings (of the ticket and of the one merged into it), never the voters'.
    assert doc["text"] == {"en": "Polling stations shut at midday on election day"}
    assert doc["variants"] == {"en": ["Voting stops at 12:00"]}
    assert (doc["region"], doc["status"]) == ("TH", "draft")
    for voters_words in ("Polls close at noon", "polls close at noon", "Polling ends at 12pm"):
        assert voters_words not in exported_text
    validated = _run(["kb", "validate", "--knowledge", str(out)], cli_env, tmp_path)
    assert validated.returncode == 0, validated.stdout
    database.dispose()
