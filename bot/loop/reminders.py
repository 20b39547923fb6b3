"""Reminders of an unfinished application, planned after every turn: one per chat in a sorted set
(`wb:{loop}:drafts`, score: when it is due, REMINDER_DRAFT_HOURS after the citizen's last
message), moved on by each new message and dropped when nothing is under way. The worker takes
the due ones into their chats as ReminderDue events; the engine says it once, if still true."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from bot.channels.base import ChatKey
from bot.engine.model import ReminderDue, Session
from bot.engine.step import position

DRAFTS = "wb:{loop}:drafts"

# Take a chat's reminder off the set only if it was not moved on meanwhile (a new message).
# KEYS: drafts.  ARGV: member, score taken.
_DONE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
"""


def _member(chat: ChatKey) -> str:
    return json.dumps([chat.channel, chat.chat_id], separators=(",", ":"))


def _chat(member: bytes | str) -> ChatKey:
    channel, chat_id = json.loads(member)
    return ChatKey(str(channel), str(chat_id))


class DraftReminders:
    def __init__(self, redis: Redis, after: timedelta | None) -> None:
        self.redis, self.after = redis, after
        self._done = redis.register_script(_DONE)

    def wanted(self, session: Session | None) -> bool:
        """Whether this session, as a turn left it, is an application to remind of."""
        return (
            self.after is not None
            and session is not None
            and session.reminders
            and session.updated_at is not None
            and position(session) is not None
            and (session.reminded_at is None or session.reminded_at < session.updated_at)
        )

    async def plan(self, chat: ChatKey, session: Session | None) -> None:
        """After a turn: remind `after` the citizen's last message, or not at all."""
        if self.wanted(session):
            assert session is not None and session.updated_at is not None and self.after
            due = (session.updated_at + self.after).timestamp()
            await self.redis.zadd(DRAFTS, {_member(chat): due})
        else:
            await self.redis.zrem(DRAFTS, _member(chat))

    async def due(self, now: datetime, limit: int = 100) -> list[tuple[ChatKey, float]]:
        raw: Any = await self.redis.zrangebyscore(
            DRAFTS, "-inf", now.timestamp(), start=0, num=limit, withscores=True
        )
        return [(_chat(m), float(score)) for m, score in raw]

    def event(self, score: float) -> ReminderDue:
        """The reminder of a plan due at `score`: since the message it was planned from."""
        assert self.after is not None
        since = datetime.fromtimestamp(score, UTC) - self.after
        return ReminderDue("draft", since=since.isoformat())

    async def done(self, chat: ChatKey, score: float) -> None:
        await self._done(keys=[DRAFTS], args=[_member(chat), repr(score)])
