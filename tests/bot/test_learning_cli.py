"""`factcheck kb learned`: the real command in a subprocess against a temporary SQLite database
that voters' picks filled (through the repository the conversation uses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.core.learned import phrase_of
from bot.storage import Database, Repository
from knowledge.loader import check_directory

CHECKER = 9001
FACTCHECK = str(Path(sys.executable).with_name("factcheck"))
KB_SMALL = Path(__file__).resolve().parent.parent / "data" / "kb-small"
ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FACTCHECK, "kb", "learned", *args], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=120,
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CHECKER_IDS")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", CHECKER_IDS=str(CHECKER),
        PYTHONPATH=str(ROOT),  # this tree's code, whatever the venv has installed
    )
    return env


def _teach(repo: Repository, voter: int, text: str, language: str, entry_id: str) -> None:
    question = repo.record_question(
        user_id=voter, chat_id=voter, text=text, language=language, intent=None,
        decision="clarify", entry_id=None, score=None,  # type: ignore[arg-type]
    )
    repo.confirm_pick(
        user_id=voter, question_id=question, phrase=phrase_of(text, language),
        language=language, entry_id=entry_id,
    )


def test_list_confirm_reject_and_export(cli_env: dict[str, str], tmp_path: Path) -> None:
    database = Database(cli_env["DATABASE_URL"])
    database.migrate()
    repo = Repository(database)
    learned_text = "Undi pos macam mana nak MOHON??"
    for voter in (1, 2):
        _teach(repo, voter, learned_text, "ms", "small-my-postal-vote-apply")
    _teach(repo, 3, "ผลเลือกตั้งประกาศเมื่อไหร่ครับ", "th", "small-results-same-night")
    _teach(repo, 4, "My name is Somchai, when are results out", "en", "small-results-same-night")

    listed = _run(["--json"], cli_env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    listed_rows = map(json.loads, listed.stdout.splitlines())
    rows = {r["entry"] + ":" + r["language"]: r for r in listed_rows}
    apply = rows["small-my-postal-vote-apply:ms"]
    assert (apply["status"], apply["agree"]) == ("learned", 2)
    thai = rows["small-results-same-night:th"]
    assert (thai["status"], thai["agree"]) == ("pending", 1)
    named = rows["small-results-same-night:en"]
    human = _run([], cli_env, tmp_path)
    assert human.returncode == 0 and "pending" in human.stdout and "learned" in human.stdout

    refused = _run(["--confirm", str(thai["id"])], cli_env, tmp_path)
    assert refused.returncode == 1 and "--as" in refused.stderr
    stranger = _run(["--confirm", str(thai["id"]), "--as", "12345"], cli_env, tmp_path)
    assert stranger.returncode == 1
    confirmed = _run(["--confirm", str(thai["id"]), "--as", str(CHECKER)], cli_env, tmp_path)
    assert confirmed.returncode == 0, confirmed.stderr
    missing = _run(["--reject", "999", "--as", str(CHECKER)], cli_env, tmp_path)
    assert missing.returncode == 1 and "#999" in missing.stderr

    out = tmp_path / "review"
    exported = _run(["--export", str(out), "--knowledge", str(KB_SMALL)], cli_env, tmp_path)
    assert exported.returncode == 0, exported.stderr
    (written,) = out.iterdir()
    _, errors, _ = check_directory(out)
    assert errors == []
    document = yaml.safe_load(written.read_text("utf-8"))
    variants = {e["id"]: e["variants"] for e in document["entries"]}
    assert variants == {
        "small-my-postal-vote-apply": {"ms": [phrase_of(learned_text, "ms")]},
        "small-results-same-night": {"th": [phrase_of("ผลเลือกตั้งประกาศเมื่อไหร่ครับ", "th")]},
    }
    text = written.read_text("utf-8")
    assert learned_text not in text, "normalised words only"
    assert "somchai" not in text.casefold(), "a pending phrasing is never exported"
    assert "review" in text.lower() and "facts.yml" in text

    rejected = _run(["--reject", str(apply["id"]), "--as", str(CHECKER)], cli_env, tmp_path)
    assert rejected.returncode == 0, rejected.stderr
    after = {r["id"]: r["status"] for r in map(json.loads, _run(["--json"], cli_env, tmp_path)
                                               .stdout.splitlines())}
    assert after[apply["id"]] == "rejected" and after[named["id"]] == "pending"
    single = tmp_path / "one.yml"
    again = _run(["--export", str(single), "--knowledge", str(KB_SMALL)], cli_env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "small-my-postal-vote-apply" not in single.read_text("utf-8")


def test_help_says_a_maintainer_reviews(cli_env: dict[str, str], tmp_path: Path) -> None:
    shown = _run(["--help"], cli_env, tmp_path)
    assert shown.returncode == 0
    assert "maintainer to review" in " ".join(shown.stdout.split())
