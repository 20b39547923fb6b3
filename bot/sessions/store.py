"""Where each chat lives between messages: its Session, and its inbox of messages not yet
handled, in Redis (or fakeredis in memory). Storage only, no conversation logic; it must never
log personal data (content, chat ids, phones).

A message's life: `append` (the webhook, before its 200) puts it at the end of its chat's inbox;
`claim` locks the chat and loads the session with the head of the inbox; `finish` saves the
turn's session, marks its messages handled, takes them off the inbox and queues the replies,
all in one script. A process that dies before `finish` leaves the message in the inbox (done
again by whoever takes the chat next); one that dies after leaves replies that will be sent."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import redis.asyncio
from redis.asyncio.client import Pipeline

from bot.channels.base import ChatKey, Inbound, Outgoing
from bot.engine.model import Session
from bot.engine.step import position
from bot.sessions import scripts
from bot.sessions.journal import WORK
from bot.sessions.keys import anon, as_bytes, decode, digest, encode, iso, ms, redis_key
from bot.sessions.leases import LOCK_SECONDS
from bot.sessions.pipeline import AutoPipeline
from bot.sessions.replies import BATCH, Reply, pack, unpack

log = logging.getLogger("wargabot.sessions")

SEEN_TTL = timedelta(days=2)  # how long a message id is remembered for dedupe
# Only the last SEEN_MAX ids are kept: a platform redelivers within minutes; no citizen sends
# 50 messages in between.
SEEN_MAX = 50
INBOX_TTL = SEEN_TTL  # an inbox no process could work through for this long is given up
PEEK = 20  # inbox messages loaded at once


@dataclass(frozen=True)
class LoadResult:
    session: Session | None
    expired: bool  # no session, but this chat had one before: tell the citizen, start over
    where: tuple[str, str] | None = None  # (flow, step) of the last application under way


def _where(raw: bytes | str | None) -> tuple[str, str] | None:
    try:
        flow, step = json.loads(raw) if raw is not None else (None, None)
    except (ValueError, TypeError):
        return None
    return (flow, step) if isinstance(flow, str) and isinstance(step, str) else None


@dataclass(frozen=True)
class Item:
    """One inbox message: its digest, the message (None: unreadable), and whether a message
    with its id has been handled already (a redelivery)."""

    digest: bytes
    inbound: Inbound | None
    seen: bool


def _items(raw: Sequence[bytes], flags: Sequence[int]) -> list[Item]:
    items = []
    for data, seen in zip(raw, flags, strict=True):
        try:
            inbound: Inbound | None = Inbound.from_json(data[8:])
        except (ValueError, KeyError, TypeError):
            log.warning("an unreadable inbox message was skipped")
            inbound = None
        items.append(Item(data[:8], inbound, bool(seen)))
    return items


@dataclass(frozen=True)
class Claim:
    """A chat locked for its turns: the lock token, the session as the lock found it, and the
    first messages of its inbox (empty: nothing waits, and the chat was let go at once)."""

    key: ChatKey
    token: bytes
    loaded: LoadResult
    items: list[Item]


class LockLost(Exception):
    """The chat's lock expired while its turn ran and someone else may hold it: the turn is
    not saved, and its messages stay in the inbox for the holder."""


Keep = Literal["keep"]
KEEP: Keep = "keep"


class SessionStore:
    def __init__(
        self,
        redis: redis.asyncio.Redis,
        ttl: timedelta = timedelta(days=7),
        known_ttl: timedelta = timedelta(days=180),
        lock_timeout: timedelta = timedelta(seconds=LOCK_SECONDS),
        pipe: AutoPipeline | None = None,
    ) -> None:
        self.redis = redis
        self.pipe = pipe or AutoPipeline(redis)
        self.ttl = ttl
        self.known_ttl = known_ttl
        # `where`: the flow and step of the application under way (no personal data), kept a
        # month beyond the session so a citizen returning after expiry is counted (funnel.py)
        self.where_ttl = ttl + timedelta(days=30)
        self.lock_timeout = lock_timeout
        self.clock: Callable[[], float] = time.time  # when a message id was seen (tests move it)
        self._append = self.pipe.script(scripts.APPEND)
        self._claim = self.pipe.script(scripts.CLAIM)
        self._peek = self.pipe.script(scripts.PEEK)
        self._finish = self.pipe.script(scripts.FINISH)

    # --- reading and writing a session outside a turn ---------------------------------------

    async def load(self, key: ChatKey) -> LoadResult:
        return self._result(key, *await self.redis.mget(*self._loaded(key)))

    @staticmethod
    def _loaded(key: ChatKey) -> tuple[str, str, str]:
        """The keys a load reads at once: the session, whether there was one, where it stood."""
        return redis_key(key, "session"), redis_key(key, "known"), redis_key(key, "where")

    def _result(
        self,
        key: ChatKey,
        data: bytes | str | None,
        known: bytes | str | None,
        where: bytes | str | None = None,
    ) -> LoadResult:
        if data is None:
            return LoadResult(None, expired=known is not None, where=_where(where))
        try:
            session = decode(as_bytes(data))
            if ChatKey.of(session) != key:
                raise ValueError("session belongs to another chat")
        except Exception as e:  # corrupt or foreign data is no session, never a crash
            log.warning("unreadable session for chat %s ignored (%s)", anon(key), type(e).__name__)
            return LoadResult(None, expired=known is not None, where=_where(where))
        return LoadResult(session, expired=False)

    async def save(self, session: Session, inbound_at: datetime | None = None) -> None:
        """Store the session (and the time of the citizen's message) in one round trip."""
        key = ChatKey.of(session)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(redis_key(key, "session"), encode(session), px=ms(self.ttl))
            pipe.set(redis_key(key, "known"), b"1", px=ms(self.known_ttl))
            self._queue_where(pipe, key, session)
            if inbound_at is not None:
                pipe.set(redis_key(key, "inbound_at"), iso(inbound_at), px=ms(self.ttl))
            await pipe.execute()

    def _queue_where(self, pipe: Pipeline, key: ChatKey, session: Session | None) -> None:
        where = self._where_value(session)
        if where is None:
            pipe.delete(redis_key(key, "where"))
        else:
            pipe.set(redis_key(key, "where"), where, px=ms(self.where_ttl))

    @staticmethod
    def _where_value(session: Session | None) -> bytes | None:
        at = None if session is None else position(session)
        return None if at is None else json.dumps(at).encode()

    async def delete(self, key: ChatKey) -> None:
        """Forget the conversation (and that there was one, so it isn't reported as expired)."""
        await self.redis.delete(*self._loaded(key))

    async def touch_inbound(self, key: ChatKey, when: datetime) -> None:
        """Remember the citizen's last message (WhatsApp's 24-hour window); `when` must be aware."""
        if when.tzinfo is None:
            raise ValueError("touch_inbound needs a timezone-aware datetime")
        await self.redis.set(redis_key(key, "inbound_at"), iso(when), px=ms(self.ttl))

    async def last_inbound(self, key: ChatKey) -> datetime | None:
        raw = await self.redis.get(redis_key(key, "inbound_at"))
        return None if raw is None else datetime.fromisoformat(as_bytes(raw).decode())

    async def ping(self) -> bool:
        """For /readyz: True when Redis answers; False on any error, never raises."""
        try:
            return bool(await asyncio.wait_for(self.redis.ping(), timeout=5))
        except Exception:
            return False

    # --- the turn: append, claim, peek, finish ----------------------------------------------

    async def append(self, inbound: Inbound) -> bool:
        """Keep a message durably in its chat's inbox and signal the work stream; False for a
        message id already handled (a redelivery). Raises when Redis does not take it."""
        key, did = inbound.key, digest(inbound.message_id)
        keys = [redis_key(key, "seen"), redis_key(key, "inbox"), WORK]
        item = did + inbound.to_json().encode()
        args: list[Any] = [did, item, key.channel, key.chat_id, ms(INBOX_TTL)]
        return bool(await self._append(keys, args))

    async def claim(self, key: ChatKey, token: bytes) -> Claim | None:
        """Lock the chat and load it with the first messages of its inbox; None when another
        turn holds it (that one works through the whole inbox, this message included)."""
        keys = [redis_key(key, "lock"), *self._loaded(key), redis_key(key, "inbox")]
        keys.append(redis_key(key, "seen"))
        reply = await self._claim(keys, [token, ms(self.lock_timeout), PEEK])
        if reply is None:
            return None
        if not reply:
            return Claim(key, token, LoadResult(None, expired=False), [])
        data, known, where, raw, flags = reply
        return Claim(key, token, self._result(key, data, known, where), _items(raw, flags))

    async def peek(self, key: ChatKey, token: bytes, start: int) -> list[Item]:
        """Inbox messages from `start` on, for the holder of the lock (they came in meanwhile)."""
        keys = [redis_key(key, "lock"), redis_key(key, "inbox"), redis_key(key, "seen")]
        reply = await self._peek(keys, [token, start, start + PEEK - 1])
        if reply is None:
            raise LockLost(f"chat {anon(key)}")
        return _items(*reply)

    async def finish(
        self,
        key: ChatKey,
        token: bytes,
        handled: Sequence[Item],
        session: Session | Keep | None,
        replies: Sequence[Outgoing] = (),
        inbound_at: datetime | None = None,
        send_token: bytes = b"",
    ) -> tuple[int, list[Reply] | None]:
        """End a turn in one script: save `session` (None: delete it, nothing may be kept;
        KEEP: leave it), mark `handled` (the first messages of the inbox) handled and take them
        off, queue `replies`. Returns how many messages still wait (at 0 the chat is let go)
        and, once none wait and with `send_token`, the first queued replies with the send lease
        (as ReplyStore.take; None: not taken). Raises LockLost (nothing written) when the lock
        is no longer ours."""
        mode = "k" if session == KEEP else "d" if session is None else "s"
        saved = session if isinstance(session, Session) else None
        keys = [redis_key(key, "lock"), *self._loaded(key), redis_key(key, "inbound_at")]
        keys += [redis_key(key, "seen"), redis_key(key, "inbox"), redis_key(key, "out")]
        keys.append(redis_key(key, "sending"))
        args: list[Any] = [token, len(handled), b"".join(i.digest for i in handled), mode]
        args += [b"" if saved is None else encode(saved), ms(self.ttl), ms(self.known_ttl)]
        args += [self._where_value(saved) or b"", ms(self.where_ttl)]
        args += [b"" if inbound_at is None else iso(inbound_at), ms(self.ttl)]
        args += [int(self.clock()), ms(SEEN_TTL), SEEN_MAX, ms(self.lock_timeout), ms(self.ttl)]
        args += [send_token, ms(self.lock_timeout), BATCH, *(pack(r) for r in replies)]
        answer = await self._finish(keys, args)
        if answer == -1:
            raise LockLost(f"chat {anon(key)}")
        if answer == -2:
            raise RuntimeError(f"the inbox of chat {anon(key)} changed under its lock")
        left, taken = answer
        return int(left), None if taken is None else [unpack(r) for r in taken]
