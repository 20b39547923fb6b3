"""The desk's ASGI app (Starlette): the routes of auth, cases and admin, the static files
(htmx served locally), security headers, and the lifespan that checks the database schema.
It listens on its own address (DESK_HOST:DESK_PORT), never on the public webhook one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.desk import migrate
from bot.desk.web import admin, auth, cases, dtsen, requests
from bot.desk.web.context import Desk
from bot.desk.web.security import SecurityHeaders

STATIC = Path(__file__).with_name("static")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Tidak ditemukan / Not found", status_code=404)


def create_desk_app(desk: Desk, check_schema: bool = True) -> Starlette:
    """The app for `wargabot desk`; with `check_schema` it refuses to start on a database
    behind the migrations (DatabaseBehind names `wargabot db upgrade`)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if check_schema:
            engine = desk.sessions.kw["bind"]
            await migrate.require_current(engine)
        yield

    routes = [
        Route("/healthz", healthz),
        *auth.routes,
        *cases.routes,
        *admin.routes,
        *dtsen.routes,
        *requests.routes,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders, hsts=desk.secure)],
        exception_handlers={404: not_found},
    )
    app.state.desk = desk
    return app
