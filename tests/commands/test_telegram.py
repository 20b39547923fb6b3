"""`wargabot telegram set-webhook` and `wargabot telegram poll` against the local fake Bot API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.commands.telegram import poll, set_webhook
from bot.config import ConfigError, load_settings
from tests.kit.fake_telegram import FakeTelegram, text_update
from tests.kit.webapp import SECRET, TOKEN, env_for, telegram_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_set_webhook_registers_the_url_and_secret(tmp_path: Path, redis_url: str) -> None:
    async with FakeTelegram() as tg:
        env = telegram_env(tmp_path, redis_url, tg)
        assert await set_webhook(load_settings(env)) == 0
        assert tg.webhook["url"] == "https://bot.example.org/telegram/webhook"
        assert tg.webhook["secret_token"] == SECRET


async def test_set_webhook_needs_an_https_public_url(tmp_path: Path, redis_url: str) -> None:
    env = env_for(tmp_path, redis_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET)
    env["PUBLIC_BASE_URL"] = "http://bot.example.org"
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        await set_webhook(load_settings(env))


async def test_poll_runs_the_same_bot_without_a_public_url(tmp_path: Path, redis_url: str) -> None:
    async with FakeTelegram() as tg:
        env = env_for(tmp_path, redis_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url)
        env.pop("PUBLIC_BASE_URL")
        stop = asyncio.Event()
        task = asyncio.create_task(poll(load_settings(env), stop))
        tg.queue_update(text_update(1, 8880001, "halo"))
        tg.queue_update(text_update(2, 8880001, "ya"))
        messages = await tg.wait_for_messages(8880001, 2)
        stop.set()
        tg.queue_update(text_update(3, 8880002, "halo"))  # wakes the long poll so it can stop
        assert await asyncio.wait_for(task, 30) == 0
        assert messages[1]["text"].startswith("Pilih kantor Dinas Sosial")
        assert "deletewebhook" in [m.lower() for m, _ in tg.calls]
