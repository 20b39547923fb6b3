"""The DTSEN list in Debian's headless chromium, against a real `wargabot desk`: an admin uploads
the office's export on /admin/dtsen, watches the import finish and reads its report, opens a
case and sees beside the answers that its NIK is in the list (with the desil and the list's
date) and its KK number is not; the audit log has the import and the lookup. Screenshots go to
var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks import dtsen_lists as lists
from bot.desk import accounts, intake, passwords
from bot.desk.db import make_engine, make_sessions
from bot.desk.models import AuditEvent
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore
from tests.desk import dossiers
from tests.desk.test_e2e_chromium import ARGS, CHROMIUM, SHOTS, desk_process, sign_in
from tests.kit.database import migrated_sqlite
from tests.kit.ports import free_port

NIK = "7306015203850002"
PASSWORD = "kopi susu di sungguminasa"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def prepare(url: str, flows: FlowSet, media: MediaStore) -> str:
    engine = make_engine(url)
    sessions = make_sessions(engine)
    try:
        d = dossiers.gowa(media, nik=NIK, kk="7306019999990001")
        assert await intake.store_dossier(sessions, flows, d, dossiers.SUBMITTED)
        async with sessions() as db:
            user, _ = await accounts.create_user(db, "rahmat", "dinsos_gowa", "admin",
                                                 {"dinsos_gowa"})  # fmt: skip
            user.password_hash = passwords.hash_password(PASSWORD)
            user.must_change_password = False
            await db.commit()
        return d.reference
    finally:
        await engine.dispose()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")
async def test_an_admin_uploads_the_list_and_a_clerk_sees_the_hint_in_chromium(
    tmp_path: Path, flows: FlowSet
) -> None:
    from playwright.async_api import async_playwright, expect

    url = migrated_sqlite(tmp_path)
    media = tmp_path / "media"
    reference = await prepare(url, flows, MediaStore(media))
    rows = [*lists.people(500, seed=12), (NIK, "7306010203150011", "Nurhayati", 3, "", "", ""),
            ("12345", "", "", "", "", "", "")]  # fmt: skip
    export = lists.write_xlsx(tmp_path / "DTSEN Gowa 2026-10.xlsx", rows)
    env = {"DATABASE_URL": url, "MEDIA_DIR": str(media), "LOG_FORMAT": "text"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with desk_process(env, free_port(), tmp_path / "desk.log") as desk:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                await sign_in(page, desk, "rahmat", PASSWORD)

                await page.goto(f"{desk}/cases/{reference}")
                hint = page.locator("#dtsen-hint")
                await expect(hint).to_contain_text("belum punya daftar DTSEN")
                await hint.locator("a[href='/admin/dtsen']").click()
                await page.wait_for_url(f"{desk}/admin/dtsen")
                await page.set_input_files("input[name=file]", str(export))
                await page.fill("input[name=as_of]", "2026-10-01")
                await page.click("form[action='/admin/dtsen'] button.primary")
                # the import runs in the background; htmx reloads the page when it is done
                await expect(page.locator("#dtsen-current")).to_contain_text(
                    "Daftar per 2026-10-01: 501 orang", timeout=30_000
                )
                await expect(page.locator("tr.problem-nik")).to_contain_text("baris 503")
                await page.screenshot(path=str(SHOTS / "desk-dtsen.png"), full_page=True)

                await page.goto(f"{desk}/cases/{reference}")
                found = hint.locator("dd.found")
                await expect(found).to_have_text("ditemukan: desil 3, daftar per 2026-10-01")
                await expect(hint.locator("dd.absent")).to_have_text(
                    "tidak ditemukan di daftar per 2026-10-01"
                )
                await page.screenshot(path=str(SHOTS / "desk-case-dtsen.png"), full_page=True)
            finally:
                await browser.close()
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as db:
            audit = list(await db.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    finally:
        await engine.dispose()
    lookups = [a for a in audit if a.action == "dtsen_lookup"]
    assert [(a.case_reference, a.username) for a in lookups] == [(reference, "rahmat")]
    assert lookups[0].detail == "list of 2026-10-01: NIK found, KK not found"
    assert [a.username for a in audit if a.action == "dtsen_import"] == ["rahmat"]
