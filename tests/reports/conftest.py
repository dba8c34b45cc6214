"""Fixtures of the report tests; the seeded history itself is in reports_seed.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reports_seed import FakeKnowledge, Seeded, seed  # noqa: E402 - needs the path above

from bot.storage import Database  # noqa: E402


@pytest.fixture
def seeded(database: Database) -> Seeded:
    return seed(database)


@pytest.fixture
def knowledge() -> FakeKnowledge:
    return FakeKnowledge()
