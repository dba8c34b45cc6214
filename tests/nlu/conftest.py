"""Shared by the NLU tests: one trained embedded classifier, and a real HTTP server standing in
for Rasa's /model/parse."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nlu.intent_classifier import IntentClassifier


@pytest.fixture(scope="session")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> IntentClassifier:
    clf = IntentClassifier(cache_dir=tmp_path_factory.mktemp("intent-cache"))
    clf.warm_up()
    return clf


@dataclass
class FakeRasa:
    """A real HTTP server whose /model/parse answer is whatever `respond` returns."""

    respond: Callable[[dict], tuple[int, bytes]]
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def fake_rasa() -> Iterator[Callable[..., FakeRasa]]:
    servers: list[ThreadingHTTPServer] = []

    def start(respond: Callable[[dict], tuple[int, bytes]], delay: float = 0.0) -> FakeRasa:
        fake = FakeRasa(respond, delay)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                if fake.delay:
                    time.sleep(fake.delay)
                status, payload = fake.respond(body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        fake.url = f"http://127.0.0.1:{server.server_address[1]}"
        return fake

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
