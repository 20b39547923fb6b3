"""The durable outbox in Redis: what has been submitted and not yet delivered, and nothing else:
dossiers (by reference) and documents sent again for a case (revisions, by their key).

- `ready`  a stream with one entry per delivery attempt due now, read by a consumer group;
           an entry is acknowledged only when its attempt has ended (delivered, rescheduled or
           buried), so a worker that dies leaves it pending for another to reclaim (XAUTOCLAIM);
- `item:REF` a hash: the dossier, when it was submitted, attempts, last error, and one
           `done:SINK` field per sink that has accepted it (so a retry never repeats a sink);
- `retry`  a sorted set of references waiting for their next attempt (score: due time);
- `open`   a sorted set of every undelivered reference (score: submission time);
- `dead`   a stream of deliveries given up on, for the operator (`wargabot outbox retry`);
- `lease:REF` which worker is delivering a dossier now, so two never deliver it at once.

Every key carries the hash tag {outbox}, so multi-key transactions work on Redis Cluster."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.engine.model import Dossier, Revision

PREFIX = "wb:{outbox}:"
READY = PREFIX + "ready"
DEAD = PREFIX + "dead"
RETRY = PREFIX + "retry"
OPEN = PREFIX + "open"
GROUP = "delivery"
KEEP_DELIVERED = 30 * 24 * 3600  # seconds the done markers outlive a delivery (late duplicates)


def item_key(ref: str) -> str:
    return f"{PREFIX}item:{ref}"


def lease_key(ref: str) -> str:
    return f"{PREFIX}lease:{ref}"


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class Entry:
    id: str
    ref: str


@dataclass(frozen=True)
class Item:
    ref: str
    fields: dict[str, str]

    @property
    def dossier(self) -> Dossier | None:
        raw = self.fields.get("dossier")
        return Dossier.from_json(raw) if raw else None

    @property
    def revision(self) -> Revision | None:
        raw = self.fields.get("revision")
        return Revision.from_json(raw) if raw else None

    @property
    def attempts(self) -> int:
        return int(self.fields.get("attempts", "0"))

    @property
    def created(self) -> float:
        return float(self.fields.get("created", "0"))

    def done(self, sink: str) -> bool:
        return f"done:{sink}" in self.fields

    def sinks_done(self) -> list[str]:
        return sorted(k.removeprefix("done:") for k in self.fields if k.startswith("done:"))


# KEYS: item, open, ready.  ARGV: dossier, now, reference.  0 when the item exists already.
_SUBMIT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'dossier', ARGV[1], 'created', ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[3])
redis.call('XADD', KEYS[3], '*', 'ref', ARGV[3])
return 1
"""


