"""The durable reply queue: each chat's messages to send, in order, in `wb:{chat}:out`. A turn's
replies join it in the same script that saves the turn (bot/sessions/store.py); anything else
that speaks to a citizen (the outbox's "received", the desk's notifications) calls `enqueue`,
at most once per idempotency key. One process at a time sends a chat's queue (the send lease);
a reply leaves the queue only once the platform has it, so a crash resends at most the reply
that was in flight, and one that cannot go out now (Hold) waits, first in line."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.channels.base import ChatKey, Outgoing
from bot.sessions import scripts
from bot.sessions.journal import WORK
from bot.sessions.keys import ms, redis_key
from bot.sessions.leases import Leases
from bot.sessions.pipeline import AutoPipeline

KEYS_KEPT = timedelta(days=30)  # how long an idempotency key is remembered
BATCH = 10  # replies read at once


@dataclass(frozen=True, slots=True)
class Reply:
    id: bytes  # 8 random bytes, the queue item's prefix
    message: Outgoing


def pack(message: Outgoing) -> bytes:
    """A queue item: an 8-byte id, then the message as JSON."""
    return os.urandom(8) + message.to_json().encode()


def unpack(raw: bytes) -> Reply:
    return Reply(raw[:8], Outgoing.from_json(raw[8:]))


class ReplyStore:
    def __init__(self, pipe: AutoPipeline, leases: Leases, ttl: timedelta) -> None:
        self.pipe, self.leases, self.ttl = pipe, leases, ttl
        self.clock = time.time
        self._enqueue = pipe.script(scripts.ENQUEUE)
        self._take = pipe.script(scripts.TAKE)
        self._sent = pipe.script(scripts.SENT)
        self._take_out = pipe.script(scripts.TAKE_OUT)

    async def enqueue(
        self, chat: ChatKey, messages: Sequence[Outgoing], key: str | None = None
    ) -> bool:
        """Queue messages for a chat and kick it, so a web process sends them. With `key`, a
        second call with the same key (a retry, a redelivered event) queues nothing: False."""
        if not messages:
            return False
        keys = [redis_key(chat, "keys"), redis_key(chat, "out"), WORK]
        args: list[Any] = [key or "", self.clock(), ms(KEYS_KEPT), ms(self.ttl)]
        args += [chat.channel, chat.chat_id, *(pack(m) for m in messages)]
        return bool(await self._enqueue(keys, args))

    def _keys(self, chat: ChatKey) -> list[str]:
        return [redis_key(chat, "sending"), redis_key(chat, "out")]

    async def take(self, chat: ChatKey, token: bytes) -> list[Reply] | None:
        """The first replies, with the chat's send lease; None when another process holds it
        (it sends these too: it stops only when the queue is empty). [] when none wait."""
        raw = await self._take(self._keys(chat), [token, self.leases.ms, BATCH])
        return None if raw is None else [unpack(r) for r in raw]

    async def sent(
        self, chat: ChatKey, token: bytes, reply: Reply, more: bool
    ) -> tuple[int, list[Reply]] | None:
        """`reply` is off the queue; how many are left and (with `more`) the next ones. At 0 the
        lease is let go. None when the lease was lost (it expired: another may be sending)."""
        args: list[Any] = [token, reply.id, self.leases.ms, BATCH if more else 0]
        answer = await self._sent(self._keys(chat), args)
        if answer is None:
            return None
        left, items = answer
        return int(left), [unpack(r) for r in items]

    async def take_out(self, chat: ChatKey, token: bytes, reply: Reply) -> bool:
        """`reply`, wherever it stands in the queue, is done with (a stand-in that went ahead of
        replies held back); False when it was not there any more or the lease was lost."""
        return bool(await self._take_out(self._keys(chat), [token, reply.id]))

    async def waiting(self, chat: ChatKey) -> list[Outgoing]:
        """The chat's queued replies (for tests and the operator)."""
        raw = await self.pipe.call("LRANGE", redis_key(chat, "out"), 0, -1)
        return [unpack(r).message for r in raw]
