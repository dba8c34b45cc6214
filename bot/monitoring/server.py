"""A minimal HTTP/1.1 server for `GET /healthz` and `GET /metrics`, on the bot's event loop.

Why hand-written on asyncio streams: the bot already runs an asyncio loop (python-telegram-bot's),
the two endpoints answer small GET requests, and a web framework would be a dependency for 80
lines. What keeps it safe to expose to a monitoring network: requests are read with a size limit
and a deadline (a slow or silent client is dropped, it cannot hold a connection open), only GET
and HEAD are served, every response is complete (Content-Length) and closes the connection, and
a failure while answering is a logged 500, never a crash of the bot. Requests are not logged
(a health check every few seconds would drown the bot's own log) except at DEBUG.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from http import HTTPStatus
from urllib.parse import urlsplit

from bot.monitoring.health import Monitor
from bot.monitoring.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)

#: Longest request head (request line + headers) accepted; health checks send a few hundred bytes.
MAX_HEAD_BYTES = 8192
#: Seconds a client has to send its request head.
READ_TIMEOUT = 5.0
#: Seconds a response has to be taken by the client.
WRITE_TIMEOUT = 10.0

INDEX = (
    "election fact-check bot\n"
    "GET /healthz  health as JSON (503 when the database cannot be used)\n"
    "GET /metrics  Prometheus metrics\n"
)


class HealthServer:
    """Serves a `Monitor` over HTTP; `start()` binds, `close()` stops and drops open requests."""

    def __init__(self, monitor: Monitor, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.monitor = monitor
        self.host = host
        self.port = port  # 0 = any free port; `start()` sets the real one
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    async def start(self) -> HealthServer:
        """Bind and start serving (raises OSError when the port is taken)."""
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, limit=MAX_HEAD_BYTES
        )
        sockets = self._server.sockets or ()
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), timeout=5)

    async def __aenter__(self) -> HealthServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- one connection ----------------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the client went away or was too slow: nothing to answer
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one bad request must not take the server down
            log.exception("health server: answering a request failed")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), timeout=1)
            if task is not None:
                self._connections.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        except asyncio.LimitOverrunError:
            await self._respond(writer, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "too large\n")
            return
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                return  # a connection opened and closed (a TCP health probe): fine
            raise
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await self._respond(writer, HTTPStatus.BAD_REQUEST, "bad request\n")
            return
        method, target, _version = parts
        path = urlsplit(target).path
        if method not in ("GET", "HEAD"):
            await self._respond(
                writer, HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD\n",
                extra={"Allow": "GET, HEAD"},
            )
            return
        head_only = method == "HEAD"
        log.debug("health server: %s %s", method, path)
        if path in ("/healthz", "/metrics"):
            try:
                if path == "/healthz":
                    code, body = await self.monitor.health()
                    status = HTTPStatus(code)
                    payload = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
                    content_type = "application/json; charset=utf-8"
                else:
                    status, payload = HTTPStatus.OK, await self.monitor.metrics_text()
                    content_type = CONTENT_TYPE
            except Exception:  # noqa: BLE001 - answer 500, keep serving
                log.exception("health server: %s failed", path)
                status, payload = HTTPStatus.INTERNAL_SERVER_ERROR, "internal error\n"
                content_type = "text/plain; charset=utf-8"
            await self._respond(writer, status, payload, content_type, head_only)
        elif path == "/":
            await self._respond(writer, HTTPStatus.OK, INDEX, head_only=head_only)
        else:
            await self._respond(writer, HTTPStatus.NOT_FOUND, "not found\n", head_only=head_only)

    @staticmethod
    async def _respond(
        writer: asyncio.StreamWriter,
        status: HTTPStatus,
        body: str,
        content_type: str = "text/plain; charset=utf-8",
        head_only: bool = False,
        extra: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8")
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(len(data)),
            "Cache-Control": "no-store",
            "Connection": "close",
            **(extra or {}),
        }
        head = f"HTTP/1.1 {status.value} {status.phrase}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        writer.write(head.encode("latin-1") + b"\r\n" + (b"" if head_only else data))
        await asyncio.wait_for(writer.drain(), WRITE_TIMEOUT)


async def start_health_server(monitor: Monitor, host: str, port: int) -> HealthServer | None:
    """Start serving, or log why not and return None: monitoring must never stop the bot from
    answering voters (an orchestrator then sees the failing health check instead)."""
    if port <= 0:
        log.info("health server off (HEALTH_PORT=0)")
        return None
    server = HealthServer(monitor, host, port)
    try:
        await server.start()
    except OSError as exc:
        log.error(
            "health server could not listen on %s:%s (%s); /healthz and /metrics are "
            "unavailable, the bot runs on", host, port, exc,
        )
        return None
    log.info("health and metrics on %s/healthz and %s/metrics", server.url, server.url)
    return server
