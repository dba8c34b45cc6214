"""The conversation over the bundled, curated knowledge (knowledge/base), in each language.

Embeddings are cached in the project cache (var/cache), shared with the matcher's own tests and
the CLI, so only the first run on a machine pays for embedding the whole knowledge base.
Some questions have one right check per country (online voting is false in Thailand and in
Malaysia); a question that does not name the country may reach either.
"""

from __future__ import annotations

import html

import pytest

from bot.config import BUNDLED_KNOWLEDGE, REPO_ROOT, Settings
from bot.core import Incoming
from bot.core.callbacks import entry_hash
from bot.services import build_services
from knowledge.loader import load_directory

pytestmark = pytest.mark.skipif(
    not any(BUNDLED_KNOWLEDGE.rglob("*.yml")), reason="no bundled knowledge in knowledge/base"
)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory, intent_service):
    tmp = tmp_path_factory.mktemp("bundled")
    settings = Settings(
        _env_file=None,
        knowledge_dir=BUNDLED_KNOWLEDGE,
        database_url=f"sqlite:///{tmp / 'bot.db'}",
        cache_dir=REPO_ROOT / "var" / "cache",
        rate_limit_per_minute=1000,
    )
    services = build_services(settings, spool_path=tmp / "spool.jsonl", intents=intent_service)
    yield services
    services.database.dispose()


@pytest.mark.parametrize(
    ("text", "entry_ids", "lang", "expected"),
    [
        ("เลือกตั้งล่วงหน้าวันไหน", {"th-2023-advance-voting-date"}, "th", "ℹ️ ข้อมูลการเลือกตั้ง"),
        ("boleh undi online guna aplikasi ke?",
         {"my-claim-vote-online", "th-claim-online-app-voting"}, "ms", "❌ PALSU"),
        ("Can I vote online through a link or an app in Malaysia?",
         {"my-claim-vote-online", "th-claim-online-app-voting"}, "en", "❌ FALSE"),
    ],
)
async def test_bundled_questions_reach_their_card(bundled, text, entry_ids, lang, expected):
    kb = load_directory(BUNDLED_KNOWLEDGE)
    assert all(kb.get(entry_id) is not None for entry_id in entry_ids)
    by_hash = {entry_hash(entry_id): entry_id for entry_id in entry_ids}
    conversation = bundled.conversation
    user = 10 + len(text)
    replies = await conversation.handle(Incoming.from_text(user, user, text))
    buttons = [b for r in replies for b in r.all_buttons()]
    if any((b.data or "").startswith("x:") for b in buttons):  # "did you mean": pick the entry
        button = next(b for b in buttons if (b.data or "").split(":")[-1] in by_hash)
        replies = await conversation.handle(Incoming(user, user, callback_data=button.data))
        buttons = [b for r in replies for b in r.all_buttons()]
    card = replies[0].text
    assert card.startswith(f"<b>{expected}</b>")
    shown = by_hash[buttons[0].data.split(":")[-1]]  # the card's feedback buttons name its entry
    entry = kb.get(shown)
    assert html.escape(entry.answer_in(lang)[1][:40], quote=False) in card
