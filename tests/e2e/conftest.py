"""Fixtures for the end-to-end tests: emulator + bridge + the real bot, in polling and webhook mode.

The emulator is installed by the test run itself (`npm ci --prefix tests/e2e`, pinned by the
committed package-lock.json) and the tests skip, saying why, when node or npm is missing. Each
mode gets its own emulator, bridge and `factcheck run` process (module `harness` has the parts);
every test gets fresh voters, so tests share no chat. A test fails when, during it, the bot logged
an ERROR or a traceback, the bridge saw a problem (an unsupported call, an emulator error, a
webhook the bot refused), the emulator reported an error, or the bot process died.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from factcheck_testing import load_e2e

E2E_DIR = Path(__file__).resolve().parent


bridge_module = load_e2e("bridge")
harness = load_e2e("harness")

MODES = ("polling", "webhook")
#: The bot loads its models and knowledge before it talks to Telegram; allow for a cold cache.
STARTUP_TIMEOUT = 120
#: What the bot needs from teammates' modules; the tests skip, naming them, until they exist.
REQUIRED_MODULES = ("bot.services", "bot.cli.run", "bot.core.conversation")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs the bot e2e (so `-m "not e2e"` leaves only the unit checks)."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents and "stack" in item.fixturenames:
            item.add_marker(pytest.mark.e2e)


def modes_selected(session: pytest.Session) -> set[str]:
    """The modes the tests of this run need (after -k / -m deselection)."""
    modes: set[str] = set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "stack" in callspec.params:
            modes.add(callspec.params["stack"])
    return modes


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failed e2e test, show what the bot and the bridge were doing (not just the assert)."""
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(running, Stack):
        report.sections.append((f"bot log ({running.mode}, last lines)", running.log_tail(80)))
        calls = [f"{c.method} ok={c.ok} {c.params}" for c in running.bridge.calls[-25:]]
        report.sections.append(("Bot API calls (last 25)", "\n".join(calls)))


@pytest.fixture(scope="session")
def e2e_prerequisites() -> None:
    missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if missing and not os.environ.get("E2E_BOT_COMMAND"):
        pytest.skip(f"e2e: the bot is not complete yet, missing {', '.join(missing)}")
    reason = harness.ensure_emulator_installed()
    if reason:
        pytest.skip(reason)


@dataclass
class Stack:
    """One running emulator + bridge + bot, in one mode."""

    mode: str
    emulator: Any
    bridge: Any
    bot: Any
    knowledge_dir: Path
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(10_000))

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.bot.log.snapshot()[-lines:])

    def marks(self) -> tuple[int, int]:
        """Where the bot log and the bridge's problem list are now (see `check_healthy`)."""
        return len(self.bot.log.snapshot()), len(self.bridge.problems)

    def check_healthy(self, since: tuple[int, int] = (0, 0)) -> list[str]:
        """Everything that went wrong since `marks()` returned `since`; empty when all is well."""
        log_since, problems_since = since
        found: list[str] = []
        found += [f"bot logged: {line}" for line in self.bot.bad_lines(log_since)]
        found += [f"bridge: {problem}" for problem in self.bridge.problems[problems_since:]]
        found += [f"emulator: {line}" for line in self.emulator.errors()]
        if not self.bot.alive():
            found.append(f"the bot process exited with {self.bot.process.returncode}")
        if not self.emulator.alive():
            found.append("the emulator process died")
        return found


def launch(mode: str, workdir: Path, cache_dir: Path) -> Stack:
    """Start emulator, bridge and bot for `mode`; return once the bot talks to the bridge.

    Raises RuntimeError (with the bot's log) when it does not come up cleanly, after stopping
    whatever it started.
    """
    # A copy per bot, so a test can edit it (hot reload) without touching the repository.
    knowledge_dir = workdir / "kb"
    shutil.copytree(E2E_DIR / "kb", knowledge_dir)
    emulator = harness.Emulator(workdir / "emulator.log")
    bridge = bridge_module.Bridge(emulator.url).start()
    bot = harness.BotProcess(
        bridge.api_url, workdir, mode, knowledge_dir, workdir / "bot.log", cache_dir=cache_dir
    )
    running = Stack(mode, emulator, bridge, bot, knowledge_dir)
    ready_call = "getUpdates" if mode == "polling" else "setWebhook"
    try:
        try:
            bridge.wait_for_call(ready_call, STARTUP_TIMEOUT)
        except TimeoutError:
            raise RuntimeError(
                f"the bot ({mode}) did not start talking to Telegram within "
                f"{STARTUP_TIMEOUT} s; its log:\n{running.log_tail()}"
            ) from None
        problems = running.check_healthy()
        if problems:
            raise RuntimeError(
                f"the bot ({mode}) started with problems:\n"
                + "\n".join(problems)
                + f"\nits log:\n{running.log_tail()}"
            )
    except BaseException:
        stop_stack(running)
        raise
    return running


def stop_stack(running: Stack) -> None:
    running.bot.stop()
    running.bridge.stop()
    running.emulator.stop()


