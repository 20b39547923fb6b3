"""Sending one reply: the global and per-chat rates, and what each platform answer means for the
reply queue (sent, held, kept to try later, or dropped for good)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from bot.channels.sender import Hold, RateLimiter, RetryLater, Transient, send_one
from bot.observe import metrics


def _recorder(log: list[float]) -> Callable[[], Awaitable[None]]:
    async def send() -> None:
        log.append(time.monotonic())

    return send


async def test_one_chat_is_spaced_by_its_interval() -> None:
    log: list[float] = []
    limiter = RateLimiter(per_second=1000, chat_interval=0.1)
    started = time.monotonic()
    for _ in range(3):
        assert await send_one("test", "c1", _recorder(log), limiter) == "sent"
    # The k-th send is booked 0.1 s after the one before: never sooner than k * 0.1 s after the
    # start (a busy machine may deliver the first late, which shortens the gap after it).
    assert [t - started >= k * 0.1 - 0.005 for k, t in enumerate(log)] == [True] * 3


async def test_the_global_rate_spaces_all_chats() -> None:
    log: list[float] = []
    limiter = RateLimiter(per_second=20)
    await asyncio.gather(*(send_one("test", f"c{i}", _recorder(log), limiter) for i in range(5)))
    assert log[-1] - log[0] >= 4 / 20 - 0.01  # five sends at 20/s take 0.2 s


def _counted(channel: str) -> Callable[[], float]:
    errors = metrics.child(metrics.SEND_ERRORS, channel)
    before = errors._value.get()
    return lambda: errors._value.get() - before


async def test_transient_errors_and_retry_after_are_retried() -> None:
    answers: list[Exception | None] = [Transient("reset"), RetryLater(0.05), None]

    async def flaky() -> None:
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    errors = _counted("retry-test")
    started = time.monotonic()
    outcome = await send_one("retry-test", "c1", flaky, RateLimiter(1000), backoff=0.01)
    assert outcome == "sent" and answers == [] and errors() == 0
    assert time.monotonic() - started >= 0.05  # the platform's delay was honoured


async def test_still_failing_after_the_retries_is_kept_for_later_and_counted() -> None:
    calls = 0

    async def down() -> None:
        nonlocal calls
        calls += 1
        raise Transient("502 Bad Gateway")

    errors = _counted("down-test")
    outcome = await send_one("down-test", "c1", down, RateLimiter(1000), attempts=3, backoff=0.01)
    assert (outcome, calls, errors()) == ("later", 3, 1)


@pytest.mark.parametrize(
    ("error", "outcome", "counted"),
    [(Hold("outside the 24-hour window"), "held", 0), (ValueError("400 Bad Request"), "failed", 1)],
)
async def test_a_held_reply_waits_and_a_refused_one_is_dropped(
    error: Exception, outcome: str, counted: int
) -> None:
    async def answer() -> None:
        raise error

    errors = _counted(f"{outcome}-test")
    assert await send_one(f"{outcome}-test", "c1", answer, RateLimiter(1000)) == outcome
    assert errors() == counted
