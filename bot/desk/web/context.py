"""What every desk page works with: the desk's configuration, and for a signed-in request the
database session, the staff member and their translator (Ctx). `staff_page` guards a route:
a live session or the sign-in page, the CSRF token and Origin on every POST, a forced password
change or second-factor set-up first, admins only where asked."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from bot.desk import statuses
from bot.desk.accounts import LoginPolicy
from bot.desk.actor import Actor
from bot.desk.i18n import DeskTranslator
from bot.desk.models import User, WebSession
from bot.desk.web import security
from bot.desk.web.render import Renderer
from bot.desk.websessions import SessionPolicy, load
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Desk:
    """The running desk's parts, built once at start-up."""

    sessions: async_sessionmaker[AsyncSession]
    flows: FlowSet
    media: MediaStore
    translators: Mapping[str, DeskTranslator]
    session_policy: SessionPolicy = field(default_factory=SessionPolicy)
    login_policy: LoginPolicy = field(default_factory=LoginPolicy)
    public_url: str = ""  # DESK_PUBLIC_URL; https there means Secure __Host- cookies
    admin_totp_offices: frozenset[str] = frozenset()  # "*" for every office
    clock: Callable[[], datetime] = utc_now
    limiter: security.LoginLimiter = field(default_factory=security.LoginLimiter)
    renderer: Renderer = field(default_factory=Renderer)
    dtsen_columns: Mapping[str, str] = field(default_factory=dict)  # DTSEN_COLUMNS, parsed

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def cookie(self) -> str:
        return security.cookie_name(self.secure)

    def tr(self, lang: str) -> DeskTranslator:
        return self.translators.get(lang) or self.translators["id"]

    def office_name(self, office_id: str) -> str:
        office = next((o for o in self.flows.offices if o.id == office_id), None)
        return office.name if office else office_id

    def totp_required(self, user: User) -> bool:
        wanted = self.admin_totp_offices
        return user.is_admin and ("*" in wanted or user.office_id in wanted)

    def set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.cookie,
            token,
            max_age=int(self.session_policy.absolute_hours * 3600),
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(
            self.cookie, path="/", secure=self.secure, httponly=True, samesite="strict"
        )


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@dataclass
class Ctx:
    request: Request
    desk: Desk
    db: AsyncSession
    ws: WebSession
    user: User
    actor: Actor
    tr: DeskTranslator
    form: Mapping[str, Any] = field(default_factory=dict)

    def _(self, msgid: str) -> str:
        return self.tr.gettext(msgid)

    async def undo(self) -> None:
        """Drop what a refused change left in the session, keeping the signed-in user loaded
        (a rollback expires every object, and the page about to be shown reads them)."""
        await self.db.rollback()
        await self.db.refresh(self.ws)
        await self.db.refresh(self.user)

    def page(self, template: str, status_code: int = 200, **context: Any) -> Response:
        desk = self.desk
        base = {
            "user": self.user,
            "csrf": self.ws.csrf,
            "office_name": desk.office_name(self.user.office_id),
            "path": self.request.url.path,
            "now": desk.clock(),
            "status_label": self.status_label,
        }
        return desk.renderer.html(template, self.tr, base | context, status_code)

    def status_label(self, flow_id: str, status_id: str) -> str:
        return self.tr.gettext(statuses.label(self.desk.flows, flow_id, status_id))

    def not_found(self) -> Response:
        return self.page("error.html", 404, message=self._("Halaman tidak ditemukan."))

    def back(self, url: str) -> Response:
        """After a POST: see the page again (303), or for htmx, have it follow."""
        if self.request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)


Endpoint = Callable[[Ctx], Awaitable[Response]]


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = "/login" + (f"?next={quote(target)}" if target not in ("/", "/login") else "")
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def staff_page(admin: bool = False, setup: bool = False) -> Callable[[Endpoint], Any]:
    """Guard a route. `setup`: a page reachable while a password change or a second-factor
    set-up is still due (the account pages)."""

    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def route(request: Request) -> Response:
            desk = desk_of(request)
            token = request.cookies.get(desk.cookie, "")
            async with desk.sessions() as db:
                ws = await load(db, token, desk.clock(), desk.session_policy) if token else None
                if ws is None or ws.stage != "full":
                    return to_login(request)
                user = ws.user
                tr = desk.tr(user.lang)
                form: Mapping[str, Any] = {}
                if request.method == "POST":
                    if not security.origin_ok(request, desk.public_url):
                        return PlainTextResponse(tr.gettext("Asal permintaan ditolak."), 403)
                    form = await request.form()
                    given = form.get("csrf")
                    if not isinstance(given, str) or not security.same(given, ws.csrf):
                        return PlainTextResponse(
                            tr.gettext("Formulir kedaluwarsa. Muat ulang halaman."), 403
                        )
                actor = Actor(user.id, user.username, user.office_id, user.role, client_ip(request))
                ctx = Ctx(request, desk, db, ws, user, actor, tr, form)
                if not setup:
                    if user.must_change_password:
                        return RedirectResponse("/password", status_code=303)
                    if desk.totp_required(user) and not user.totp_on:
                        return RedirectResponse("/account?totp=required", status_code=303)
                if admin and not user.is_admin:
                    return ctx.not_found()
                return await endpoint(ctx)

        return route

    return wrap
