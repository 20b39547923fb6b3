"""Where each chat's Session lives between messages: Redis (or fakeredis in memory), chat locks.
Storage only, no conversation logic; it must never log personal data (content, chat ids, phones)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import fakeredis
import redis.asyncio
from redis.asyncio.client import Pipeline
from redis.asyncio.lock import Lock

from bot.channels.base import ChatKey
from bot.engine.model import Session
from bot.engine.step import position

__all__ = ["ChatBusy", "LoadResult", "SessionStore", "open_redis", "redis_key"]

log = logging.getLogger("wargabot.sessions")

_fake_server: fakeredis.FakeServer | None = None
_warned_memory = False


def open_redis(url: str | None) -> redis.asyncio.Redis:
    """A client for REDIS_URL; None, "" or "memory://" give an in-process store lost on restart."""
    global _fake_server, _warned_memory
    if not url or url == "memory://":
        if not _warned_memory:
            _warned_memory = True
            log.warning("REDIS_URL is not set: sessions are kept in memory and lost on restart")
        if _fake_server is None:
            _fake_server = fakeredis.FakeServer()
        return fakeredis.FakeAsyncRedis(server=_fake_server, decode_responses=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return redis.asyncio.Redis.from_url(
            url,
            decode_responses=False,
            health_check_interval=30,
            socket_connect_timeout=5,
            max_connections=1024,
        )
    scheme = url.split("://", 1)[0] if "://" in url else "no scheme"
    raise ValueError(f"REDIS_URL must be redis://, rediss://, unix:// or memory://, not {scheme}")


def _escape(part: str) -> str:
    """Percent-escape the characters that would break the hash tag or the `:` separators."""
    return part.replace("%", "%25").replace("{", "%7B").replace("}", "%7D").replace(":", "%3A")


@lru_cache(maxsize=32768)  # ~6 keys per active chat, asked for several times per message
def redis_key(chat: ChatKey, *parts: str) -> str:
    """`wb:{channel:chat_id}:part...`: every key of one chat shares one Redis Cluster hash tag."""
    return ":".join((_prefix(chat), *map(_escape, parts)))


@lru_cache(maxsize=4096)
def _prefix(chat: ChatKey) -> str:
    return "wb:{" + f"{_escape(chat.channel)}:{_escape(chat.chat_id)}" + "}"


_LOG_SALT = os.urandom(16)


def _anon(chat: ChatKey) -> str:
    """A pseudonym for logs, keyed per process: never the chat id (on WhatsApp it is a phone)."""
    return hashlib.blake2b(chat.chat_id.encode(), key=_LOG_SALT, digest_size=5).hexdigest()


_COMPRESS_OVER = 1024  # bytes of JSON; smaller sessions stay plain JSON (readable in redis-cli)


def _encode(session: Session) -> bytes:
    raw = session.to_json().encode()
    packed = zlib.compress(raw, 6) if len(raw) > _COMPRESS_OVER else raw
    return packed if len(packed) < len(raw) else raw


def _decode(data: bytes) -> Session:
    """Plain JSON starts with `{`; anything else must be a zlib stream (first byte 0x78)."""
    return Session.from_json(data if data[:1] == b"{" else zlib.decompress(data))


SEEN_TTL = timedelta(days=2)  # how long a message id is remembered for dedupe

# The hot path is two Lua scripts, one round trip each; every key of a call shares the chat's
# hash tag, so they run on Redis Cluster too (and on fakeredis, through lupa).

# Message ids already handled: one sorted set per chat (`seen`), member an 8-byte digest of the
# id, score the second it came in. Ids older than SEEN_TTL are pruned, and only the last SEEN_MAX
# are kept: a compact listpack of ~16 bytes per message, where a key per message took ~80.
# A platform redelivers within minutes; no citizen sends 50 messages in between.
SEEN_MAX = 50
_FIRST_TIME = """
local function first_time(key, id, now, window, cap)
  if redis.call('ZSCORE', key, id) then return false end
  redis.call('ZADD', key, now, id)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window / 1000)
  local extra = redis.call('ZCARD', key) - cap
  if extra > 0 then redis.call('ZREMRANGEBYRANK', key, 0, extra - 1) end
  redis.call('PEXPIRE', key, window)
  return true
end
"""

# KEYS: seen.  ARGV: digest, now (s), seen ms, cap.  1 the first time, nil for a redelivery.
_SEEN = (
    _FIRST_TIME
    + """
if first_time(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])) then
  return 1
end
return false
"""
)

# KEYS: seen, lock, session, known, where.  ARGV: digest, now (s), seen ms, cap, token, lock ms.
# nil: a redelivery. {0}: the chat is busy. {1, session, known, where}: locked and loaded.
_CLAIM = (
    _FIRST_TIME
    + """
