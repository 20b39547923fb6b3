"""The loop's part of the worker process: notices due go into their chats (dispatch), reminders
of unfinished applications too (reminders), and receipts come back to the desk (receipts); the
office events join each chat's journal, so the web processes answer them like any message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import ChatKey, Inbound
from bot.desk import notices
from bot.desk.models import Notice
from bot.engine.model import OfficeEvent
from bot.loop.dispatch import BLOCKED, Dispatcher
from bot.loop.receipts import Receipts, apply
from bot.loop.reminders import DraftReminders
from bot.observe import metrics
from bot.sessions import SessionStore

log = logging.getLogger("wargabot.loop")
AWAY = (SQLAlchemyError, RedisError, OSError)


class JournalChats:
    """An office event joins the chat's inbox in the journal, as a message would (once per id)."""

    def __init__(self, store: SessionStore, receipts: Receipts) -> None:
        self.store, self.receipts = store, receipts

    async def append(self, chat: ChatKey, message_id: str, event: OfficeEvent) -> None:
        await self.store.append(Inbound(chat, message_id, event))

    async def quiet(self, chat: ChatKey) -> str | None:
        return BLOCKED if await self.receipts.blocked(chat) else None


class LoopWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
        chats: JournalChats,
        receipts: Receipts,
        reminders: DraftReminders,
        name: str = "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions, self.dispatcher, self.chats = sessions, dispatcher, chats
        self.receipts, self.reminders, self.clock = receipts, reminders, clock
        self.name = name or socket.gethostname()

    async def remind(self) -> int:
        """Reminders of unfinished applications now due, into their chats (once each)."""
        due = await self.reminders.due(self.clock())
        for chat, score in due:
            if await self.chats.quiet(chat) is None:
                event = self.reminders.event(score)
                await self.chats.append(chat, f"reminder:draft:{int(score)}", event)
            await self.reminders.done(chat, score)
        return len(due)

    async def report(self) -> int:
        """Receipts of sent, waiting and failed messages, onto their notices."""
        got = await self.receipts.read(self.name, block_ms=1000)
        if got:
            await apply(self.sessions, got)
            await self.receipts.ack([r.id for r in got])
        return len(got)

    async def observe(self) -> None:
        async with self.sessions() as session:
            query = select(func.count(Notice.id)).where(Notice.state == notices.WAITING)
            metrics.NOTICES_WAITING.set(await session.scalar(query) or 0)

    async def run(self, stop: asyncio.Event) -> None:
        log.info("the loop back to citizens started: notices, reminders, receipts")
        loops = [
            self._every(self.dispatcher.tick, stop, 2.0),
            self._every(self.remind, stop, 30.0),
            self._every(self.report, stop, 0.0),
            self._every(self.observe, stop, 60.0),
        ]
        await asyncio.gather(*loops)

    async def _every(
        self, once: Callable[[], Awaitable[object]], stop: asyncio.Event, pause: float
    ) -> None:
        ready = False
        while not stop.is_set():
            try:
                if not ready:
                    await self.receipts.ensure_group()
                    ready = True
                busy = await once()
            except AWAY as exc:
                log.warning("the loop waits: %s", type(exc).__name__)
                busy, ready = 0, False
            except Exception:
                log.exception("the loop back to citizens failed a round")
                busy = 0
            if not busy:  # nothing done: a pause; something done: at once again
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause or 1.0)
