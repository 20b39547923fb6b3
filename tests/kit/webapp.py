"""Runs the real web app in-process for tests: settings from a dict, the lifespan started and
stopped like `wargabot serve` does, requests through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from bot.config import load_settings
from bot.web.app import create_app
from bot.web.services import Services
from tests.kit.database import migrated_sqlite
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

TOKEN = "123456:" + "A" * 35
SECRET = "s3cret-webhook-token-123"
PUBLIC = "https://bot.example.org"


def telegram_env(tmp: Path, redis_url: str, tg: FakeTelegram, **extra: str) -> dict[str, str]:
    """env_for() with the bot on: its token and webhook secret, the fake Bot API as Telegram."""
    return env_for(
        tmp,
        redis_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_URL=tg.url,
        **extra,
    )


def env_for(tmp: Path, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        "REDIS_URL": redis_url,
        "MEDIA_DIR": str(tmp / "media"),
        "INBOX_MAILDIR": str(tmp / "inbox"),
        "DATABASE_URL": migrated_sqlite(tmp),  # the case store is on by default
        "PUBLIC_BASE_URL": PUBLIC,
        "TELEGRAM_RATE_PER_SECOND": "10000",
        "TELEGRAM_CHAT_INTERVAL": "0",
    }
    env.update(extra)
    return env


class Running:
    def __init__(self, client: httpx.AsyncClient, services: Services) -> None:
        self.client = client
        self.services = services

    async def settle(self, timeout: float = 15) -> None:
        """Wait until every message accepted has been answered and every reply sent."""
        await self.services.processor.idle(timeout)

    async def delivered(self, timeout: float = 15) -> None:
        """Wait until the in-process worker has delivered every submitted dossier."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (await self.services.outbox.status())["undelivered"]:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not delivered: {await self.services.outbox.status()}")
            await asyncio.sleep(0.05)
        await self.settle()


@asynccontextmanager
async def running(env: dict[str, str]) -> AsyncIterator[Running]:
    app = create_app(load_settings(env))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
            yield Running(client, app.state.services)


URL = f"{PUBLIC}/whatsapp/webhook"


def whatsapp_env(tmp_path: Path, redis_url: str, tw: FakeTwilio) -> dict[str, str]:
    return env_for(
        tmp_path,
        redis_url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM=SENDER,
        TWILIO_API_URL=tw.url,
        TWILIO_MEDIA_HOSTS=tw.cdn_url,  # the fake's "CDN": the only place a redirect may lead
        TWILIO_RATE_PER_SECOND="1000",
    )


SENDER = "whatsapp:+14155238886"
