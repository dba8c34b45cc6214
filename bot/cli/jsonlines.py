"""The JSON-lines protocol shared by `factcheck lang` and `factcheck match` (SPEC section 2).

One message per input line: a line that is a JSON object is read as {"text": ...}; any other line
is the text itself. Exactly one JSON object is written per input line, in order, flushed per line,
so a caller can stream messages through one long-running process.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

log = logging.getLogger(__name__)


def read_message(line: str) -> str:
    """The text of one input line (the trailing newline removed)."""
    line = line.rstrip("\r\n")
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            return line
        if isinstance(obj, dict):
            text = obj.get("text", "")
            return text if isinstance(text, str) else ("" if text is None else str(text))
    return line


def serve(
    answer: Callable[[str], dict[str, Any]],
    lines: Iterable[str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Answer every line; a failure on one line is reported on stderr and answered with an error
    object, so the caller's line count always matches."""
    lines = sys.stdin if lines is None else lines
    out = sys.stdout if out is None else out
    status = 0
    for line in lines:
        text = read_message(line)
        try:
            result = answer(text)
        except Exception as exc:  # noqa: BLE001 - one bad line must not end the stream
            log.exception("could not answer a line")
            result = {"text": text, "error": f"{type(exc).__name__}: {exc}"}
            status = 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return status
