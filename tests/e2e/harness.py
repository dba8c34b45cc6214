"""The processes and the pretend voter the end-to-end tests drive, over real HTTP.

Three parties run for a test: the `telegram-test-api` emulator (a node process, `emulator.js`),
the bridge (`bridge.py`, in this process) and the real bot (`factcheck run` in a subprocess, with
its Bot API base URL pointing at the bridge). A `Voter` plays a Telegram user: it posts messages,
commands and button presses to the emulator's client API and reads back what the bot sent to its
chat, exactly the text and buttons a person would see.
"""

from __future__ import annotations

import ctypes
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parent.parent
TOKEN = "1234567:e2e-test-token"
#: The emulator's getMe answers this username, so this is how a group mentions the bot.
BOT_USERNAME = "TestNameBot"
BOT_ID = 666
#: The fact-checkers' group and the one checker the bot is started with (CHECKERS_CHAT_ID,
#: CHECKER_IDS).
CHECKERS_CHAT_ID = -424242
CHECKER_ID = 777
#: A bot log line that fails a test: an ERROR record or a traceback.
BAD_LOG_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback \(most recent call last\)")


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux, a function for Popen(preexec_fn=...) that has the child sent SIGTERM when the
    test process dies without cleaning up (killed by a CI timeout, say), so no emulator or bot
    outlives the run. The libc function is looked up here, before any fork."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except OSError:
        return None
    pr_set_pdeathsig = 1

    def set_death_signal() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return set_death_signal


DIE_WITH_PARENT = _parent_death_signal()


