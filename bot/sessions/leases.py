"""Short locks kept alive: a chat's lock while its turn runs (a slow photo download too), and its
send lease while its replies go out. Each expires after `ttl` unless renewed; this process
renews all of its own every ttl/3 in one batch, so a process that dies lets its chats go within
`ttl`, and one that lives keeps them however long a turn takes.

A key found gone at a renewal was either let go by its owner (the script that ended the work
deleted it; the owner drops the lease only once that await returns, and a renewal answered
meanwhile comes first) or expired, which takes `ttl` without a renewal: only the latter is
reported lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from bot.sessions import scripts
from bot.sessions.keys import ms
from bot.sessions.pipeline import AutoPipeline

log = logging.getLogger("wargabot.sessions")

LOCK_SECONDS = 5.0  # a dead process's chat lock or send lease frees within this
# A key gone within this share of `ttl` of its last renewal (or of being taken) cannot have
# expired: its owner let it go. The margin covers the moment between taking it and `hold`.
RELEASED_WITHIN = 0.8


@dataclass(eq=False)
class Lease:
    key: str
    token: bytes
    lost: bool = field(default=False)  # it expired (and someone else may have it now)
    # when its expiry was last pushed back (time.monotonic(): taken, or a renewal sent)
    renewed: float = field(default_factory=time.monotonic)


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
        sent = time.monotonic()
        results = await asyncio.gather(
            *(self._renew([lease.key], [lease.token, self.ms]) for lease in held),
            return_exceptions=True,
        )
        answered = time.monotonic()
        for lease, ok in zip(held, results, strict=True):
            if lease not in self._held:  # its owner dropped it meanwhile
                continue
            if ok == 1:
                lease.renewed = sent
            elif ok == 0:
                self._held.discard(lease)
                if answered - lease.renewed < self.ttl * RELEASED_WITHIN:
                    continue  # let go by its owner, whose drop is on its way
                lease.lost = True
                log.warning("a chat lock or send lease expired while held (> %g s)", self.ttl)

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