if not first_time(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
then return false end
if not redis.call('SET', KEYS[2], ARGV[5], 'NX', 'PX', ARGV[6]) then return {0} end
return {1, redis.call('GET', KEYS[3]), redis.call('GET', KEYS[4]), redis.call('GET', KEYS[5])}
"""
)

# KEYS: session, known, where, inbound_at, lock.
# ARGV: token, session ('' deletes it), session ms, known ms, where ('' deletes it), where ms,
#       inbound time ('' leaves it), inbound ms.  Returns 1 when the lock was still ours.
_FINISH = """
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1], KEYS[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
end
if ARGV[5] == '' then
  redis.call('DEL', KEYS[3])
else
  redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[6])
end
if ARGV[7] ~= '' then redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[8]) end
if redis.call('GET', KEYS[5]) == ARGV[1] then return redis.call('DEL', KEYS[5]) end
return 0
"""


class ChatBusy(Exception):
    """Another message of the same chat held the chat's lock for longer than lock_wait."""


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
class Claim:
    """One message's hold on its chat: the lock token, and the session as the lock found it."""

    key: ChatKey
    token: bytes
    loaded: LoadResult


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _iso(when: datetime) -> bytes:
    if when.tzinfo is None:
        raise ValueError("times stored for a chat must be timezone-aware")
    return when.isoformat().encode()


def _ms(d: timedelta) -> int:
    return max(1, int(d.total_seconds() * 1000))


def _digest(message_id: str) -> bytes:
    """What the `seen` set holds of a message id: short, fixed-size, no platform id kept."""
    return hashlib.blake2b(message_id.encode(), digest_size=8).digest()


def _loaded(key: ChatKey) -> tuple[str, str, str]:
    """The keys a load reads at once: the session, whether there was one, where it stood."""
    return redis_key(key, "session"), redis_key(key, "known"), redis_key(key, "where")


