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
