"""Sending a chat's queued replies, in order, within each platform's rates: one process at a
time per chat (the send lease), each reply taken off the queue only once the platform has it,
so a crash resends at most the one in flight. A held reply (Hold) waits for the next kick; one
still failing after the retries is kept and the chat is tried again later."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping

from bot.channels.base import Channel, ChatKey
from bot.channels.sender import RateLimiter, send_one
from bot.observe import metrics
from bot.sessions import redis_key
from bot.sessions.leases import Leases
from bot.sessions.replies import Reply, ReplyStore

log = logging.getLogger("wargabot.outbound")


class Sending:
    def __init__(
        self, replies: ReplyStore, leases: Leases, limiters: Mapping[str, RateLimiter]
    ) -> None:
        self.replies, self.leases, self.limiters = replies, leases, limiters
        self._default = RateLimiter(per_second=1.0)

    async def send(
        self, chat: ChatKey, channel: Channel, taken: tuple[bytes, list[Reply] | None] | None = None
    ) -> bool:
        """Send what waits for `chat`; `taken`: the lease token and first replies a turn's
        finish already took. False when it has to be tried again later: another process is
        sending (and may die), the platform kept failing, the lease was lost."""
        if taken is None:
            token = os.urandom(16)
            batch = await self.replies.take(chat, token)
        else:
            token, batch = taken
        if batch is None:
            return False
        if not batch:
            return True
        limiter = self.limiters.get(chat.channel, self._default)
        lease = self.leases.hold(redis_key(chat, "sending"), token)
        try:
            while batch:
                for i, reply in enumerate(batch):
                    deliver = functools.partial(channel.deliver, chat.chat_id, reply.message)
                    outcome = await send_one(channel.name, chat.chat_id, deliver, limiter)
                    if outcome in ("held", "later"):
                        await self.leases.release(lease)
                        return outcome == "held"  # held: until the chat is kicked again
                    if outcome == "sent":
                        metrics.child(metrics.MESSAGES_OUT, chat.channel).inc()
                    after = await self.replies.sent(chat, token, reply, more=i == len(batch) - 1)
                    if after is None:
                        log.warning("a send lease expired while its replies were sent")
                        return False
                    left, more = after
                    if left == 0:
                        return True
                batch = more
            return True
        finally:
            self.leases.drop(lease)