def free_port() -> int:
    """A port nobody listens on right now (bind port 0, ask the OS, let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned_emulator_version() -> str:
    """The exact telegram-test-api version tests/e2e/package.json pins."""
    manifest = json.loads((E2E_DIR / "package.json").read_text(encoding="utf-8"))
    return str(manifest["dependencies"]["telegram-test-api"])


def installed_emulator_version() -> str | None:
    installed = E2E_DIR / "node_modules" / "telegram-test-api" / "package.json"
    if not installed.exists():
        return None
    return str(json.loads(installed.read_text(encoding="utf-8")).get("version"))


def ensure_emulator_installed() -> str | None:
    """Install the pinned emulator with `npm ci` when missing or another version; the reason
    to skip, if any (no node or npm)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed for the e2e tests (Telegram Bot API emulator); not found"
    if installed_emulator_version() == pinned_emulator_version():
        return None
    result = subprocess.run(
        ["npm", "ci", "--prefix", str(E2E_DIR), "--no-audit", "--no-fund"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"npm ci --prefix tests/e2e failed:\n{result.stdout}\n{result.stderr}")
    return None


class LogTail:
    """Collects a subprocess's output lines in a thread so pipes never fill and tests can read."""

    def __init__(self, stream: Any, name: str, echo_to: Path | None = None) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._echo = echo_to.open("a", encoding="utf-8") if echo_to else None
        self._thread = threading.Thread(target=self._read, args=(stream,), name=name, daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for raw in iter(stream.readline, ""):
            line = raw.rstrip("\n")
            with self._lock:
                self.lines.append(line)
            if self._echo:
                self._echo.write(line + "\n")
                self._echo.flush()
        stream.close()

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            lines = self.snapshot()
            for line in lines[seen:]:
                if pattern in line:
                    return line
            seen = len(lines)
            time.sleep(0.05)
        raise TimeoutError(f"{pattern!r} not seen within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[str], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL; only ever the process this harness started."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class Emulator:
    """The `telegram-test-api` node process on a free port."""

    def __init__(self, log_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            ["node", str(E2E_DIR / "emulator.js"), str(self.port)],
            cwd=E2E_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=DIE_WITH_PARENT,  # only a prctl call, looked up before the fork
        )
        self.log = LogTail(self.process.stdout, "emulator-log", log_file)
        try:
            self.log.wait_for("EMULATOR READY", 20)
        except TimeoutError:
            self.stop()
            output = "\n".join(self.log.snapshot())
            raise RuntimeError(f"the emulator did not start:\n{output}") from None

    def errors(self) -> list[str]:
        return [line for line in self.log.snapshot() if "EMULATOR ERROR" in line]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)


def bot_command() -> list[str]:
    """The real `factcheck run` of this venv; E2E_BOT_COMMAND (JSON list) runs another build."""
    override = os.environ.get("E2E_BOT_COMMAND")
    if override:
        return [str(part) for part in json.loads(override)]
    command = shutil.which("factcheck", path=str(Path(sys.executable).parent))
    return [command, "run"] if command else [sys.executable, "-m", "bot.cli", "run"]


class BotProcess:
    """The real bot: the `factcheck run` console command, configured only by environment."""

    def __init__(
        self,
        api_url: str,
        workdir: Path,
        mode: str,
        knowledge_dir: Path,
        log_file: Path,
        cache_dir: Path | None = None,
    ) -> None:
        self.mode = mode
        self.webhook_secret = "e2e-secret-0123456789"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TELEGRAM_", "WEBHOOK_", "DATABASE_", "RASA_", "CHECKER"))
        }
        env.update(
            {
                "TELEGRAM_TOKEN": TOKEN,
                "TELEGRAM_API_URL": api_url,
                "DATABASE_URL": f"sqlite:///{workdir / 'bot.db'}",
                "CACHE_DIR": str(cache_dir or workdir / "cache"),
                "MEDIA_DIR": str(workdir / "media"),
                "KNOWLEDGE_DIR": str(knowledge_dir),
                "KNOWLEDGE_RELOAD_SECONDS": "1",
                "CHECKERS_CHAT_ID": str(CHECKERS_CHAT_ID),
                "CHECKER_IDS": str(CHECKER_ID),
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                # Each bot's own /healthz and /metrics port: two bots run at once in a test run.
                "HEALTH_PORT": str(free_port()),
            }
        )
        if mode == "webhook":
            self.webhook_port = free_port()
            env.update(
                {
                    "WEBHOOK_URL": f"http://127.0.0.1:{self.webhook_port}/telegram-e2e",
                    "WEBHOOK_SECRET": self.webhook_secret,
                    "WEBHOOK_LISTEN": "127.0.0.1",
                    "WEBHOOK_PORT": str(self.webhook_port),
                }
            )
        argv = bot_command()
        # Runs from the temp dir so the repository's own `.env` cannot change the settings.
        self.process = subprocess.Popen(
            argv,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=DIE_WITH_PARENT,  # only a prctl call, looked up before the fork
        )
        self.log = LogTail(self.process.stdout, f"bot-log-{mode}", log_file)

    def alive(self) -> bool:
        return self.process.poll() is None

    def bad_lines(self, since: int = 0) -> list[str]:
        return [line for line in self.log.snapshot()[since:] if BAD_LOG_LINE.search(line)]

    def stop(self) -> None:
        stop_process(self.process, timeout=15)


_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """What a person reads from Telegram-HTML text: no tags, entities decoded."""
    return html.unescape(_TAG.sub("", text))


@dataclass
class BotMessage:
    """One message the bot sent to the voter's chat, as the emulator stored it."""

    message_id: int
    chat_id: int
    html: str
    parse_mode: str | None
    buttons: list[list[dict[str, Any]]]
    raw: dict[str, Any] = field(repr=False)

    @property
    def text(self) -> str:
        return plain(self.html)

    @property
    def button_labels(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    def button(self, label_part: str) -> dict[str, Any]:
        """The first button whose label contains `label_part` (case-insensitive)."""
        for row in self.buttons:
            for button in row:
                if label_part.lower() in button["text"].lower():
                    return button
        raise AssertionError(f"no button like {label_part!r} in {self.button_labels}")

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> BotMessage:
        message = stored["message"]
        markup = message.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return cls(
            message_id=int(stored["messageId"]),
            chat_id=int(message["chat_id"]),
            html=str(message.get("text", "")),
            parse_mode=message.get("parse_mode"),
            buttons=list(markup.get("inline_keyboard") or []),
            raw=message,
        )


class Voter:
    """A Telegram user talking to the bot through the emulator's client API.

    Each voter has its own user id and chat, so tests never see each other's messages. In a
    group, several voters may share a `chat_id`.
    """

    def __init__(
        self,
        emulator_url: str,
        user_id: int,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Voter",
        language_code: str | None = "en",
        title: str | None = None,
    ) -> None:
        self.url = emulator_url
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.chat_type = chat_type
        self.user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "username": f"voter{user_id}",
        }
        if language_code:
            self.user["language_code"] = language_code
        self.chat: dict[str, Any] = {"id": self.chat_id, "type": chat_type}
        if chat_type == "private":
            self.chat.update(first_name=first_name, username=f"voter{user_id}")
        else:
            self.chat["title"] = title or "Election chat"
        self._http = httpx.Client(timeout=10)

    # ------------------------------------------------------------------------------ actions

    def _post(self, path: str, body: dict[str, Any]) -> None:
        response = self._http.post(f"{self.url}/{path}", json=body)
        response.raise_for_status()

    def _base(self) -> dict[str, Any]:
        return {
            "botToken": TOKEN,
            "from": self.user,
            "chat": self.chat,
            "date": int(time.time()),
        }

    def say(
        self,
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to: BotMessage | None = None,
        forwarded: bool = False,
    ) -> None:
        """Send a text message (optionally replying to one of the bot's messages)."""
        message = self._base() | {"text": text}
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = self._as_telegram_message(reply_to)
        if forwarded:
            message["forward_origin"] = {
                "type": "hidden_user",
                "sender_user_name": "Someone",
                "date": int(time.time()) - 3600,
            }
            message["forward_date"] = int(time.time()) - 3600
            message["forward_sender_name"] = "Someone"
        self._post("sendMessage", message)

    def send_photo(self, file_id: str, size: int, caption: str = "") -> None:
        """Send a photo (a file the bridge holds: Bridge.add_file), as a Telegram client does:
        the picture in two sizes, with an optional caption."""
        sizes = [
            {"file_id": f"thumb-{file_id}", "file_unique_id": f"uthumb-{file_id}",
             "width": 90, "height": 90, "file_size": 2_000},
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600,
             "file_size": size},
        ]
        message = self._base() | {"photo": sizes}
        if caption:
            message["caption"] = caption
        self._post("sendMessage", message)

    def mention(self, text: str) -> None:
        """Send "@Bot text" with the mention entity a Telegram client attaches."""
        handle = f"@{BOT_USERNAME}"
        self.say(
            f"{handle} {text}",
            entities=[{"type": "mention", "offset": 0, "length": len(handle)}],
        )

    def command(self, name: str, *args: str) -> None:
        """Send "/name args" with its bot_command entity (the emulator dies without one)."""
        head = f"/{name}" if self.chat_type == "private" else f"/{name}@{BOT_USERNAME}"
        text = " ".join([head, *args])
        message = self._base() | {
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(head)}],
        }
        self._post("sendCommand", message)

    def press(self, message: BotMessage, label_part: str) -> dict[str, Any]:
        """Press an inline button under one of the bot's messages."""
        button = message.button(label_part)
        if "callback_data" not in button:
            raise AssertionError(f"button {button['text']!r} is a link, not a callback button")
        query = {
            "botToken": TOKEN,
            "from": self.user,
            "message": self._as_telegram_message(message),
            "data": button["callback_data"],
            "date": int(time.time()),
        }
        self._post("sendCallback", query)
        return button

    def _as_telegram_message(self, message: BotMessage) -> dict[str, Any]:
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Test First name",
                "username": BOT_USERNAME,
            },
            "text": message.html,
        }
        if message.buttons:
            result["reply_markup"] = {"inline_keyboard": message.buttons}
        return result

    # ------------------------------------------------------------------------------ reading

    def _fetch_new(self) -> list[BotMessage]:
        response = self._http.post(
            f"{self.url}/getUpdates", json={"token": TOKEN, "chatId": self.chat_id}
        )
        response.raise_for_status()
        stored = response.json().get("result") or []
        return [BotMessage.from_stored(s) for s in stored]

    def replies(self, count: int = 1, timeout: float = 20, settle: float = 0.3) -> list[BotMessage]:
        """Wait for at least `count` new bot messages, then `settle` seconds for stragglers."""
        got: list[BotMessage] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            got.extend(self._fetch_new())
            if len(got) < count:
                time.sleep(0.1)
        if len(got) < count:
            raise AssertionError(
                f"expected {count} bot message(s) in chat {self.chat_id} within {timeout:.0f} s, "
                f"got {[m.text for m in got]}"
            )
        quiet_until = time.monotonic() + settle
        while time.monotonic() < quiet_until:
            more = self._fetch_new()
            if more:
                got.extend(more)
                quiet_until = time.monotonic() + settle
            time.sleep(0.1)
        return got

    def wait_for_message(self, contains: str, timeout: float = 20) -> BotMessage:
        """The next bot message whose text contains `contains`, skipping others before it
        (for a chat that several tests write to, like the checkers' group)."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while time.monotonic() < deadline:
            for message in self._fetch_new():
                if contains in message.text:
                    return message
                seen.append(message.text)
            time.sleep(0.1)
        raise AssertionError(f"no bot message with {contains!r} within {timeout:.0f} s: {seen}")

    def silence(self, seconds: float = 3.0) -> list[BotMessage]:
        """Whatever the bot sent in the next `seconds` (a test expects an empty list)."""
        got: list[BotMessage] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got.extend(self._fetch_new())
            time.sleep(0.1)
        return got

    def current(self, message_id: int) -> BotMessage:
        """A bot message as it is now, after any edits (the emulator edits in place)."""
        response = self._http.post(f"{self.url}/getUpdatesHistory", json={"token": TOKEN})
        response.raise_for_status()
        for stored in response.json().get("result") or []:
            if "messageId" in stored and int(stored["messageId"]) == message_id:
                message = stored.get("message") or {}
                if str(message.get("chat_id")) == str(self.chat_id):
                    return BotMessage.from_stored(stored)
        raise AssertionError(f"bot message {message_id} not found in chat {self.chat_id}")

    def close(self) -> None:
        self._http.close()


def id_counter(start: int) -> Iterator[int]:
    value = start
    while True:
        yield value
        value += 1
