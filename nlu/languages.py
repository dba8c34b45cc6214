"""The languages the project serves, in one place: Thai, Malay and English.

Everything that lists or checks languages imports `LANGUAGES` from here (the conversation's
texts, the knowledge schema, the reply-language choice, trends, the escalation workflow). It
lives in `nlu`, the lowest layer, because `nlu` imports neither `knowledge` nor `bot`, and both
of those may import `nlu`. Adding a language starts here (then bot/texts, the knowledge files,
the NLU data).
"""

from __future__ import annotations

from typing import Literal

Language = Literal["th", "ms", "en"]
#: The served languages, in the order menus and reports list them.
LANGUAGES: tuple[Language, ...] = ("th", "ms", "en")
#: What language identification says when it cannot tell (ISO 639-2 "undetermined").
UNDETERMINED = "und"

__all__ = ["LANGUAGES", "UNDETERMINED", "Language"]
