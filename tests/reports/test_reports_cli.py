"""`factcheck report trends` run as a voter-facing team would run it: the installed console
command, in a subprocess, against a SQLite DATABASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from reports_seed import CHAT_IDS, NOW, OPEN_CLAIM, PRIVATE_TEXT, TELEGRAM_IDS, seed

from bot.storage import Database

FACTCHECK = Path(sys.executable).parent / "factcheck"
UNTIL = NOW.isoformat()


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'bot.db'}"
    database = Database(url)
    database.migrate()
    seed(database)
    database.dispose()
    return url


def factcheck(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [str(FACTCHECK), "report", "trends", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_text_report(database_url: str) -> None:
    done = factcheck(database_url, "--until", UNTIL)
    assert done.returncode == 0, done.stderr
    assert "Questions: 30 (+200% vs 10)" in done.stdout
    assert "answered 33%, clarified 3%, escalated 63%" in done.stdout
    assert OPEN_CLAIM in done.stdout and PRIVATE_TEXT not in done.stdout


def test_json_with_language_filter(database_url: str) -> None:
    done = factcheck(database_url, "--until", UNTIL, "--language", "th", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["language"] == "th"
    assert data["questions"] == {"total": 11, "previous_total": 5}
    assert [k["language"] for k in data["keywords"]] == ["th"]
    # The bundled knowledge has no "th-claim-fake-ballots": the id is shown without a text.
    assert data["top_entries"][0] == {
        "entry_id": "th-claim-fake-ballots",
        "text": None,
        "kind": None,
        "verdict": None,
        "current": 5,
        "previous": 1,
    }


def test_html_to_a_file(database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "trends.html"
    done = factcheck(
        database_url, "--until", UNTIL, "--since", "2w", "--format", "html", "--output", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4
    for identifier in TELEGRAM_IDS + CHAT_IDS:
        assert str(identifier) not in page


def test_bad_arguments_and_a_database_without_tables(tmp_path: Path) -> None:
    done = factcheck(f"sqlite:///{tmp_path / 'empty.db'}", "--since", "7 years")
    assert done.returncode == 2 and "24h, 7d or 2w" in done.stderr
    done = factcheck(f"sqlite:///{tmp_path / 'empty.db'}")
    assert done.returncode == 1 and "cannot read the bot's tables" in done.stderr
