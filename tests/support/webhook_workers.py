"""Real `factcheck run` webhook workers sharing one PostgreSQL inbox (WEB_CONCURRENCY), each
with its own bridge to one Telegram emulator, and what it takes to post updates to them as
Telegram does. Used by tests/production/test_workers.py and benchmarks/load_http.py.

Each worker talks to the emulator through its own bridge (tests/e2e/bridge.py), so the caller
knows which worker sent which message; the caller plays Telegram's side of the webhook (or the
reverse proxy in front of the workers): it posts each update to one worker's URL with the
secret token.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from factcheck_testing import load_e2e

harness = load_e2e("harness")
bridge_module = load_e2e("bridge")

SECRET = "workers-secret-0123456789"
#: A cold start loads the models and embeds the knowledge before the bot talks to Telegram.
STARTUP_TIMEOUT = 240


@dataclass
class Worker:
    """One `factcheck run` webhook worker."""

    name: str
    bridge: Any
    process: subprocess.Popen[str]
    log: Any
    webhook_port: int
    health_port: int

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.webhook_port}/telegram"

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.snapshot()[-lines:])

    def bad_lines(self) -> list[str]:
        return [line for line in self.log.snapshot() if harness.BAD_LOG_LINE.search(line)]

    def slot(self) -> int | None:
        """The inbox slot this worker said it serves (None before it said so)."""
        for line in reversed(self.log.snapshot()):
            if "worker serves slot" in line:
                return int(line.split("worker serves slot", 1)[1].split()[0])
        return None

    def health(self) -> dict[str, Any]:
        """This worker's GET /healthz body."""
        body = httpx.get(f"http://127.0.0.1:{self.health_port}/healthz", timeout=10).json()
        assert isinstance(body, dict)
        return body

    def metric(self, name: str, **labels: str) -> float:
        """One sample of this worker's /metrics (0 when absent)."""
        text = httpx.get(f"http://127.0.0.1:{self.health_port}/metrics", timeout=10).text
        wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
        head = f"{name}{{{wanted}}} " if labels else f"{name} "
        for line in text.splitlines():
            if line.startswith(head):
                return float(line[len(head):])
        return 0.0

    def sent(self) -> list[tuple[int, str, float]]:
        """(chat id, text, monotonic time) of each message this worker sent, in order."""
        return [
            (int(call.params["chat_id"]), str(call.params.get("text", "")), call.at)
            for call in self.bridge.calls_of("sendMessage")
            if call.ok
        ]


def start_worker(
    name: str,
    emulator_url: str,
    workdir: Path,
    *,
    database_url: str,
    knowledge_dir: Path,
    cache_dir: Path,
    workers: int,
    extra_env: dict[str, str] | None = None,
) -> Worker:
    """`factcheck run` in webhook mode, one of `workers`, configured only by environment."""
    bridge = bridge_module.Bridge(emulator_url).start()
    webhook_port, health_port = harness.free_port(), harness.free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("TELEGRAM_", "WEBHOOK_", "DATABASE_", "RASA_", "CHECKER", "HEALTH_", "BOT_ROLE",
             "OUTBOX_", "WEB_CONCURRENCY", "WORKER_INDEX", "MESSAGE_BATCH", "RATE_LIMIT")
        )
    }
    env.update(
        {
            "TELEGRAM_TOKEN": harness.TOKEN,
            "TELEGRAM_API_URL": bridge.api_url,
            "WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/telegram",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(webhook_port),
            "WEB_CONCURRENCY": str(workers),
            "DATABASE_URL": database_url,
            "CACHE_DIR": str(cache_dir),
            "KNOWLEDGE_DIR": str(knowledge_dir),
            "HEALTH_PORT": str(health_port),
            "HEALTH_LISTEN": "127.0.0.1",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "READ_LINKS": "false",
        }
    )
    env.update(extra_env or {})
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        harness.bot_command(),
        cwd=workdir,  # not the repository: its .env must not change the settings
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=harness.DIE_WITH_PARENT,
    )
    log = harness.LogTail(process.stdout, f"worker-log-{name}", workdir / "bot.log")
    return Worker(name, bridge, process, log, webhook_port, health_port)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_started(worker: Worker, timeout: float = STARTUP_TIMEOUT) -> None:
    """Until the worker registered its webhook and serves an inbox slot (or died)."""
    wait_until(
        lambda: worker.slot() is not None or not worker.alive(), timeout,
        f"worker {worker.name} to serve a slot",
    )
    if not worker.alive():
        raise AssertionError(f"worker {worker.name} exited at start:\n{worker.tail()}")
    worker.bridge.wait_for_call("setWebhook", timeout)


def stop_worker(worker: Worker, timeout: float = 30) -> None:
    harness.stop_process(worker.process, timeout=timeout)
    worker.bridge.stop()


def text_update(update_id: int, chat_id: int, text: str, language: str = "en") -> dict[str, Any]:
    """A private text message from voter `chat_id`, as Telegram posts it to a webhook."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Voter", "language_code": language}
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Voter"},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


def post_headers() -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
