"""Builds the running parts from the settings (flows, Redis store, media, inbox, runtime and the
enabled channels) and closes them again. Wiring only: no request handling, no conversation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.whatsapp import WhatsAppChannel
from bot.config import Settings
from bot.inbox.maildir import MaildirSink
from bot.loader import load_flowset
from bot.mediastore import MediaStore
from bot.runtime import Runtime
from bot.sessions import SessionStore, open_redis

log = logging.getLogger("wargabot")


@dataclass
class Services:
    settings: Settings
    runtime: Runtime
    store: SessionStore
    telegram: TelegramChannel | None
    whatsapp: WhatsAppChannel | None

    async def close(self) -> None:
        await self.runtime.drain()
        for channel in (self.telegram, self.whatsapp):
            if channel is not None:
                await channel.close()
        await self.store.redis.aclose()


def build(settings: Settings) -> Services:
    flows = load_flowset(settings.FLOWS_DIR, settings.LOCALES_DIR)
    ttl = timedelta(days=settings.SESSION_TTL_DAYS)
    store = SessionStore(open_redis(settings.REDIS_URL), ttl=ttl)
    media = MediaStore(settings.MEDIA_DIR)
    inbox = MaildirSink(settings.INBOX_MAILDIR, media)
    runtime = Runtime(flows, store, media, inbox, session_days=settings.SESSION_TTL_DAYS)
    telegram = whatsapp = None
    if settings.TELEGRAM_BOT_TOKEN is not None:
        bot = make_bot(settings.TELEGRAM_BOT_TOKEN.get_secret_value(), settings.TELEGRAM_API_URL)
        telegram = TelegramChannel(
            bot, settings.TELEGRAM_RATE_PER_SECOND, settings.TELEGRAM_CHAT_INTERVAL
        )
    if settings.whatsapp_enabled:
        assert settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN
        whatsapp = WhatsAppChannel(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN.get_secret_value(),
            settings.TWILIO_WHATSAPP_FROM or "",
            settings.TWILIO_API_URL,
            settings.TWILIO_RATE_PER_SECOND,
            settings.TWILIO_DELETE_MEDIA,
        )
    channels = [c.name for c in (telegram, whatsapp) if c is not None] or ["none"]
    log.info("wargabot ready: %d flows, channels: %s", len(flows.flows), ", ".join(channels))
    return Services(settings, runtime, store, telegram, whatsapp)
