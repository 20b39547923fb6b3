"""Shared fixtures: the real flows, a fixed clock, synthetic media."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.engine.flowset import FlowSet
from bot.loader import load_flowset

pytest_plugins = ["tests.redis_server"]

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
