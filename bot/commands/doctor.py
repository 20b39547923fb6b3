"""`wargabot doctor`: check the settings and every configured dependency, say what is wrong and
how to fix it. Each check is a small function returning Results; nothing is sent to anyone (no
message, no email, no webhook POST) and no secret is printed (passwords in URLs are masked)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import smtplib
import socket
import ssl
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO
from urllib.parse import urlparse

from pydantic import ValidationError

from bot.config import ConfigError, Settings, load_settings, parse_smtp_url

if TYPE_CHECKING:
    from telegram import Bot

Status = Literal["ok", "warn", "fail", "skip"]
LABELS: dict[Status, str] = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "skip"}
TIMEOUT = 5.0  # seconds to connect in each network check (SMTP: 10); a whole call: twice that
WHATSAPP_FROM = re.compile(r"whatsapp:\+[1-9][0-9]{6,14}")
_QUIET_TWILIO = logging.getLogger("wargabot.doctor.twilio")  # not every request at INFO
_QUIET_TWILIO.setLevel(logging.WARNING)


@dataclass(frozen=True)
class Result:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def render(self) -> str:
        line = f"{LABELS[self.status]:<6}{self.name}: {self.detail}"
        return f"{line}\n      fix: {self.fix}" if self.fix else line


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***: in the user part and in ?password=."""
    parsed = urlparse(url)
    if parsed.password is not None:
        user, _, host = parsed.netloc.rpartition("@")
        masked = f"{user.partition(':')[0]}:***@{host}"
        url = url.replace(f"//{parsed.netloc}", f"//{masked}", 1)
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", url)


def _reason(exc: BaseException) -> str:
    """A short reason for a network error: "connection refused", "timed out", ...; a library's
    wrapper (PTB's NetworkError, redis-py's ConnectionError) is looked through to its cause."""
    inner: BaseException | None = exc
    while inner is not None and not isinstance(inner, OSError | TimeoutError):
        inner = inner.__cause__ or inner.__context__
    exc = inner or exc
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the name: {exc.strerror or exc}"
    if isinstance(exc, OSError) and isinstance(exc.errno, int) and exc.errno > 0:
        return os.strerror(exc.errno).lower()  # asyncio's "Connect call failed" says less
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip()
    return text or type(exc).__name__


# --- settings ------------------------------------------------------------------------------------
@dataclass
class Loaded:
    settings: Settings | None
    bad: frozenset[str]  # settings that failed validation: checks that need them are skipped
    results: list[Result]


