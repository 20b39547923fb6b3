"""Sending one reply: a global and a per-chat rate, retry_after honoured, transient errors retried
a few times, and what the platform's answer means for the reply queue. Knows nothing of any
platform (a channel passes its deliver call) and nothing of where replies wait (Redis)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bot.observe import metrics

log = logging.getLogger("wargabot.outbound")

# Seconds a stopping service keeps sending the reply in hand: under the 10 s Docker (and
# systemd) give a process between SIGTERM and SIGKILL. Replies not sent by then stay queued in
# Redis for another process (or this one, restarted).
SHUTDOWN_DRAIN = 7.0


class RetryLater(Exception):
    """The platform asked us to wait (HTTP 429): `after` seconds."""

    def __init__(self, after: float) -> None:
        super().__init__(f"retry after {after} s")
        self.after = after


class Transient(Exception):
    """A network error or a 5xx: worth trying again shortly."""


class Hold(Exception):
    """The platform may not take this message now (WhatsApp outside the 24-hour window, say): it
    stays first in its chat's queue, and the chat's later replies behind it, until the chat is
    kicked again (the citizen writes, or the sender of the message kicks it)."""


class Skip(Exception):
    """Nothing to send, rightly: a template's stand-in inside the window (the text goes as it
    is), or a reminder that can no longer go now. Taken off the queue, not an error."""


class Blocked(Exception):
    """The citizen blocked the bot (Telegram's 403): nothing more can reach this chat until the
    citizen writes again. Taken off the queue; the chat is marked."""


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


# sent: done. held: keep it first and stop (Hold). later: still failing after the retries, keep
# it and try again later. failed: the platform refused it for good (logged, counted, dropped).
# skipped: nothing to send, rightly (Skip). blocked: the citizen blocked the bot (dropped).
Outcome = Literal["sent", "held", "later", "failed", "skipped", "blocked"]


async def send_one(
    channel: str,
    chat_id: str,
    deliver: Callable[[], Awaitable[object]],
    limiter: RateLimiter,
    attempts: int = 5,
    backoff: float = 0.5,
) -> Outcome:
    """One reply, within the rates, retried on RetryLater and Transient up to `attempts`."""
    delay = backoff
    for attempt in range(1, attempts + 1):
        await limiter.wait(chat_id)
        try:
            await deliver()
            return "sent"
        except Hold:
            return "held"
        except Skip:
            return "skipped"
        except Blocked:
            log.info("a chat on %s blocked the bot: nothing more is sent to it", channel)
            return "blocked"
        except RetryLater as exc:
            await asyncio.sleep(exc.after)
        except Transient as exc:
            log.warning("send failed on %s (attempt %d): %s", channel, attempt, exc)
            await asyncio.sleep(delay)
            delay *= 2
        except Exception:
            log.exception("a reply on %s was refused for good and is dropped", channel)
            metrics.child(metrics.SEND_ERRORS, channel).inc()
            return "failed"
    metrics.child(metrics.SEND_ERRORS, channel).inc()
    return "later"
