"""Runs the desk in-process for tests: the real app on a migrated database, httpx through ASGI,
and a browser-like client that keeps its cookies, reads CSRF tokens from the forms and sends
the Origin header a browser sends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.authoring.loader import DEFAULT_LOCALES
from bot.desk import accounts, i18n, passwords
from bot.desk.db import make_engine, make_sessions
from bot.desk.web.app import create_desk_app
from bot.desk.web.context import Desk
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore

BASE = "http://desk.test"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
GOOD_PASSWORD = "pohon mangga di losari"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class DeskApp:
    desk: Desk
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    transport: httpx.ASGITransport

    def client(self, origin: str | None = BASE, base: str = BASE) -> Browser:
        headers = {"Origin": origin} if origin else {}
        return Browser(httpx.AsyncClient(transport=self.transport, base_url=base, headers=headers))

    async def user(
        self, username: str, office: str = "dinsos_gowa", role: str = "staff", ready: bool = True
    ) -> str:
        """A new account; `ready`: its password already changed to GOOD_PASSWORD."""
        offices = {o.id for o in self.desk.flows.offices}
        async with self.sessions() as db:
            user, secret = await accounts.create_user(db, username, office, role, offices)
            if ready:
                user.password_hash = passwords.hash_password(GOOD_PASSWORD)
                user.must_change_password = False
                await db.commit()
        return GOOD_PASSWORD if ready else secret

    async def signed_in(
        self, username: str, office: str = "dinsos_gowa", role: str = "staff"
    ) -> Browser:
        password = await self.user(username, office, role)
        browser = self.client()
        res = await browser.login(username, password)
        assert res.status_code == 303, res.text
        return browser


class Browser:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url, **kw)

    async def csrf(self, url: str) -> str:
        res = await self.http.get(url)
        found = CSRF.search(res.text)
        assert found, f"no CSRF token on {url}: {res.status_code} {res.text[:300]}"
        return found.group(1)

    async def post(self, url: str, data: dict[str, Any], form_page: str | None = None,
                   **kw: Any) -> httpx.Response:  # fmt: skip
        """POST a form the way a browser does: with the CSRF token of the page it is on."""
        if "csrf" not in data:
            data = {**data, "csrf": await self.csrf(form_page or url)}
        return await self.http.post(url, data=data, **kw)

    async def login(self, username: str, password: str) -> httpx.Response:
        return await self.post("/login", {"username": username, "password": password})

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies


@asynccontextmanager
async def desk_app(
    db_url: str,
    flows: FlowSet,
    media_dir: Path,
    now: datetime = datetime(2026, 11, 25, 2, 0, tzinfo=UTC),
    media: MediaStore | None = None,
    **options: Any,
) -> AsyncIterator[DeskApp]:
    engine = make_engine(db_url)
    sessions = make_sessions(engine)
    clock = Clock(now)
    desk = Desk(
        sessions=sessions,
        flows=flows,
        media=media or MediaStore(media_dir),
        translators=i18n.load(DEFAULT_LOCALES),
        clock=clock,
        **options,
    )
    app = create_desk_app(desk)
    try:
        async with app.router.lifespan_context(app):
            yield DeskApp(desk, sessions, clock, httpx.ASGITransport(app=app))
    finally:
        await engine.dispose()


Factory = Callable[..., Any]