class SessionStore:
    def __init__(
        self,
        redis: redis.asyncio.Redis,
        ttl: timedelta = timedelta(days=7),
        known_ttl: timedelta = timedelta(days=180),
        lock_timeout: timedelta = timedelta(seconds=30),
        lock_wait: timedelta = timedelta(seconds=10),
    ) -> None:
        self.redis = redis
        self.ttl = ttl
        self.known_ttl = known_ttl
        # `where`: the flow and step of the application under way (no personal data), kept a
        # month beyond the session so a citizen returning after expiry is counted (funnel.py)
        self.where_ttl = ttl + timedelta(days=30)
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self.clock: Callable[[], float] = time.time  # when a message id was seen (tests move it)
        # EVALSHA, loading the script again if the server has lost it (a restart)
        self._claim = redis.register_script(_CLAIM)
        self._seen = redis.register_script(_SEEN)
        self._finish = redis.register_script(_FINISH)
        self._release_script = redis.register_script(Lock.LUA_RELEASE_SCRIPT)

    async def load(self, key: ChatKey) -> LoadResult:
        return self._result(key, *await self.redis.mget(*_loaded(key)))

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
            session = _decode(_bytes(data))
            if ChatKey.of(session) != key:
                raise ValueError("session belongs to another chat")
        except Exception as e:  # corrupt or foreign data is no session, never a crash
            log.warning("unreadable session for chat %s ignored (%s)", _anon(key), type(e).__name__)
            return LoadResult(None, expired=known is not None, where=_where(where))
        return LoadResult(session, expired=False)

    async def save(self, session: Session, inbound_at: datetime | None = None) -> None:
        """Store the session (and the time of the citizen's message) in one round trip."""
        key = ChatKey.of(session)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(redis_key(key, "session"), _encode(session), px=_ms(self.ttl))
            pipe.set(redis_key(key, "known"), b"1", px=_ms(self.known_ttl))
            self._queue_where(pipe, key, session)
            if inbound_at is not None:
                pipe.set(redis_key(key, "inbound_at"), _iso(inbound_at), px=_ms(self.ttl))
            await pipe.execute()

    def _queue_where(self, pipe: Pipeline, key: ChatKey, session: Session | None) -> None:
        where = self._where_value(session)
        if where is None:
            pipe.delete(redis_key(key, "where"))
        else:
            pipe.set(redis_key(key, "where"), where, px=_ms(self.where_ttl))

    @staticmethod
    def _where_value(session: Session | None) -> bytes | None:
        at = None if session is None else position(session)
        return None if at is None else json.dumps(at).encode()

    # --- the hot path: two round trips per message --------------------------------------------

    async def claim(self, key: ChatKey, message_id: str) -> Claim | None:
        """Dedupe, lock the chat and load its session in one round trip when the chat is free.
        None for a redelivery; a busy chat is waited for (up to lock_wait), then loaded."""
        token = os.urandom(16).hex().encode()  # whose lock it is (uuid4 costs 3x more)
        lock = redis_key(key, "lock")
        keys = [redis_key(key, "seen"), lock, *_loaded(key)]
        args = [*self._seen_args(message_id, SEEN_TTL), token, _ms(self.lock_timeout)]
        reply = await self._claim(keys=keys, args=args)
        if reply is None:
            return None
        if reply[0]:
            loaded = reply[1:]
        else:  # another message of this chat is being handled: wait for it
            try:
                await self._wait_for(key, lock, token)
            except BaseException:
                await self.forget(key, message_id)  # not handled: a redelivery must be
                raise
            loaded = await self.redis.mget(*_loaded(key))
        return Claim(key, token, self._result(key, *loaded))

    async def finish(
        self, claim: Claim, session: Session | None, inbound_at: datetime | None = None
    ) -> None:
        """Save the session (None: delete it) and release the chat in one round trip."""
        key = claim.key
        keys = [*_loaded(key)[:3], redis_key(key, "inbound_at"), redis_key(key, "lock")]
        args: list[bytes | int] = [
            claim.token,
            b"" if session is None else _encode(session),
            _ms(self.ttl),
            _ms(self.known_ttl),
            self._where_value(session) or b"",
            _ms(self.where_ttl),
            b"" if inbound_at is None else _iso(inbound_at),
            _ms(self.ttl),
        ]
        if not await self._finish(keys=keys, args=args):
            log.warning("a chat lock expired before release (> %s)", self.lock_timeout)

    async def abandon(self, claim: Claim) -> None:
        """Release the chat without saving (the message failed)."""
        await self._release(redis_key(claim.key, "lock"), claim.token)

    async def _wait_for(self, key: ChatKey, lock: str, token: bytes) -> None:
        """Take the chat's lock, waiting up to lock_wait for the message that holds it."""
        deadline = time.monotonic() + self.lock_wait.total_seconds()
        while not await self.redis.set(lock, token, nx=True, px=_ms(self.lock_timeout)):
            if time.monotonic() > deadline:
                raise ChatBusy(f"chat {_anon(key)} still busy after {self.lock_wait}")
            await asyncio.sleep(0.01)

    async def _release(self, lock: str, token: bytes) -> None:
        """Delete the lock if it is still ours."""
        if not await self._release_script(keys=[lock], args=[token]):
            log.warning("a chat lock expired before release (> %s)", self.lock_timeout)

    async def delete(self, key: ChatKey) -> None:
        """Forget the conversation (and that there was one, so it isn't reported as expired)."""
        keys = (redis_key(key, "session"), redis_key(key, "known"), redis_key(key, "where"))
        await self.redis.delete(*keys)

    def _seen_args(self, message_id: str, ttl: timedelta) -> list[bytes | int]:
        return [_digest(message_id), int(self.clock()), _ms(ttl), SEEN_MAX]

    async def first_time(self, key: ChatKey, message_id: str, ttl: timedelta = SEEN_TTL) -> bool:
        """True the first time a message id is seen for this chat, False on redelivery."""
        args = self._seen_args(message_id, ttl)
        return bool(await self._seen(keys=[redis_key(key, "seen")], args=args))

    async def forget(self, key: ChatKey, message_id: str) -> None:
        """Undo first_time() for a message whose handling failed, so a redelivery is handled."""
        await self.redis.zrem(redis_key(key, "seen"), _digest(message_id))

    @asynccontextmanager
    async def lock(self, key: ChatKey) -> AsyncIterator[None]:
        """Hold the chat for one message: take it BEFORE loading the session, save inside it."""
        lock, token = redis_key(key, "lock"), os.urandom(16).hex().encode()
        await self._wait_for(key, lock, token)
        try:
            yield
        finally:
            await self._release(lock, token)

    async def touch_inbound(self, key: ChatKey, when: datetime) -> None:
        """Remember the citizen's last message (WhatsApp's 24-hour window); `when` must be aware."""
        if when.tzinfo is None:
            raise ValueError("touch_inbound needs a timezone-aware datetime")
        await self.redis.set(redis_key(key, "inbound_at"), _iso(when), px=_ms(self.ttl))

    async def last_inbound(self, key: ChatKey) -> datetime | None:
        raw = await self.redis.get(redis_key(key, "inbound_at"))
        return None if raw is None else datetime.fromisoformat(_bytes(raw).decode())

    async def ping(self) -> bool:
        """For /readyz: True when Redis answers; False on any error, never raises."""
        try:
            return bool(await asyncio.wait_for(self.redis.ping(), timeout=5))
        except Exception:
            return False
