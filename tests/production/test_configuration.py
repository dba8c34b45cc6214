"""Every setting is documented where an operator looks for it: the README's table and
.env.example (issue #9: "an .env.example documenting every variable")."""

from __future__ import annotations

import re
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
