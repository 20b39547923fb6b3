"""A deletion request end to end, as an office would see it: a citizen applies through the
Telegram webhook of a real `wargabot serve`, then writes "hapus data sy pak" and "iya hapus"; an
admin made with `wargabot desk add-user --role admin` signs in to the real `wargabot desk` in
Debian's headless chromium, follows "Hapus data" in the navigation, finds the request with the
case's reference and approves it; serve's worker tells the citizen in the same chat, and the
case keeps only its stub. Screenshots go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.desk.db import make_engine, make_sessions
from bot.desk.models import AuditEvent, Case
from tests.desk.test_e2e_chromium import (
    ARGS,
    CHAT,
    CHROMIUM,
    SHOTS,
    Citizen,
    apply_for_gowa,
    desk_process,
    sign_in,
    wait_for_case,
)
from tests.kit.desk_cli import add_desk_user
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.ports import free_port
from tests.kit.serve import serve
from tests.kit.webapp import telegram_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")
async def test_an_admin_approves_a_deletion_request_in_chromium(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    from playwright.async_api import async_playwright

    env = telegram_env(tmp_path, redis_url, tg, LOG_FORMAT="text")
    port = free_port()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(env, port, tmp_path / "serve.log"):
        reference = await apply_for_gowa(port, tg)
        await wait_for_case(env["DATABASE_URL"], reference)
        citizen = Citizen(port, tg)
        citizen.update_id = 5000  # after apply_for_gowa's updates
        asked = await citizen.say("hapus data sy pak")
        assert "Admin kantor yang memutuskan" in asked[-1]
        filed = await citizen.say("iya hapus")
        assert "sudah dicatat untuk Dinas Sosial Kabupaten Gowa" in filed[-1]
        told_before = len(tg.texts_to(CHAT))
        once = add_desk_user(env, "hasna", "dinsos_gowa", "admin")
        with desk_process(env, free_port(), tmp_path / "desk.log") as desk:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                try:
                    page = await browser.new_page(viewport={"width": 1280, "height": 900})
                    await sign_in(page, desk, "hasna", once, first=True)
                    await page.click("a[href='/admin/requests']")
                    await page.wait_for_url(f"{desk}/admin/requests")
                    request = page.locator("section.card", has_text=reference)
                    assert await request.count() == 1
                    await page.screenshot(path=str(SHOTS / "desk-requests.png"), full_page=True)
                    await request.locator("button[value=approve]").click()
                    assert await request.count() == 1  # the browser asks for the tick first
                    await request.locator("input[name=confirm]").check()
                    await request.locator("button[value=approve]").click()
                    await page.wait_for_url(f"{desk}/admin/requests")
                    await page.wait_for_load_state()
                    body = await page.locator("main").inner_text()
                    assert "Tidak ada permintaan yang menunggu" in body
                    assert "disetujui, data dihapus" in body and reference in body
                    await page.screenshot(
                        path=str(SHOTS / "desk-requests-decided.png"), full_page=True
                    )
                finally:
                    await browser.close()
        await tg.wait_for_messages(CHAT, told_before + 1, timeout=30)  # serve's worker tells
        told = tg.texts_to(CHAT)[-1]
        assert f"telah menghapus data pribadi Anda ({reference})" in told
    engine = make_engine(env["DATABASE_URL"])
    try:
        async with make_sessions(engine)() as db:
            case = await db.scalar(select(Case).where(Case.reference == reference))
            assert case is not None and (case.status, case.answers, case.nik) == (
                "withdrawn", None, None)  # fmt: skip
            actions = set(await db.scalars(select(AuditEvent.action)))
            assert {"erasure_requested", "erasure_approved"} <= actions
    finally:
        await engine.dispose()
