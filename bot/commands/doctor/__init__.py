"""`wargabot doctor`: check the settings and every configured dependency, say what is wrong and
how to fix it. Each check is a small function returning Results; nothing is sent to anyone (no
message, no email, no webhook POST) and no secret is printed (passwords in URLs are masked)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO
from urllib.parse import urlparse

from bot.commands.doctor.database import check_database
from bot.commands.doctor.inbox import check_folders, check_smtp, check_webhook_sink
from bot.commands.doctor.keys import check_encryption
from bot.commands.doctor.result import Result, mask_url
from bot.commands.doctor.services import check_redis, check_telegram, check_twilio
from bot.commands.doctor.settings import check_settings
from bot.config import Settings, parse_smtp_url

__all__ = [
    "Result",
    "check_database",
    "check_encryption",
    "check_folders",
    "check_redis",
    "check_settings",
    "check_smtp",
    "check_telegram",
    "check_twilio",
    "check_webhook_sink",
    "diagnose",
    "mask_url",
    "run",
]

# --- all of it -----------------------------------------------------------------------------------
Check = Callable[[Settings], Awaitable[list[Result]]]
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
    ("encryption", check_encryption, ("MEDIA_DIR", "DATA_KEY", "DATA_KEY_FILE", "DATA_OLD_KEYS")),
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
    for keys in (s.DATA_KEY, s.DATA_OLD_KEYS):  # never printed; blotted out all the same
        found += keys.get_secret_value().replace(",", " ").split() if keys else []
    if s.SMTP_URL is not None:
        found.append(parse_smtp_url(s.SMTP_URL.get_secret_value()).password or "")
    found.append(urlparse(s.REDIS_URL).password or "")
    found.append(urlparse(s.DATABASE_URL).password or "")
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
