"""Builds the running parts from the settings (flows, Redis and the stores on it, media, outbox,
runtime and journal processor, the enabled channels and the delivery worker), starts their loops
and closes them again. Wiring only."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.authoring.loader import load_flowset
from bot.channels import templates
from bot.channels.base import Channel, ChatKey
from bot.channels.sender import RateLimiter
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.whatsapp import WhatsAppChannel
from bot.config import Settings
from bot.delivery.notify import Notifier
from bot.delivery.queue import DossierOutbox
from bot.delivery.sinks import build_sinks
from bot.delivery.sinks.casestore import CaseStoreSink
from bot.delivery.worker import Policy, Worker
from bot.desk import privacy
from bot.desk.db import make_engine, make_sessions
from bot.desk.lookup import chat_cases
from bot.loop.dispatch import Dispatcher
from bot.loop.receipts import Receipts
from bot.loop.reminders import DraftReminders
from bot.loop.worker import JournalChats, LoopWorker
from bot.media.store import MediaStore
from bot.runtime import Processor, Runtime, Sending
from bot.runtime.processor import consumer_name
from bot.sessions import SessionStore, open_redis
from bot.sessions.journal import Journal
from bot.sessions.leases import Leases
from bot.sessions.pipeline import AutoPipeline
from bot.sessions.replies import ReplyStore

log = logging.getLogger("wargabot")


@dataclass
class Services:
    settings: Settings
    runtime: Runtime
    processor: Processor
    store: SessionStore
    replies: ReplyStore
    leases: Leases
    outbox: DossierOutbox
    worker: Worker
    telegram: TelegramChannel | None
    whatsapp: WhatsAppChannel | None
    loop: LoopWorker | None = None  # the office's notices and reminders (with the case store)
    database: AsyncEngine | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _stop_turns: asyncio.Event = field(default_factory=asyncio.Event)
    _turns: list[asyncio.Task[None]] = field(default_factory=list)
    _others: list[asyncio.Task[None]] = field(default_factory=list)

    def start_worker(self) -> None:
        """Deliver dossiers in this process (RUN_WORKER)."""
        self._others.append(asyncio.create_task(self.worker.run(self._stop)))
        if self.loop is not None:
            self._others.append(asyncio.create_task(self.loop.run(self._stop)))

    def start_turns(self) -> None:
        """Work through the journal in this process: turns, replies, lock renewal."""
        self._turns.append(asyncio.create_task(self.processor.run(self._stop_turns)))
        self._others.append(asyncio.create_task(self.leases.run(self._stop)))

    async def close(self) -> None:
        self._stop_turns.set()  # finish or hand back the turns while their locks are renewed
        await asyncio.gather(*self._turns, return_exceptions=True)
        self._stop.set()
        await asyncio.gather(*self._others, return_exceptions=True)
        for channel in (self.telegram, self.whatsapp):
            if channel is not None:
                await channel.close()
        for sink in self.worker.sinks:
            if isinstance(sink, CaseStoreSink):
                await sink.close()
        if self.database is not None:
            await self.database.dispose()
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
    pipe = AutoPipeline(redis)
    store = SessionStore(redis, ttl=ttl, pipe=pipe)
    leases = Leases(pipe)
    replies = ReplyStore(pipe, leases, ttl)
    media = MediaStore.from_settings(settings)
    outbox = DossierOutbox(redis)
    telegram = whatsapp = None
    limiters: dict[str, RateLimiter] = {}
    if settings.TELEGRAM_BOT_TOKEN is not None:
        bot = make_bot(settings.TELEGRAM_BOT_TOKEN.get_secret_value(), settings.TELEGRAM_API_URL)
        telegram = TelegramChannel(bot)
        limiters["telegram"] = RateLimiter(
            settings.TELEGRAM_RATE_PER_SECOND, settings.TELEGRAM_CHAT_INTERVAL
        )
    if settings.whatsapp_enabled:
        assert settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN
        whatsapp = WhatsAppChannel(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN.get_secret_value(),
            settings.TWILIO_WHATSAPP_FROM or "",
            settings.TWILIO_API_URL,
            settings.TWILIO_DELETE_MEDIA,
            settings.twilio_media_hosts,
            templates.from_settings(settings),
        )
        whatsapp.last_inbound = lambda chat_id: store.last_inbound(ChatKey("whatsapp", chat_id))
        limiters["whatsapp"] = RateLimiter(settings.TWILIO_RATE_PER_SECOND)
    channels: dict[str, Channel] = {c.name: c for c in (telegram, whatsapp) if c is not None}
    receipts = Receipts(redis)
    sending = Sending(replies, leases, limiters, observe=receipts.observe)
    days = settings.SESSION_TTL_DAYS
    runtime = Runtime(flows, store, sending, leases, media, outbox, channels, session_days=days)
    reminders = DraftReminders(redis, settings.draft_reminder)
    runtime.reminders, runtime.receipts = reminders, receipts
    database = loop = None
    if settings.CASESTORE_ENABLED:  # the cases live there: notices, status, revisions
        database = make_engine(settings.DATABASE_URL)
        db = make_sessions(database)
        runtime.cases = functools.partial(chat_cases, db)
        runtime.data = functools.partial(privacy.chat_data, db)
        runtime.erasure = functools.partial(privacy.file_request, db)
        chats = JournalChats(store, receipts)
        dispatcher = Dispatcher(db, chats, set(channels), settings.document_reminders)
        loop = LoopWorker(db, dispatcher, chats, receipts, reminders, settings.worker_name)
    journal = Journal(redis, pipe, consumer_name())
    processor = Processor(runtime, journal, claim_idle=settings.JOURNAL_CLAIM_IDLE_SECONDS)
    sinks = build_sinks(settings, media, telegram.bot if telegram else None, flows)
    worker = Worker(
        outbox,
        sinks,
        settings.worker_name,
        policy_of(settings),
        Notifier(flows, channels, replies),
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
    return Services(
        settings,
        runtime,
        processor,
        store,
        replies,
        leases,
        outbox,
        worker,
        telegram,
        whatsapp,
        loop,
        database,
    )
