"""Signing in and out, the second factor, and a staff member's own account (password, TOTP,
language). Sign-in failures say nothing about which part was wrong; a lock-out says when to
try again."""

from __future__ import annotations

import math
import secrets
from datetime import datetime
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.desk import accounts, audit, totp
from bot.desk.accounts import AccountError
from bot.desk.i18n import N_, DeskTranslator
from bot.desk.web import security
from bot.desk.web.context import Ctx, Desk, client_ip, desk_of, staff_page
from bot.desk.web.render import wita
from bot.desk.websessions import load, open_session, revoke

LANG_COOKIE = "wargabot-desk-lang"


def _lang(request: Request, desk: Desk) -> DeskTranslator:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "id"
    return desk.tr(lang)


def _next(target: str | None) -> str:
    """Only a path of the desk itself (never //other.host or https://...)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/cases"
    parsed = urlparse(target)
    return target if not parsed.netloc and not parsed.scheme else "/cases"


def _login_page(
    request: Request, desk: Desk, tr: DeskTranslator, error: str = "", status: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = desk.renderer.html(
        "login.html",
        tr,
        {
            "csrf": token,
            "error": error,
            "next": _next(request.query_params.get("next")),
            "username": "",
        },
        status,
    )
    response.set_cookie(
        security.login_cookie_name(desk.secure),
        token,
        max_age=3600,
        path="/",
        secure=desk.secure,
        httponly=True,
        samesite="strict",
    )
    if request.query_params.get("lang") in desk.translators:
        response.set_cookie(LANG_COOKIE, tr.lang, max_age=365 * 86400, samesite="lax")
    return response


async def login_form(request: Request) -> Response:
    desk = desk_of(request)
    token = request.cookies.get(desk.cookie, "")
    if token:
        async with desk.sessions() as db:
            ws = await load(db, token, desk.clock(), desk.session_policy)
            if ws is not None and ws.stage == "full":
                return RedirectResponse("/cases", status_code=303)
    return _login_page(request, desk, _lang(request, desk))


def _locked(tr: DeskTranslator, until: datetime | None, now: datetime) -> str:
    minutes = max(1, math.ceil(((until or now) - now).total_seconds() / 60))
    return tr.gettext(
        "Akun dikunci sementara karena terlalu banyak percobaan yang salah. "
        "Coba lagi pukul {time} WITA ({minutes} menit lagi)."
    ).format(time=wita(until, "%H:%M"), minutes=minutes)


async def login(request: Request) -> Response:
    desk = desk_of(request)
    tr = _lang(request, desk)
    if not security.origin_ok(request, desk.public_url):
        return PlainTextResponse(tr.gettext("Asal permintaan ditolak."), 403)
    form = await request.form()
    given = form.get("csrf")
    expected = request.cookies.get(security.login_cookie_name(desk.secure), "")
    if not isinstance(given, str) or not expected or not security.same(given, expected):
        return _login_page(
            request, desk, tr, tr.gettext("Formulir kedaluwarsa. Silakan coba lagi."), 403
        )
    ip = client_ip(request)
    wait = desk.limiter.allow(ip or "?")
    if wait:
        message = tr.gettext("Terlalu banyak percobaan masuk. Coba lagi dalam {minutes} menit.")
        return _login_page(
            request, desk, tr, message.format(minutes=max(1, math.ceil(wait / 60))), 429
        )
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    now = desk.clock()
    async with desk.sessions() as db:
        result = await accounts.authenticate(db, username, password, ip, desk.login_policy, now)
        if result.outcome == "locked":
            return _login_page(request, desk, tr, _locked(tr, result.locked_until, now), 429)
        if result.outcome != "ok" or result.user is None:
            return _login_page(
                request, desk, tr, tr.gettext("Nama pengguna atau kata sandi salah."), 401
            )
        user = result.user
        old = request.cookies.get(desk.cookie, "")
        if old and (previous := await load(db, old, now, desk.session_policy)) is not None:
            await revoke(db, previous, "signed in again", now)
        stage = "totp" if user.totp_on else "full"
        token, _ws = await open_session(
            db, user, stage, now, desk.session_policy, ip, request.headers.get("user-agent")
        )
        if stage == "full":
            accounts.signed_in(db, user, ip, now)
        await db.commit()
    target = _next(str(form.get("next", "")))
    url = "/login/totp?next=" + target if stage == "totp" else target
    response = RedirectResponse(url, status_code=303)
    desk.set_cookie(response, token)
    response.delete_cookie(security.login_cookie_name(desk.secure), path="/")
    return response


async def totp_form(request: Request) -> Response:
    return await _totp(request, None)


async def totp_check(request: Request) -> Response:
    form = await request.form()
    return await _totp(request, {k: v for k, v in form.items() if isinstance(v, str)})


async def _totp(request: Request, form: dict[str, str] | None) -> Response:
    desk = desk_of(request)
    now = desk.clock()
    async with desk.sessions() as db:
        ws = await load(db, request.cookies.get(desk.cookie, ""), now, desk.session_policy)
        if ws is None or ws.stage != "totp":
            return RedirectResponse("/login", status_code=303)
        tr = desk.tr(ws.user.lang)
        target = _next(request.query_params.get("next"))
        context = {"csrf": ws.csrf, "error": "", "next": target}
        if form is None:
            return desk.renderer.html("totp.html", tr, context)
        if not security.origin_ok(request, desk.public_url):
            return PlainTextResponse(tr.gettext("Asal permintaan ditolak."), 403)
        if not security.same(form.get("csrf", ""), ws.csrf):
            return PlainTextResponse(tr.gettext("Formulir kedaluwarsa. Muat ulang halaman."), 403)
        code = form.get("code", "")
        ip = client_ip(request)
        result = await accounts.check_second_factor(db, ws.user, code, ip, desk.login_policy, now)
        if result.outcome == "locked":
            await revoke(db, ws, "locked", now)
            context["error"] = _locked(tr, result.locked_until, now)
            response = desk.renderer.html("login.html", tr, context | {"username": ""}, 429)
            desk.clear_cookie(response)
            return response
        if result.outcome != "ok":
            context["error"] = tr.gettext("Kode salah. Coba kode yang sedang tampil.")
            return desk.renderer.html("totp.html", tr, context, 401)
        user = ws.user
        await revoke(db, ws, "second factor done", now)
        token, _new = await open_session(
            db, user, "full", now, desk.session_policy, ip, request.headers.get("user-agent")
        )
        accounts.signed_in(db, user, ip, now)
        await db.commit()
    done = RedirectResponse(target, status_code=303)
    desk.set_cookie(done, token)
    return done


@staff_page(setup=True)
async def logout(ctx: Ctx) -> Response:
    now = ctx.desk.clock()
    audit.record(ctx.db, audit.LOGOUT, ctx.actor, at=now)
    await revoke(ctx.db, ctx.ws, "logout", now)
    response = RedirectResponse("/login", status_code=303)
    ctx.desk.clear_cookie(response)
    return response


@staff_page(setup=True)
async def password_form(ctx: Ctx) -> Response:
    return ctx.page("password.html", forced=ctx.user.must_change_password, error="")


@staff_page(setup=True)
async def password_change(ctx: Ctx) -> Response:
    new, again = str(ctx.form.get("new", "")), str(ctx.form.get("again", ""))
    error = ""
    if new != again:
        error = ctx._(N_("Kedua kata sandi baru tidak sama."))
    else:
        try:
            await accounts.change_password(
                ctx.db, ctx.user, ctx.actor, str(ctx.form.get("current", "")), new, ctx.ws.id,
                ctx.desk.clock(),
            )  # fmt: skip
        except AccountError as exc:
            error = ctx._(exc.message)
    if error:
        return ctx.page("password.html", 400, forced=ctx.user.must_change_password, error=error)
    return ctx.back("/cases?changed=password")


@staff_page(setup=True)
async def account(ctx: Ctx) -> Response:
    return _account_page(ctx)


def _account_page(ctx: Ctx, error: str = "", status: int = 200, secret: str = "") -> Response:
    user = ctx.user
    context: dict[str, object] = {
        "error": error,
        "required": ctx.desk.totp_required(user),
        "must": ctx.request.query_params.get("totp") == "required",
        "languages": sorted(ctx.desk.translators),
    }
    if not user.totp_on:
        secret = secret or totp.new_secret()
        uri = totp.uri(secret, user.username, user.office_id)
        context |= {"secret": secret, "qr": totp.qr_svg(uri)}
    return ctx.page("account.html", status, **context)


@staff_page(setup=True)
async def account_totp(ctx: Ctx) -> Response:
    now, code = ctx.desk.clock(), str(ctx.form.get("code", ""))
    try:
        if ctx.form.get("action") == "enable":
            secret = str(ctx.form.get("secret", ""))
            if len(secret) < 16 or len(secret) > 64:
                raise AccountError(N_("Kode salah."))
            await accounts.enable_totp(ctx.db, ctx.user, ctx.actor, secret, code, now)
        else:
            if ctx.desk.totp_required(ctx.user):
                raise AccountError(N_("Kantor Anda mewajibkan kode verifikasi untuk admin."))
            await accounts.disable_totp(ctx.db, ctx.user, ctx.actor, code, now)
    except AccountError as exc:
        return _account_page(ctx, ctx._(exc.message), 400, str(ctx.form.get("secret", "")))
    return ctx.back("/account")


@staff_page(setup=True)
async def account_lang(ctx: Ctx) -> Response:
    lang = str(ctx.form.get("lang", ""))
    if lang in ctx.desk.translators:
        ctx.user.lang = lang
        await ctx.db.commit()
    return ctx.back(_next(str(ctx.form.get("next", ""))) if ctx.form.get("next") else "/account")


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/login/totp", totp_form, methods=["GET"]),
    Route("/login/totp", totp_check, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/password", password_form, methods=["GET"]),
    Route("/password", password_change, methods=["POST"]),
    Route("/account", account, methods=["GET"]),
    Route("/account/totp", account_totp, methods=["POST"]),
    Route("/account/lang", account_lang, methods=["POST"]),
]
