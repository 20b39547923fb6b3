"""How a chat's state is named and encoded in Redis: the client for REDIS_URL, the key layout
(every key of one chat under one Redis Cluster hash tag), the session codec, and a pseudonym
for logs. Pure helpers and the client factory; no commands are sent from here."""

from __future__ import annotations

import hashlib
import logging
import os
import zlib
from datetime import datetime, timedelta
from functools import lru_cache

import fakeredis
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from bot.channels.base import ChatKey
from bot.engine.model import Session

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
            # a pooled connection that died with a restarted Redis is replaced, not an error
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        )
    scheme = url.split("://", 1)[0] if "://" in url else "no scheme"
    raise ValueError(f"REDIS_URL must be redis://, rediss://, unix:// or memory://, not {scheme}")


def _escape(part: str) -> str:
    """Percent-escape the characters that would break the hash tag or the `:` separators."""
    return part.replace("%", "%25").replace("{", "%7B").replace("}", "%7D").replace(":", "%3A")


@lru_cache(maxsize=65536)  # ~10 keys per active chat, asked for several times per message
def redis_key(chat: ChatKey, *parts: str) -> str:
    """`wb:{channel:chat_id}:part...`: every key of one chat shares one Redis Cluster hash tag."""
    return ":".join((_prefix(chat), *map(_escape, parts)))


@lru_cache(maxsize=4096)
def _prefix(chat: ChatKey) -> str:
    return "wb:{" + f"{_escape(chat.channel)}:{_escape(chat.chat_id)}" + "}"


_LOG_SALT = os.urandom(16)


def anon(chat: ChatKey) -> str:
    """A pseudonym for logs, keyed per process: never the chat id (on WhatsApp it is a phone)."""
    return hashlib.blake2b(chat.chat_id.encode(), key=_LOG_SALT, digest_size=5).hexdigest()


_COMPRESS_OVER = 1024  # bytes of JSON; smaller sessions stay plain JSON (readable in redis-cli)


def encode(session: Session) -> bytes:
    raw = session.to_json().encode()
    packed = zlib.compress(raw, 6) if len(raw) > _COMPRESS_OVER else raw
    return packed if len(packed) < len(raw) else raw


def decode(data: bytes) -> Session:
    """Plain JSON starts with `{`; anything else must be a zlib stream (first byte 0x78)."""
    return Session.from_json(data if data[:1] == b"{" else zlib.decompress(data))


def digest(message_id: str) -> bytes:
    """What the `seen` set and the inbox hold of a message id: 8 bytes, no platform id kept."""
    return hashlib.blake2b(message_id.encode(), digest_size=8).digest()


def as_bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def iso(when: datetime) -> bytes:
    if when.tzinfo is None:
        raise ValueError("times stored for a chat must be timezone-aware")
    return when.isoformat().encode()


def ms(d: timedelta | float) -> int:
    """Milliseconds (at least 1) of a timedelta or of seconds."""
    seconds = d.total_seconds() if isinstance(d, timedelta) else d
    return max(1, int(seconds * 1000))
