"""Repairing the text OCR reads from screenshots and photos, before anything tries to match it.

Tesseract reads Latin script well and Thai less well, and its Thai mistakes are regular:
- spaces between Thai characters, even inside a word ("ก ก ต. ประ กาศ"), because Thai has no
  spaces between words and its model guesses them from the gaps between glyphs;
- vowels built of two glyphs read as two characters: sara ae (แ) as two sara e (เเ), sara am (ำ)
  as nikhahit + sara aa (ํา);
- marks stacked above or below a consonant put in the wrong order (a tone mark before the upper
  or lower vowel it sits on, the same mark twice), which renders alike but compares differently;
- marks left dangling at the start of a line, and the obsolete letters ฃ and ฅ for ข and ค;
- lines of pure noise (a rule, a bubble's edge read as "|" or "—").

`clean_ocr_text` undoes these. It lives in `nlu` because it is part of understanding a message:
the same repair serves the bot, `factcheck match` and the screenshot benchmark.
"""

from __future__ import annotations

import re
import unicodedata

_THAI = "\u0e01-\u0e5b"
#: Vowels written above the consonant (and mai han-akat, maitaikhu, nikhahit).
_UPPER_VOWELS = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e47\u0e4d"
#: Vowels written below the consonant.
_LOWER_VOWELS = "\u0e38\u0e39\u0e3a"
#: Tone marks (mai ek, mai tho, mai tri, mai chattawa) and thanthakhat.
_TONES = "\u0e48\u0e49\u0e4a\u0e4b\u0e4c"

_SPACE_BETWEEN_THAI = re.compile(rf"(?<=[{_THAI}])[ \t]+(?=[{_THAI}])")
_TONE_BEFORE_VOWEL = re.compile(rf"([{_TONES}])([{_UPPER_VOWELS}{_LOWER_VOWELS}])")
_REPEATED_MARK = re.compile(rf"([{_UPPER_VOWELS}{_LOWER_VOWELS}{_TONES}])\1+")
_TWO_TONES = re.compile(rf"([{_TONES}])[{_TONES}]+")
_DANGLING_MARK = re.compile(rf"(^|(?<=[^{_THAI}]))[{_UPPER_VOWELS}{_LOWER_VOWELS}{_TONES}]+")
_THAI_END = re.compile(rf"[{_THAI}]$")
_THAI_START = re.compile(rf"^[{_THAI}]")
_SPACES = re.compile(r"[ \t\u00a0]+")
#: Characters OCR produces from bubble edges, rules and icons, when a line has nothing else.
_LINE_NOISE = re.compile(r"^[\W_]*$")


def clean_ocr_text(text: str) -> str:
    """OCR output repaired for matching: one line per text line, Thai put back together."""
    text = unicodedata.normalize("NFC", text or "")
    lines = []
    for line in text.splitlines():
        line = _clean_line(line)
        if line and not _LINE_NOISE.match(line) and _letters(line) >= 2:
            lines.append(line)
    # A Thai sentence wrapped across lines goes on without a space (Thai writes none between
    # words; a space would cut a word the wrap split in two); other lines keep their break.
    text = ""
    for line in lines:
        if text and _THAI_END.search(text) and _THAI_START.match(line):
            text += line
        else:
            text += ("\n" if text else "") + line
    return text


def _clean_line(line: str) -> str:
    line = _SPACES.sub(" ", line).strip()
    # Spaces inside Thai text: between Thai characters they are the OCR's guesses at word gaps
    # (the matcher segments Thai itself), and before a mark or after a leading vowel they split
    # a syllable. A space next to Latin text or digits is kept. Removed first, so that the
    # repairs below see the halves of a vowel side by side.
    line = _SPACE_BETWEEN_THAI.sub("", line)
    line = line.replace("\u0e40\u0e40", "\u0e41")  # เเ -> แ
    line = line.replace("\u0e4d\u0e32", "\u0e33")  # ํ + า -> ำ
    line = line.replace("\u0e03", "\u0e02").replace("\u0e05", "\u0e04")  # ฃ -> ข, ฅ -> ค
    line = _TONE_BEFORE_VOWEL.sub(r"\2\1", line)
    line = _REPEATED_MARK.sub(r"\1", line)
    line = _TWO_TONES.sub(r"\1", line)
    line = _DANGLING_MARK.sub("", line)
    return line.strip(" |")


def _letters(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch)[0] in "LNM")


def character_accuracy(expected: str, read: str) -> float:
    """1 - (edits / length of `expected`), floored at 0: the usual OCR character accuracy, on
    whitespace-free text (Thai writes no spaces between words anyway), where `expected` may lie
    anywhere in `read`: a screenshot also shows a chat's name, a time stamp, a "Like" bar, which
    are not errors in reading the claim."""
    a = "".join(unicodedata.normalize("NFC", expected).split())
    b = "".join(unicodedata.normalize("NFC", read).split())
    if not a:
        return 1.0
    return max(0.0, 1.0 - _edits_within(a, b) / len(a))


def _edits_within(a: str, b: str) -> int:
    """Fewest edits turning `a` into some substring of `b` (semi-global alignment)."""
    previous = [0] * (len(b) + 1)  # starting anywhere in b is free
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return min(previous)  # and so is ending anywhere
