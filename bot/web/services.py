"""Builds the running parts from the settings (flows, Redis store, media, outbox, runtime, the
enabled channels and the delivery worker) and closes them again. Wiring only."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from bot.authoring.loader import load_flowset
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.whatsapp import WhatsAppChannel
from bot.config import Settings
from bot.delivery.notify import Notifier, Sender
from bot.delivery.queue import DossierOutbox
from bot.delivery.sinks import build_sinks
from bot.delivery.sinks.casestore import CaseStoreSink
from bot.delivery.worker import Policy, Worker
from bot.media.store import MediaStore
from bot.runtime import Runtime
from bot.sessions import SessionStore, open_redis

log = logging.getLogger("wargabot")


@dataclass
class Services:
    settings: Settings
    runtime: Runtime
    store: SessionStore
    outbox: DossierOutbox
    worker: Worker
    telegram: TelegramChannel | None
    whatsapp: WhatsAppChannel | None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _worker_task: asyncio.Task[None] | None = None

    def start_worker(self) -> None:
        self._worker_task = asyncio.create_task(self.worker.run(self._stop))

    async def close(self) -> None:
        self._stop.set()
        if self._worker_task is not None:
            await self._worker_task
        await self.runtime.drain()
        for channel in (self.telegram, self.whatsapp):
            if channel is not None:
                await channel.close()
        for sink in self.worker.sinks:
            if isinstance(sink, CaseStoreSink):
                await sink.close()
        await self.store.redis.aclose()


def policy_of(settings: Settings) -> Policy:
    return Policy(
        retry_base=settings.OUTBOX_RETRY_BASE_SECONDS,
        retry_max=settings.OUTBOX_RETRY_MAX_SECONDS,
        give_up_after=settings.OUTBOX_GIVE_UP_HOURS * 3600,
        claim_idle=settings.OUTBOX_CLAIM_IDLE_SECONDS,
        concurrency=settings.OUTBOX_CONCURRENCY,
    )


def build(settings: Settings) -> Services:
    flows = load_flowset(settings.FLOWS_DIR, settings.LOCALES_DIR)
    ttl = timedelta(days=settings.SESSION_TTL_DAYS)
    redis = open_redis(settings.REDIS_URL)
    store = SessionStore(redis, ttl=ttl)
    media = MediaStore.from_settings(settings)
    outbox = DossierOutbox(redis)
    runtime = Runtime(flows, store, media, outbox, session_days=settings.SESSION_TTL_DAYS)
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
    channels: dict[str, Sender] = {c.name: c for c in (telegram, whatsapp) if c is not None}
    sinks = build_sinks(settings, media, telegram.bot if telegram else None, flows)
    worker = Worker(
        outbox, sinks, settings.worker_name, policy_of(settings), Notifier(flows, channels)
    )
    log.info(
        "wargabot ready: %d flows, channels: %s, office inbox: %s",
        len(flows.flows),
        ", ".join(channels) or "none",
        ", ".join(s.name for s in sinks),
    )
    if media.keyring.encrypts:
        log.info("files in MEDIA_DIR are sealed with key id %s", media.keyring.current_id)
    else:
        log.warning(
            "DATA_KEY is not set: photos and dossier records in MEDIA_DIR are stored "
            "unencrypted; create a key with `wargabot keys new` (docs/operations.md)"
        )
    return Services(settings, runtime, store, outbox, worker, telegram, whatsapp)
