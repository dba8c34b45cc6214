"""Every setting is documented where an operator looks for it: the README's table and
.env.example (issue #9: "an .env.example documenting every variable")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = sorted(name.upper() for name in Settings.model_fields)


@pytest.mark.parametrize("variable", VARIABLES)
def test_every_setting_has_a_row_in_the_readme(variable: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| `{variable}` \|", readme, re.MULTILINE), variable


@pytest.mark.parametrize("variable", VARIABLES)
def test_every_setting_is_in_the_env_example(variable: str) -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(rf"^#? ?{variable}=", example, re.MULTILINE), variable


def test_bad_settings_stop_the_bot_with_one_line_per_variable(tmp_path: Path) -> None:
    """`factcheck run` with several bad values: no traceback, exit 2, each variable named with
    what is wrong, so an operator fixes them all at once."""
    factcheck = Path(sys.executable).parent / "factcheck"
    env = {
        **os.environ,
        "HEALTH_PORT": "abc",
        "DIGEST_HOUR": "25",
        "CHECKER_IDS": "12,bob",
        "LOG_LEVEL": "loud",
    }
    done = subprocess.run(
        [str(factcheck), "run"], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "factcheck: invalid configuration (environment or .env):"
    named = {line.split("=")[0].strip() for line in lines[1:]}
    assert named == {"HEALTH_PORT", "DIGEST_HOUR", "CHECKER_IDS", "LOG_LEVEL"}
    assert any("'bob' is not a Telegram user id" in line for line in lines)


def test_web_concurrency_is_refused_where_the_inbox_cannot_work(tmp_path: Path) -> None:
    """WEB_CONCURRENCY needs webhook mode, PostgreSQL and, with several workers, one shared
    WEBHOOK_SECRET; a WORKER_INDEX must name one of the slots. `factcheck run` says all of it
    before it reaches for Telegram, with exit 2 and no traceback."""
    def problems(**values: object) -> list[str]:
        return Settings(_env_file=None, **values).inbox_problems()  # type: ignore[call-arg]

    pg = "postgresql+psycopg://u@h/db"
    hook = {"webhook_url": "https://bot.example.org/t", "webhook_secret": "s"}
    assert problems() == [] and problems(web_concurrency=3, database_url=pg, **hook) == []
    assert problems(worker_index=0) == ["WORKER_INDEX: needs WEB_CONCURRENCY"]
    sqlite = problems(web_concurrency=2, **hook)
    assert len(sqlite) == 1 and "needs PostgreSQL" in sqlite[0]
    no_hook = problems(web_concurrency=2, database_url=pg)
    assert any("WEBHOOK_URL" in p for p in no_hook) and any("WEBHOOK_SECRET" in p for p in no_hook)
    assert problems(web_concurrency=1, database_url=pg, webhook_url="https://x/t") == []
    wrong = problems(web_concurrency=2, worker_index=2, database_url=pg, **hook)
    assert wrong == ["WORKER_INDEX=2: must be below WEB_CONCURRENCY=2"]

    factcheck = Path(sys.executable).parent / "factcheck"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DATABASE_", "WEBHOOK_", "WEB_", "WORKER_", "TELEGRAM_"))}
    env.update({"TELEGRAM_TOKEN": "1:x", "WEB_CONCURRENCY": "2",
                "TELEGRAM_API_URL": "http://127.0.0.1:9",  # never the network, even if broken
                "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"})
    done = subprocess.run(
        [str(factcheck), "run"], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "WEB_CONCURRENCY: needs PostgreSQL" in done.stderr
