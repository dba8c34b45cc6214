"""A message that asks whether something is true without saying what: "hey is it true",
"is this true?", "betul ke ni?", "จริงไหม", "ข่าวนี้จริงไหม".

Voters often send the question first and the rumour after it (or forget the rumour). Such a
message has nothing a fact-checker could check, so it must never become a ticket; the bot asks
which claim, and reads the voter's next message as the claim (bot/core/handlers/question.py).

A message is bare when every word of it is one of these few (greetings, "is", "this", "news",
particles, "please") and one of them asks about truth ("true", "fake", "check", "betul", "จริง").
A single word outside the lists ("polls", "undi", "เลือกตั้ง") makes it a question of its own.
Words are read by nlu.normalize.tokenize (Thai segmented, Malay short forms expanded, case
folded), so "betul ker ni" and "ข่าวนี้จริงมั้ยคะ" need no entries of their own.
"""

from __future__ import annotations

from nlu.normalize import tokenize

#: Words that ask whether something is true (one is needed).
TRUTH_WORDS = frozenset(
    {
        # English
        "true", "real", "fake", "false", "legit", "hoax", "check", "verify",
        "genuine", "accurate", "factcheck",
        # Malay
        "betul", "benar", "palsu", "semak", "tipu", "sahih", "hoaks", "fitnah",
        # Thai
        "จริง", "ปลอม", "เท็จ", "มั่ว", "เช็ค", "เช็ก", "ตรวจสอบ", "ข่าวปลอม", "จริงหรือ",
    }
)

#: Words that carry nothing checkable around such a question.
FILLER_WORDS = frozenset(
    {
        # English
        "hey", "hi", "hello", "is", "it", "this", "that", "these", "those", "the", "a", "an",
        "news", "message", "post", "story", "rumour", "rumor", "claim", "info", "really", "or",
        "not", "so", "ok", "okay", "bro", "sis", "please", "can", "could", "you", "u", "pls",
        "fact", "tell", "me", "if", "whether", "anyone", "know", "was", "are", "does", "do",
        "what", "about", "any", "of", "for", "i", "wonder", "just", "all", "thing", "here",
        "there", "one", "one's", "lol", "guys", "pl", "plz", "thanks", "thank", "admin", "bot",
        "ur", "ya", "yeah", "sure", "mean", "wanna", "want", "to", "would", "like", "help",
        # Malay
        "ke", "ini", "itu", "ni", "tu", "adakah", "apakah", "kah", "tak", "tidak", "ye",
        "berita", "mesej", "cerita", "khabar", "viral", "betulkah", "benarkah", "lah", "kan",
        "weh", "hai", "helo", "boleh", "tolong", "apa", "yang", "saya", "nak", "tanya", "ka",
        "atau", "bukan", "je", "sahaja", "ker", "dengan", "ada", "sini",
        # Thai
        "ไหม", "มั้ย", "มั๊ย", "ป่ะ", "ปะ", "เปล่า", "หรือเปล่า", "รึเปล่า", "หรือ", "เหรอ", "หรอ",
        "ครับ", "ค่ะ", "คะ", "คับ", "นะ", "จ้า", "จ๊ะ", "อ่ะ", "อะ", "นี้", "นี่", "อันนี้", "เรื่อง",
        "เรื่องนี้", "ข่าว", "ข้อความ", "โพสต์", "คลิป", "ที่", "แชร์", "กัน", "ช่วย", "ให้",
        "หน่อย", "ที", "ได้", "ไหมครับ", "ไหมคะ", "มั้ยครับ", "มั้ยคะ", "สวัสดี", "ผม", "ฉัน",
        "หนู", "เรา", "ถาม", "อยาก", "รู้", "ว่า", "เป็น", "ใช่", "มัน", "ป่าว", "จ๊า",
        "แอดมิน", "บอท", "อัน", "นั้น", "นั่น", "ตัว", "เนี่ย", "ดู",
    }
)


def is_bare_question(text: str) -> bool:
    """True when `text` asks whether something is true and says nothing else."""
    if len(text) > 120:
        return False
    words = [word for word in tokenize(text) if any(ch.isalnum() for ch in word)]
    if not 2 <= len(words) <= 12:  # "true" alone is more often "I agree" than a question
        return False
    asks = False
    for word in words:
        if word in TRUTH_WORDS:
            asks = True
        elif word not in FILLER_WORDS:
            return False
    return asks
