"""Doctor checks for the services a chat depends on: Redis, the Telegram Bot API, the Twilio API.
Each only reads (getMe, getWebhookInfo, an account fetch); nothing is ever sent to a citizen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.commands.doctor.result import (
    _QUIET_TWILIO,
    TIMEOUT,
    WHATSAPP_FROM,
    Result,
    _reason,
    mask_url,
)
from bot.config import Settings

if TYPE_CHECKING:
    from telegram import Bot


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
