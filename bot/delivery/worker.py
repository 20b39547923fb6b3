"""The delivery worker: takes dossiers from the outbox, hands each to every sink, acknowledges
only when all have accepted, retries with exponential backoff for hours, then buries it in the
dead-letter stream and alerts the operator. The citizen hears back once the office has it.
A document sent again (a revision) goes the same way to the sinks that take revisions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from redis.exceptions import RedisError

from bot.delivery.queue import DossierOutbox, Entry, Item
from bot.engine.model import Dossier, Revision
from bot.observe import metrics

log = logging.getLogger("wargabot.worker")


class Progress(Protocol):
    """Parts of one delivery already done, for a sink that sends in several parts."""

    def done(self, part: str) -> bool: ...

    async def mark(self, part: str) -> None: ...


class Sink(Protocol):
    name: str

    async def deliver(self, dossier: Dossier, progress: Progress) -> None: ...


class RevisionSink(Sink, Protocol):
    """A sink that also takes a document sent again for a case (the case store, the staff chat)."""

    async def deliver_revision(self, revision: Revision, progress: Progress) -> None: ...


def takes_revisions(sink: Sink) -> bool:
    return callable(getattr(sink, "deliver_revision", None))


# What the citizen is told: "received" when every sink has it, "delayed" when given up on.
Notify = Callable[[Dossier, str], Awaitable[None]]


@dataclass
class Policy:
    retry_base: float = 10.0  # seconds before the first retry; doubles each time
    retry_max: float = 1800.0  # never wait longer than this between attempts
    give_up_after: float = 48 * 3600.0  # then the dossier goes to the dead-letter stream
    claim_idle: float = 60.0  # an entry untouched this long belonged to a dead worker
    concurrency: int = 4
    sink_timeout: float = 120.0

    def backoff(self, attempts: int) -> float:
        delay = min(self.retry_base * 2 ** max(attempts - 1, 0), self.retry_max)
        return float(delay) * random.uniform(0.9, 1.1)


class _ItemProgress:
    def __init__(self, outbox: DossierOutbox, item: Item, sink: str) -> None:
        self.outbox, self.item, self.sink = outbox, item, sink
        self.marked: set[str] = set()

    def done(self, part: str) -> bool:
        key = f"part:{self.sink}:{part}"
        return key in self.item.fields or key in self.marked

    async def mark(self, part: str) -> None:
        key = f"part:{self.sink}:{part}"
        await self.outbox.mark(self.item.ref, key)
        self.marked.add(key)


class Worker:
    def __init__(
        self,
        outbox: DossierOutbox,
        sinks: Sequence[Sink],
        name: str,
        policy: Policy | None = None,
        notify: Notify | None = None,
    ) -> None:
        if not sinks:
            raise ValueError("the worker needs at least one sink")
        self.outbox, self.sinks, self.name = outbox, list(sinks), name
        self.policy = policy or Policy()
        self.notify = notify
        self._slots = asyncio.Semaphore(self.policy.concurrency)
        self._last_reclaim = float("-inf")

    @property
    def _lease_ms(self) -> int:
        return int(self.policy.claim_idle * 1000)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; Redis being away is waited out, never fatal."""
        log.info("outbox worker %s started: sinks %s", self.name, [s.name for s in self.sinks])
        ready = False
        while not stop.is_set():
            try:
                if not ready:
                    await self.outbox.ensure_group()
                    ready = True
                await self.tick(block_ms=1000)
            except (RedisError, OSError) as exc:
                log.warning("outbox worker: redis unavailable (%s); retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2)
        log.info("outbox worker %s stopped", self.name)

    async def tick(self, block_ms: int | None = None) -> int:
        """One round: due retries back in, dead workers' entries reclaimed, new ones read;
        returns how many entries were handled."""
        await self.outbox.move_due()
        entries: list[Entry] = []
        now = self.outbox.clock()
        if now - self._last_reclaim >= self.policy.claim_idle / 2:
            self._last_reclaim = now
            entries += await self.outbox.reclaim(self.name, self._lease_ms, 100)
        entries += await self.outbox.read(
            self.name, self.policy.concurrency * 4, None if entries else block_ms
        )
        by_ref: dict[str, list[Entry]] = {}
        for entry in entries:  # a dossier's entries one after another, never side by side
            by_ref.setdefault(entry.ref, []).append(entry)
        if by_ref:
            await asyncio.gather(*(self._in_turn(group) for group in by_ref.values()))
        await self.observe()
        return len(entries)

    async def observe(self) -> None:
        status = await self.outbox.status()
        metrics.OUTBOX_DEPTH.set(status["undelivered"])
        metrics.OUTBOX_OLDEST.set(status["oldest_age_seconds"])
        metrics.OUTBOX_DEAD.set(status["dead"])

    async def _in_turn(self, entries: list[Entry]) -> None:
        for entry in entries:
            await self._guarded(entry)

    async def _guarded(self, entry: Entry) -> None:
        async with self._slots:
            try:
                await self.process(entry)
            except (RedisError, OSError):
                raise
            except Exception:
                log.exception("outbox entry %s could not be processed", entry.ref)

    async def process(self, entry: Entry) -> None:
        """One attempt at one dossier. Another worker delivering it right now keeps its lease:
        the entry then stays pending and is reclaimed later."""
        if not await self.outbox.take_lease(entry.ref, self.name, self._lease_ms):
            return
        heartbeat = asyncio.create_task(self._heartbeat(entry.ref))
        try:
            await self._attempt(entry)
        finally:
            heartbeat.cancel()
            await self.outbox.release_lease(entry.ref, self.name)

    async def _heartbeat(self, ref: str) -> None:
        while True:
            await asyncio.sleep(self.policy.claim_idle / 3)
            await self.outbox.renew_lease(ref, self.name, self._lease_ms)

    async def _attempt(self, entry: Entry) -> None:
        item = await self.outbox.item(entry.ref)
        dossier, revision = item.dossier, item.revision
        done = "delivered" in item.fields or "dead" in item.fields
        if done or (dossier is None and revision is None):
            await self.outbox.drop(entry)  # a duplicate entry, or nothing left to deliver
            return
        errors: dict[str, str] = {}
        sinks = self.sinks if dossier is not None else list(filter(takes_revisions, self.sinks))

        async def one(sink: Sink) -> None:
            progress = _ItemProgress(self.outbox, item, sink.name)
            if dossier is not None:
                work = sink.deliver(dossier, progress)
            else:
                assert revision is not None
                work = cast(RevisionSink, sink).deliver_revision(revision, progress)
            try:
                await asyncio.wait_for(work, self.policy.sink_timeout)
            except Exception as exc:  # a sink's failure is retried, whatever it is
                errors[sink.name] = f"{type(exc).__name__}: {exc}" if str(exc) else repr(exc)
                metrics.child(metrics.DELIVERY_FAILURES, sink.name).inc()
                return
            await self.outbox.mark(entry.ref, f"done:{sink.name}")
            metrics.child(metrics.DELIVERED, sink.name).inc()

        await asyncio.gather(*(one(s) for s in sinks if not item.done(s.name)))
        if not errors:
            if dossier is not None and "notified" not in item.fields:
                await self._tell(dossier, "received")
                await self.outbox.mark(entry.ref, "notified")
            await self.outbox.complete(entry)
            log.info("dossier %s delivered", entry.ref, extra={"dossier": entry.ref})
            return
        attempts = item.attempts + 1
        error = "; ".join(f"{name}: {text}" for name, text in sorted(errors.items()))
        age = self.outbox.clock() - item.created
        if age >= self.policy.give_up_after:
            await self.outbox.bury(entry, attempts, error)
            metrics.DEAD_LETTERS.inc()
            log.error(
                "dossier %s NOT delivered after %d attempts over %.1f h; moved to the dead-letter "
                "stream (see `wargabot outbox list`, then `wargabot outbox retry %s`): %s",
                entry.ref,
                attempts,
                age / 3600,
                entry.ref,
                error,
                extra={"dossier": entry.ref},
            )
            if dossier is not None:
                await self._tell(dossier, "delayed")
            return
        delay = self.policy.backoff(attempts)
        await self.outbox.reschedule(entry, attempts, error, self.outbox.clock() + delay)
        log.warning(
            "dossier %s: delivery attempt %d failed (%s); next in %.0f s",
            entry.ref,
            attempts,
            error,
            delay,
            extra={"dossier": entry.ref},
        )

    async def _tell(self, dossier: Dossier, what: str) -> None:
        if self.notify is None:
            return
        try:
            await self.notify(dossier, what)
        except Exception:
            log.exception("the citizen could not be told about dossier %s", dossier.reference)
