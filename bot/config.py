"""Every setting of the bot, in one place, read from the environment (and `.env`) and validated at
start, so a bad value stops the bot with one clear message instead of failing mid-conversation.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import knowledge

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_KNOWLEDGE = Path(knowledge.__file__).resolve().parent / "base"


class Settings(BaseSettings):
    """Environment variables are the field names in upper case (e.g. TELEGRAM_TOKEN)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_token: str | None = Field(
        None, description="Bot token from @BotFather; none = local chat"
    )
    telegram_api_url: str | None = Field(
        None, description="Bot API base URL, e.g. a local Bot API server or a test emulator"
    )
    telegram_rate_per_second: float = Field(
        30.0,
        gt=0,
        description="messages this process sends through Telegram per second at most (Telegram "
        "allows a bot about 30 in all: split it between workers)",
    )
    webhook_url: str | None = Field(None, description="public HTTPS URL; set = webhook mode")
    webhook_secret: str | None = Field(None, description="secret token Telegram sends with updates")
    webhook_listen: str = Field("0.0.0.0", description="address the webhook server listens on")
    webhook_port: int = Field(8443, description="port the webhook server listens on")
    database_url: str = Field(
        f"sqlite:///{REPO_ROOT / 'var' / 'factcheck.db'}",
        description="SQLAlchemy URL; PostgreSQL in production",
    )
    database_timeout_seconds: float = Field(
        1.5,
        gt=0,
        description="a voter is answered without the database when it has not answered within "
        "this long (escalations are spooled)",
    )
    knowledge_dir: Path = Field(BUNDLED_KNOWLEDGE, description="directory of knowledge YAML files")
    knowledge_reload_seconds: float = Field(
        5.0, description="how often to look for edited knowledge"
    )
    cache_dir: Path = Field(REPO_ROOT / "var" / "cache", description="embedding cache")
    glossary_file: Path | None = Field(
        None, description="election glossary the matcher reads (default: knowledge/glossary.yml)"
    )
    spool_path: Path = Field(
        REPO_ROOT / "var" / "spool.jsonl",
        description="where escalations wait while the database is down (keep it on a volume)",
    )
    rasa_url: str | None = Field(None, description="Rasa server, e.g. http://localhost:5005")
    rasa_timeout_seconds: float = Field(1.5, description="give up on Rasa after this long")
    rate_limit_per_minute: int = Field(30, description="messages a voter may send per minute")
    rate_limit_per_day: int = Field(1500, description="messages a voter may send per day")
    question_retention_days: int = Field(180, description="stored questions are purged after this")
    checkers_chat_id: int | None = Field(None, description="Telegram group where checkers work")
    checker_ids: str = Field("", description="comma-separated Telegram user ids of checkers")
    digest_hour: int | None = Field(
        None, ge=0, le=23, description="hour the checkers' daily digest is posted; none = off"
    )
    digest_timezone: str = Field("UTC", description="time zone of DIGEST_HOUR, e.g. Asia/Bangkok")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    health_port: int = Field(
        8080, ge=0, le=65535, description="port of GET /healthz and GET /metrics; 0 = off"
    )
    health_listen: str = Field(
        "127.0.0.1", description="address the health server listens on (0.0.0.0 in a container)"
    )
    bot_role: Literal["all", "notifier"] = Field(
        "all",
        description="all: the whole bot (exactly one process per token); notifier: only "
        "delivers fact-checkers' answers from the outbox (any number, next to one 'all')",
    )
    outbox_rate_per_second: int = Field(
        30, ge=1, description="notifications this process sends per second at most"
    )
    web_concurrency: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="webhook mode: how many `factcheck run` workers share this bot behind one "
        "URL (every worker the same value); set = updates go through the PostgreSQL inbox",
    )
    worker_index: int | None = Field(
        None,
        ge=0,
        description="which of the WEB_CONCURRENCY slots this worker serves (0-based); unset = "
        "the first free slot",
    )
    message_batch_seconds: float = Field(
        1.5,
        ge=0,
        le=10,
        description="quiet period that joins a voter's burst of text messages into one question; "
        "0 = every message is its own question",
    )
    ticket_hold_seconds: float = Field(
        300.0,
        ge=0,
        description="how long a new ticket waits out of the checkers' queue while its voter is "
        "asked whether it is a claim already being checked",
    )

    media_dir: Path = Field(
        REPO_ROOT / "var" / "media",
        description="where images sent to fact-checkers are kept (/forget and retention delete)",
    )
    read_images: bool = Field(True, description="read the text in photos (needs Tesseract)")
    ocr_timeout_seconds: float = Field(12.0, gt=0, description="give up reading one image after")
    read_links: bool = Field(True, description="read the title and text of links voters send")
    learn_from_voters: bool = Field(
        True,
        description="answer directly a message voters taught by picking from lists (issue #15; "
        "bot/core/learned.py); off: always the list",
    )
    link_timeout_seconds: float = Field(5.0, gt=0, description="give up reading a link after")
    link_allow_private: bool = Field(
        False,
        description="tests only: let links reach private and loopback addresses (never in "
        "production: it lets anyone make the bot read its own network)",
    )

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use a name like Asia/Bangkok") from exc
        return value

    @field_validator("rate_limit_per_minute", "rate_limit_per_day", "question_retention_days")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number")
        return value

    @field_validator("checker_ids")
    @classmethod
    def _user_ids(cls, value: str) -> str:
        for part in _id_parts(value):
            if not part.lstrip("-").isdigit():
                raise ValueError(f"{part!r} is not a Telegram user id (comma-separated numbers)")
        return value

    def inbox_problems(self) -> list[str]:
        """Why WEB_CONCURRENCY cannot be served as configured (empty when it can): the inbox is
        a PostgreSQL table fed by the webhook, and workers must agree on the secret."""
        if self.web_concurrency is None:
            return (
                ["WORKER_INDEX: needs WEB_CONCURRENCY"] if self.worker_index is not None else []
            )
        problems = []
        if not self.webhook_url:
            problems.append("WEB_CONCURRENCY: needs webhook mode (WEBHOOK_URL)")
        if not self.database_url.startswith("postgresql"):
            problems.append("WEB_CONCURRENCY: needs PostgreSQL (DATABASE_URL=postgresql+...)")
        if self.web_concurrency > 1 and not self.webhook_secret:
            problems.append(
                "WEB_CONCURRENCY: several workers need one WEBHOOK_SECRET (each registers it)"
            )
        if self.worker_index is not None and self.worker_index >= self.web_concurrency:
            problems.append(
                f"WORKER_INDEX={self.worker_index}: must be below WEB_CONCURRENCY="
                f"{self.web_concurrency}"
            )
        return problems

    def checker_id_set(self) -> frozenset[int]:
        return frozenset(int(x) for x in _id_parts(self.checker_ids))


def _id_parts(value: str) -> list[str]:
    """The items of a comma-separated id list, spaces and empty items dropped."""
    return [part for part in value.replace(" ", "").split(",") if part]


class ConfigurationError(Exception):
    """Settings that cannot start the bot; the message names every bad variable."""


def describe(error: ValidationError) -> str:
    """One line per bad setting, named as the operator wrote it (the environment variable)."""
    lines = []
    for problem in error.errors():
        variable = "_".join(str(part) for part in problem["loc"]).upper() or "settings"
        given = problem.get("input")
        shown = f"={given!r}" if isinstance(given, str | int | float) else ""
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"  {variable}{shown}: {message}")
    return "invalid configuration (environment or .env):\n" + "\n".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, validated once; ConfigurationError lists every bad value."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(describe(exc)) from None