def _bad_fields(env: dict[str, str] | None) -> set[str]:
    try:
        Settings.model_validate(env) if env is not None else Settings()
    except ValidationError as exc:
        return {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
    return set()


def check_settings(env: dict[str, str] | None = None) -> Loaded:
    """Load the settings; when some are bad, say so and go on with defaults for just those."""
    results: list[Result] = []
    bad: set[str] = set()
    try:
        settings: Settings | None = load_settings(env)
        results.append(Result("settings", "ok", "loaded"))
    except ConfigError as exc:
        bad = _bad_fields(env)
        results.append(
            Result(
                "settings",
                "fail",
                str(exc),
                "correct the named setting(s) in the environment or .env; the checks below use "
                "the default in their place",
            )
        )
        try:
            if env is not None:
                settings = Settings.model_validate({k: v for k, v in env.items() if k not in bad})
            else:
                defaults = {n: Settings.model_fields[n].get_default() for n in bad}
                settings = Settings(**defaults)
        except (ValidationError, KeyError):
            return Loaded(None, frozenset(bad), results)
    assert settings is not None
    for name, check in (("channels", settings.check_channels), ("inbox", settings.check_inbox)):
        try:
            check()
        except ConfigError as exc:
            results.append(Result(name, "fail", str(exc), "set it in the environment or .env"))
        else:
            results.append(Result(name, "ok", _summary(settings, name)))
    return Loaded(settings, frozenset(bad), results)


def _summary(s: Settings, which: str) -> str:
    if which == "channels":
        on = [
            n for n, v in (("Telegram", s.telegram_enabled), ("WhatsApp", s.whatsapp_enabled)) if v
        ]
        return f"{' and '.join(on)} on" if on else "no chat channel on (only `wargabot chat`)"
    sinks = [
        name
        for name, on in (
            ("Maildir", s.INBOX_MAILDIR_ENABLED),
            ("email", s.SMTP_URL is not None),
            ("staff Telegram chat", bool(s.STAFF_TELEGRAM_CHAT_ID)),
            ("webhook", bool(s.INBOX_WEBHOOK_URL)),
        )
        if on
    ]
    return "dossiers go to: " + ", ".join(sinks)


# --- Redis ---------------------------------------------------------------------------------------
async def check_redis(s: Settings) -> list[Result]:
    url = s.REDIS_URL
    if not url or url == "memory://":
        return [
            Result(
                "redis",
                "warn",
                "REDIS_URL is not set: sessions and the outbox are kept in memory and lost on "
                "restart (fine for trying, not for production)",
                "set REDIS_URL, e.g. redis://127.0.0.1:6379/0",
            )
        ]
    import redis.asyncio
    from redis.exceptions import AuthenticationError, RedisError, ResponseError

    shown = mask_url(url)
    client = redis.asyncio.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT, decode_responses=True
    )
    try:
        await asyncio.wait_for(client.ping(), TIMEOUT * 2)
        try:
            config = await asyncio.wait_for(client.config_get("appendonly"), TIMEOUT)
            appendonly: str | None = str(config.get("appendonly", "")) or None
        except ResponseError:  # managed Redis often refuses CONFIG
            appendonly = None
    except AuthenticationError as exc:
        return [
            Result(
                "redis",
                "fail",
                f"{shown} refused the login ({str(exc).rstrip('.').lower()})",
                "check the user and password in REDIS_URL (redis://user:password@host:6379/0)",
            )
        ]
    except (RedisError, OSError, TimeoutError) as exc:
        why = _reason(exc)
        return [
            Result(
                "redis",
                "fail",
                f"cannot reach {shown} ({why})",
                "start redis-server, or correct the host, port and password in REDIS_URL",
            )
        ]
    finally:
        await client.aclose()
    if appendonly is None:
        return [
            Result(
                "redis",
                "ok",
                f"{shown} answers (appendonly unknown: CONFIG GET is refused; check that your "
                "provider keeps the data on disk)",
            )
        ]
    if appendonly != "yes":
        return [
            Result(
                "redis",
                "warn",
                f"{shown} answers, but appendonly is {appendonly}: queued dossiers in the outbox "
                "can be lost on a restart",
                "set `appendonly yes` in redis.conf (or CONFIG SET appendonly yes; CONFIG REWRITE)",
            )
        ]
    return [Result("redis", "ok", f"{shown} answers (appendonly yes)")]


# --- Telegram ------------------------------------------------------------------------------------
async def check_telegram(s: Settings) -> list[Result]:
    if s.TELEGRAM_BOT_TOKEN is None:
        return [Result("telegram", "skip", "TELEGRAM_BOT_TOKEN is not set (Telegram off)")]
    from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError

    from bot.channels.telegram import make_bot

    bot = make_bot(s.TELEGRAM_BOT_TOKEN.get_secret_value(), s.TELEGRAM_API_URL)
    results: list[Result] = []
    try:
        try:
            me = await asyncio.wait_for(bot.get_me(), TIMEOUT * 2)
        except InvalidToken:
            return [
                Result(
                    "telegram",
                    "fail",
                    "the Bot API refused the token",
                    "check TELEGRAM_BOT_TOKEN from BotFather (/mybots, API Token)",
                )
            ]
        except (NetworkError, TimeoutError) as exc:
            return [
                Result(
                    "telegram",
                    "fail",
                    f"cannot reach {s.TELEGRAM_API_URL} ({_reason(exc)})",
                    "check the network (outgoing https) and TELEGRAM_API_URL",
                )
            ]
        results.append(Result("telegram", "ok", f"bot @{me.username} (id {me.id}) answers"))
        results.append(await _webhook(s, bot))
        if s.STAFF_TELEGRAM_CHAT_ID:
            chat_id = s.STAFF_TELEGRAM_CHAT_ID
            try:
                chat = await asyncio.wait_for(bot.get_chat(chat_id), TIMEOUT * 2)
            except (Forbidden, TelegramError, TimeoutError) as exc:
                results.append(
                    Result(
                        "telegram staff chat",
                        "fail",
                        f"the bot cannot see chat {chat_id} ({exc})",
                        "add the bot to the staff group (and check STAFF_TELEGRAM_CHAT_ID)",
                    )
                )
            else:
                title = f" '{chat.title}'" if chat.title and chat.type != "private" else ""
                results.append(
                    Result("telegram staff chat", "ok", f"{chat.type} chat {chat_id}{title}")
                )
    finally:
        await bot.close_requests()
    return results


