"""The `factcheck` console command: one entry point, one module per subcommand group.

Each module in COMMAND_MODULES exposes `register(subparsers)`; adding a command is one import here.
Modules import their heavy dependencies inside the handler, so `factcheck --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMAND_MODULES = (
    "bot.cli.kb",
    "bot.cli.lang",
    "bot.cli.match",
    "bot.cli.chat",
    "bot.cli.run",
    "bot.cli.report",
    "bot.cli.tickets",
    "bot.cli.checkers",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factcheck",
        description="Election fact-check chatbot for Thai, Malay and English voters.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Migrations run at every start; their step-by-step INFO lines are noise in a chat window.
    logging.getLogger("alembic").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    from bot.config import ConfigurationError
    from knowledge.loader import KnowledgeInvalid

    try:
        return int(args.handler(args) or 0)
    except ConfigurationError as exc:
        print(f"factcheck: {exc}", file=sys.stderr)
        return 2
    except KnowledgeInvalid as exc:  # at start-up: say which file and line, as kb validate does
        for problem in exc.errors:
            print(f"error: {problem}", file=sys.stderr)
        print(
            f"factcheck: {len(exc.errors)} error(s) in the knowledge in {exc.directory}; "
            "nothing was started (fix them; `factcheck kb validate` checks again).",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
