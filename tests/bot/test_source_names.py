"""Thai replies name sources in Thai where the knowledge gives it (issue #15), through the
conversation core: the card of the same entry names its source per language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ECT_LINE = '''      - url: https://www.ect.go.th/
        title: "ECT"
'''
ECT_NAMED = '''      - url: https://www.ect.go.th/
        title: {en: "ECT", th: "กกต."}
        publisher: {en: "Election Commission of Thailand", th: "สำนักงานคณะกรรมการการเลือกตั้ง"}
'''
ASK = {
    "th": "ส่ง SMS เพื่อเลือกตั้งได้ไหม",
    "en": "Can I vote by SMS or online?",
    "ms": "boleh undi guna sms ke?",
}


@pytest.mark.parametrize(
    ("lang", "named"),
    [
        ("th", "กกต. (สำนักงานคณะกรรมการการเลือกตั้ง)"),
        ("en", "ECT (Election Commission of Thailand)"),
        ("ms", "ECT (Election Commission of Thailand)"),  # no Malay name: the English one
    ],
)
async def test_a_card_names_its_source_in_the_voters_language(
    tmp_path: Path, kb_small: Path, make_services, chat_on, lang, named
):
    kb = tmp_path / "kb"
    shutil.copytree(kb_small, kb)
    claims = kb / "claims.yml"
    text = claims.read_text("utf-8")
    assert ECT_LINE in text
    claims.write_text(text.replace(ECT_LINE, ECT_NAMED, 1), "utf-8")
    chat = chat_on(make_services(knowledge_dir=kb), language_code=lang)
    await chat.say(f"/language {lang}")
    card = await chat.card(ASK[lang], "SMS")
    assert f'<a href="https://www.ect.go.th/">{named}</a>' in card.text
