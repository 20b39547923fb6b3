"""The work stream: one entry per "this chat has something to do" (a message joined its inbox, a
reply was queued), read by every web process through one consumer group. An entry is
acknowledged (and deleted) only once its chat's work is done; a process keeps the entries it is
working on fresh, so XAUTOCLAIM takes over only those of a process that died or lost Redis.

The messages themselves wait in each chat's inbox (bot/sessions/store.py), in order: whoever
holds the chat's lock works through all of them, so order per chat holds across processes."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from redis.exceptions import ResponseError

from bot.channels.base import ChatKey
from bot.sessions.pipeline import AutoPipeline

log = logging.getLogger("wargabot.journal")

WORK = "wb:{journal}:work"
GROUP = "turns"


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class Entry:
    id: str
    chat: ChatKey


def _entries(raw: Iterable[Any]) -> list[Entry]:
    found = []
    for entry_id, fields in raw:
        if not fields:  # deleted meanwhile (XAUTOCLAIM reports those without fields)
            continue
        if isinstance(fields, list):  # a raw reply: [field, value, field, value]
            fields = dict(zip(fields[::2], fields[1::2], strict=True))
        try:
            found.append(Entry(_s(entry_id), ChatKey(_s(fields[b"c"]), _s(fields[b"k"]))))
        except (KeyError, ValueError):
            log.warning("a work entry without a chat was skipped")
    return found


class Journal:
    def __init__(self, redis: redis.asyncio.Redis, pipe: AutoPipeline, consumer: str) -> None:
        self.redis, self.pipe, self.consumer = redis, pipe, consumer

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(WORK, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def kick(self, chat: ChatKey) -> None:
        """Say that a chat has work (its replies or messages are waiting)."""
        await self.pipe.call("XADD", WORK, "*", "c", chat.channel, "k", chat.chat_id)

    async def read(self, count: int, block_ms: int) -> list[Entry]:
        """New entries for this process; waits up to `block_ms` when there are none."""
        answer: Any = await self.redis.xreadgroup(
            GROUP, self.consumer, {WORK: ">"}, count=count, block=block_ms
        )
        return [e for _, entries in answer or [] for e in _entries(entries)]

    async def reclaim(self, min_idle_ms: int, count: int = 100) -> list[Entry]:
        """Entries nobody has touched for `min_idle_ms`: their process died (or lost Redis)."""
        found: list[Entry] = []
        start = "0-0"
        while len(found) < count:
            answer: Any = await self.pipe.call(
                "XAUTOCLAIM", WORK, GROUP, self.consumer, min_idle_ms, start, "COUNT", count
            )
            start = _s(answer[0])
            found += _entries(answer[1])
            if start == "0-0":
                break
        return found

    async def touch(self, ids: list[str]) -> None:
        """Reset the idle time of entries this process is still working on."""
        if ids:
            await self.pipe.call("XCLAIM", WORK, GROUP, self.consumer, 0, *ids, "JUSTID")

    async def ack(self, ids: Iterable[str]) -> None:
        """Done: acknowledged (sent with every other call of this moment; `trim` deletes
        acknowledged entries from the stream later, many at once)."""
        ids = list(ids)
        if ids:
            await self.pipe.call("XACK", WORK, GROUP, *ids)

    async def hand_back(self, entries: Iterable[Entry]) -> None:
        """A stopping process's unfinished work, signalled afresh for the others at once."""
        entries = list(entries)
        for entry in entries:
            await self.kick(entry.chat)
        if entries:
            await self.ack(e.id for e in entries)

    async def _group(self) -> dict[str, Any]:
        for group in await self.redis.xinfo_groups(WORK):
            if _s(group["name"]) == GROUP:
                return dict(group)
        raise ResponseError("NOGROUP the work stream has no consumer group")

    async def waiting(self) -> int:
        """Entries not yet done: new, being worked on, or left by a dead process."""
        try:
            group = await self._group()
        except ResponseError as exc:
            if "no such key" in str(exc) or "NOGROUP" in str(exc):
                return int(await self.redis.xlen(WORK))  # nobody has read it yet
            raise
        lag = group.get("lag")
        if lag is None:  # Redis could not count it: at least say whether any is new
            last = (await self.redis.xinfo_stream(WORK))["last-generated-id"]
            lag = int(_s(last) != _s(group["last-delivered-id"]))
        return int(group["pending"]) + int(lag)

    async def trim(self) -> int:
        """Delete the entries every process is done with: those before the oldest one still
        pending, and before the first one not yet read."""
        group = await self._group()
        delivered = _s(group["last-delivered-id"])
        ms, _, seq = delivered.partition("-")
        keep = f"{ms}-{int(seq or 0) + 1}"
        if int(group["pending"]):
            oldest = _s((await self.redis.xpending(WORK, GROUP))["min"])
            keep = min(keep, oldest, key=lambda i: tuple(map(int, i.split("-"))))
        return int(await self.redis.xtrim(WORK, minid=keep, approximate=False))

    async def forget_idle_consumers(self, idle_ms: int) -> int:
        """Consumers with nothing pending that have not read for `idle_ms`: stopped processes."""
        gone = 0
        for consumer in await self.redis.xinfo_consumers(WORK, GROUP):
            name = _s(consumer["name"])
            if consumer["pending"] == 0 and consumer["idle"] > idle_ms and name != self.consumer:
                await self.redis.xgroup_delconsumer(WORK, GROUP, name)
                gone += 1
        return gone