async def _webhook(s: Settings, bot: Bot) -> Result:
    from telegram.error import TelegramError

    try:
        info = await asyncio.wait_for(bot.get_webhook_info(), TIMEOUT * 2)
    except (TelegramError, TimeoutError) as exc:
        return Result("telegram webhook", "fail", f"getWebhookInfo failed ({exc})")
    url = mask_url(info.url) if info.url else ""
    pending = f"{info.pending_update_count} pending update(s)"
    if info.last_error_message:
        when = info.last_error_date
        age = f" at {when:%Y-%m-%d %H:%M} UTC" if when else ""
        if when is None or datetime.now(UTC) - when < timedelta(hours=24):
            return Result(
                "telegram webhook",
                "warn",
                f"{url or 'none'}, {pending}; last delivery error{age}: {info.last_error_message}",
                "check that `wargabot serve` is reachable at that URL over https, with a valid "
                "certificate, and that TELEGRAM_WEBHOOK_SECRET is the one registered",
            )
        pending += f" (an older delivery error{age}: {info.last_error_message})"
    if not s.PUBLIC_BASE_URL:
        how = "fine for `wargabot telegram poll`" if not url else "PUBLIC_BASE_URL is not set"
        return Result("telegram webhook", "ok", f"{url or 'none'} ({how}), {pending}")
    expected = f"{s.PUBLIC_BASE_URL}/telegram/webhook"
    if info.url != expected:
        what = f"is {url}" if url else "is not set"
        return Result(
            "telegram webhook",
            "warn",
            f"{what}, expected {mask_url(expected)}; {pending}",
            "wargabot telegram set-webhook",
        )
    return Result("telegram webhook", "ok", f"{url}, {pending}")


# --- Twilio --------------------------------------------------------------------------------------
async def check_twilio(s: Settings) -> list[Result]:
    if not (s.TWILIO_ACCOUNT_SID and s.TWILIO_AUTH_TOKEN):
        return [Result("twilio", "skip", "TWILIO_ACCOUNT_SID is not set (WhatsApp off)")]
    import aiohttp
    from twilio.base.exceptions import TwilioRestException
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    results: list[Result] = []
    sid = s.TWILIO_ACCOUNT_SID
    http = AsyncTwilioHttpClient(timeout=TIMEOUT, logger=_QUIET_TWILIO)
    client = Client(sid, s.TWILIO_AUTH_TOKEN.get_secret_value(), http_client=http)
    client.api.base_url = s.TWILIO_API_URL
    try:
        account = await asyncio.wait_for(client.api.v2010.accounts(sid).fetch_async(), TIMEOUT * 2)
    except TwilioRestException as exc:
        if exc.status in (401, 403, 404):
            results.append(
                Result(
                    "twilio",
                    "fail",
                    f"account {sid} refused the credentials ({exc.status})",
                    "check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (Twilio console, Account Info)",
                )
            )
        else:
            results.append(Result("twilio", "fail", f"fetching account {sid}: HTTP {exc.status}"))
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        results.append(
            Result(
                "twilio",
                "fail",
                f"cannot reach {s.TWILIO_API_URL} ({_reason(exc)})",
                "check the network (outgoing https) and TWILIO_API_URL",
            )
        )
    else:
        if account.status == "active":
            results.append(Result("twilio", "ok", f"account {sid} is active ({account.type})"))
        else:
            results.append(
                Result(
                    "twilio",
                    "fail",
                    f"account {sid} is {account.status}",
                    "reactivate the account in the Twilio console",
                )
            )
    finally:
        await http.close()
    sender = s.TWILIO_WHATSAPP_FROM or ""
    if WHATSAPP_FROM.fullmatch(sender):
        results.append(Result("twilio sender", "ok", sender))
    else:
        results.append(
            Result(
                "twilio sender",
                "fail",
                f"TWILIO_WHATSAPP_FROM is {sender!r}, not whatsapp:+<country code and number>",
                "set TWILIO_WHATSAPP_FROM like whatsapp:+14155238886 (no spaces or dashes)",
            )
        )
    return results


# --- SMTP ----------------------------------------------------------------------------------------
def _smtp_sync(s: Settings) -> Result:
    from bot.delivery.sinks.smtp import SmtpError, open_connection

    assert s.SMTP_URL is not None
    target = parse_smtp_url(s.SMTP_URL.get_secret_value())
    where = f"{target.host}:{target.port}"
    mode = "TLS" if target.tls == "tls" else "STARTTLS"
    try:
        smtp = open_connection(target, s.SMTP_CA_FILE, timeout=10)
    except SmtpError as exc:
        return _smtp_failure(exc, where, target.tls)
    except OSError as exc:  # SMTP_CA_FILE missing or unreadable
        return Result(
            "smtp", "fail", f"cannot read SMTP_CA_FILE ({_reason(exc)})", "check SMTP_CA_FILE"
        )
    try:
        secured = smtp.sock is not None and isinstance(smtp.sock, ssl.SSLSocket)
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
    how = "logged in" if target.user else "connected (no login)"
    if not secured:
        return Result(
            "smtp",
            "warn",
            f"{where} {how} without TLS (the server offers no STARTTLS; only allowed on this "
            "machine)",
            "use a server with STARTTLS or smtps://",
        )
    return Result("smtp", "ok", f"{where} {how} ({mode})")


