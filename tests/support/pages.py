"""A local HTTP server for link tests: pages, redirects, slow and huge answers, on 127.0.0.1.

    with PageServer({"/a": page(title="..."), "/b": redirect("/a")}) as server:
        server.url("/a")

Routes map a path to (status, headers, body) or to a callable returning it (for slow answers).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Answer = tuple[int, dict[str, str], bytes]


def page(*, title: str = "", og: dict[str, str] | None = None, description: str = "",
         body: str = "", canonical: str = "", charset: str = "utf-8") -> Answer:
    metas = "".join(
        f'<meta property="og:{k}" content="{v}">' for k, v in (og or {}).items()
    )
    if description:
        metas += f'<meta name="description" content="{description}">'
    if canonical:
        metas += f'<link rel="canonical" href="{canonical}">'
    html = (
        f"<!doctype html><html><head><meta charset='{charset}'><title>{title}</title>{metas}"
        f"</head><body><nav>Home | News | Sport</nav><article>{body}</article>"
        "<script>var tracking = 'never read this';</script><footer>(c) Example</footer>"
        "</body></html>"
    )
    return 200, {"Content-Type": f"text/html; charset={charset}"}, html.encode(charset)


def redirect(location: str, status: int = 302) -> Answer:
    return status, {"Location": location}, b""


class PageServer:
    def __init__(self, routes: dict[str, Answer | Callable[[], Answer]],
                 host: str = "127.0.0.1", tls: tuple[Path, Path] | None = None) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append((self.path, self.headers.get("Host", "")))
                route = server.routes.get(self.path)
                if route is None:
                    answer: Answer = (404, {"Content-Type": "text/html"}, b"not found")
                else:
                    answer = route() if callable(route) else route
                status, headers, body = answer
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the reader stopped reading: that is what the size cap does

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self._httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def slow(answer: Answer, seconds: float) -> Callable[[], Answer]:
    def respond() -> Answer:
        time.sleep(seconds)
        return answer

    return respond


def self_signed(directory: Path, host: str = "localhost") -> tuple[Path, Path]:
    """A certificate for `host` (and its key), made with the openssl command."""
    import subprocess

    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key
