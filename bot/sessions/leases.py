"""Short locks kept alive: a chat's lock while its turn runs (a slow photo download too), and its
send lease while its replies go out. Each expires after `ttl` unless renewed; this process
renews all of its own every ttl/3 in one batch, so a process that dies lets its chats go within
`ttl`, and one that lives keeps them however long a turn takes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from bot.sessions import scripts
from bot.sessions.keys import ms
from bot.sessions.pipeline import AutoPipeline

log = logging.getLogger("wargabot.sessions")

LOCK_SECONDS = 5.0  # a dead process's chat lock or send lease frees within this


@dataclass(eq=False)
class Lease:
    key: str
    token: bytes
    lost: bool = field(default=False)  # found taken by someone else (it had expired)


class Leases:
    def __init__(self, pipe: AutoPipeline, ttl: float = LOCK_SECONDS) -> None:
        self.pipe, self.ttl = pipe, ttl
        self._renew = pipe.script(scripts.RENEW)
        self._release = pipe.script(scripts.RELEASE)
        self._held: set[Lease] = set()

    @property
    def ms(self) -> int:
        return ms(self.ttl)

    def hold(self, key: str, token: bytes) -> Lease:
        """Keep renewing a lock this process has just taken."""
        lease = Lease(key, token)
        self._held.add(lease)
        return lease

    def drop(self, lease: Lease) -> None:
        """Stop renewing it (the script that ended the work let it go, or it will expire)."""
        self._held.discard(lease)

    async def release(self, lease: Lease) -> None:
        """Let it go now, if it is still ours; best effort (it expires anyway)."""
        self.drop(lease)
        with contextlib.suppress(RedisError, OSError):
            await self._release([lease.key], [lease.token])

    async def renew(self) -> None:
        held = list(self._held)
        results = await asyncio.gather(
            *(self._renew([lease.key], [lease.token, self.ms]) for lease in held),
            return_exceptions=True,
        )
        for lease, ok in zip(held, results, strict=True):
            if ok == 0 and lease in self._held:
                lease.lost = True
                self._held.discard(lease)
                log.warning("a chat lock or send lease expired while held (> %.0f s)", self.ttl)

    async def run(self, stop: asyncio.Event) -> None:
        """Renew every ttl/3 until `stop`; Redis being away is waited out."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.ttl / 3)
            if self._held:
                try:
                    await self.renew()
                except (RedisError, OSError) as exc:
                    log.warning("chat locks not renewed: redis unavailable (%s)", exc)
