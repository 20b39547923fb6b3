"""Chat locks and send leases kept alive (bot/sessions/leases.py), against a real redis-server and
fakeredis: a lease its owner let go is not reported as expired, one that really expired is."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis.asyncio

from bot.channels.base import ChatKey
from bot.sessions import KEEP, SessionStore, redis_key
from bot.sessions.leases import Leases
from bot.sessions.pipeline import AutoPipeline
from tests.sessions.test_store import text

KEY = ChatKey("telegram", "12345")
TOKEN = b"token-1"
EXPIRED = "expired while held"


async def test_a_lock_its_turn_let_go_is_not_reported_when_the_renewal_comes_first(
    store: SessionStore, leases: Leases, caplog: pytest.LogCaptureFixture
) -> None:
    # The turn's finish deletes the lock in Redis; its owner drops the lease only once its await
    # returns. A renewal answered in between finds the key gone: that is no expiry.
    await store.append(text("m1", "halo"))
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None
    lease = leases.hold(redis_key(KEY, "lock"), TOKEN)
    with caplog.at_level(logging.WARNING, "wargabot.sessions"):
        assert await store.finish(KEY, TOKEN, claim.items, KEEP) == (0, None)
        await leases.renew()
    leases.drop(lease)
    assert EXPIRED not in caplog.text and not lease.lost


async def test_a_lease_let_go_long_after_it_was_taken_is_not_reported_while_renewed(
    client: redis.asyncio.Redis, pipe: AutoPipeline, caplog: pytest.LogCaptureFixture
) -> None:
    leases = Leases(pipe, ttl=0.5)
    key = redis_key(KEY, "sending")
    await client.set(key, TOKEN, px=leases.ms)
    lease = leases.hold(key, TOKEN)
    for _ in range(8):  # 0.8 s, beyond its ttl: kept alive by the renewals
        await asyncio.sleep(0.1)
        await leases.renew()
    assert await client.get(key) == TOKEN
    with caplog.at_level(logging.WARNING, "wargabot.sessions"):
        await client.delete(key)  # the last reply sent lets the lease go (replies.sent)
        await leases.renew()
    assert EXPIRED not in caplog.text and not lease.lost


async def test_a_lease_that_expired_unrenewed_is_reported_lost(
    client: redis.asyncio.Redis, pipe: AutoPipeline, caplog: pytest.LogCaptureFixture
) -> None:
    leases = Leases(pipe, ttl=0.2)
    key = redis_key(KEY, "lock")
    await client.set(key, TOKEN, px=leases.ms)
    lease = leases.hold(key, TOKEN)
    await asyncio.sleep(0.3)  # no renewal in time (an event loop stalled past the ttl)
    with caplog.at_level(logging.WARNING, "wargabot.sessions"):
        await leases.renew()
    assert lease.lost and EXPIRED in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, "wargabot.sessions"):
        await leases.renew()  # said once: it is no longer renewed
    assert EXPIRED not in caplog.text


async def test_a_lease_taken_by_another_after_it_expired_is_reported_lost(
    client: redis.asyncio.Redis, pipe: AutoPipeline, caplog: pytest.LogCaptureFixture
) -> None:
    leases = Leases(pipe, ttl=0.2)
    key = redis_key(KEY, "lock")
    await client.set(key, TOKEN, px=leases.ms)
    lease = leases.hold(key, TOKEN)
    await asyncio.sleep(0.3)
    await client.set(key, b"another process", px=5000)
    with caplog.at_level(logging.WARNING, "wargabot.sessions"):
        await leases.renew()
    assert lease.lost and EXPIRED in caplog.text
    assert await client.get(key) == b"another process"