def _smtp_failure(exc: Exception, where: str, tls: str) -> Result:
    cause = exc.__cause__
    if isinstance(cause, smtplib.SMTPAuthenticationError):
        return Result(
            "smtp",
            "fail",
            f"{where} refused the login ({cause.smtp_code})",
            "check the user and password in SMTP_URL (percent-encode @ : / in them; some "
            "providers want an app password)",
        )
    if isinstance(cause, smtplib.SMTPNotSupportedError):
        return Result(
            "smtp",
            "fail",
            f"{where} does not offer a login (AUTH)",
            "check the port in SMTP_URL (submission: 587 with smtp://, 465 with smtps://), or "
            "leave the user out if the server relays without one",
        )
    if cause is None or isinstance(cause, ssl.SSLError | ssl.CertificateError):
        detail = str(exc) if cause is None else f"TLS failed with {where} ({_ssl_reason(cause)})"
        return Result(
            "smtp",
            "fail",
            detail,
            "use smtps:// for port 465 and smtp:// (STARTTLS) for 587; for a certificate from a "
            "private CA set SMTP_CA_FILE; the host name must match the certificate",
        )
    why = _reason(cause)
    hint = "check the host and port in SMTP_URL and that outgoing connections are allowed"
    if tls == "starttls" and where.endswith(":465"):
        hint += "; port 465 wants smtps://"
    return Result("smtp", "fail", f"cannot reach {where} ({why})", hint)


def _ssl_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or "certificate not trusted"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    return str(exc)


async def check_smtp(s: Settings) -> list[Result]:
    if s.SMTP_URL is None:
        return [Result("smtp", "skip", "SMTP_URL is not set (no email inbox)")]
    return [await asyncio.to_thread(_smtp_sync, s)]


