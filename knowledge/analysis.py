"""How the matcher looks at a piece of text: tokens, folded characters, numbers and polarity words.

`nlu.normalize` owns cleaning and tokenising (one place for all of the bot); this module adds only
what matching needs on top of it:

* content tokens: the tokens minus function words and chat filler ("is it true", "ไหม", "ke"),
  so that "my  sent this, is it real?" does not dilute the words that carry the claim;
* a folded character string for character n-grams: Thai tone marks and other combining signs
  removed, Latin diacritics removed, repeated letters squeezed, spaces dropped. Voters type Thai
  without tone marks and without spaces, and make typos; n-grams over this string still overlap;
* numbers (Thai digits mapped, thousands separators dropped, Buddhist-era years also as CE),
  because two claims that differ only in an amount or a date are different claims;
* polarity concepts (negation, cancel, postpone, ban) in th/ms/en, because "advance voting is on
  7 May" and "advance voting was cancelled" share every other word.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass

from nlu.normalize import THAI_DIGITS as _THAI_DIGITS
from nlu.normalize import clean, tokenize

_THAI = re.compile(r"[\u0E00-\u0E7F]")
# Tone marks, mai han-akat/tai-khu, thanthakhat, nikhahit and the other above/below signs that
# voters drop or mistype. Vowels that change the word stay.
_THAI_FOLD = re.compile(r"[\u0E47-\u0E4E\u0E31]")
_REPEAT = re.compile(r"(.)\1{2,}")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not (unicodedata.combining(ch) and ch < "\u0e00"))


def fold(text: str) -> str:
    """Lower-cased, accent- and tone-mark-free, letters and digits only, no spaces: the form two
    spellings of the same words most often share."""
    text = strip_accents(clean(text).lower()).translate(_THAI_DIGITS)
    text = _THAI_FOLD.sub("", text)
    text = _NON_WORD.sub("", text)
    text = text.replace("_", "")
    return _REPEAT.sub(r"\1", text)


def fold_token(token: str) -> str:
    token = strip_accents(token.lower()).translate(_THAI_DIGITS)
    return _REPEAT.sub(r"\1", _THAI_FOLD.sub("", token))


def char_ngrams(folded: str, n: int = 3) -> list[str]:
    if len(folded) < n:
        return [folded] if folded else []
    return [folded[i : i + n] for i in range(len(folded) - n + 1)]


def word_list(text: str) -> list[str]:
    """Whitespace-separated words of a literal block (keeps long word lists readable)."""
    return text.split()


# -- stopwords ---------------------------------------------------------------------------------
# Function words and the chat around a question. Only words that never carry a claim belong
# here; anything topical (vote, election, เลือกตั้ง, undi) stays a content word.
_STOP_EN = word_list(
    """
a an the is are was were be been being am do does did doing have has had having of to in on at
by for with from about as into than then so and or but if because that this these those it its i
me my we our you your he she they them their his her what which who whom whose when where why
how can could will would shall should may might must just really very too also still even any
some all there here not no yes ok okay pls please plz thanks thank hi hello dear guys bro sis
true real fake correct right wrong check verify confirm rumour rumor news message msg forwarded
forward sent send got get received saw see seen someone somebody people say says said said heard
hear told tell whatsapp telegram group chat post viral share shared friend friends is-it isnt
dont doesnt didnt im ive id youre thats whats legit actually anyone know knows
"""
)
_STOP_MS = word_list(
    """
ke kah ka adakah adakan apakah betul benar ker ka ni ini itu tu yang yg dan atau di pada untuk
dengan dari daripada kepada oleh ada akan sudah telah boleh dapat saya aku kami kita awak anda
kamu dia mereka nak hendak mahu mau je sahaja jer lah pun tak tidak bukan ya tolong sila terima
kasih hai hello kawan dengar dengar2 dapat dapat2 hantar share viral mesej berita khabar palsu
benar sahih semak group grup whatsapp wassap telegram betulkah benarkah ker ka kan macam mcm apa
siapa bila mana kenapa mengapa bagaimana camne cmne ke kah kot agaknya tau tahu orang semua
sikit banyak lagi juga tapi tetapi sebab kerana kalau jika dah sudah pula je jgn
"""
)
_STOP_TH = word_list(
    """
