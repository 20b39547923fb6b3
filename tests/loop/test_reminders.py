"""Reminders of an unfinished application against a real redis-server: planned after a turn that
leaves one under way, moved on by every new message, dropped when nothing is under way, and
taken when due only if no message moved it on meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from bot.channels.base import ChatKey
from bot.engine.model import ReminderDue, Session
from bot.engine.stages import Stage
from bot.loop.reminders import DraftReminders

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
CHAT = ChatKey("whatsapp", "whatsapp:+6281234567001")


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def session(stage: Stage = Stage.FLOW, at: datetime = NOW) -> Session:
    s = Session(CHAT.channel, CHAT.chat_id, "00" * 16, stage=stage)
    s.flow_id, s.step, s.updated_at = "gowa-kis-reaktivasi", "nik", at
    return s


async def test_a_reminder_is_planned_moved_on_and_dropped(redis: Redis) -> None:
    plans = DraftReminders(redis, timedelta(hours=20))
    await plans.plan(CHAT, session())
    assert await plans.due(NOW + timedelta(hours=19)) == []
    ((chat, score),) = await plans.due(NOW + timedelta(hours=20))
    assert chat == CHAT and plans.event(score) == ReminderDue("draft", since=NOW.isoformat())
    later = NOW + timedelta(hours=5)
    await plans.plan(CHAT, session(at=later))  # the citizen wrote again: moved on
    await plans.done(CHAT, score)  # taken with the old time: the new plan stays
    assert await plans.due(NOW + timedelta(hours=24)) == []
    assert len(await plans.due(later + timedelta(hours=20))) == 1
    await plans.plan(CHAT, session(stage=Stage.SUBMITTED))  # nothing under way any more
    assert await plans.due(NOW + timedelta(days=9)) == []


async def test_a_due_reminder_is_taken_once(redis: Redis) -> None:
    plans = DraftReminders(redis, timedelta(hours=20))
    await plans.plan(CHAT, session())
    ((_, score),) = await plans.due(NOW + timedelta(days=1))
    await plans.done(CHAT, score)
    assert await plans.due(NOW + timedelta(days=1)) == []


async def test_no_reminders_when_they_are_off(redis: Redis) -> None:
    plans = DraftReminders(redis, None)
    await plans.plan(CHAT, session())
    assert await plans.due(NOW + timedelta(days=9)) == []
