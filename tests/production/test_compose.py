"""docker-compose.yml, as Compose itself reads it (scripts/check-compose.sh), and the health checks
the stack relies on, run for real against the bot's health server.

The script installs Debian's docker-compose when it is missing; these tests skip only when no
Compose exists and it cannot be installed (exit status 3), saying why.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.monitoring.health import Monitor
from bot.monitoring.server import HealthServer
from bot.storage.database import Database

REPO = Path(__file__).resolve().parent.parent.parent
SCRIPT = REPO / "scripts" / "check-compose.sh"
NO_COMPOSE = 3


def check_compose(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run scripts/check-compose.sh")
    result = subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=900, check=False
    )
    if result.returncode == NO_COMPOSE:
        pytest.skip(f"no docker-compose, and it could not be installed: {result.stderr.strip()}")
    return result


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    """docker-compose.yml as Compose resolved it (with .env.example as the .env)."""
    result = check_compose("--print")
    assert result.returncode == 0, f"docker-compose.yml is invalid:\n{result.stderr}"
    config = yaml.safe_load(result.stdout)
    assert isinstance(config, dict)
    return config


def test_the_compose_file_is_valid(resolved: dict[str, Any]) -> None:
    assert set(resolved["services"]) == {"bot", "notifier", "worker", "proxy", "rasa", "db"}
    result = check_compose()
    assert result.returncode == 0 and "is valid" in result.stderr


def test_a_broken_compose_file_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("retries: 5", "retries: five", 1), encoding="utf-8")
    result = check_compose(str(broken))
    assert result.returncode == 1, result.stderr
    assert "retries" in result.stderr


def test_every_service_has_a_health_check(resolved: dict[str, Any]) -> None:
    for name, service in resolved["services"].items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
        assert check.get("interval") and check.get("retries"), name


def _published(service: dict[str, Any]) -> set[tuple[str, int, int]]:
    """(host ip, host port, container port) of each published port, in v1 or v2 output."""
    out = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out.add((port.get("host_ip", ""), int(port["published"]), int(port["target"])))
        else:
            parts = str(port).split("/")[0].split(":")
            ip = parts[0] if len(parts) == 3 else ""
            out.add((ip, int(parts[-2]), int(parts[-1])))
    return out


def test_the_bot_waits_for_the_database_and_serves_health_on_loopback(
    resolved: dict[str, Any],
) -> None:
    bot = resolved["services"]["bot"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"  # migrations need it
    assert bot["depends_on"]["rasa"]["condition"] == "service_started"  # Rasa is optional
    env = bot["environment"]
    assert env["BOT_ROLE"] == "all" and env["DATABASE_URL"].startswith("postgresql+psycopg://")
    port = int(env["HEALTH_PORT"])
    assert ("127.0.0.1", port, port) in _published(bot)
    assert f"127.0.0.1:{port}/healthz" in " ".join(bot["healthcheck"]["test"])
    notifier = resolved["services"]["notifier"]
    assert notifier["environment"]["BOT_ROLE"] == "notifier"
    assert notifier["profiles"] == ["notifier"] and not _published(notifier)


def test_webhook_workers_are_a_profile_behind_one_proxy(resolved: dict[str, Any]) -> None:
    """`docker compose --profile workers up -d worker proxy`: WEB_CONCURRENCY workers (the
    same number in their environment as started), reachable only through the proxy."""
    worker, proxy = resolved["services"]["worker"], resolved["services"]["proxy"]
    assert worker["profiles"] == proxy["profiles"] == ["workers"]
    env = worker["environment"]
    assert env["BOT_ROLE"] == "all" and env["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert int(env["WEB_CONCURRENCY"]) == int(worker["deploy"]["replicas"]) >= 2
    assert not _published(worker)  # replicas cannot share a host port: the proxy has it
    assert {port for _, port, target in _published(proxy) if target == 8443} == {8443}
    assert "worker:8443" in proxy["command"]
    assert worker["depends_on"]["db"]["condition"] == "service_healthy"


# -- the health-check commands, run against a real health server ----------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _run_check(argv: list[str], env: dict[str, str] | None = None) -> int:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return await asyncio.wait_for(process.wait(), 30)


async def _healthy_and_down(tmp_path: Path) -> tuple[HealthServer, HealthServer, Database]:
    good = Database(f"sqlite:///{tmp_path / 'ok.db'}")
    good.migrate()
    gone = Database(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/x")
    healthy = await HealthServer(Monitor(role="all", database=good), "127.0.0.1", 0).start()
    down = await HealthServer(Monitor(role="all", database=gone), "127.0.0.1", 0).start()
    return healthy, down, gone


async def test_the_compose_health_check_tells_healthy_from_down(
    resolved: dict[str, Any], tmp_path: Path
) -> None:
    test = resolved["services"]["bot"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "python", test
    healthy, down, gone = await _healthy_and_down(tmp_path)
    try:
        for server, expected_ok in ((healthy, True), (down, False)):
            argv = [sys.executable, *[a.replace(":8080/", f":{server.port}/") for a in test[2:]]]
            assert (await _run_check(argv) == 0) is expected_ok, argv
    finally:
        await healthy.close()
        await down.close()
        gone.dispose()


async def test_the_image_health_check_tells_healthy_from_down(tmp_path: Path) -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(r"^HEALTHCHECK .*? CMD (.+)$", dockerfile, re.MULTILINE)
    assert match, "the Dockerfile has no HEALTHCHECK ... CMD"
    argv = shlex.split(match.group(1))
    assert argv[0] == "python"
    healthy, down, gone = await _healthy_and_down(tmp_path)
    try:
        for server, expected_ok in ((healthy, True), (down, False)):
            env = {"HEALTH_PORT": str(server.port), "PATH": "/usr/bin:/bin"}
            assert (await _run_check([sys.executable, *argv[1:]], env) == 0) is expected_ok
    finally:
        await healthy.close()
        await down.close()
        gone.dispose()
