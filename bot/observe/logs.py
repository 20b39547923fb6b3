"""Logging set-up: one JSON object per line for the long-running commands, readable text for a
terminal. Every record's message, exception text and extra fields pass through `mask()`, so a
NIK, a KK number or a phone number never reaches a log in full, whoever logged it.

Names cannot be recognised by a pattern: no code path may log an answer, a name or a message
text. The libraries that would (python-telegram-bot and twilio log request parameters, httpx
logs URLs that carry the bot token) are held at WARNING whatever the level."""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

LogFormat = Literal["json", "text"]

# Loggers that log request parameters, message texts or tokens at INFO or DEBUG.
QUIET = (
    "httpx",
    "httpcore",
    "telegram",
    "twilio",
    "aiohttp.access",
    "hpack",
    "multipart",
    "python_multipart",
    "PIL",
    # the desk's database: SQLAlchemy logs every statement with its parameters (names, NIKs)
    # at INFO when its logger is on, aiosqlite at DEBUG
    "sqlalchemy",
    # the migration library announces its plugins at INFO on every import; `db upgrade` says
    # what it did itself
    "alembic",
    "aiosqlite",
    "asyncpg",
)

# --- masking ------------------------------------------------------------------------------------

# A run of at least 9 digits, optionally led by "+", whose digits may be split by one or two
# spaces, dots, dashes or brackets, a "+" or a URL-encoded space: "0812 3456 7890",
# "7371.0145.0690.0001", "(0411) 123-4567", "whatsapp:+6281234567890", "0812%203456%207890".
_SEP = r"(?:[ \t.\-()\u00a0]{1,2}|%20|\+)"
_RUN = re.compile(rf"(?<!\d)\+?\d(?:{_SEP}?\d){{8,}}(?!\d)")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# A Telegram bot token (123456789:AA...): the secret part never reaches a log.
_TOKEN = re.compile(r"(?<!\d)(\d{3,}:)[A-Za-z0-9_-]{30,}")
MIN_MASKED = 4


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if _IPV4.fullmatch(run):
        return run  # an IP address, not a person's number
    sign = "+" if run.startswith("+") else ""
    digits = "".join(c for c in run if c.isdigit())
    n = len(digits)
    # "62812...": country code and operator; otherwise "0812", or a NIK's province and regency
    head = 5 if digits.startswith("62") and n <= 14 else 4
    tail = max(0, min(4, n - head - MIN_MASKED))
    return f"{sign}{digits[:head]}{'*' * (n - head - tail)}{digits[n - tail :]}"


def mask(text: str) -> str:
    """Hide all but a few leading and trailing digits of every long number in `text`.

    `7371014506900001` -> `7371********0001`, `whatsapp:+6281234565678` ->
    `whatsapp:+62812****5678`, `0812-3456-7890` -> `0812****7890`. A run of 9 or more digits
    (separators allowed) keeps at most its first 4 (5 for 62...) and last 4 digits and always
    hides at least 4; a NIK inside a longer number is hidden with the whole run. Idempotent."""
    if not any(c.isdigit() for c in text):
        return text
    return _RUN.sub(_mask_run, _TOKEN.sub(r"\1***", text))


def mask_value(value: Any) -> Any:
    """An extra field's value, masked: strings and long integers; containers item by item."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        masked = mask(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask(str(k)): mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(v) for v in value]
    return mask(str(value))


def chat_ref(channel: str, chat_id: str) -> str:
    """How a chat is named in logs: `telegram:5551001`, `whatsapp:+62812****7001` (on WhatsApp
    the chat id is the citizen's phone number, so it is masked like any other)."""
    name = chat_id if chat_id.startswith(f"{channel}:") else f"{channel}:{chat_id}"
    return mask(name)


# --- formatters ---------------------------------------------------------------------------------

_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's coloured copy of the message
}


def _extras(record: logging.LogRecord, access: bool = True) -> dict[str, Any]:
    """The fields passed with `extra=`, masked; for uvicorn's access log (when `access`), the
    request's parts as fields of their own."""
    out = {
        k: mask_value(v)
        for k, v in vars(record).items()
        if k not in _RECORD_FIELDS and not k.startswith("_")
    }
    args = record.args
    if access and record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        client, method, path, _version, status = args
        out |= {"client": mask_value(client), "method": method, "path": mask_value(path)}
        out["status"] = status
    return out


def _utc(created: float) -> str:
    return (
        datetime.fromtimestamp(created, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601, UTC), level, logger, message, the extra
    fields, and `exc` with the traceback; everything but the time and the names is masked."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        for key, value in _extras(record).items():
            out[key if key not in out else f"extra_{key}"] = value
        if record.exc_info:
            out["exc"] = mask(self.formatException(record.exc_info))
        if record.stack_info:
            out["stack"] = mask(self.formatStack(record.stack_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-11-22 10:00:00,123 INFO wargabot.funnel: message key=value`, masked the same way."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: "
        line += mask(record.getMessage())
        extras = _extras(record, access=False)  # the access line says it all already
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        if record.exc_info:
            line += "\n" + mask(self.formatException(record.exc_info))
        if record.stack_info:
            line += "\n" + mask(self.formatStack(record.stack_info))
        return line


# --- set-up -------------------------------------------------------------------------------------


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is when a record is emitted, not when logging was set up
    (a redirected or captured stderr keeps working)."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        logging.Handler.__init__(self, level)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: always the current sys.stderr."""


def log_config(
    level: str = "info", fmt: LogFormat = "json", stream: TextIO | None = None
) -> dict[str, Any]:
    """A logging.config.dictConfig dict: the root logger writes through the chosen formatter,
    uvicorn's loggers (server and access) hand their records to it, and QUIET loggers are held
    at WARNING. Also given to uvicorn as `log_config`, so every worker process sets it up."""
    if fmt not in ("json", "text"):
        raise ValueError(f"log format must be json or text, not {fmt!r}")
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    name = logging.getLevelName(numeric)
    quiet = logging.getLevelName(max(numeric, logging.WARNING))
    handler: dict[str, Any] = {"class": "bot.observe.logs.StderrHandler", "formatter": fmt}
    if stream is not None:
        handler |= {"class": "logging.StreamHandler", "stream": stream}
    uvicorn = {"level": name, "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "bot.observe.logs.JsonFormatter"},
            "text": {"()": "bot.observe.logs.TextFormatter"},
        },
        "handlers": {"wargabot": handler},
        "root": {"level": name, "handlers": ["wargabot"]},
        "loggers": {
            "uvicorn": dict(uvicorn),
            "uvicorn.error": dict(uvicorn),
            "uvicorn.access": dict(uvicorn),
            **{q: {"level": quiet, "propagate": True} for q in QUIET},
        },
    }


def setup_logging(
    level: str = "info", fmt: LogFormat = "json", stream: TextIO | None = None
) -> None:
    """Send every log record of this process through one masking formatter (to stderr)."""
    logging.config.dictConfig(log_config(level, fmt, stream))
