"""Outbound sending: per-chat order, the global and per-chat rates, retries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from itertools import pairwise

from bot.channels.sender import RateLimiter, ReplyQueue, Transient
from bot.observe import metrics


def _recorder(
    log: list[tuple[str, float]], name: str, delay: float = 0.0
) -> Callable[[], Awaitable[None]]:
    async def send() -> None:
        await asyncio.sleep(delay)
        log.append((name, time.monotonic()))

    return send


async def test_one_chat_is_spaced_by_its_interval() -> None:
    log: list[tuple[str, float]] = []
    queue = ReplyQueue("test", RateLimiter(per_second=1000, chat_interval=0.1))
    queue.submit("c1", [_recorder(log, f"m{i}") for i in range(3)])
    await queue.drain()
    times = [t for _, t in log]
    assert [n for n, _ in log] == ["m0", "m1", "m2"]
    assert all(b - a >= 0.095 for a, b in pairwise(times))


async def test_the_global_rate_spaces_all_chats() -> None:
    log: list[tuple[str, float]] = []
    queue = ReplyQueue("test", RateLimiter(per_second=20))
    for i in range(5):
        queue.submit(f"chat{i}", [_recorder(log, f"c{i}")])
    await queue.drain()
    assert log[-1][1] - log[0][1] >= 4 / 20 - 0.01  # five sends at 20/s take 0.2 s


async def test_a_later_reply_never_overtakes_an_earlier_one() -> None:
    log: list[tuple[str, float]] = []
    queue = ReplyQueue("test", RateLimiter(per_second=1000))
    queue.submit("c1", [_recorder(log, "first", delay=0.1)])
    queue.submit("c1", [_recorder(log, "second")])
    queue.submit("c2", [_recorder(log, "other chat")])
    await queue.drain()
    order = [n for n, _ in log]
    assert order.index("first") < order.index("second")
    assert order[0] == "other chat"  # another chat does not wait for c1


async def test_transient_errors_are_retried_and_failures_counted() -> None:
    attempts = 0

    async def flaky() -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise Transient("connection reset")

    async def broken() -> None:
        raise ValueError("400 Bad Request")

    errors = metrics.child(metrics.SEND_ERRORS, "retry-test")
    before = errors._value.get()
    log: list[tuple[str, float]] = []
    queue = ReplyQueue("retry-test", RateLimiter(per_second=1000), backoff=0.01)
    queue.submit("c1", [flaky, broken, _recorder(log, "after")])
    await queue.drain()
    assert attempts == 3
    assert errors._value.get() == before + 1
    assert [n for n, _ in log] == ["after"]  # one failed reply does not block the next


async def test_a_stopping_service_gives_up_on_replies_a_platform_does_not_take() -> None:
    async def hangs() -> None:
        await asyncio.Event().wait()  # a platform that never answers

    errors = metrics.child(metrics.SEND_ERRORS, "stuck-test")
    before = errors._value.get()
    log: list[tuple[str, float]] = []
    queue = ReplyQueue("stuck-test", RateLimiter(per_second=1000))
    queue.submit("c1", [hangs])
    queue.submit("c1", [_recorder(log, "queued behind it")])
    queue.submit("c2", [_recorder(log, "another chat")])
    started = time.monotonic()
    assert await queue.drain(timeout=0.3) == 2  # c1's two batches; c2's went out
    assert time.monotonic() - started < 1.0
    assert [n for n, _ in log] == ["another chat"]
    assert errors._value.get() == before + 2
    assert await queue.drain(timeout=0.3) == 0  # nothing left behind
