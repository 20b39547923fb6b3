"""The durable reply queue wired up for a test that has no web app: queue replies (the outbox's
notifier does) and send what waits for a chat through a real channel, at an unlimited rate."""

from __future__ import annotations

from datetime import timedelta

import redis.asyncio

from bot.channels.base import Channel, ChatKey
from bot.channels.sender import RateLimiter
from bot.runtime import Sending
from bot.sessions.leases import Leases
from bot.sessions.pipeline import AutoPipeline
from bot.sessions.replies import ReplyStore


class QueuedReplies:
    def __init__(self, redis: redis.asyncio.Redis) -> None:
        self.pipe = AutoPipeline(redis)
        self.leases = Leases(self.pipe)
        self.store = ReplyStore(self.pipe, self.leases, timedelta(days=7))
        fast = RateLimiter(per_second=10_000)
        self.sending = Sending(self.store, self.leases, {"telegram": fast, "whatsapp": fast})

    async def send(self, chat: ChatKey, channel: Channel) -> None:
        """Send everything queued for `chat` now."""
        assert await self.sending.send(chat, channel), "the chat's replies were not all sent"
