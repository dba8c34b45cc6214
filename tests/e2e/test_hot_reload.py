"""Knowledge edited while the bot runs is served without a restart (KnowledgeStore.watch).

Runs in both modes against the bot's own copy of tests/e2e/kb (KNOWLEDGE_RELOAD_SECONDS=1), and
puts the directory back as it was, so the other tests see the knowledge they expect.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

NEW_ENTRY = """\
entries:
  - id: e2e-hot-reload-ballots
    kind: fact
    text:
      en: "How many ballot papers does each voter receive at the polling booth?"
    answer:
      en: "E2E-HOT-RELOAD Each voter receives two ballot papers, constituency and party list."
"""
QUESTION = "How many ballot papers does each voter receive at the polling booth?"


def test_edited_knowledge_is_served_without_a_restart(e2e) -> None:
    added = e2e.knowledge_dir / "hot-reload.yml"
    mark = e2e.log_mark()
    added.write_text(NEW_ENTRY, encoding="utf-8")
    try:
        e2e.wait_for_log("knowledge reloaded", timeout=20, since=mark)
        voter = e2e.voter("en")
        voter.say(QUESTION)
        (card,) = voter.replies(1)
        assert "E2E-HOT-RELOAD" in card.text
        assert card.text.splitlines()[0] == e2e.expected("en", "info_label")
    finally:
        mark = e2e.log_mark()
        added.unlink()
        e2e.wait_for_log("knowledge reloaded", timeout=20, since=mark)
