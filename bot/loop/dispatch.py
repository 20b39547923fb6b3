"""The worker's side of the loop: notices that are due go into their chat as office events, in
the chat's journal under the id `notice:ID`, so the chat's turn (engine, session, replies) runs
once however often this is repeated; then the notice is marked queued, and a document request
gets its reminders. A chat that cannot be reached, or has stopped reminders, is said, not tried."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import ChatKey
from bot.desk import notices
from bot.desk.models import Notice
from bot.engine.model import OfficeEvent

log = logging.getLogger("wargabot.loop")

BLOCKED = "blocked"  # the citizen blocked the bot (Telegram 403)
STOPPED = "stopped"  # the citizen asked for no more reminders ("stop pengingat")


class Chats(Protocol):
    """The chats' side: an office event joins a chat's inbox (its journal) once per id."""

    async def append(self, chat: ChatKey, message_id: str, event: OfficeEvent) -> None: ...

    async def quiet(self, chat: ChatKey) -> str | None:
        """BLOCKED, STOPPED, or None when the chat takes reminders."""


def notice_id(message_id: str) -> int | None:
    """The notice a chat message stands for (`notice:ID`), if it is one."""
    head, _, tail = message_id.partition(":")
    return int(tail) if head == "notice" and tail.isdigit() else None


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        chats: Chats,
        channels: Collection[str],
        reminders: Sequence[timedelta] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions, self.chats, self.channels = sessions, chats, channels
        self.reminders, self.clock = tuple(reminders), clock

    async def tick(self, limit: int = 100) -> int:
        """Hand every due notice to its chat; returns how many were handled."""
        async with self.sessions() as session:
            due = await notices.due(session, self.clock(), limit)
            for notice in due:
                await self._one(session, notice)
                await session.commit()  # one by one: a crash repeats at most the last one
        return len(due)

    async def _one(self, session: AsyncSession, notice: Notice) -> None:
        case, now = notice.case, self.clock()
        chat = ChatKey(*await notices.chat_of(session, notice, case))
        if chat.channel not in self.channels or not chat.chat_id:
            what = f"channel {chat.channel} is not on" if chat.chat_id else "no chat to tell"
            await notices.mark(session, notice.id, notices.FAILED, now, what)
            return
        quiet = await self.chats.quiet(chat)
        if quiet == BLOCKED:
            await notices.mark(session, notice.id, notices.FAILED, now, BLOCKED)
            return
        if quiet == STOPPED and notice.kind == notices.DOCUMENT_REMINDER:
            await notices.mark(session, notice.id, notices.SKIPPED, now, STOPPED)
            return
        await self.chats.append(chat, f"notice:{notice.id}", notices.event_of(notice, case))
        await notices.mark(session, notice.id, notices.QUEUED, now)
        if notice.kind == notices.DOCUMENT_REQUEST and self.reminders:
            notices.remind_later(session, notice, case, self.reminders, now)
        log.info("notice %d (%s) handed to its chat", notice.id, notice.kind)
