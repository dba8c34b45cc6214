"""What voters are told when fact-checkers have dealt with the claim they sent, in th, ms and en.

Kept apart from bot/texts/ (the conversation's strings) for now; every key exists in all three
languages (tests/escalation checks it), so moving them there later is a copy. Values are
Telegram-HTML templates: the caller escapes everything it substitutes.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "answer_intro": "🔎 Our fact-checkers have checked the claim you sent us:",
        "you_asked": "You asked: <i>{question}</i>",
        "checked_claim": "🔎 Our fact-checkers have checked this claim, which is what you asked "
        "about:",
        "verdict": "Verdict: <b>{verdict}</b>",
        "sources": "Sources:",
        "fallback_note": "(Our fact-checkers wrote this answer in {lang_name}; it is not yet "
        "available in English.)",
        "answer_intro_unworded": "🔎 Our fact-checkers have checked the claim you sent us.",
        "rejected_intro": "🔎 Our fact-checkers looked at the message you sent us:",
        "rejected_intro_unquoted": "🔎 Our fact-checkers looked at the message you sent us.",
        "rejected_not_a_claim": "It is not a claim that can be checked as true or false, so "
        "there is no verdict for it. You can ask me about elections and voting at any time.",
        "rejected_out_of_scope": "It is outside what we check (elections and voting), so there "
        "is no verdict for it. Thank you for sending it; you can ask me about voting at any time.",
        "verdict_true": "True",
        "verdict_false": "False",
        "verdict_misleading": "Misleading",
        "verdict_partly-true": "Partly true",
        "verdict_unproven": "Unproven",
        "lang_th": "Thai",
        "lang_ms": "Malay",
        "lang_en": "English",
    },
    "ms": {
        "answer_intro": "🔎 Pemeriksa fakta kami telah menyemak dakwaan yang anda hantar:",
        "you_asked": "Anda bertanya: <i>{question}</i>",
        "checked_claim": "🔎 Pemeriksa fakta kami telah menyemak dakwaan ini, iaitu perkara yang "
        "anda tanyakan:",
        "verdict": "Keputusan: <b>{verdict}</b>",
        "sources": "Sumber:",
        "fallback_note": "(Pemeriksa fakta kami menulis jawapan ini dalam {lang_name}; jawapan "
        "dalam bahasa Melayu belum tersedia.)",
        "answer_intro_unworded": "🔎 Pemeriksa fakta kami telah menyemak dakwaan yang anda hantar.",
        "rejected_intro": "🔎 Pemeriksa fakta kami telah melihat mesej yang anda hantar:",
        "rejected_intro_unquoted": "🔎 Pemeriksa fakta kami telah melihat mesej yang anda hantar.",
        "rejected_not_a_claim": "Ia bukan dakwaan yang boleh disemak benar atau palsu, jadi tiada "
        "keputusan untuknya. Anda boleh bertanya kepada saya tentang pilihan raya pada bila-bila "
        "masa.",
        "rejected_out_of_scope": "Ia di luar perkara yang kami semak (pilihan raya dan "
        "mengundi), jadi tiada keputusan untuknya. Terima kasih kerana menghantarnya; anda "
        "boleh bertanya kepada saya tentang mengundi pada bila-bila masa.",
        "verdict_true": "Benar",
        "verdict_false": "Palsu",
        "verdict_misleading": "Mengelirukan",
        "verdict_partly-true": "Separa benar",
        "verdict_unproven": "Belum terbukti",
        "lang_th": "bahasa Thai",
        "lang_ms": "bahasa Melayu",
        "lang_en": "bahasa Inggeris",
    },
    "th": {
        "answer_intro": "🔎 ทีมตรวจสอบข้อเท็จจริงของเราได้ตรวจสอบข้อความที่คุณส่งมาแล้ว:",
        "you_asked": "คุณถามว่า: <i>{question}</i>",
        "checked_claim": "🔎 ทีมตรวจสอบข้อเท็จจริงของเราได้ตรวจสอบข้อกล่าวอ้างนี้ ซึ่งตรงกับที่คุณถาม:",
        "verdict": "ผลการตรวจสอบ: <b>{verdict}</b>",
        "sources": "แหล่งที่มา:",
        "fallback_note": "(ทีมตรวจสอบเขียนคำตอบนี้เป็น{lang_name} ยังไม่มีฉบับภาษาไทย)",
        "answer_intro_unworded": "🔎 ทีมตรวจสอบข้อเท็จจริงของเราได้ตรวจสอบข้อความที่คุณส่งมาแล้ว",
        "rejected_intro": "🔎 ทีมตรวจสอบข้อเท็จจริงของเราได้ดูข้อความที่คุณส่งมาแล้ว:",
        "rejected_intro_unquoted": "🔎 ทีมตรวจสอบข้อเท็จจริงของเราได้ดูข้อความที่คุณส่งมาแล้ว",
        "rejected_not_a_claim": "ข้อความนี้ไม่ใช่ข้อกล่าวอ้างที่ตรวจสอบได้ว่าจริงหรือเท็จ จึงไม่มีผลการ"
        "ตรวจสอบ คุณสามารถถามเรื่องการเลือกตั้งกับเราได้ทุกเมื่อ",
        "rejected_out_of_scope": "เรื่องนี้อยู่นอกขอบเขตที่เราตรวจสอบ (การเลือกตั้งและการลงคะแนน) "
        "จึงไม่มีผลการตรวจสอบ ขอบคุณที่ส่งมา คุณสามารถถามเรื่องการเลือกตั้งกับเราได้ทุกเมื่อ",
        "verdict_true": "จริง",
        "verdict_false": "เท็จ",
        "verdict_misleading": "ทำให้เข้าใจผิด",
        "verdict_partly-true": "จริงบางส่วน",
        "verdict_unproven": "ยังพิสูจน์ไม่ได้",
        "lang_th": "ภาษาไทย",
        "lang_ms": "ภาษามลายู",
        "lang_en": "ภาษาอังกฤษ",
    },
}


def text(language: str, key: str, **values: str) -> str:
    """The template `key` in `language` (English when the language is unknown), filled in."""
    table = TEXTS.get(language, TEXTS["en"])
    template = table.get(key) or TEXTS["en"][key]
    return template.format(**values) if values else template
