"""The JSON-lines protocol shared by `factcheck lang` and `factcheck match` (SPEC section 2).

One message per input line: a line that is a JSON object is read as {"text": ...}; any other line
is the text itself. Exactly one JSON object is written per input line, in order, flushed per line,
so a caller can stream messages through one long-running process.

Bad lines are answered too (SPEC 1.1): input is read as bytes, so a line that is not valid UTF-8
is decoded with U+FFFD for the bad bytes instead of ending the stream, a lone surrogate (a JSON
escape like "\\ud800") becomes U+FFFD, and the answer to such a line carries an `"error"` saying
what was wrong with it. Output is always UTF-8, whatever the locale.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from bot.core.inputs import scrub

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    """One input line, decoded: the message's text, and what was wrong with the line (None when
    nothing was), to be reported as the answer's `"error"`."""

    text: str
    problem: str | None = None


def decode(raw: bytes | str) -> Line:
    """The line as text (trailing newline removed); invalid UTF-8 is replaced and reported."""
    if isinstance(raw, str):
        return Line(raw.rstrip("\r\n"))
    raw = raw.rstrip(b"\r\n")
    try:
        return Line(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        problem = f"not valid UTF-8 (byte {raw[exc.start]:#04x} at {exc.start}); replaced by U+FFFD"
        return Line(raw.decode("utf-8", errors="replace"), problem)


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


def read_line(raw: bytes | str) -> Line:
    """The message of one raw input line, storable and printable (bot.core.inputs.scrub), with
    what had to be repaired to get it."""
    line = decode(raw)
    text = read_message(line.text)
    clean = scrub(text)
    problem = line.problem
    if clean != text and problem is None and any("\ud800" <= ch <= "\udfff" for ch in text):
        problem = "lone surrogate in the text; replaced by U+FFFD"
    return Line(clean, problem)


def _stdout() -> TextIO:
    """Standard output as UTF-8 text, whatever the locale says."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8", errors="strict")
    return sys.stdout


def serve(
    answer: Callable[[str], dict[str, Any]],
    lines: Iterable[bytes | str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Answer every line; a failure on one line is reported on stderr and answered with an error
    object, so the caller's line count always matches. Exit status 1 when some line could not be
    answered at all (a line repaired and answered counts as answered)."""
    lines = sys.stdin.buffer if lines is None else lines
    out = _stdout() if out is None else out
    status = 0
    for raw in lines:
        line = read_line(raw)
        try:
            result = answer(line.text)
        except Exception as exc:  # noqa: BLE001 - one bad line must not end the stream
            log.exception("could not answer a line")
            result = {"text": line.text, "error": f"{type(exc).__name__}: {exc}"}
            status = 1
        if line.problem is not None and "error" not in result:
            result = {**result, "error": line.problem}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return status
