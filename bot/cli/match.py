"""`factcheck match`: the matcher as a JSON-lines filter (SPEC section 2).

Evaluation scripts and operators pipe messages through it to see exactly what the bot would do
with each one as a question about the knowledge: answer (with which entry), clarify (offering
which candidates) or escalate. Only the knowledge in --knowledge is used, never the database of
answered escalations.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.kb import add_knowledge_argument, default_knowledge_dir


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "match",
        help="match messages against the knowledge (JSON lines)",
        description=(
            'Read one message per line from standard input (a JSON object {"text": ...} or the '
            'plain text) and write one JSON object per line: {"text", "language", '
            '"decision": "answer"|"clarify"|"escalate", "entry": id or null (set only '
            'for answer), "score", "candidates": [{"id", "score"}] (best first, at most '
            '3)}. A line {"image": PATH, "text": caption} is a screenshot or photo: its text '
            'is read (Thai, Malay, English) and decided on with the caption; a text with a '
            'link is decided with what the page says; both answers add "read_text". '
            "Exits 1 without reading input if the knowledge directory is invalid."
        ),
    )
    add_knowledge_argument(parser)
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="embedding cache (default: CACHE_DIR, else var/cache)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.cli.jsonlines import serve
    from bot.config import get_settings
    from knowledge.loader import KnowledgeInvalid, load_directory
    from knowledge.matcher import build_matcher

    directory = args.knowledge or default_knowledge_dir()
    try:
        knowledge = load_directory(directory)
    except KnowledgeInvalid as exc:
        for problem in exc.errors:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(exc.errors)} error(s) in {directory}; not matching.", file=sys.stderr)
        return 1
    settings = get_settings()
    cache_dir = args.cache_dir or settings.cache_dir
    matcher = build_matcher(
        knowledge.published(), cache_dir=cache_dir, glossary_file=settings.glossary_file
    )

    def answer(text: str) -> dict[str, Any]:
        result = matcher.match(text)
        out: dict[str, Any] = {
            "text": text,
            "language": result.language,
            "decision": result.decision,
            "entry": result.entry_id,
            "score": result.score,
            "candidates": [{"id": c.entry_id, "score": c.score} for c in result.candidates],
        }
        if result.truncated:
            # Only the beginning was read, as the bot would (knowledge.matcher.MAX_QUERY_CHARS).
            out["truncated"] = True
        return out

    from bot.media.match_lines import MediaLines
    from bot.media.reader import build_reader

    media = MediaLines(build_reader(settings), read_links=settings.read_links)
    return serve(media.wrap(answer), media.lines())
