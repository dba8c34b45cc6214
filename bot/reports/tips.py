"""`/tips`: short, practical advice for voters on checking a rumour before sharing it.

It lives with the reports because it answers what the reports show: the rumours that spread are
the ones shared before anyone checked. The text is Telegram-HTML like bot/texts (only <b>; no
"<" or "&" in the prose), so the conversation can send it as it sends every other reply. The
official sources named are the election commissions of both countries: Thailand's ECT
(ect.go.th, hotline 1444) and Malaysia's SPR/EC (spr.gov.my, MySPR Semak).
"""

from __future__ import annotations

TIPS: dict[str, str] = {
    "en": (
        "<b>Before you share it: 6 quick checks</b>\n\n"
        "1. <b>Pause.</b> Messages that make you angry or scared, or say “share before it is "
        "deleted”, are written to be forwarded without thinking.\n"
        "2. <b>Who says so?</b> Look for a named source. “A friend in the election commission” "
        "or a forward of a forward is not one.\n"
        "3. <b>Check the official source.</b> Dates, polling stations and rules come from the "
        "election commission: Thailand's ECT (ect.go.th, hotline 1444) or Malaysia's SPR "
        "(spr.gov.my, MySPR Semak).\n"
        "4. <b>Check the date and place.</b> Old photos and news from another election or "
        "another country are often shared again as new.\n"
        "5. <b>Search the picture or the exact words.</b> If reliable news outlets or fact-"
        "checkers are silent about big news, be careful.\n"
        "6. <b>Ask me.</b> Forward the message here: I show what has been checked, with sources, "
        "or pass it to human fact-checkers.\n\n"
        "Not sure? Don't share it. 🙏"
    ),
    "ms": (
        "<b>Sebelum kongsi: 6 semakan ringkas</b>\n\n"
        "1. <b>Berhenti sekejap.</b> Mesej yang buat anda marah atau takut, atau berkata "
        "“kongsi sebelum dipadam”, ditulis supaya diforward tanpa berfikir.\n"
        "2. <b>Siapa yang kata?</b> Cari sumber yang dinamakan. “Kawan dalam SPR” atau mesej "
        "forward daripada forward bukan sumber.\n"
        "3. <b>Semak sumber rasmi.</b> Tarikh, tempat mengundi dan peraturan datang daripada "
        "Suruhanjaya Pilihan Raya: SPR (spr.gov.my, MySPR Semak) atau ECT di Thailand "
        "(ect.go.th, talian 1444).\n"
        "4. <b>Semak tarikh dan tempat.</b> Gambar dan berita lama dari pilihan raya lain atau "
        "negara lain sering dikongsi semula seolah-olah baharu.\n"
        "5. <b>Cari gambar atau ayat yang sama.</b> Jika media yang boleh dipercayai dan "
        "pemeriksa fakta senyap tentang berita besar, berhati-hati.\n"
        "6. <b>Tanya saya.</b> Forward mesej itu ke sini: saya tunjukkan semakan yang sudah "
        "dibuat, dengan sumber, atau hantar kepada pemeriksa fakta manusia.\n\n"
        "Tidak pasti? Jangan kongsi. 🙏"
    ),
    "th": (
        "<b>ก่อนแชร์: เช็ก 6 ข้อ</b>\n\n"
        "1. <b>หยุดก่อน</b> ข้อความที่ทำให้โกรธ ตกใจ หรือบอกว่า “รีบแชร์ก่อนโดนลบ” "
        "มักถูกเขียนมาให้ส่งต่อโดยไม่คิด\n"
        "2. <b>ใครเป็นคนพูด</b> ดูว่ามีแหล่งที่มาที่ระบุชื่อชัดเจนไหม “คนรู้จักใน กกต.” "
        "หรือข้อความที่ส่งต่อกันมาหลายทอด ไม่ใช่แหล่งข่าว\n"
        "3. <b>เช็กจากแหล่งทางการ</b> วันเลือกตั้ง หน่วยเลือกตั้ง และกติกา ดูได้จาก "
        "กกต. (ect.go.th สายด่วน 1444) หรือ SPR ของมาเลเซีย (spr.gov.my)\n"
        "4. <b>ดูวันที่และสถานที่</b> ภาพและข่าวเก่าจากการเลือกตั้งครั้งก่อนหรือจากประเทศอื่น "
        "มักถูกนำมาแชร์ใหม่เหมือนเป็นเรื่องล่าสุด\n"
        "5. <b>ค้นหาภาพหรือข้อความเดียวกัน</b> ถ้าเป็นข่าวใหญ่แต่สื่อที่เชื่อถือได้และ"
        "หน่วยตรวจสอบข่าวไม่พูดถึงเลย ให้ระวัง\n"
        "6. <b>ถามฉัน</b> ส่งต่อข้อความมาที่นี่ ฉันจะบอกสิ่งที่ตรวจสอบแล้วพร้อมแหล่งอ้างอิง "
        "หรือส่งให้ทีมตรวจสอบข่าวดูให้\n\n"
        "ไม่แน่ใจ อย่าเพิ่งแชร์ 🙏"
    ),
}


def tips_text(language: str) -> str:
    """The /tips message in `language` (th, ms, en); English for any other language."""
    return TIPS.get(language, TIPS["en"])
