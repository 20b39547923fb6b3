"""Fixtures of the session-store tests: a client of a real redis-server and of fakeredis
(memory://), so every contract runs against both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from bot.sessions import SessionStore, open_redis
from bot.sessions.leases import Leases
from bot.sessions.pipeline import AutoPipeline


@pytest.fixture(params=["redis", "memory"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[redis.asyncio.Redis]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else "memory://"
    r = open_redis(url)
    await r.flushall()
    yield r
    await r.aclose()


@pytest.fixture
def pipe(client: redis.asyncio.Redis) -> AutoPipeline:
    return AutoPipeline(client)


@pytest.fixture
def store(client: redis.asyncio.Redis, pipe: AutoPipeline) -> SessionStore:
    return SessionStore(client, pipe=pipe)


@pytest.fixture
def leases(pipe: AutoPipeline) -> Leases:
    return Leases(pipe)
