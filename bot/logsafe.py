"""Secrets never reach a log line, whoever logs them and at whatever level.

The bot token is in every Bot API URL, and libraries log those URLs (python-telegram-bot's
ExtBot logs "Set Bot API URL .../bot<token>" at DEBUG; an httpx error names the URL it failed
on). A log line is read by more people than the token should be, so every log record is
redacted when it is created: its message (with its arguments merged in), its traceback and its
stack. The redaction sits in the record factory, not in a handler or a logger's filter, because
those miss records of other loggers, of handlers added later, and of child loggers that
propagate past a filter.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

REDACTED = "<redacted>"
#: Shorter strings are not treated as secrets (they would redact ordinary words).
MIN_SECRET_CHARS = 8

_lock = threading.Lock()
_secrets: set[str] = set()
_previous: Callable[..., logging.LogRecord] | None = None


def secret_parts(secret: str) -> list[str]:
    """The strings to hide for one secret: itself, and for a bot token (`<id>:<key>`) its key,
    which is what grants access (the numeric id is public)."""
    parts = [secret]
    if ":" in secret:
        key = secret.split(":", 1)[1]
        if len(key) >= MIN_SECRET_CHARS:
            parts.append(key)
    return [part for part in parts if len(part) >= MIN_SECRET_CHARS]


def redact(text: str) -> str:
    """`text` with every registered secret replaced by REDACTED."""
    for secret in sorted(_secrets, key=len, reverse=True):  # the whole token before its key
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def install(secrets: Iterable[str | None]) -> None:
    """Redact `secrets` (None and short values are ignored) in every log record from now on.
    May be called again to add secrets; the factory is installed once."""
    global _previous
    with _lock:
        for secret in secrets:
            if secret:
                _secrets.update(secret_parts(secret))
        if _previous is None and _secrets:
            _previous = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_make_record)


def uninstall() -> None:
    """Forget every secret and restore the previous record factory (for tests)."""
    global _previous
    with _lock:
        _secrets.clear()
        if _previous is not None:
            logging.setLogRecordFactory(_previous)
            _previous = None


def _make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    factory = _previous or logging.LogRecord
    record = factory(*args, **kwargs)
    if not _secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string: logging reports it later as usual
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        clean = redact(text)
        if clean != text:
            record.exc_text = clean  # formatters use exc_text as it is when set
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record
