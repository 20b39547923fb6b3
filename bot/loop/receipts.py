"""What became of each message to a citizen that answers for an office notice (`notice:ID`),
back to the desk: the sending side (any web process) appends a receipt to a Redis stream
(`wb:{loop}:receipts`); the worker marks the notices in the database from it and acknowledges.
A receipt may come twice (a resend after a crash): marking is idempotent and never takes back
"sent". A chat that blocked the bot is remembered here too, until the citizen writes again."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import ChatKey, Outgoing
from bot.channels.sender import Outcome
from bot.desk import notices
from bot.loop.dispatch import BLOCKED, notice_id
from bot.observe import metrics
from bot.sessions import redis_key

RECEIPTS = "wb:{loop}:receipts"
GROUP = "desk"
KEEP = 100_000  # receipts kept in the stream at most (acknowledged ones are trimmed)
BLOCKED_KEPT = timedelta(days=180)

# The notice state each sending outcome stands for (None: nothing to report).
STATES: dict[str, tuple[str, str | None] | None] = {
    "sent": (notices.SENT, None),
    "held": (notices.WAITING, "24-hour window"),
    "failed": (notices.FAILED, "refused by the platform"),
    "blocked": (notices.FAILED, BLOCKED),
    "skipped": (notices.SKIPPED, "outside the 24-hour window"),
    "later": None,
}


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class Receipt:
    id: str
    ref: str
    state: str
    detail: str
    at: float


class Receipts:
    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis, self.clock = redis, clock

    # --- the sending side -------------------------------------------------------------------

    async def observe(self, chat: ChatKey, message: Outgoing, outcome: Outcome) -> None:
        """Called by the sender after each attempt at a reply."""
        if outcome == "blocked":
            await self.redis.set(
                redis_key(chat, "blocked"),
                repr(self.clock()),
                px=int(BLOCKED_KEPT.total_seconds() * 1000),
            )
        if not message.ref:
            return
        if outcome == "skipped" and message.told is not None and message.told.standin:
            return  # a template not needed: the text itself reports
        state = STATES.get(outcome)
        if state is not None:
            await self.record(message.ref, state[0], state[1] or "")

    async def record(self, ref: str, state: str, detail: str = "") -> None:
        fields = {"ref": ref, "state": state, "detail": detail, "at": repr(self.clock())}
        await self.redis.xadd(RECEIPTS, fields, maxlen=KEEP, approximate=True)  # type: ignore[arg-type]

    async def blocked(self, chat: ChatKey) -> bool:
        """The chat blocked the bot and has not written since."""
        raw = await self.redis.mget(redis_key(chat, "blocked"), redis_key(chat, "inbound_at"))
        if raw[0] is None:
            return False
        wrote = datetime.fromisoformat(_s(raw[1])) if raw[1] is not None else None
        return wrote is None or wrote.timestamp() < float(_s(raw[0]))

    # --- the desk's side (the worker) -------------------------------------------------------

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(RECEIPTS, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(
        self, consumer: str, count: int = 100, block_ms: int | None = 1000
    ) -> list[Receipt]:
        """New receipts, and those a worker that died took and never acknowledged."""
        claimed: Any = await self.redis.xautoclaim(RECEIPTS, GROUP, consumer, 60_000, count=count)
        raw = list(claimed[1])
        if not raw:
            answer: Any = await self.redis.xreadgroup(
                GROUP, consumer, {RECEIPTS: ">"}, count=count, block=block_ms
            )
            raw = [e for _, entries in answer or [] for e in entries]
        out = []
        for entry_id, f in raw:
            if not f:
                continue
            fields = {_s(k): _s(v) for k, v in f.items()}
            out.append(
                Receipt(_s(entry_id), fields["ref"], fields["state"], fields.get("detail", ""),
                        float(fields.get("at", "0")))
            )  # fmt: skip
        return out

    async def ack(self, ids: list[str]) -> None:
        if ids:
            await self.redis.xack(RECEIPTS, GROUP, *ids)
            await self.redis.xdel(RECEIPTS, *ids)


async def apply(sessions: async_sessionmaker[AsyncSession], receipts: list[Receipt]) -> int:
    """Mark the notices the receipts name; returns how many changed."""
    changed = 0
    async with sessions() as session:
        for r in receipts:
            nid = notice_id(r.ref)
            if nid is None:
                continue
            at = datetime.fromtimestamp(r.at or time.time(), UTC)
            if await notices.mark(session, nid, r.state, at, r.detail or None):
                changed += 1
                metrics.child(metrics.NOTICES, r.state).inc()
        await session.commit()
    return changed
