"""Shared fixtures: the real flows, a fixed clock, the fake Bot API and Twilio servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.authoring.loader import load_flowset
from bot.engine.flowset import FlowSet
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.fake_twilio import FakeTwilio

pytest_plugins = ["tests.kit.redis_server"]

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 WITA


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite the bot's side of tests/transcripts/**/*.yaml from the current engine",
    )


@pytest.fixture(scope="session")
def flows() -> FlowSet:
    return load_flowset()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fake Bot API on a free local port (TELEGRAM_API_URL points the bot at it)."""
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def tw() -> AsyncIterator[FakeTwilio]:
    """A fake Twilio REST and media server on a free local port (TWILIO_API_URL)."""
    async with FakeTwilio() as fake:
        yield fake
