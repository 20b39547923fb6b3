"""Runs the journal in one process: reads the work stream through the consumer group, runs each
chat's work (one job per chat here, at most `concurrency` chats at once), acknowledges an entry
only after its work is done, keeps the entries of running jobs fresh, and takes over the entries
of a process that died (XAUTOCLAIM). On stop it finishes what it can within SHUTDOWN_DRAIN and
hands the rest back to the stream for the other processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from redis.exceptions import RedisError, ResponseError

from bot.channels.base import ChatKey
from bot.channels.sender import SHUTDOWN_DRAIN
from bot.observe import metrics
from bot.runtime.turns import REDIS_AWAY, Runtime
from bot.sessions.journal import Entry, Journal

log = logging.getLogger("wargabot.journal")

CONSUMERS_FORGOTTEN_AFTER = 3600.0  # seconds a stopped process's consumer name is kept
READ_PAUSE = 0.01  # seconds between two reads of the work stream when there was something


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{os.urandom(2).hex()}"


@dataclass(eq=False)
class _Job:
    entries: list[str]
    again: bool = False
    task: asyncio.Task[None] | None = None
    started: float = field(default_factory=time.monotonic)


class Processor:
    def __init__(
        self,
        runtime: Runtime,
        journal: Journal,
        claim_idle: float = 5.0,
        concurrency: int = 256,
    ) -> None:
        self.runtime, self.journal = runtime, journal
        self.claim_idle, self.concurrency = claim_idle, concurrency
        self._jobs: dict[ChatKey, _Job] = {}
        self._slots = asyncio.Semaphore(concurrency)

    @property
    def busy(self) -> int:
        """Chats being worked on in this process now."""
        return len(self._jobs)

    def dispatch(self, entry: Entry) -> None:
        job = self._jobs.get(entry.chat)
        if job is not None:  # its job is running: it goes round once more for this entry
            job.entries.append(entry.id)
            job.again = True
            return
        job = self._jobs[entry.chat] = _Job([entry.id])
        job.task = asyncio.create_task(self._run(entry.chat, job))

    async def _run(self, chat: ChatKey, job: _Job) -> None:
        try:
            async with self._slots:
                while True:
                    job.again = False
                    covered = list(job.entries)
                    if not await self._work(chat):
                        break  # not acknowledged: taken over once idle (by anyone)
                    await self.journal.ack(covered)
                    job.entries = job.entries[len(covered) :]
                    if not job.again:
                        break
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError) as exc:
            log.warning("work entries not acknowledged, redis unavailable (%s)", exc)
        finally:
            del self._jobs[chat]

    async def _work(self, chat: ChatKey) -> bool:
        try:
            return await self.runtime.work(chat)
        except REDIS_AWAY as exc:
            log.warning("a chat's work waits: redis unavailable (%s)", exc)
        except Exception:
            log.exception("a chat's work failed; it is done again later")
        return False

    # --- the loops ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; then finish or hand back what is under way."""
        loops = [
            asyncio.create_task(self._loop(self._read, stop)),
            asyncio.create_task(self._loop(self._reclaim, stop, self.claim_idle / 2)),
            asyncio.create_task(self._loop(self._touch, stop, self.claim_idle / 3)),
        ]
        try:
            await stop.wait()
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await self._stop()

    async def _loop(
        self, once: Callable[[], Awaitable[None]], stop: asyncio.Event, every: float = 0.0
    ) -> None:
        ready = False
        while not stop.is_set():
            try:
                if not ready:
                    await self.journal.ensure_group()
                    ready = True
                await once()
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    log.exception("the work stream could not be read")
                ready = False  # Redis lost the group (a restart without persistence)
                await asyncio.sleep(1)
            except (RedisError, OSError) as exc:
                log.warning("the work stream waits: redis unavailable (%s)", exc)
                await asyncio.sleep(1)
            if every:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), every)

    async def _read(self) -> None:
        room = self.concurrency * 2 - len(self._jobs)
        if room <= 0:  # enough under way: let them finish before taking more
            await asyncio.sleep(0.05)
            return
        entries = await self.journal.read(min(room, 256), block_ms=1000)
        for entry in entries:
            self.dispatch(entry)
        if entries:  # a moment for more to arrive: one read for several, at a few ms of latency
            await asyncio.sleep(READ_PAUSE)

    async def _reclaim(self) -> None:
        taken = await self.journal.reclaim(int(self.claim_idle * 1000))
        if taken:
            metrics.JOURNAL_TAKEN_OVER.inc(len(taken))
            log.info("took over %d work entries left idle by a stopped process", len(taken))
        for entry in taken:
            self.dispatch(entry)
        await self.journal.trim()
        metrics.JOURNAL_WAITING.set(await self.journal.waiting())
        now = time.monotonic()
        if now - getattr(self, "_forgot", 0.0) > 600:
            self._forgot = now
            await self.journal.forget_idle_consumers(int(CONSUMERS_FORGOTTEN_AFTER * 1000))

    async def _touch(self) -> None:
        ids = [i for job in list(self._jobs.values()) for i in job.entries]
        for start in range(0, len(ids), 1000):
            await self.journal.touch(ids[start : start + 1000])

    async def _stop(self) -> None:
        running = [job.task for job in self._jobs.values() if job.task is not None]
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_DRAIN)
        left = [(chat, job) for chat, job in self._jobs.items()]
        for _, job in left:
            if job.task is not None:
                job.task.cancel()
        await asyncio.gather(*(j.task for _, j in left if j.task), return_exceptions=True)
        entries = [Entry(i, chat) for chat, job in left for i in job.entries]
        if entries:
            log.warning("stopping: %d chats' work handed back to the other processes", len(left))
            try:
                await self.journal.hand_back(entries)
            except (RedisError, OSError) as exc:
                log.warning("work not handed back (%s): taken over once idle", exc)

    async def idle(self, timeout: float = 15.0) -> None:
        """Wait until the work stream is empty and nothing is under way here (tests)."""
        deadline = time.monotonic() + timeout
        while self._jobs or await self.journal.waiting():
            if time.monotonic() > deadline:
                raise TimeoutError(f"still busy: {len(self._jobs)} jobs here")
            await asyncio.sleep(0.01)