class Launcher:
    """Starts the stacks, the next mode's while the current mode's tests run.

    Loading the bot's models is most of an e2e run's time. The first bot builds the caches
    (intent model, embeddings) in a CACHE_DIR both bots share; once it is up, the next mode's bot
    is started in the background, so its loading overlaps the first mode's tests.
    """

    def __init__(self, modes: list[str], factory: pytest.TempPathFactory) -> None:
        self.modes = modes
        self._factory = factory
        self._cache = factory.mktemp("e2e-cache")
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="e2e-launch")
        self._started: dict[str, Future[Stack]] = {}

    def _start(self, mode: str) -> Future[Stack]:
        if mode not in self._started:
            workdir = self._factory.mktemp(f"e2e-{mode}")
            self._started[mode] = self._pool.submit(launch, mode, workdir, self._cache)
        return self._started[mode]

    def get(self, mode: str) -> Stack:
        running = self._start(mode).result()
        later = self.modes[self.modes.index(mode) + 1 :] if mode in self.modes else []
        if later:
            self._start(later[0])
        return running

    def stop(self, mode: str) -> None:
        future = self._started.get(mode)
        if future is not None and future.done() and future.exception() is None:
            stop_stack(future.result())  # idempotent: a second stop finds nothing running

    def stop_all(self) -> None:
        for mode, future in self._started.items():
            try:
                future.result(timeout=STARTUP_TIMEOUT + 30)
            except BaseException:  # noqa: BLE001 - a failed launch already cleaned up
                continue
            self.stop(mode)
        self._pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def launcher(
    request: pytest.FixtureRequest,
    e2e_prerequisites: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Launcher]:
    needed = modes_selected(request.session)
    running = Launcher([m for m in MODES if m in needed], tmp_path_factory)
    yield running
    running.stop_all()


@pytest.fixture(scope="session", params=MODES)
def stack(request: pytest.FixtureRequest, launcher: Launcher) -> Iterator[Stack]:
    mode: str = request.param
    try:
        running = launcher.get(mode)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield running
    launcher.stop(mode)
    # The bot must also stop cleanly on SIGTERM: exit status 0, no error while shutting down.
    code = running.bot.process.returncode
    bad = running.bot.bad_lines()
    if code != 0 or bad:
        pytest.fail(
            f"[{mode}] the bot did not shut down cleanly (exit status {code}):\n"
            + "\n".join(bad)
            + f"\nbot log tail:\n{running.log_tail()}"
        )


@dataclass
class E2E:
    """What a test gets: the running stack and a way to make voters."""

    stack: Stack
    voters: list[Any] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return self.stack.mode

    @property
    def bridge(self) -> Any:
        return self.stack.bridge

    @property
    def knowledge_dir(self) -> Path:
        """The knowledge directory this bot serves (a copy of tests/e2e/kb; tests may edit it)."""
        return self.stack.knowledge_dir

    def log_mark(self) -> int:
        return len(self.stack.bot.log.snapshot())

    def wait_for_log(self, text: str, timeout: float, since: int | None = None) -> str:
        """The first bot log line after `since` (default: now) that contains `text`."""
        since = self.log_mark() if since is None else since
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.stack.bot.log.snapshot()[since:]:
                if text in line:
                    return line
            time.sleep(0.1)
        raise AssertionError(f"the bot did not log {text!r} within {timeout:.0f} s")

    def voter(self, language_code: str | None = "en", **kwargs: Any) -> Any:
        """A new voter in a new private chat."""
        voter = harness.Voter(
            self.stack.emulator.url,
            next(self.stack.ids),
            language_code=language_code,
            **kwargs,
        )
        self.voters.append(voter)
        return voter

    @staticmethod
    def expected(lang: str, key: str, **values: Any) -> str:
        """A text from the bot's catalog as the voter reads it (tags gone, entities decoded)."""
        from bot.texts import t

        return harness.plain(t(lang, key, **values))

    @staticmethod
    def plain(text: str) -> str:
        return harness.plain(text)

    def group_member(self, chat_id: int, language_code: str | None = "en") -> Any:
        """A new voter in the group `chat_id` (groups have negative ids, as in Telegram)."""
        return self.voter(language_code, chat_id=chat_id, chat_type="group")

    def checker(self) -> Any:
        """The fact-checker (CHECKER_IDS) in the checkers' group (CHECKERS_CHAT_ID)."""
        checker = harness.Voter(
            self.stack.emulator.url,
            harness.CHECKER_ID,
            chat_id=harness.CHECKERS_CHAT_ID,
            chat_type="group",
            first_name="Checker",
            title="Fact-checkers",
        )
        self.voters.append(checker)
        return checker

    def new_group_id(self) -> int:
        return -next(self.stack.ids)


@pytest.fixture
def e2e(stack: Stack) -> Iterator[E2E]:
    since = stack.marks()
    session = E2E(stack)
    yield session
    for voter in session.voters:
        voter.close()
    problems = stack.check_healthy(since)
    if problems:
        pytest.fail(
            f"[{stack.mode}] the bot or the emulator went wrong during the test:\n"
            + "\n".join(problems)
            + f"\nbot log tail:\n{stack.log_tail()}"
        )
