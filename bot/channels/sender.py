"""Sending replies: per-chat order, a global and a per-chat rate, retry_after honoured and
transient errors retried. Knows nothing of any platform: a channel passes its send function."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.observe import metrics

log = logging.getLogger("wargabot.outbound")

# Seconds a stopping service keeps trying to send the replies it has queued: under the 10 s
# Docker (and systemd) give a process between SIGTERM and SIGKILL.
SHUTDOWN_DRAIN = 7.0


class RetryLater(Exception):
    """The platform asked us to wait (HTTP 429): `after` seconds."""

    def __init__(self, after: float) -> None:
        super().__init__(f"retry after {after} s")
        self.after = after


class Transient(Exception):
    """A network error or a 5xx: worth trying again shortly."""


@dataclass
class RateLimiter:
    """Spaces sends: at most `per_second` overall and one per `chat_interval` per chat."""

    per_second: float
    chat_interval: float = 0.0

    def __post_init__(self) -> None:
        self._next = 0.0
        self._chat_next: dict[str, float] = {}

    async def wait(self, chat_id: str) -> None:
        # no lock needed: nothing awaits between reading and booking the slot
        now = time.monotonic()
        slot = max(now, self._next, self._chat_next.get(chat_id, 0.0))
        self._next = slot + 1.0 / self.per_second
        if self.chat_interval:
            self._chat_next[chat_id] = slot + self.chat_interval
            if len(self._chat_next) > 10_000:
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        if slot > now:
            await asyncio.sleep(slot - now)


class ReplyQueue:
    """Runs each chat's sends one after another, in order, without blocking the caller."""

    def __init__(
        self,
        channel: str,
        limiter: RateLimiter,
        attempts: int = 5,
        backoff: float = 0.5,
    ) -> None:
        self.channel = channel
        self.limiter = limiter
        self.attempts = attempts
        self.backoff = backoff
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()  # every chat's, not only the last

    def submit(self, chat_id: str, sends: list[Callable[[], Awaitable[object]]]) -> None:
        previous = self._tails.get(chat_id)
        task = asyncio.create_task(self._run(chat_id, previous, sends))
        self._tails[chat_id] = task
        self._running.add(task)
        task.add_done_callback(lambda t: self._forget(chat_id, t))

    def _forget(self, chat_id: str, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._tails.get(chat_id) is task:
            del self._tails[chat_id]

    async def _run(
        self,
        chat_id: str,
        previous: asyncio.Task[None] | None,
        sends: list[Callable[[], Awaitable[object]]],
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        for send in sends:
            await self._send(chat_id, send)

    async def _send(self, chat_id: str, send: Callable[[], Awaitable[object]]) -> None:
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            await self.limiter.wait(chat_id)
            try:
                await send()
                return
            except RetryLater as exc:
                await asyncio.sleep(exc.after)
            except Transient as exc:
                log.warning("send failed (attempt %d): %s", attempt, exc)
                await asyncio.sleep(delay)
                delay *= 2
            except Exception:
                log.exception("send failed for good on %s", self.channel)
                break
        metrics.child(metrics.SEND_ERRORS, self.channel).inc()

    async def flush(self, chat_id: str) -> None:
        """Wait until the sends queued so far for this chat have been attempted."""
        tail = self._tails.get(chat_id)
        if tail is not None:
            await asyncio.wait([tail])

    async def drain(self, timeout: float | None = None) -> int:
        """Wait until every queued send has been attempted (tests, shutdown). With a timeout,
        what is still waiting then is given up (logged and counted): a platform that does not
        answer must not hold a restart for minutes. Returns how many were given up."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._running:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return await self._give_up()
            await asyncio.wait(list(self._running), timeout=left)
        return 0

    async def _give_up(self) -> int:
        pending = list(self._running)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        log.warning("stopping: %d batch(es) of replies on %s not sent", len(pending), self.channel)
        metrics.child(metrics.SEND_ERRORS, self.channel).inc(len(pending))
        return len(pending)