# --- folders -------------------------------------------------------------------------------------
def _check_folder(name: str, setting: str, path: Path, maildir: bool) -> Result:
    """The folder exists or can be created (owner-only), takes a file, and is not readable by
    others (it holds personal data)."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        for sub in ("cur", "new", "tmp") if maildir else ():
            (path / sub).mkdir(exist_ok=True, mode=0o700)
        where = path / "tmp" if maildir else path
        fd, tmp = tempfile.mkstemp(prefix=".doctor-", dir=where)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return Result(
            name,
            "fail",
            f"{path} is not writable ({_reason(exc)})",
            f"create it for the service user (mkdir -p {path}; chmod 700 {path}) or set {setting}",
        )
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return Result(
            name,
            "warn",
            f"{path} is writable but mode {mode:04o}: others on this machine can read personal "
            "data",
            f"chmod 700 {path}",
        )
    return Result(name, "ok", f"{path} is writable (mode {mode:04o})")


async def check_folders(s: Settings) -> list[Result]:
    results = [_check_folder("media", "MEDIA_DIR", s.MEDIA_DIR, maildir=False)]
    if s.INBOX_MAILDIR_ENABLED:
        results.append(_check_folder("maildir", "INBOX_MAILDIR", s.INBOX_MAILDIR, maildir=True))
    else:
        results.append(Result("maildir", "skip", "INBOX_MAILDIR_ENABLED is false"))
    return results


# --- webhook sink --------------------------------------------------------------------------------
async def check_webhook_sink(s: Settings) -> list[Result]:
    if not s.INBOX_WEBHOOK_URL:
        return [Result("inbox webhook", "skip", "INBOX_WEBHOOK_URL is not set")]
    parsed = urlparse(s.INBOX_WEBHOOK_URL)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    where = f"{parsed.scheme}://{host}:{port}"  # no path or query: they may carry a token
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
    except (OSError, TimeoutError) as exc:
        return [
            Result(
                "inbox webhook",
                "fail",
                f"cannot connect to {where} ({_reason(exc)})",
                "check INBOX_WEBHOOK_URL and that the receiving service is up",
            )
        ]
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return [Result("inbox webhook", "ok", f"{where} accepts connections (nothing was sent)")]


# --- all of it -----------------------------------------------------------------------------------
Check = Callable[[Settings], Awaitable[list[Result]]]


async def check_database(s: Settings) -> list[Result]:
    """The desk's database answers and its schema is at the migrations' head."""
    from sqlalchemy import text

    from bot.commands.db import safe_url
    from bot.desk import migrate
    from bot.desk.db import make_engine

    shown = safe_url(s.DATABASE_URL)
    engine = make_engine(s.DATABASE_URL, connect_args=_db_timeout(s.DATABASE_URL))
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), TIMEOUT * 2)
        await asyncio.wait_for(migrate.require_current(engine), TIMEOUT * 2)
    except migrate.DatabaseBehind as exc:
        return [Result("database", "fail", f"{shown}: {exc}", "run `wargabot db upgrade`")]
    except Exception as exc:
        return [
            Result(
                "database",
                "fail",
                f"{shown}: cannot connect ({_reason(exc)})",
                "check DATABASE_URL (host, port, user, password, database name) and that the "
                "database server runs",
            )
        ]
    finally:
        await engine.dispose()
    usage = "the case store and the desk" if s.CASESTORE_ENABLED else "the desk (case store off)"
    return [Result("database", "ok", f"{shown}: reachable, schema current ({usage})")]


def _db_timeout(url: str) -> dict[str, float]:
    return {"timeout": TIMEOUT} if url.startswith("postgresql") else {}


CHECKS: tuple[tuple[str, Check, tuple[str, ...]], ...] = (
    ("redis", check_redis, ("REDIS_URL",)),
    (
        "telegram",
        check_telegram,
        ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "PUBLIC_BASE_URL", "STAFF_TELEGRAM_CHAT_ID"),
    ),
    (
        "twilio",
        check_twilio,
        ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM", "TWILIO_API_URL"),
    ),
    ("smtp", check_smtp, ("SMTP_URL", "SMTP_CA_FILE")),
    ("folders", check_folders, ("MEDIA_DIR", "INBOX_MAILDIR", "INBOX_MAILDIR_ENABLED")),
    ("inbox webhook", check_webhook_sink, ("INBOX_WEBHOOK_URL",)),
    ("database", check_database, ("DATABASE_URL", "CASESTORE_ENABLED")),
)


async def _guarded(name: str, check: Check, settings: Settings) -> list[Result]:
    try:
        return await check(settings)
    except Exception as exc:  # a check must never stop the others
        return [Result(name, "fail", f"the check itself failed: {type(exc).__name__}")]


def _secrets(s: Settings) -> list[str]:
    """Every secret the settings hold, to be blotted out of any text a library produced."""
    held = (s.TELEGRAM_BOT_TOKEN, s.TELEGRAM_WEBHOOK_SECRET, s.TWILIO_AUTH_TOKEN)
    found = [v.get_secret_value() for v in (*held, s.INBOX_WEBHOOK_SECRET, s.SMTP_URL) if v]
    if s.SMTP_URL is not None:
        found.append(parse_smtp_url(s.SMTP_URL.get_secret_value()).password or "")
    found.append(urlparse(s.REDIS_URL).password or "")
    return sorted((x for x in found if len(x) >= 4), key=len, reverse=True)


def _scrub(result: Result, secrets: list[str]) -> Result:
    detail, fix = result.detail, result.fix
    for secret in secrets:
        detail, fix = detail.replace(secret, "***"), fix.replace(secret, "***")
    return Result(result.name, result.status, detail, fix)


async def diagnose(env: dict[str, str] | None = None) -> list[Result]:
    loaded = check_settings(env)
    results = list(loaded.results)
    if loaded.settings is None:
        return results
    secrets = _secrets(loaded.settings)
    pending = []
    for name, check, needs in CHECKS:
        bad = sorted(loaded.bad.intersection(needs))
        if bad:
            skipped = Result(name, "skip", f"not checked: {', '.join(bad)} is bad (see above)")
            pending.append(_done([skipped]))
        else:
            pending.append(_guarded(name, check, loaded.settings))
    for group in await asyncio.gather(*pending):
        results.extend(group)
    return [_scrub(r, secrets) for r in results]


async def _done(results: list[Result]) -> list[Result]:
    return results


def run(env: dict[str, str] | None = None, out: TextIO | None = None) -> int:
    """Print one line per check; 1 when something failed, 0 otherwise (warnings included)."""
    out = out or sys.stdout
    results = asyncio.run(diagnose(env))
    for result in results:
        print(result.render(), file=out)
    failed = sum(r.status == "fail" for r in results)
    warned = sum(r.status == "warn" for r in results)
    print(f"\n{failed} failed, {warned} warning(s)", file=out)
    return 1 if failed else 0
