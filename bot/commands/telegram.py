"""`wargabot telegram set-webhook` and `wargabot telegram poll`: registering the webhook with its
secret, and running the same bot by long polling for an office with no public URL."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot.channels.telegram import parse_update
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
    """Long polling with the same runtime as the webhook; stops when `stop` is set."""
    if settings.TELEGRAM_BOT_TOKEN is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is missing: create a bot with @BotFather")
    services = build(settings)
    assert services.telegram is not None
    channel, runtime = services.telegram, services.runtime
    bot = channel.bot
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        offset = 0
        log.info("polling Telegram for updates")
        while stop is None or not stop.is_set():
            updates: tuple[Update, ...] = await bot.get_updates(
                offset=offset, timeout=20, allowed_updates=ALLOWED_UPDATES
            )
            for update in updates:
                offset = update.update_id + 1
                inbound = parse_update(update.to_dict(), bot)
                if inbound is not None:
                    try:
                        await runtime.handle(inbound, channel)
                    except Exception:
                        log.exception("an update could not be handled")
    finally:
        await services.close()
    return 0