ที่ และ หรือ ของ ใน จาก ว่า ได้ ให้ เป็น มี การ ความ กับ แล้ว จะ ก็ ไป มา อยู่ คือ นี้ นั้น ไหม
มั้ย มั๊ย หรือเปล่า เปล่า หรือไม่ ใช่ไหม ใช่มั้ย จริง จริงหรือ จริงไหม จริงมั้ย จริงๆ จริงป่าว
ป่าว ปะ ค่ะ คะ ครับ คับ ฮะ จ้า จ้ะ นะ นะคะ นะครับ น่ะ เหรอ หรอ รึ รึเปล่า ล่ะ สิ ซิ เลย อะ อ่ะ
ข่าว ข่าวปลอม ปลอม แชร์ ส่งต่อ มา ไลน์ เพื่อน กลุ่ม ได้ยิน เห็น บอก ว่า เขา เค้า ใคร อะไร ยังไง
อย่างไร เท่าไร เท่าไหร่ ตอนนี้ ช่วย ตรวจสอบ เช็ค เช็ก หน่อย ด้วย ทราบ รู้ อยาก ถาม สอบถาม ขอ
ทำไม เพราะ แต่ ถ้า หาก เมื่อ ซึ่ง ทุก บาง กัน เอง เนี่ย นี่ โน่น นู่น อ่ะ ฉัน ผม เรา คุณ ดิฉัน
หนู
"""
)
STOPWORDS = frozenset(fold_token(w) for w in _STOP_EN + _STOP_MS + _STOP_TH)

# -- polarity ----------------------------------------------------------------------------------
# Question tags that contain a negation word but ask rather than negate ("or not", "ke tidak").
_QUESTION_TAGS = re.compile(
    r"หรือไม่|หรือเปล่า|รึเปล่า|หรือป่าว|ใช่ไหม|ไม่ใช่หรอ|ไม่ใช่เหรอ|"
    r"\b(?:or not|ke tidak|ke tak|atau tidak|atau tak|ke x|betul tak|betul x|benar tidak|"
    r"kan\?|isn'?t it|right\?)",
    re.IGNORECASE,
)
_POLARITY: dict[str, tuple[str, ...]] = {
    "cancel": (
        "cancel",
        "cancelled",
        "canceled",
        "cancels",
        "cancelling",
        "called off",
        "scrapped",
        "abolish",
        "abolished",
        "stop",
        "stopped",
        "stops",
        "halt",
        "halted",
        "suspend",
        "suspended",
        "batal",
        "dibatalkan",
        "membatalkan",
        "pembatalan",
        "henti",
        "berhenti",
        "dihentikan",
        "digantung",
        "gantung",
        "ยกเลิก",
        "งดจัด",
        "งดเดิน",
        "งดให้บริการ",
        "งดจำหน่าย",
        "ล้มเลิก",
        "หยุด",
        "ระงับ",
        "ถอดออก",
        "removed",
        "dikeluarkan",
    ),
    "future": (
        "next",
        "upcoming",
        "coming",
        "future",
        "ครั้งหน้า",
        "ครั้งต่อไป",
        "คราวหน้า",
        "รอบหน้า",
        "สมัยหน้า",
        "ปีหน้า",
        "akan datang",
        "seterusnya",
        "berikutnya",
        "tahun depan",
    ),
    "close": (
        "close",
        "closed",
        "closes",
        "shut",
        "shut down",
        "tutup",
        "ditutup",
        "(?<!เ)ปิด",
    ),
    "open": ("open", "opened", "opens", "reopen", "reopened", "buka", "dibuka", "เปิด"),
    "postpone": (
        "postpone",
        "postponed",
        "postpones",
        "delay",
        "delayed",
        "reschedule",
        "rescheduled",
        "moved to",
        "pushed back",
        "tangguh",
        "ditangguh",
        "ditangguhkan",
        "menangguhkan",
        "ditunda",
        "tunda",
        "anjak",
        "dianjak",
        "diundur",
        "เลื่อน",
    ),
    "ban": (
        "ban",
        "banned",
        "bans",
        "prohibit",
        "prohibited",
        "forbidden",
        "illegal",
        "not allowed",
        "larang",
        "dilarang",
        "larangan",
        "haram",
        "tidak dibenarkan",
        "tak benarkan",
        "ห้าม",
        "ผิดกฎหมาย",
        "ไม่ให้",
    ),
    "negation": (
        "not",
        "no",
        "never",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "can't",
        "cannot",
        "tidak",
        "tak",
        "bukan",
        "tiada",
        "belum",
        "jangan",
        "ไม่",
        "มิได้",
        "ไม่ได้",
        "ไม่ใช่",
        "ไม่มี",
        "ยังไม่",
    ),
}


def _compile_polarity() -> dict[str, re.Pattern[str]]:
    out = {}
    for concept, words in _POLARITY.items():
        latin = [re.escape(w) for w in words if not _THAI.search(w)]
        thai = [w if "(?" in w else re.escape(w) for w in words if _THAI.search(w)]
        parts = []
        if latin:
            parts.append(r"(?<![\w'])(?:" + "|".join(latin) + r")(?![\w'])")
        if thai:
            parts.append("(?:" + "|".join(thai) + ")")
        out[concept] = re.compile("|".join(parts), re.IGNORECASE)
    return out


_POLARITY_RE = _compile_polarity()


def polarity(text: str) -> frozenset[str]:
    """The polarity concepts a text states (question tags like "or not" do not count)."""
    text = _QUESTION_TAGS.sub(" ", clean(text).lower())
    text = re.sub(r"(?<![a-z])x(?![a-z])", " tak ", text)  # Malay "x" = tak
    return frozenset(c for c, pattern in _POLARITY_RE.items() if pattern.search(text))


# Countries a message can name, by the names voters use: a question that names one country is
# not answered with the other country's rule.
_REGION_WORDS: dict[str, tuple[str, ...]] = {
    "TH": ("thailand", "thai", "thais", "siam", "ไทย", "กกต", "ect"),
    "MY": ("malaysia", "malaysian", "malaysians", "msia", "มาเลเซีย", "มาเลย์", "spr"),
}
_REGION_RE = {
    region: re.compile(
        r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in words if not _THAI.search(w)) + r")"
        r"(?![a-z])|" + "|".join(re.escape(w) for w in words if _THAI.search(w)),
        re.IGNORECASE,
    )
    for region, words in _REGION_WORDS.items()
}


# Other countries rumours name ("Cambodia bans Thai goods"): never a region of ours, but a message
# that names one the entry does not is about something else.
_OTHER_COUNTRY_WORDS: dict[str, tuple[str, ...]] = {
    "KH": ("cambodia", "cambodian", "kemboja", "กัมพูชา", "เขมร"),
    "LA": ("laos", "lao", "ลาว"),
    "MM": ("myanmar", "burma", "burmese", "พม่า", "เมียนมา"),
    "VN": ("vietnam", "vietnamese", "เวียดนาม"),
    "ID": ("indonesia", "indonesian", "อินโดนีเซีย"),
    "SG": ("singapore", "singaporean", "สิงคโปร์"),
    "PH": ("philippines", "filipino", "ฟิลิปปินส์"),
    "CN": ("china", "chinese", "จีน"),
    "US": ("america", "american", "amerika", "อเมริกา", "สหรัฐ"),
    "JP": ("japan", "japanese", "jepun", "ญี่ปุ่น"),
    "IN": ("india", "indian", "อินเดีย"),
}
_COUNTRY_RE = {
    code: re.compile(
        r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in words if not _THAI.search(w)) + r")"
        r"(?![a-z])|" + "|".join(re.escape(w) for w in words if _THAI.search(w)),
        re.IGNORECASE,
    )
    for code, words in {**_REGION_WORDS, **_OTHER_COUNTRY_WORDS}.items()
}


def countries(text: str) -> frozenset[str]:
    """Every country a text names, ours and others (for the near-miss check only)."""
    text = clean(text)
    return frozenset(c for c, pattern in _COUNTRY_RE.items() if pattern.search(text))


def regions(text: str) -> frozenset[str]:
    """The countries a text names."""
    text = clean(text)
    return frozenset(r for r, pattern in _REGION_RE.items() if pattern.search(text))


_SCALES = {
    "พันล้าน": 10**9,
    "พัน": 10**3,
    "หมื่น": 10**4,
    "แสน": 10**5,
    "ล้าน": 10**6,
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mil": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "ribu": 10**3,
    "juta": 10**6,
    "bilion": 10**9,
}
_SCALED = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True)) + r")(?![a-z])",
    re.IGNORECASE,
)


def numbers(text: str) -> frozenset[str]:
    """The numbers a text states, as values: separators dropped, "6 แสน" / "600k" / "600 ribu"
    as 600000, a Buddhist-era year also as its CE year (2566 = 2023) and a two-digit Thai year
    as both (66 = 2566 = 2023). Single digits are left out: in chat they are as often words
    ("2" for "to") as amounts."""
    text = clean(text).translate(_THAI_DIGITS)
    found: set[str] = set()
    for raw, scale in _SCALED.findall(text):
        try:
            value = float(raw.replace(",", "")) * _SCALES[scale.lower()]
        except ValueError:
            continue
        found.add(str(int(value)) if value == int(value) else str(value))
    for raw in _NUMBER.findall(_SCALED.sub(" ", text)):
        digits: str = raw.replace(",", "")
        if digits.count(".") == 1 and digits.endswith(".00"):
            digits = digits[:-3]
        digits = digits.lstrip("0") or "0"
        if digits.isdigit() and int(digits) < 10:
            continue
        found.add(digits)
        if digits.isdigit() and 2400 <= int(digits) <= 2700:
            found.add(str(int(digits) - 543))
        elif digits.isdigit() and 1900 <= int(digits) <= 2157:
            found.add(str(int(digits) + 543))
        elif digits.isdigit() and 50 <= int(digits) <= 99:
            found.update((str(2500 + int(digits)), str(2500 + int(digits) - 543)))
    return frozenset(found)


@dataclass(frozen=True)
class Analysis:
    """Everything the matcher needs from one text, computed once."""

    tokens: tuple[str, ...]  # folded content tokens, in order, repeats kept
    grams: tuple[str, ...]  # character trigrams of the folded text
    numbers: frozenset[str]
    polarity: frozenset[str]
    regions: frozenset[str]
    countries: frozenset[str] = frozenset()


def analyse(text: str, language: str | None = None) -> Analysis:
    toks = [fold_token(t) for t in tokenize(text, language)]
    # Interned: a large knowledge base repeats the same words and trigrams thousands of times.
    content = tuple(sys.intern(t) for t in toks if t and t not in STOPWORDS and not t.isdigit())
    folded_content = "".join(content) or fold(text)
    return Analysis(
        tokens=content,
        grams=tuple(sys.intern(g) for g in char_ngrams(folded_content)),
        numbers=numbers(text),
        polarity=polarity(text),
        regions=regions(text),
        countries=countries(text),
    )
