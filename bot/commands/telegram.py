"""`wargabot telegram set-webhook` and `wargabot telegram poll`: registering the webhook with its
secret, and running the same bot by long polling for an office with no public URL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time

from redis.exceptions import RedisError
from telegram import Bot, Update
from telegram.error import NetworkError, TimedOut

from bot.channels.base import Malformed
from bot.config import ConfigError, Settings
from bot.web.services import build

log = logging.getLogger("wargabot.telegram")
ALLOWED_UPDATES = ["message", "callback_query"]


async def set_webhook(settings: Settings, url: str | None = None) -> int:
    base = (url or settings.PUBLIC_BASE_URL).rstrip("/")
    if not base.startswith("https://"):
        raise ConfigError(
            "PUBLIC_BASE_URL must be the https URL Telegram can reach, e.g. https://bot.example.org"
        )
    settings.check_channels()
    if settings.TELEGRAM_BOT_TOKEN is None or settings.TELEGRAM_WEBHOOK_SECRET is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is missing: create a bot with @BotFather")
    services = build(settings)
    try:
        assert services.telegram is not None
        bot = services.telegram.bot
        await bot.set_webhook(
            f"{base}/telegram/webhook",
            secret_token=settings.TELEGRAM_WEBHOOK_SECRET.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
        info = await bot.get_webhook_info()
        print(f"webhook set: {info.url} (pending updates: {info.pending_update_count})")
    finally:
        await services.close()
    return 0


async def poll(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Long polling into the same journal as the webhook: an update is confirmed to Telegram
    (the next offset) only once it is written down. Stops on SIGTERM/SIGINT or `stop`."""
    if settings.TELEGRAM_BOT_TOKEN is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is missing: create a bot with @BotFather")
    services = build(settings)
    assert services.telegram is not None
    channel, runtime = services.telegram, services.runtime
    bot = channel.bot
    stop = stop or _stop_on_signals()
    services.start_turns()
    if settings.RUN_WORKER:
        services.start_worker()
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        offset = 0
        log.info("polling Telegram for updates")
        while not stop.is_set():
            updates = await _updates(bot, offset, stop)
            for update in updates:
                try:
                    inbound = channel.parse(json.dumps(update.to_dict()).encode(), time.time())
                except Malformed:
                    log.warning("an update Telegram sent could not be read; skipped")
                    inbound = None
                if inbound is not None:
                    try:
                        await runtime.accept(inbound)
                    except (RedisError, OSError) as exc:  # not confirmed: Telegram keeps it
                        log.error("an update could not be written to the journal (%s)", exc)
                        await asyncio.sleep(1)
                        break
                offset = update.update_id + 1
    finally:
        await services.close()
    return 0


async def _updates(bot: Bot, offset: int, stop: asyncio.Event) -> tuple[Update, ...]:
    """One long poll, cut short by `stop`; network trouble is waited out."""
    get = asyncio.ensure_future(
        bot.get_updates(offset=offset, timeout=20, allowed_updates=ALLOWED_UPDATES)
    )
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([get, stopping], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not get.done():
        get.cancel()
        return ()
    try:
        return get.result()
    except (NetworkError, TimedOut) as exc:
        log.warning("Telegram could not be reached (%s); trying again", exc)
        await asyncio.sleep(2)
        return ()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