class DossierOutbox:
    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis, self.clock = redis, clock
        self._submit = redis.register_script(_SUBMIT)

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(READY, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # --- the producer side ----------------------------------------------------------------------

    async def submit(self, dossier: Dossier) -> bool:
        """Durably queue a dossier for delivery; False when its reference was queued before (a
        turn done again after a crash): nothing is added, whatever became of the first."""
        ref, now = dossier.reference, self.clock()
        keys = [item_key(ref), OPEN, READY]
        return bool(await self._submit(keys=keys, args=[dossier.to_json(), repr(now), ref]))

    async def submit_revision(self, revision: Revision) -> None:
        """Durably queue a document sent again, under its key (a repeat changes nothing)."""
        ref, now = revision.key, self.clock()
        if await self.redis.exists(item_key(ref)):
            return  # a turn done again after a crash: queued (or delivered) before
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(item_key(ref), mapping={"revision": revision.to_json(), "created": repr(now)})
        pipe.zadd(OPEN, {ref: now}, nx=True)
        pipe.xadd(READY, {"ref": ref})
        await pipe.execute()

    # --- the consumer side ----------------------------------------------------------------------

    async def read(self, consumer: str, count: int, block_ms: int | None) -> list[Entry]:
        """New entries for this consumer; waits up to `block_ms` when there are none."""
        answer: Any = await self.redis.xreadgroup(
            GROUP, consumer, {READY: ">"}, count=count, block=block_ms
        )
        return [Entry(_s(i), _s(f[b"ref"])) for _, entries in answer or [] for i, f in entries]

    async def reclaim(self, consumer: str, min_idle_ms: int, count: int) -> list[Entry]:
        """Entries some worker took and has not finished for `min_idle_ms`: it likely died."""
        found: list[Entry] = []
        start = "0-0"
        while len(found) < count:
            answer: Any = await self.redis.xautoclaim(
                READY, GROUP, consumer, min_idle_ms, start_id=start, count=count
            )
            start, claimed = _s(answer[0]), answer[1]
            found += [Entry(_s(i), _s(f[b"ref"])) for i, f in claimed if f]
            if start == "0-0":
                break
        return found

    async def take_lease(self, ref: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self.redis.set(lease_key(ref), owner, nx=True, px=ttl_ms))

    async def renew_lease(self, ref: str, owner: str, ttl_ms: int) -> None:
        if _s(await self.redis.get(lease_key(ref)) or b"") == owner:
            await self.redis.pexpire(lease_key(ref), ttl_ms)

    async def release_lease(self, ref: str, owner: str) -> None:
        if _s(await self.redis.get(lease_key(ref)) or b"") == owner:
            await self.redis.delete(lease_key(ref))

    async def item(self, ref: str) -> Item:
        raw = await self.redis.hgetall(item_key(ref))
        return Item(ref, {_s(k): _s(v) for k, v in raw.items()})

    async def mark(self, ref: str, field: str) -> None:
        """Record that one part of the delivery is done (`done:SINK`, `notified`, ...)."""
        await self.redis.hset(item_key(ref), field, repr(self.clock()))

    async def complete(self, entry: Entry) -> None:
        """Every sink has it: forget the entry and the personal data, keep the done markers."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(READY, GROUP, entry.id)
        pipe.xdel(READY, entry.id)
        pipe.zrem(OPEN, entry.ref)
        pipe.zrem(RETRY, entry.ref)
        pipe.hdel(item_key(entry.ref), "dossier", "revision", "next_at")
        pipe.hset(item_key(entry.ref), "delivered", repr(self.clock()))
        pipe.expire(item_key(entry.ref), KEEP_DELIVERED)
        await pipe.execute()

    async def drop(self, entry: Entry) -> None:
        """An entry with nothing left to do (a duplicate, or a dossier already delivered)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(READY, GROUP, entry.id)
        pipe.xdel(READY, entry.id)
        await pipe.execute()

    async def reschedule(self, entry: Entry, attempts: int, error: str, due: float) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            item_key(entry.ref),
            mapping={"attempts": attempts, "error": error[:500], "next_at": repr(due)},
        )
        pipe.zadd(RETRY, {entry.ref: due})
        pipe.xack(READY, GROUP, entry.id)
        pipe.xdel(READY, entry.id)
        await pipe.execute()

    async def bury(self, entry: Entry, attempts: int, error: str) -> None:
        """Give up retrying: the dossier stays in Redis, listed in the dead-letter stream."""
        now = self.clock()
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            item_key(entry.ref),
            mapping={"attempts": attempts, "error": error[:500], "dead": repr(now)},
        )
        pipe.hdel(item_key(entry.ref), "next_at")
        pipe.xadd(DEAD, {"ref": entry.ref, "error": error[:500], "attempts": attempts})
        pipe.zrem(OPEN, entry.ref)
        pipe.xack(READY, GROUP, entry.id)
        pipe.xdel(READY, entry.id)
        await pipe.execute()

    async def move_due(self, limit: int = 100) -> int:
        """Retries whose time has come go back into the ready stream."""
        due = await self.redis.zrangebyscore(RETRY, "-inf", self.clock(), start=0, num=limit)
        for raw in due:
            ref = _s(raw)
            pipe = self.redis.pipeline(transaction=True)
            pipe.zrem(RETRY, ref)
            pipe.xadd(READY, {"ref": ref})
            await pipe.execute()
        return len(due)

    # --- the operator's side --------------------------------------------------------------------

    async def requeue(self, key: str) -> str | None:
        """`wargabot outbox retry`: a dead letter (by reference or dead-letter entry id), or an
        entry waiting for its next attempt, is tried again now with a fresh retry window."""
        dead: Any = await self.redis.xrange(DEAD)
        ref = next((_s(f[b"ref"]) for i, f in dead if key in (_s(i), _s(f[b"ref"]))), None)
        if ref is None and await self.redis.zscore(RETRY, key) is not None:
            ref = key
        if ref is None:
            return None
        dead_ids = [_s(i) for i, f in dead if _s(f[b"ref"]) == ref]
        if not await self.redis.hexists(item_key(ref), "dossier") and not await self.redis.hexists(
            item_key(ref), "revision"
        ):
            return None
        now = self.clock()
        pipe = self.redis.pipeline(transaction=True)
        if dead_ids:
            pipe.xdel(DEAD, *dead_ids)
        pipe.hdel(item_key(ref), "dead", "next_at")
        pipe.hset(item_key(ref), mapping={"attempts": 0, "created": repr(now)})
        pipe.zrem(RETRY, ref)
        pipe.zadd(OPEN, {ref: now})
        pipe.xadd(READY, {"ref": ref})
        await pipe.execute()
        return ref

    async def status(self) -> dict[str, Any]:
        pipe = self.redis.pipeline(transaction=False)
        pipe.zcard(OPEN)
        pipe.zrange(OPEN, 0, 0, withscores=True)
        pipe.xlen(READY)
        pipe.zcard(RETRY)
        pipe.xlen(DEAD)
        open_, oldest, ready, retry, dead = await pipe.execute()
        in_progress = 0
        try:
            summary = await self.redis.xpending(READY, GROUP)
            in_progress = int(summary["pending"])
        except ResponseError:
            pass  # no group yet: nothing has been read
        age = self.clock() - float(oldest[0][1]) if oldest else 0.0
        return {
            "undelivered": int(open_),
            "ready": int(ready) - in_progress,
            "in_progress": in_progress,
            "waiting_retry": int(retry),
            "dead": int(dead),
            "oldest_age_seconds": max(age, 0.0),
        }

    async def undelivered(self, limit: int = 100) -> list[Item]:
        refs = await self.redis.zrange(OPEN, 0, limit - 1)
        return [await self.item(_s(r)) for r in refs]

    async def dead_letters(self, limit: int = 100) -> list[tuple[str, Item]]:
        entries: Any = await self.redis.xrevrange(DEAD, count=limit)
        return [(_s(i), await self.item(_s(f[b"ref"]))) for i, f in entries]
