"""Settings from the environment and a .env file: every setting the office configures is read
here, each with an embedded default, so `wargabot chat` and `wargabot serve` start with none.
(Process plumbing is not a setting: the web processes pass PROMETHEUS_MULTIPROC_DIR and
RUN_WORKER to their children through the environment.)"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.authoring.loader import DEFAULT_FLOWS, DEFAULT_LOCALES


class ConfigError(Exception):
    """A missing or malformed setting; the message names it."""


def _http_url(value: str, name: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{name} must be an http(s) URL such as https://example.org")
    return value.rstrip("/")


Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    HOST: str = "127.0.0.1"
    LOG_LEVEL: Literal["debug", "info", "warning", "error"] = "info"
    LOG_FORMAT: Literal["json", "text"] = "json"  # for serve, telegram poll and workers
    WEB_WORKERS: int = Field(default=1, ge=1, le=64)
    PORT: Port = 8080
    REDIS_URL: str = ""
    SESSION_TTL_DAYS: float = Field(default=7, gt=0)
    FLOWS_DIR: Path = DEFAULT_FLOWS
    LOCALES_DIR: Path = DEFAULT_LOCALES
    MEDIA_DIR: Path = Path("var/media")
    # Files under MEDIA_DIR are sealed with DATA_KEY (or DATA_KEY_FILE's first key); old keys
    # still open them. Unset: stored unencrypted (doctor warns). See bot/media/keyring.py.
    DATA_KEY: SecretStr | None = None
    DATA_KEY_FILE: Path | None = None
    DATA_OLD_KEYS: SecretStr | None = None
    INBOX_MAILDIR: Path = Path("var/inbox")
    PUBLIC_BASE_URL: str = ""

    TELEGRAM_BOT_TOKEN: SecretStr | None = None
    TELEGRAM_WEBHOOK_SECRET: SecretStr | None = None
    TELEGRAM_API_URL: str = "https://api.telegram.org"
    TELEGRAM_RATE_PER_SECOND: float = Field(default=30, gt=0)
    TELEGRAM_CHAT_INTERVAL: float = Field(default=1.0, ge=0)

    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: SecretStr | None = None
    TWILIO_WHATSAPP_FROM: str | None = None
    TWILIO_API_URL: str = "https://api.twilio.com"
    TWILIO_RATE_PER_SECOND: float = Field(default=1, gt=0)
    TWILIO_DELETE_MEDIA: bool = True
    # Where Twilio's media redirect may lead: host names (https only) or whole origins.
    TWILIO_MEDIA_HOSTS: str = "mms.twiliocdn.com,s3-external-1.amazonaws.com"

    # The journal: a web process's unfinished work is taken over after this many idle seconds.
    JOURNAL_CLAIM_IDLE_SECONDS: float = Field(default=5, gt=0)

    # Where completed dossiers go (several sinks at once; each is on when its setting is set).
    INBOX_MAILDIR_ENABLED: bool = True
    SMTP_URL: SecretStr | None = None
    SMTP_CA_FILE: Path | None = None
    SMTP_MAX_MESSAGE_MB: float = Field(default=20, gt=0)
    INBOX_EMAIL_TO: str = ""
    INBOX_EMAIL_FROM: str = "wargabot@localhost"
    STAFF_TELEGRAM_CHAT_ID: str = ""
    INBOX_WEBHOOK_URL: str = ""
    INBOX_WEBHOOK_SECRET: SecretStr | None = None

    # The durable outbox and its worker.
    RUN_WORKER: bool = True
    WORKER_NAME: str = ""
    OUTBOX_CONCURRENCY: int = Field(default=4, ge=1, le=64)
    OUTBOX_RETRY_BASE_SECONDS: float = Field(default=10, gt=0)
    OUTBOX_RETRY_MAX_SECONDS: float = Field(default=1800, gt=0)
    OUTBOX_GIVE_UP_HOURS: float = Field(default=48, gt=0)
    OUTBOX_CLAIM_IDLE_SECONDS: float = Field(default=60, gt=0)

    # The loop back to the citizen: reminders, and WhatsApp templates for outside the 24-hour
    # window (TWILIO_TEMPLATE_<KIND>[_EN] = HX... or HX...:var,var; bot/channels/templates.py).
    REMINDER_DRAFT_HOURS: float = Field(default=20, ge=0, le=23.5)  # 0: no reminder
    REMINDER_DOCUMENT_DAYS: str = "1,3"  # days after a document request; empty: none
    TWILIO_TEMPLATE_DOCUMENT_REQUEST: str = ""
    TWILIO_TEMPLATE_DOCUMENT_REQUEST_EN: str = ""
    TWILIO_TEMPLATE_STATUS: str = ""
    TWILIO_TEMPLATE_STATUS_EN: str = ""
    TWILIO_TEMPLATE_DOCUMENT_REMINDER: str = ""
    TWILIO_TEMPLATE_DOCUMENT_REMINDER_EN: str = ""
    TWILIO_TEMPLATE_PRIVACY_REQUEST: str = ""  # a deletion request decided (issue 14)
    TWILIO_TEMPLATE_PRIVACY_REQUEST_EN: str = ""

    # The case store (every delivered dossier becomes a case) and the office desk.
    DATABASE_URL: str = "sqlite+aiosqlite:///var/wargabot.db"
    CASESTORE_ENABLED: bool = True
    DESK_HOST: str = "127.0.0.1"
    DESK_PORT: Port = 8090
    DESK_PUBLIC_URL: str = ""
    DESK_SESSION_IDLE_MINUTES: float = Field(default=30, gt=0, le=24 * 60)
    DESK_SESSION_MAX_HOURS: float = Field(default=12, gt=0, le=24 * 30)
    DESK_LOCKOUT_MINUTES: float = Field(default=15, gt=0, le=24 * 60)
    DESK_ADMIN_TOTP: str = ""  # office ids (comma-separated) or `all`
    # The offices' DTSEN lists: headers of an export the usual spellings do not find
    # ("nik=NIK ART; kk=NOMOR KK"; checked by bot/desk/dtsen/columns.py where it is used).
    DTSEN_COLUMNS: str = ""
    # Retention: the worker deletes the personal data of cases closed longer ago than their
    # office's `retention_days` (flows), checking every this many hours; 0 turns it off.
    RETENTION_INTERVAL_HOURS: float = Field(default=24, ge=0)

    @field_validator("TELEGRAM_API_URL", "TWILIO_API_URL")
    @classmethod
    def _api_url(cls, value: str, info: object) -> str:
        return _http_url(value, getattr(info, "field_name", "URL"))

    @field_validator("TWILIO_MEDIA_HOSTS")
    @classmethod
    def _media_hosts(cls, value: str) -> str:
        for entry in (e.strip() for e in value.split(",") if e.strip()):
            if "://" in entry:
                parsed = urlparse(entry)
                if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path:
                    raise ValueError(f"{entry!r} is not a host or an origin like https://host:port")
            elif "/" in entry or ":" in entry or " " in entry:
                raise ValueError(f"{entry!r} is not a host name (https is implied)")
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return database_url(value)

    @field_validator("DESK_PUBLIC_URL")
    @classmethod
    def _desk_url(cls, value: str) -> str:
        return _http_url(value, "DESK_PUBLIC_URL") if value else ""

    @field_validator("DESK_ADMIN_TOTP")
    @classmethod
    def _admin_totp(cls, value: str) -> str:
        ids = [v.strip() for v in value.split(",") if v.strip()]
        if any(not re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids):
            raise ValueError("DESK_ADMIN_TOTP must be office ids such as dinsos_gowa, or all")
        return ",".join(ids)

    @field_validator("REMINDER_DOCUMENT_DAYS")
    @classmethod
    def _reminder_days(cls, value: str) -> str:
        try:
            days = [float(d) for d in value.replace(" ", "").split(",") if d]
        except ValueError:
            days = [-1.0]
        if any(not 0 < d <= 30 for d in days) or days != sorted(set(days)):
            raise ValueError("REMINDER_DOCUMENT_DAYS must be days after the request, e.g. 1,3")
        return ",".join(f"{d:g}" for d in days)

    @field_validator("PUBLIC_BASE_URL")
    @classmethod
    def _public_url(cls, value: str) -> str:
        return _http_url(value, "PUBLIC_BASE_URL") if value else ""

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        scheme = urlparse(value).scheme
        if value and scheme not in ("redis", "rediss", "unix", "memory"):
            raise ValueError("REDIS_URL must start with redis://, rediss://, unix:// or memory://")
        return value

    @field_validator("SMTP_URL")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        parse_smtp_url(value.get_secret_value())
        return value

    @field_validator("SMTP_CA_FILE", "DATA_KEY_FILE", "DATA_KEY", "DATA_OLD_KEYS", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `SMTP_CA_FILE=` in a .env file means unset, not the current directory; so for keys.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("INBOX_WEBHOOK_URL")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        if not value:
            return ""
        parsed = urlparse(value)
        local = parsed.hostname in ("localhost", "127.0.0.1", "::1")
        if parsed.scheme != "https" and not (parsed.scheme == "http" and local):
            raise ValueError("INBOX_WEBHOOK_URL must be an https:// URL (http only for localhost)")
        if not parsed.netloc:
            raise ValueError("INBOX_WEBHOOK_URL must be a full URL such as https://example.org/x")
        return value

    @field_validator("INBOX_WEBHOOK_SECRET")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("INBOX_WEBHOOK_SECRET must be at least 16 characters")
        return value

    @field_validator("STAFF_TELEGRAM_CHAT_ID")
    @classmethod
    def _staff_chat(cls, value: str) -> str:
        value = value.strip()
        if value and not (value.lstrip("-").isdigit() or value.startswith("@")):
            raise ValueError(
                "STAFF_TELEGRAM_CHAT_ID must be a chat id such as -1001234567890 (or @channel)"
            )
        return value

    @field_validator("TELEGRAM_BOT_TOKEN")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            token = value.get_secret_value()
            head, _, tail = token.partition(":")
            if not head.isdigit() or len(tail) < 20:
                raise ValueError("TELEGRAM_BOT_TOKEN looks wrong: BotFather gives 123456:ABC-...")
            return value
        return None

    @field_validator("TELEGRAM_WEBHOOK_SECRET")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        secret = value.get_secret_value()
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if not 16 <= len(secret) <= 256 or not set(secret) <= allowed:
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET must be 16-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        return value

    @property
    def telegram_enabled(self) -> bool:
        return self.TELEGRAM_BOT_TOKEN is not None

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.TWILIO_ACCOUNT_SID and self.TWILIO_AUTH_TOKEN)

    @property
    def twilio_media_hosts(self) -> list[str]:
        return [e.strip() for e in self.TWILIO_MEDIA_HOSTS.split(",") if e.strip()]

    @property
    def desk_admin_totp(self) -> frozenset[str]:
        """Offices whose admins must use a second factor ("*": every office)."""
        ids = {i for i in self.DESK_ADMIN_TOTP.split(",") if i}
        return frozenset({"*"} if "all" in ids else ids)

    @property
    def document_reminders(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(days=float(d)) for d in self.REMINDER_DOCUMENT_DAYS.split(",") if d)

    @property
    def draft_reminder(self) -> timedelta | None:
        hours = self.REMINDER_DRAFT_HOURS
        return timedelta(hours=hours) if hours else None

    @property
    def worker_name(self) -> str:
        return self.WORKER_NAME or f"{socket.gethostname()}-{os.getpid()}"

    def check_inbox(self) -> None:
        """Each office inbox that is on must be complete, and at least one must be on."""
        if self.SMTP_URL is not None and not self.INBOX_EMAIL_TO:
            raise ConfigError("INBOX_EMAIL_TO is missing: the office address SMTP_URL sends to")
        if self.INBOX_EMAIL_TO and self.SMTP_URL is None:
            raise ConfigError("SMTP_URL is missing (INBOX_EMAIL_TO is set), e.g. smtps://u:p@host")
        if self.STAFF_TELEGRAM_CHAT_ID and not self.telegram_enabled:
            raise ConfigError("TELEGRAM_BOT_TOKEN is missing: STAFF_TELEGRAM_CHAT_ID needs the bot")
        if self.INBOX_WEBHOOK_URL and self.INBOX_WEBHOOK_SECRET is None:
            raise ConfigError(
                "INBOX_WEBHOOK_SECRET is missing: 16+ random characters to sign INBOX_WEBHOOK_URL"
            )
        if not any(
            (
                self.INBOX_MAILDIR_ENABLED,
                self.CASESTORE_ENABLED,
                self.SMTP_URL,
                self.STAFF_TELEGRAM_CHAT_ID,
                self.INBOX_WEBHOOK_URL,
            )
        ):
            raise ConfigError(
                "no office inbox is on: keep INBOX_MAILDIR_ENABLED=true or CASESTORE_ENABLED=true, "
                "or set SMTP_URL, STAFF_TELEGRAM_CHAT_ID or INBOX_WEBHOOK_URL"
            )

    def check_channels(self) -> None:
        """What `serve` needs besides defaults: a channel that is on must be complete."""
        if self.WEB_WORKERS > 1 and self.REDIS_URL in ("", "memory://"):
            raise ConfigError(
                f"REDIS_URL is missing: WEB_WORKERS={self.WEB_WORKERS} needs Redis, or each "
                "process would keep its own sessions in memory (set WEB_WORKERS=1 without Redis)"
            )
        if self.telegram_enabled and self.TELEGRAM_WEBHOOK_SECRET is None:
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is missing: set 16+ random characters (A-Z a-z 0-9 _ -) "
                "so forged webhook calls are refused"
            )
        if self.whatsapp_enabled:
            if not self.TWILIO_WHATSAPP_FROM:
                raise ConfigError("TWILIO_WHATSAPP_FROM is missing, e.g. whatsapp:+14155238886")
            if not self.PUBLIC_BASE_URL:
                raise ConfigError(
                    "PUBLIC_BASE_URL is missing: the https URL Twilio calls, which the "
                    "X-Twilio-Signature is checked against"
                )
        elif self.TWILIO_ACCOUNT_SID or self.TWILIO_AUTH_TOKEN:
            missing = "TWILIO_AUTH_TOKEN" if self.TWILIO_ACCOUNT_SID else "TWILIO_ACCOUNT_SID"
            raise ConfigError(f"{missing} is missing (both Twilio settings are needed)")


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: Literal["starttls", "tls"]
    user: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (TLS from the start)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://...@host")
    tls: Literal["starttls", "tls"] = "tls" if parsed.scheme == "smtps" else "starttls"
    try:
        port = parsed.port or (465 if tls == "tls" else 587)
    except ValueError:
        raise ValueError("SMTP_URL has a bad port") from None
    user = unquote(parsed.username) if parsed.username else None
    password = unquote(parsed.password) if parsed.password else None
    return SmtpTarget(parsed.hostname, port, tls, user, password)


DATABASE_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def database_url(value: str) -> str:
    """sqlite:///FILE and postgresql://... get their async driver; other databases are refused."""
    scheme, sep, rest = value.strip().partition("://")
    if not sep or scheme not in DATABASE_SCHEMES or not rest:
        raise ValueError(
            "DATABASE_URL must look like sqlite+aiosqlite:///var/wargabot.db or "
            "postgresql+asyncpg://user:password@host:5432/wargabot"
        )
    return f"{DATABASE_SCHEMES[scheme]}://{rest}"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings; a bad one raises ConfigError naming it and saying what is expected."""
    try:
        if env is not None:
            return Settings.model_validate(env)
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            lines.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("; ".join(lines)) from None
