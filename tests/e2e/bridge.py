"""A small HTTP proxy between the bot and the `telegram-test-api` emulator (npm, 4.2.1).

Why it exists: the emulator speaks a Bot API that is close to Telegram's but not close enough for
python-telegram-bot 22.8, which validates what it receives. Rather than teach the bot to tolerate
a fake server (and so hide real bugs), the bot talks to this bridge exactly as it talks to
Telegram, and the bridge turns the emulator's answers into what Telegram would have sent.

Gaps bridged (each is a difference between the emulator and the real Bot API):

* ``getMe`` lacks ``is_bot`` (PTB's ``User`` requires it): added, with the group flags.
* ``sendMessage`` returns ``date`` in milliseconds (PTB would build a datetime in year 57000 and
  fail), no ``from`` and always ``chat.type = "private"``: the date is turned into seconds, the
  bot is set as sender, and the chat is the one the voter's update described (groups stay groups).
* callback queries lack ``chat_instance`` (required by PTB): one is derived from the chat id.
* ``editMessageText`` / ``editMessageReplyMarkup`` return ``null`` where Telegram returns the edited
  message: the bridge remembers every message it returned and answers with the edited copy (or a
  400 "message to edit not found", as Telegram does, when it never saw the message).
* an edit without ``reply_markup`` removes the keyboard in Telegram but not in the emulator: the
  bridge forwards it with an empty inline keyboard, so the voter sees the buttons gone.
* ``answerCallbackQuery``, ``setWebhook`` and ``deleteWebhook`` return ``null`` instead of ``true``.
* ``sendChatAction``, ``setMyCommands`` (and the other menu/description methods), ``getMyCommands``
  and ``getWebhookInfo`` answer 500 "not supported": the bridge answers them itself, recording them.
* ``getUpdates`` ignores ``timeout`` and answers at once, so a polling bot would spin: the bridge
  holds the request until an update arrives or the timeout passes (polling the emulator every
  50 ms), and stops fetching as soon as the bot hangs up so no update is swallowed.
* webhook posts carry no ``X-Telegram-Bot-Api-Secret-Token``: the bridge registers *itself* as the
  emulator's webhook, remembers the bot's URL and secret, and forwards each update with the header.
* the emulator process dies on an unhandled promise rejection, which is what happens when its
  webhook target answers an error or is down: the bridge always answers the emulator 200 and records
  the delivery failure in :attr:`Bridge.problems` instead, so the test that caused it fails with a
  message rather than the emulator vanishing mid-run.
* errors: the emulator answers errors as HTTP 500 ``{"message": ...}``; the bridge turns them into
  Telegram's ``{"ok": false, "error_code", "description"}`` and records them as problems.

Files, which the emulator does not have at all: a test gives the bridge an image
(:meth:`Bridge.add_file`) and a voter sends a photo message naming its ``file_id``; the bridge
answers ``getFile`` and serves the download at ``/file/bot<token>/<file_path>`` as Telegram does,
and answers ``sendPhoto`` itself (recording it, returning a photo message), so a photo a voter
sends reaches the bot and the one the bot posts to the checkers' group is seen by the test.

It also lets a test inject Telegram failures (:meth:`Bridge.inject`: 403 "bot was blocked by the
user", 429 with ``retry_after``, 502) to check that the bot degrades instead of crashing, and it
records every Bot API call (:attr:`Bridge.calls`) so tests can see typing indicators, callback
answers and registered commands, which the emulator does not keep.

The bridge runs in a thread of the test process with its own event loop (tornado, which
python-telegram-bot's webhook extra already installs, and httpx), on a free port.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import tornado.httpserver
import tornado.netutil
import tornado.web

#: Methods the emulator does not implement, answered by the bridge with ``true``.
LOCAL_TRUE_METHODS = frozenset(
    {
        "sendChatAction",
        "setMyCommands",
        "deleteMyCommands",
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "setChatMenuButton",
        "setMyDefaultAdministratorRights",
        "close",
        "logOut",
    }
)
#: Methods the emulator implements but answers ``null`` where Telegram answers ``true``.
NULL_TO_TRUE_METHODS = frozenset({"answerCallbackQuery", "deleteWebhook", "deleteMessage"})
#: How often a held ``getUpdates`` asks the emulator again.
POLL_INTERVAL = 0.05
BRIDGE_PREFIX = "/_bridge"


@dataclass
class Call:
    """One Bot API call the bot made, as the bridge saw it."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """A Telegram error the bridge answers instead of forwarding (see :meth:`Bridge.inject`)."""

    method: str
    error_code: int
    description: str
    chat_id: int | None
    times: int
    retry_after: int | None = None

    def applies(self, method: str, params: dict[str, Any]) -> bool:
        if self.times <= 0 or method != self.method:
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)

    def answer(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _maybe_json(value: Any) -> Any:
    """Form-encoded Bot API parameters carry objects as JSON strings; decode them to inspect."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class Bridge:
    """The proxy; :meth:`start` it, point the bot at :attr:`api_url`, :meth:`stop` it after."""

    def __init__(self, emulator_url: str, host: str = "127.0.0.1") -> None:
        self.emulator_url = emulator_url.rstrip("/")
        self.host = host
        self.port = 0
        self.calls: list[Call] = []
        #: Things that went wrong that a passing test must not have: unsupported methods,
        #: emulator errors, failed webhook deliveries. Tests assert this stays empty.
        self.problems: list[str] = []
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, bot's HTTP status)
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._messages: dict[tuple[str, int], dict[str, Any]] = {}
        self._chats: dict[str, dict[str, Any]] = {}
        self._webhooks: dict[str, dict[str, Any]] = {}
        self._commands: dict[str, Any] = {}
        self._bot_user: dict[str, Any] | None = None
        self._files: dict[str, bytes] = {}
        self._sent_photos = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: tornado.httpserver.HTTPServer | None = None
        self._http: httpx.AsyncClient | None = None
        self._stopping = False

    # ----------------------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The base URL a bot uses, like Telegram's ``https://api.telegram.org/bot``."""
        return f"{self.url}/bot"

    def start(self) -> Bridge:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close())
            loop.close()

        self._thread = threading.Thread(target=run, name="telegram-bridge", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the bridge did not start within 10 s")
        if failure:
            raise RuntimeError(f"the bridge did not start: {failure[0]!r}")
        return self

    async def _serve(self) -> None:
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
        app = tornado.web.Application(
            [
                (rf"{BRIDGE_PREFIX}/webhook/(?P<token>[^/]+)", _WebhookHandler, {"bridge": self}),
                (r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)", _BotApiHandler, {"bridge": self}),
                (r"/file/bot(?P<token>[^/]+)/(?P<path>.+)", _FileHandler, {"bridge": self}),
            ]
        )
        sockets = tornado.netutil.bind_sockets(0, self.host)
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._http is not None:
            await self._http.aclose()

    def stop(self) -> None:
        """Stop serving (a second call does nothing)."""
        if self._stopping:
            return
        self._stopping = True
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # --------------------------------------------------------------------------- for tests

    def inject(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        chat_id: int | None = None,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``chat_id``) with a Telegram error."""
        with self._lock:
            self._faults.append(Fault(method, error_code, description, chat_id, times, retry_after))

    def add_file(self, data: bytes) -> str:
        """Keep `data` as a Telegram file; returns its file_id (for a voter's photo message)."""
        file_id = f"file{zlib.crc32(data):08x}{len(self._files)}"
        with self._lock:
            self._files[file_id] = data
        return file_id

    def file(self, file_id: str) -> bytes | None:
        with self._lock:
            return self._files.get(file_id)

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.method == method
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    def wait_for_call(
        self, method: str, timeout: float, predicate: Callable[[Call], bool] | None = None
    ) -> Call:
        """Block until the bot has made a matching call; used to know the bot is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for call in self.calls_of(method):
                if predicate is None or predicate(call):
                    return call
            time.sleep(0.05)
        raise TimeoutError(f"the bot made no {method} call within {timeout:.0f} s")

    def registered_webhook(self, token: str | None = None) -> dict[str, Any]:
        """The URL and secret the bot registered with setWebhook (the only one, by default)."""
        with self._lock:
            hooks = dict(self._webhooks)
        if token is not None:
            return dict(hooks[token])
        if len(hooks) != 1:
            raise AssertionError(f"expected one registered webhook, found {len(hooks)}")
        return dict(next(iter(hooks.values())))

    def commands(self) -> Any:
        with self._lock:
            return self._commands.get("commands")

    # ------------------------------------------------------------------------------ inside

    def _record(self, method: str, params: dict[str, Any], body: dict[str, Any]) -> None:
        decoded = {k: _maybe_json(v) for k, v in params.items()}
        with self._lock:
            self.calls.append(Call(method, decoded, bool(body.get("ok")), body.get("result")))

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.applies(method, params):
                    fault.times -= 1
                    return fault
        return None

    def _remember_chats(self, updates: list[dict[str, Any]]) -> None:
        with self._lock:
            for update in updates:
                message = update.get("message") or update.get("edited_message")
                if message and isinstance(message.get("chat"), dict):
                    self._chats[str(message["chat"]["id"])] = message["chat"]

    def fix_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Make one emulator update look like Telegram's."""
        query = update.get("callback_query")
        if isinstance(query, dict) and "chat_instance" not in query:
            chat = (query.get("message") or {}).get("chat") or {}
            query["chat_instance"] = str(zlib.crc32(str(chat.get("id", "")).encode()))
        for key in ("message", "edited_message"):
            message = update.get(key)
            if isinstance(message, dict):
                message.pop("botToken", None)
        self._remember_chats([update])
        return update

    def _fix_message(self, message: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Turn the emulator's echo of a sent message into a Telegram ``Message``."""
        fixed = {
            k: v
            for k, v in message.items()
            if k not in {"chat_id", "parse_mode", "reply_markup", "disable_web_page_preview"}
            and not k.startswith("link_preview")
        }
        if isinstance(fixed.get("date"), int | float) and fixed["date"] > 10**11:
            fixed["date"] = int(fixed["date"] // 1000)
        chat_id = str(params.get("chat_id", message.get("chat_id")))
        with self._lock:
            chat = self._chats.get(chat_id)
            bot_user = self._bot_user
        if chat is not None:
            fixed["chat"] = chat
        if bot_user is not None:
            fixed["from"] = bot_user
        markup = _maybe_json(params.get("reply_markup"))
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            fixed["reply_markup"] = markup
        else:
            fixed.pop("reply_markup", None)
        for key in ("entities", "reply_to_message_id", "message_thread_id"):
            fixed.pop(key, None)
        return fixed

    async def _emulator(
        self, token: str, method: str, params: dict[str, Any], as_json: bool
    ) -> dict[str, Any]:
        assert self._http is not None
        url = f"{self.emulator_url}/bot{token}/{method}"
        try:
            if as_json:
                response = await self._http.post(url, json=params)
            else:
                response = await self._http.post(url, data=params)
        except httpx.HTTPError as exc:
            self._problem(f"{method}: emulator unreachable: {exc!r}")
            return {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text}
        if response.status_code >= 400 or "ok" not in body:
            description = str(body.get("message") or body.get("description") or body)
            self._problem(f"{method}: emulator answered {response.status_code}: {description}")
            return {"ok": False, "error_code": response.status_code, "description": description}
        return body

    async def handle_bot_call(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        as_json: bool,
        hung_up: Callable[[], bool],
    ) -> dict[str, Any]:
        fault = self._take_fault(method, params)
        if fault is not None:
            return fault.answer()

        if method in LOCAL_TRUE_METHODS:
            if method == "setMyCommands":
                with self._lock:
                    self._commands["commands"] = _maybe_json(params.get("commands"))
            return {"ok": True, "result": True}
        if method == "getMyCommands":
            return {"ok": True, "result": self.commands() or []}
        if method == "getWebhookInfo":
            with self._lock:
                hook = self._webhooks.get(token, {})
            return {
                "ok": True,
                "result": {
                    "url": hook.get("url", ""),
                    "has_custom_certificate": False,
                    "pending_update_count": 0,
                },
            }
        if method == "getFile":
            data = self.file(str(params.get("file_id", "")))
            if data is None:
                return {"ok": False, "error_code": 400, "description": "Bad Request: wrong file_id"}
            file_id = str(params["file_id"])
            return {"ok": True, "result": {
                "file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data),
                "file_path": f"photos/{file_id}.jpg",
            }}
        if method == "sendPhoto":
            return {"ok": True, "result": self._photo_message(params)}
        if method == "getUpdates":
            return await self._get_updates(token, params, as_json, hung_up)
        if method == "setWebhook":
            return await self._set_webhook(token, params, as_json)

        upstream = params
        if method in {"editMessageText", "editMessageReplyMarkup"} and not params.get(
            "reply_markup"
        ):
            # Telegram removes the keyboard when an edit has none; the emulator keeps the old
            # one unless it is given an empty keyboard to store.
            empty = {"inline_keyboard": []}
            upstream = params | {"reply_markup": empty if as_json else json.dumps(empty)}
        body = await self._emulator(token, method, upstream, as_json)
        if not body.get("ok"):
            return body
        if method == "getMe":
            user = dict(body["result"])
            user.setdefault("is_bot", True)
            user.setdefault("can_join_groups", True)
            user.setdefault("can_read_all_group_messages", False)
            user.setdefault("supports_inline_queries", False)
            with self._lock:
                self._bot_user = {
                    "id": user["id"],
                    "is_bot": True,
                    "first_name": user["first_name"],
                    "username": user.get("username"),
                }
            return {"ok": True, "result": user}
        if method == "sendMessage":
            message = self._fix_message(body["result"], params)
            with self._lock:
                self._messages[(str(params.get("chat_id")), int(message["message_id"]))] = message
            return {"ok": True, "result": message}
        if method in {"editMessageText", "editMessageReplyMarkup"}:
            return self._edited(method, params)
        if method in NULL_TO_TRUE_METHODS and body.get("result") is None:
            return {"ok": True, "result": True}
        return body

    def _photo_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """What Telegram answers to sendPhoto: the message with the photo in one size."""
        chat_id = str(params.get("chat_id"))
        with self._lock:
            self._sent_photos += 1
            number = 10_000_000 + self._sent_photos
            chat = self._chats.get(chat_id) or {"id": int(chat_id), "type": "private"}
            bot_user = self._bot_user
        message: dict[str, Any] = {
            "message_id": number, "date": int(time.time()), "chat": chat,
            "photo": [{"file_id": f"sent{number}", "file_unique_id": f"usent{number}",
                       "width": 800, "height": 600}],
        }
        if bot_user is not None:
            message["from"] = bot_user
        if params.get("caption"):
            message["caption"] = params["caption"]
        return message

    def _edited(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            return {"ok": True, "result": True}
        key = (str(params.get("chat_id")), int(params.get("message_id", 0)))
        with self._lock:
            stored = self._messages.get(key)
            if stored is None:
                return {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message to edit not found",
                }
            edited = dict(stored)
            if method == "editMessageText":
                edited["text"] = params.get("text", "")
                edited.pop("entities", None)
            markup = _maybe_json(params.get("reply_markup"))
            if isinstance(markup, dict) and markup.get("inline_keyboard"):
                edited["reply_markup"] = markup
            else:
                edited.pop("reply_markup", None)
            edited["edit_date"] = int(time.time())
            self._messages[key] = edited
        return {"ok": True, "result": edited}

    async def _get_updates(
        self, token: str, params: dict[str, Any], as_json: bool, hung_up: Callable[[], bool]
    ) -> dict[str, Any]:
        try:
            timeout = float(params.get("timeout") or 0)
        except (TypeError, ValueError):
            timeout = 0.0
        deadline = time.monotonic() + timeout
        while True:
            if hung_up() or self._stopping:
                # The bot has gone (shutdown or its own timeout): fetching now would mark
                # updates read that nobody receives.
                return {"ok": True, "result": []}
            body = await self._emulator(token, "getUpdates", {}, as_json)
            if not body.get("ok"):
                return body
            updates = [self.fix_update(u) for u in body.get("result") or []]
            if updates or time.monotonic() >= deadline:
                return {"ok": True, "result": updates}
            await asyncio.sleep(POLL_INTERVAL)

    async def _set_webhook(
        self, token: str, params: dict[str, Any], as_json: bool
    ) -> dict[str, Any]:
        target = params.get("url") or ""
        if not target:
            # An empty URL means "remove the webhook" in the Bot API.
            with self._lock:
                self._webhooks.pop(token, None)
            await self._emulator(token, "deleteWebhook", {}, as_json)
            return {"ok": True, "result": True}
        with self._lock:
            self._webhooks[token] = {
                "url": target,
                "secret_token": params.get("secret_token"),
            }
        own = {"url": f"{self.url}{BRIDGE_PREFIX}/webhook/{token}"}
        body = await self._emulator(token, "setWebhook", own, as_json)
        if not body.get("ok"):
            return body
        return {"ok": True, "result": True}

    async def deliver_webhook(self, token: str, update: dict[str, Any]) -> None:
        """Forward one emulator webhook post to the bot, with the secret header Telegram adds."""
        assert self._http is not None
        with self._lock:
            hook = dict(self._webhooks.get(token, {}))
        update = self.fix_update(update)
        update_id = int(update.get("update_id", 0))
        if not hook:
            self._problem(f"webhook update {update_id} arrived but the bot registered no webhook")
            return
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
        try:
            response = await self._http.post(
                hook["url"], content=json.dumps(update).encode(), headers=headers
            )
            status = response.status_code
        except httpx.HTTPError as exc:
            self._problem(f"webhook update {update_id}: bot unreachable at {hook['url']}: {exc!r}")
            status = 0
        with self._lock:
            self.webhook_deliveries.append((update_id, status))
        if status and status >= 300:
            self._problem(f"webhook update {update_id}: the bot answered HTTP {status}")


class _BridgeHandler(tornado.web.RequestHandler):
    def initialize(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.closed = False

    def on_connection_close(self) -> None:
        self.closed = True

    def check_xsrf_cookie(self) -> None:  # an API, not a web form
        return None


class _BotApiHandler(_BridgeHandler):
    """``/bot<token>/<method>``: what the bot calls, as it would call Telegram."""

    async def _handle(self, token: str, method: str) -> None:
        content_type = self.request.headers.get("Content-Type", "")
        as_json = content_type.startswith("application/json")
        params: dict[str, Any] = {}
        if as_json and self.request.body:
            params = json.loads(self.request.body)
        elif content_type.startswith("multipart/"):
            params = {k: v[-1].decode() for k, v in self.request.body_arguments.items()}
        else:
            params = dict(parse_qsl(self.request.body.decode(), keep_blank_values=True))
            params.update({k: v[-1].decode() for k, v in self.request.query_arguments.items()})
        body = await self.bridge.handle_bot_call(
            token, method, params, as_json, hung_up=lambda: self.closed
        )
        self.bridge._record(method, params, body)
        if self.closed:
            return
        status = 200 if body.get("ok") else int(body.get("error_code") or 500)
        if status < 400 or status >= 600:
            status = 400 if not body.get("ok") else 200
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    async def post(self, token: str, method: str) -> None:
        await self._handle(token, method)

    async def get(self, token: str, method: str) -> None:
        await self._handle(token, method)


class _FileHandler(_BridgeHandler):
    """``/file/bot<token>/photos/<file_id>.jpg``: a file download, as Telegram serves it."""

    async def get(self, token: str, path: str) -> None:
        file_id = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        data = self.bridge.file(file_id)
        self.bridge._record("downloadFile", {"file_path": path}, {"ok": data is not None})
        if data is None:
            self.set_status(404)
            self.finish("not found")
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(data)


class _WebhookHandler(_BridgeHandler):
    """``/_bridge/webhook/<token>``: where the emulator posts updates in webhook mode."""

    async def post(self, token: str) -> None:
        try:
            update = json.loads(self.request.body or b"{}")
        except ValueError:
            self.bridge._problem(f"webhook body is not JSON: {self.request.body!r}")
            update = None
        if isinstance(update, dict):
            await self.bridge.deliver_webhook(token, update)
        # Always 200, whatever the bot answered: any error status (or none) becomes an unhandled
        # promise rejection in the emulator, which kills its process. Failures are in problems.
        if not self.closed:
            self.set_status(200)
            self.finish("{}")
