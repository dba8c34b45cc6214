"""`factcheck run` with Telegram unreachable at start-up: it says so and tries again with
backoff, instead of ending with a traceback; SIGTERM meanwhile stops it cleanly. The same for
the notifier role. A token Telegram refuses is a configuration error, not retried."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

TOKEN = "123456789:AAH-secretKEYnobodyshouldsee_0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    tmp_path: Path, api_url: str, *args: str, **extra: str
) -> subprocess.Popen[str]:
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "WEBHOOK_", "DATABASE_", "BOT_ROLE", "HEALTH_"))
    }
    env.update({
        "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_URL": api_url, "LOG_LEVEL": "INFO",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "HEALTH_PORT": "0",
        "SPOOL_PATH": str(tmp_path / "spool.jsonl"), "CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONUNBUFFERED": "1", **extra,
    })
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))",
         *args, "run"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )


def read_until(process: subprocess.Popen[str], pattern: str, count: int, timeout: float) -> str:
    """Output until `pattern` was seen `count` times (or the process ended, or `timeout`)."""
    lines: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if sum(bool(re.search(pattern, line)) for line in list(lines)) >= count:
            break
        time.sleep(0.1)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=5)
    return "".join(lines)


@pytest.mark.parametrize("role", ["all", "notifier"])
def test_unreachable_telegram_is_retried_with_backoff_and_said(tmp_path, role):
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens: connections are refused
    process = start(tmp_path, nobody, BOT_ROLE=role)
    output = read_until(process, "Telegram is not reachable", 3, timeout=120)
    tries = re.findall(r"Telegram is not reachable \(attempt (\d+): .*trying again in (\S+) s",
                       output)
    assert [int(n) for n, _ in tries][:3] == [1, 2, 3], output[-3000:]
    assert [float(s) for _, s in tries][:3] == [1.0, 2.0, 4.0]  # backing off
    assert "Traceback" not in output, output[-3000:]
    assert process.returncode == 0, output[-3000:]  # SIGTERM while waiting: a clean stop
    assert TOKEN not in output


class _Refusing(BaseHTTPRequestHandler):
    """A Bot API that refuses the token, as Telegram does (401 Unauthorized)."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


def test_a_refused_token_is_a_configuration_error_not_retried(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        process = start(tmp_path, f"http://127.0.0.1:{server.server_port}")
        output, _ = process.communicate(timeout=120)
    finally:
        server.shutdown()
    assert process.returncode == 2, output[-3000:]
    assert "TELEGRAM_TOKEN was refused by Telegram" in output
    assert "Traceback" not in output and "not reachable" not in output
    assert TOKEN not in output


def test_the_token_is_in_no_line_even_at_debug(tmp_path):
    """python-telegram-bot logs the Bot API URL (with the token) at DEBUG: bot/logsafe.py."""
    process = start(tmp_path, f"http://127.0.0.1:{free_port()}", "-v")
    output = read_until(process, "Telegram is not reachable", 1, timeout=120)
    assert "Bot API URL" in output, output[-3000:]
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert "<redacted>" in output
