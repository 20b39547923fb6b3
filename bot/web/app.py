"""The web service: Telegram and WhatsApp webhooks, health, readiness and metrics routes, and
the lifespan that builds, starts and closes the parts. A webhook verifies, asks its channel to
parse, writes the message to the journal and only then answers 200 (503 when it cannot: the
platform redelivers or falls back). Routes only: no parsing, no conversation here."""

from __future__ import annotations

import gc
import hmac
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.base import Inbound, Malformed
from bot.channels.whatsapp import EMPTY_TWIML, Forged
from bot.config import Settings, load_settings
from bot.observe import metrics
from bot.web.services import Services, build

log = logging.getLogger("wargabot.app")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _refuse(channel: str, reason: str, status: int) -> Response:
    metrics.child(metrics.WEBHOOK_REFUSED, channel, reason).inc()
    return PlainTextResponse(reason, status_code=status)


def _unavailable(channel: str, exc: Exception) -> Response:
    """The message could not be written down: the platform must hear it (Telegram redelivers,
    Twilio uses the fallback URL), never a 200 for a message that will not be answered."""
    metrics.child(metrics.JOURNAL_UNAVAILABLE, channel).inc()
    log.error("a %s message could not be written to the journal: %r", channel, exc)
    return PlainTextResponse("unavailable", status_code=503, headers={"Retry-After": "5"})


async def _accept(services: Services, inbound: Inbound | None) -> Exception | None:
    """Write before answering; the error when the journal (Redis) did not take the message."""
    if inbound is None:
        return None
    try:
        await services.runtime.accept(inbound)
    except (RedisError, OSError) as exc:
        return exc
    return None


async def telegram_webhook(request: Request) -> Response:
    started = time.perf_counter()
    services = _services(request)
    channel, secret = services.telegram, services.settings.TELEGRAM_WEBHOOK_SECRET
    if channel is None or secret is None:
        return PlainTextResponse("telegram is not configured", status_code=404)
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        return _refuse("telegram", "forbidden", 403)
    try:
        inbound = channel.parse(await request.body(), at=time.time())
    except Malformed:
        return _refuse("telegram", "malformed", 400)
    if failed := await _accept(services, inbound):
        return _unavailable("telegram", failed)
    metrics.child(metrics.WEBHOOK_SECONDS, "telegram").observe(time.perf_counter() - started)
    return Response(status_code=200)


async def whatsapp_webhook(request: Request) -> Response:
    started = time.perf_counter()
    services = _services(request)
    channel, settings = services.whatsapp, services.settings
    if channel is None:
        return PlainTextResponse("whatsapp is not configured", status_code=404)
    try:
        form = await request.form()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
    except Exception:
        return _refuse("whatsapp", "malformed", 400)
    query = f"?{request.url.query}" if request.url.query else ""
    url = f"{settings.PUBLIC_BASE_URL}{request.url.path}{query}"
    try:
        channel.verify(url, params, request.headers.get("X-Twilio-Signature", ""))
    except Forged:
        return _refuse("whatsapp", "forbidden", 403)
    if "MessageSid" not in params or "From" not in params:
        return _refuse("whatsapp", "malformed", 400)
    try:
        inbound = channel.parse(params, at=time.time())
    except Malformed:
        return _refuse("whatsapp", "malformed", 400)
    if failed := await _accept(services, inbound):
        return _unavailable("whatsapp", failed)
    metrics.child(metrics.WEBHOOK_SECONDS, "whatsapp").observe(time.perf_counter() - started)
    return Response(EMPTY_TWIML, media_type="application/xml")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    if await _services(request).store.ping():
        return PlainTextResponse("ready")
    return PlainTextResponse("redis unreachable", status_code=503)


async def metrics_route(request: Request) -> Response:
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings | None = None) -> Starlette:
    """The ASGI app; settings are read (and checked) now, the parts built at start-up."""
    settings = settings or load_settings()
    settings.check_channels()
    settings.check_inbox()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.services = services = build(settings)
        if settings.RUN_WORKER:
            if not settings.REDIS_URL:
                log.warning(
                    "REDIS_URL is not set: submitted dossiers wait in this process's memory "
                    "until delivered; set REDIS_URL so none is lost in a crash"
                )
            services.start_worker()
        services.start_turns()
        # What start-up built (modules, flows, the libraries' tables: ~160,000 objects) lives as
        # long as the process; left in the collector's oldest generation, every full pass
        # walked it again, pausing the event loop and every webhook 150-600 ms every few
        # seconds under load. Frozen, a full pass walks only what serving created.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            await app.state.services.close()

    routes = [
        Route("/telegram/webhook", telegram_webhook, methods=["POST"]),
        Route("/whatsapp/webhook", whatsapp_webhook, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_route),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
