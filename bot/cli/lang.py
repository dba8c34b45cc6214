"""`factcheck lang`: the language detector as a JSON-lines filter (SPEC section 2), so evaluation
scripts and operators can measure exactly what the bot decides, one message per line."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lang",
        help="detect the language of messages (JSON lines)",
        description=(
            "Read one message per line from standard input (a JSON object {\"text\": ...} or the "
            "plain text) and write one JSON object per line: "
            "{\"text\": ..., \"language\": \"th\"|\"ms\"|\"en\"|\"und\", \"confidence\": 0..1}. "
            "Indonesian counts as ms."
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.cli.jsonlines import serve
    from nlu.langid import detect_language

    def answer(text: str) -> dict[str, Any]:
        guess = detect_language(text)
        return {"text": text, "language": guess.language, "confidence": round(guess.confidence, 4)}

    return serve(answer)
