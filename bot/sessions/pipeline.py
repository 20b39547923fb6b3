"""Redis calls from many coroutines, written together: every call made while one batch is on the
wire goes out in the next, as one pipeline, so N chats' scripts at once cost about one round
trip instead of N (the CPU of a round trip is most of what a turn costs in redis-py). Scripts are
called by their SHA and loaded again if the server lost them (a restart). Blocking commands
(XREADGROUP ... BLOCK) must not come here."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

import redis.asyncio
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

MAX_BATCH = 512

Arg = bytes | str | int | float


class Script:
    """A Lua script called through an AutoPipeline."""

    def __init__(self, pipe: AutoPipeline, source: str) -> None:
        self.pipe, self.source = pipe, source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, keys: Sequence[str], args: Sequence[Arg] = ()) -> Any:
        try:
            return await self.pipe.call("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.pipe.redis.script_load(self.source)
            return await self.pipe.call("EVALSHA", self.sha, len(keys), *keys, *args)


class AutoPipeline:
    """Replies come back as Redis sends them (no redis-py parsing): bytes, ints, lists. Up to
    `in_flight` batches are on the wire at once, each on its own connection: one at a time
    would make every call wait for the slowest round trip of a busy machine."""

    def __init__(
        self, redis: redis.asyncio.Redis, max_batch: int = MAX_BATCH, in_flight: int = 4
    ) -> None:
        self.redis, self.max_batch = redis, max_batch
        self._queue: list[tuple[tuple[Arg, ...], asyncio.Future[Any]]] = []
        self._slots = asyncio.Semaphore(in_flight)
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    def script(self, source: str) -> Script:
        return Script(self, source)

    async def call(self, *args: Arg) -> Any:
        """One command, sent with whatever else is waiting; its reply or its error."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((args, future))
        self._schedule()
        return await future

    def _schedule(self) -> None:
        if self._scheduled:
            return
        self._scheduled = True  # the calls made until the task runs join its batch
        task = asyncio.create_task(self._flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        self._scheduled = False
        async with self._slots:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
            if self._queue:
                self._schedule()
            if batch:
                await self._send(batch)

    async def _send(self, batch: list[tuple[tuple[Arg, ...], asyncio.Future[Any]]]) -> None:
        # raw replies: redis-py's parsing of some replies (XCLAIM ... JUSTID) fails, and a parse
        # error halfway through a pipeline would leave the rest of it unread
        pipe = Pipeline(self.redis.connection_pool, {}, False, None)
        for args, _ in batch:
            pipe.execute_command(*args)
        try:
            replies = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # the connection failed: every call of the batch did
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError())
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its caller gave up (cancelled)
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)
