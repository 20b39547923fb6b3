"""Sending a chat's queued replies, in order, within each platform's rates: one process at a
time per chat (the send lease), each reply taken off the queue only once the platform has it,
so a crash resends at most the one in flight. A held reply (Hold) waits for the next kick; one
still failing after the retries is kept and the chat is tried again later."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Awaitable, Callable, Mapping

from bot.channels.base import Channel, ChatKey, Outgoing
from bot.channels.sender import Outcome, RateLimiter, send_one
from bot.observe import metrics
from bot.sessions import redis_key
from bot.sessions.leases import Leases
from bot.sessions.replies import Reply, ReplyStore

log = logging.getLogger("wargabot.outbound")


# Told what became of each attempt at a reply (bot/loop/receipts.py): a message from the office
# reports back to the desk; a chat that blocked the bot is remembered.
Observer = Callable[[ChatKey, Outgoing, Outcome], Awaitable[None]]


class Sending:
    def __init__(
        self,
        replies: ReplyStore,
        leases: Leases,
        limiters: Mapping[str, RateLimiter],
        observe: Observer | None = None,
    ) -> None:
        self.replies, self.leases, self.limiters = replies, leases, limiters
        self.observe = observe
        self._default = RateLimiter(per_second=1.0)

    async def _observe(self, chat: ChatKey, reply: Reply, outcome: Outcome) -> None:
        """Report before the reply leaves the queue (a crash in between reports it again);
        a report that fails is logged, never a reason to send the reply twice."""
        if self.observe is None:
            return
        try:
            await self.observe(chat, reply.message, outcome)
        except Exception as exc:
            log.warning("what became of a reply was not recorded: %s", type(exc).__name__)

    async def _ahead(
        self,
        chat: ChatKey,
        channel: Channel,
        token: bytes,
        behind: list[Reply],
        limiter: RateLimiter,
    ) -> None:
        """Replies wait behind one held for WhatsApp's window, in order; but a message from the
        office must still reach the citizen: its template (a stand-in) goes ahead of them."""
        for reply in behind:
            told = reply.message.told
            if told is None or not told.standin:
                continue
            deliver = functools.partial(channel.deliver, chat.chat_id, reply.message)
            outcome = await send_one(channel.name, chat.chat_id, deliver, limiter)
            await self._observe(chat, reply, outcome)
            if outcome == "sent":
                metrics.child(metrics.MESSAGES_OUT, chat.channel).inc()
            if outcome not in ("held", "later"):
                await self.replies.take_out(chat, token, reply)

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
                    await self._observe(chat, reply, outcome)
                    if outcome == "held":  # a template's stand-in may still go ahead of it
                        await self._ahead(chat, channel, token, batch[i + 1 :], limiter)
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
