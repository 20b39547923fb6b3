"""The desk as a security reviewer checks it first (OWASP ASVS 5 V6, V7, V3.3, V3.5, V8.2):
sign-in, lock-out, sessions that end on the server, CSRF and Origin, per-office scoping, photos
only with a session, escaping. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.routing import Route

from bot.desk import intake
from bot.engine.flowset import FlowSet
from tests.desk import dossiers
from tests.desk.deskapp import GOOD_PASSWORD, DeskApp, desk_app


@pytest.fixture
async def app(db_url: str, flows: FlowSet, tmp_path: Path) -> AsyncIterator[DeskApp]:
    async with desk_app(db_url, flows, tmp_path / "media") as running:
        yield running


async def gowa_case(app: DeskApp, name: str = "Nurhayati Daeng Caya") -> str:
    d = dossiers.gowa(app.desk.media, name=name)
    assert await intake.store_dossier(app.sessions, app.desk.flows, d, app.clock())
    return d.reference


def _paths() -> list[tuple[str, str]]:
    """Every route of the desk with its parameters filled in, and its methods."""
    from bot.desk.web import admin, auth, cases

    out = []
    for route in [*auth.routes, *cases.routes, *admin.routes]:
        assert isinstance(route, Route)
        path = route.path
        path = path.replace("{reference:str}", "GWA-222-222-22X").replace("{kind:str}", "csv")
        path = re.sub(r"\{\w+:int\}", "1", path)
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                out.append((method, path))
    return out


async def test_every_desk_route_without_a_session_leads_to_sign_in(app: DeskApp) -> None:
    browser = app.client()
    public = {("GET", "/login"), ("POST", "/login"), ("GET", "/login/totp"),
              ("POST", "/login/totp")}  # fmt: skip
    checked = 0
    for method, path in _paths():
        if (method, path) in public:
            continue
        res = await browser.http.request(
            method, path, data={"csrf": "x"} if method == "POST" else None
        )
        assert res.status_code == 303, (method, path, res.status_code)
        assert res.headers["location"].startswith("/login"), (method, path)
        checked += 1
    assert checked >= 20
    res = await browser.get("/cases/GWA-222-222-22X", headers={"HX-Request": "true"})
    assert res.headers["HX-Redirect"].startswith("/login")
    # and /login/totp without a password first goes back to the sign-in page
    assert (await browser.get("/login/totp")).headers["location"] == "/login"


async def test_another_offices_case_and_photos_are_404(app: DeskApp) -> None:
    reference = await gowa_case(app)
    makassar = await app.signed_in("andi", "dinsos_makassar")
    gowa = await app.signed_in("rahmat", "dinsos_gowa")
    page = await gowa.get(f"/cases/{reference}")
    assert page.status_code == 200 and reference in page.text
    photo = re.search(rf"/cases/{reference}/files/(\d+)", page.text)
    assert photo
    assert (await makassar.get(f"/cases/{reference}")).status_code == 404
    assert (await makassar.get(photo.group(0))).status_code == 404
    assert (await makassar.get(f"/cases/{reference}/cover.pdf")).status_code == 404
    res = await makassar.post(f"/cases/{reference}/status", {"status": "done"}, "/cases")
    assert res.status_code == 404
    listing = await makassar.get(f"/cases?q={reference}")
    assert f'href="/cases/{reference}"' not in listing.text and "0 pengajuan" in listing.text


async def test_photos_need_a_session_and_are_never_cached(app: DeskApp) -> None:
    reference = await gowa_case(app)
    gowa = await app.signed_in("rahmat")
    page = await gowa.get(f"/cases/{reference}")
    urls = re.findall(rf'src="(/cases/{reference}/files/\d+)"', page.text)
    assert len(urls) == 4
    res = await gowa.get(urls[1])
    assert res.status_code == 200 and res.content[:3] == b"\xff\xd8\xff"
    assert res.headers["cache-control"] == "no-store"
    assert res.headers["content-type"] == "image/jpeg"
    stranger = app.client()
    for url in urls:
        res = await stranger.get(url)
        assert res.status_code == 303 and res.headers["location"].startswith("/login")
    assert page.headers["cache-control"] == "no-store"  # pages with personal data too
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_a_post_without_the_csrf_token_or_from_another_origin_is_refused(
    app: DeskApp,
) -> None:
    reference = await gowa_case(app)
    gowa = await app.signed_in("rahmat")
    url = f"/cases/{reference}/notes"
    assert (await gowa.http.post(url, data={"text": "tanpa token"})).status_code == 403
    assert (await gowa.http.post(url, data={"text": "x", "csrf": "wrong"})).status_code == 403
    token = await gowa.csrf(f"/cases/{reference}")
    evil = {"Origin": "https://evil.example"}
    res = await gowa.http.post(url, data={"text": "x", "csrf": token}, headers=evil)
    assert res.status_code == 403
    res = await gowa.http.post(url, data={"text": "catatan sah", "csrf": token})
    assert res.status_code == 303
    page = await gowa.get(f"/cases/{reference}")
    assert "catatan sah" in page.text and "tanpa token" not in page.text
    # sign-in itself: the form's token (a cookie of its own) and the Origin are checked too
    fresh = app.client()
    assert (await fresh.http.post("/login", data={"username": "rahmat",
            "password": GOOD_PASSWORD})).status_code == 403  # fmt: skip
    other = app.client(origin="https://evil.example")
    res = await other.post("/login", {"username": "rahmat", "password": GOOD_PASSWORD})
    assert res.status_code == 403


async def test_logout_ends_the_session_on_the_server(app: DeskApp) -> None:
    gowa = await app.signed_in("rahmat")
    stolen = dict(gowa.cookies)
    assert (await gowa.get("/cases")).status_code == 200
    assert (await gowa.post("/logout", {}, "/cases")).status_code == 303
    replay = app.client()
    replay.http.cookies.update(stolen)  # a copy of the cookie taken before logging out
    res = await replay.get("/cases")
    assert res.status_code == 303 and res.headers["location"].startswith("/login")


async def test_disabling_a_user_ends_their_sessions(app: DeskApp) -> None:
    admin = await app.signed_in("kepala", role="admin")
    clerk = await app.signed_in("rahmat")
    assert (await clerk.get("/cases")).status_code == 200
    users = await admin.get("/admin/users")
    user_id = re.search(r'action="/admin/users/(\d+)"', users.text)
    assert user_id
    res = await admin.post(
        f"/admin/users/{user_id.group(1)}", {"action": "disable"}, "/admin/users"
    )
    assert res.status_code == 303
    assert (await clerk.get("/cases")).status_code == 303
    assert (await clerk.login("rahmat", GOOD_PASSWORD)).status_code == 401
    # a staff member (not admin) cannot open the admin pages at all
    other = await app.signed_in("wati")
    assert (await other.get("/admin/users")).status_code == 404
    assert (await other.get("/admin/audit")).status_code == 404


async def test_the_sixth_wrong_password_in_a_row_finds_the_account_locked(app: DeskApp) -> None:
    await app.user("rahmat")
    browser = app.client()
    for attempt in range(1, 5):
        res = await browser.login("rahmat", f"salah-{attempt}")
        assert res.status_code == 401 and "Nama pengguna atau kata sandi salah" in res.text
    res = await browser.login("rahmat", "salah-5")  # the 5th failure locks...
    assert res.status_code == 429
    assert "Coba lagi pukul 10:15 WITA (15 menit lagi)" in res.text  # ...and says until when
    res = await browser.login("rahmat", "salah-6")
    assert res.status_code == 429 and "10:15" in res.text
    res = await browser.login("rahmat", GOOD_PASSWORD)  # even the right one, for a while
    assert res.status_code == 429
    app.clock.advance(minutes=16)
    assert (await browser.login("rahmat", GOOD_PASSWORD)).status_code == 303
    # an unknown name gets the same answer as a wrong password
    res = await app.client().login("nobody", "whatever-123")
    assert res.status_code == 401 and "Nama pengguna atau kata sandi salah" in res.text


async def test_a_name_like_a_script_is_shown_as_text(app: DeskApp) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    reference = await gowa_case(app, name=evil)
    gowa = await app.signed_in("rahmat")
    for url in (f"/cases/{reference}", f"/cases?q={reference}"):
        page = await gowa.get(url)
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    res = await gowa.post(
        f"/cases/{reference}/notes", {"text": "<b>tebal</b>"}, f"/cases/{reference}"
    )
    page = await gowa.get(f"/cases/{reference}")
    assert "&lt;b&gt;tebal&lt;/b&gt;" in page.text and res.status_code == 303


async def test_first_sign_in_with_the_one_time_password_forces_a_new_one(app: DeskApp) -> None:
    otp = await app.user("baru", ready=False)
    browser = app.client()
    res = await browser.login("baru", otp)
    assert res.status_code == 303
    res = await browser.get("/cases")
    assert res.status_code == 303 and res.headers["location"] == "/password"
    weak = {"current": otp, "new": "bismillah123", "again": "bismillah123"}
    res = await browser.post("/password", weak)
    assert res.status_code == 400 and "terlalu umum" in res.text
    short = {"current": otp, "new": "pendek", "again": "pendek"}
    assert "minimal 8 karakter" in (await browser.post("/password", short)).text
    good = {"current": otp, "new": GOOD_PASSWORD, "again": GOOD_PASSWORD}
    assert (await browser.post("/password", good)).status_code == 303
    assert (await browser.get("/cases")).status_code == 200
    assert (await app.client().login("baru", otp)).status_code == 401  # used up


async def test_cookies_are_httponly_samesite_and_host_prefixed_behind_https(
    db_url: str, flows: FlowSet, tmp_path: Path
) -> None:
    async with desk_app(db_url, flows, tmp_path, public_url="https://desk.dinsos.example") as app:
        await app.user("rahmat")
        public = "https://desk.dinsos.example"
        browser = app.client(origin=public, base=public)
        res = await browser.login("rahmat", GOOD_PASSWORD)
        assert res.status_code == 303
        cookie = res.headers["set-cookie"]
        assert cookie.startswith("__Host-wargabot-desk=")
        for part in ("HttpOnly", "Path=/", "SameSite=strict", "Secure"):
            assert part in cookie, cookie
        assert "Domain" not in cookie
        assert res.headers["strict-transport-security"].startswith("max-age=")
    async with desk_app(db_url, flows, tmp_path) as app:  # plain http on localhost
        await app.user("wati")
        res = await app.client().login("wati", GOOD_PASSWORD)
        cookie = res.headers["set-cookie"]
        assert cookie.startswith("wargabot-desk=") and "Secure" not in cookie
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie


async def test_idle_and_absolute_timeouts_end_a_session(app: DeskApp) -> None:
    browser = await app.signed_in("rahmat")
    app.clock.advance(minutes=29)
    assert (await browser.get("/cases")).status_code == 200
    app.clock.advance(minutes=31)  # idle for longer than 30 minutes
    assert (await browser.get("/cases")).status_code == 303
    browser = await app.signed_in("wati")
    for _ in range(13):  # busy all day: the absolute timeout (12 h) still ends it
        app.clock.advance(minutes=59)
        if (await browser.get("/cases")).status_code != 200:
            break
    else:
        raise AssertionError("the session outlived 12 hours")
