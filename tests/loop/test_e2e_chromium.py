"""The loop back to the citizen end to end: a citizen applies for Makassar's KIS on WhatsApp
through the real web app (its worker stores the case and hands over the office's notices), then
falls silent for 25 hours. A clerk in Debian's headless chromium refuses the KK photo as blurred:
WhatsApp's window is closed, so the request goes as its Content template, its full text waiting
for the citizen. The citizen sends a new photo through the webhook; the desk shows revision 2;
the clerk accepts it and sets "Sudah didaftarkan"; the citizen is told, and "status" says so.
Screenshots go to var/screenshots/."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.desk.db import make_engine, make_sessions
from bot.desk.models import Case, Notice
from tests.desk.test_e2e_chromium import ARGS, CHROMIUM, SHOTS, desk_process, loaded, sign_in
from tests.kit import photo_factory as pf
from tests.kit.citizens import MAKASSAR, Citizen
from tests.kit.desk_cli import add_desk_user
from tests.kit.fake_twilio import FakeTwilio
from tests.kit.ports import free_port
from tests.kit.webapp import running, whatsapp_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
PHONE = "+6281355501234"
TEMPLATE = "Dinas Sosial: {{2}} untuk pengajuan {{1}} perlu diganti ({{3}}). Balas pesan ini."


class Warga(Citizen):
    """A WhatsApp citizen whose every message the fake Twilio notes for the 24-hour window."""

    async def send(
        self, body: str = "", media: tuple[tuple[str, str], ...] = (), **extra: str
    ) -> list[str]:
        self.tw.citizen_wrote(self.to, datetime.now(UTC))
        return await super().send(body, media, **extra)

    async def photo(self, data: bytes, content_type: str = "image/jpeg", **kw: int) -> list[str]:
        self.tw.citizen_wrote(self.to, datetime.now(UTC))
        return await super().photo(data, content_type, **kw)


async def notices_of(url: str, reference: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as db:
            case = await db.scalar(select(Case).where(Case.reference == reference))
            assert case is not None
            rows = await db.scalars(
                select(Notice).where(Notice.case_id == case.id).order_by(Notice.id)
            )
            return [(n.kind, n.state) for n in rows]
    finally:
        await engine.dispose()


async def until(check, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.2)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")
async def test_a_refused_photo_reaches_a_silent_whatsapp_citizen_and_comes_back(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    from playwright.async_api import async_playwright, expect

    sid = tw.add_content(TEMPLATE)
    env = whatsapp_env(tmp_path, redis_url, tw) | {
        "LOG_FORMAT": "text",
        "TWILIO_TEMPLATE_DOCUMENT_REQUEST": f"{sid}:reference,document,reason",
    }
    async with running(env) as app:
        warga = Warga(app, tw, PHONE)
        for item in MAKASSAR:
            if isinstance(item, str):
                await warga.send(item)
            else:
                await warga.photo(pf.jpeg(pf.document(seed=item[1])))
        done = await warga.send("1")  # send it
        found = re.search(r"Nomor pengajuan: (MKS-[\w-]+)", "\n".join(done))
        assert found, done
        reference = found.group(1)
        await app.delivered()
        # 25 hours of silence: WhatsApp's window is closed, for the bot and for the fake
        long_ago = datetime.now(UTC) - timedelta(hours=25)
        await app.services.store.touch_inbound(warga.key, long_ago)
        tw.citizen_wrote(warga.to, long_ago)
        before = len(tw.bodies_to(warga.to))

        once = add_desk_user(env, "andi", "dinsos_makassar")
        SHOTS.mkdir(parents=True, exist_ok=True)
        with desk_process(env, free_port(), tmp_path / "desk.log") as desk:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                try:
                    page = await browser.new_page(viewport={"width": 1280, "height": 900})
                    await sign_in(page, desk, "andi", once, first=True)
                    await page.goto(f"{desk}/cases/{reference}")
                    kk = page.locator("section.document", has_text="Foto Kartu Keluarga")
                    await kk.locator("select[name=reason]").select_option("blurred")
                    await kk.locator("button.refuse").click()
                    await page.wait_for_load_state()

                    # the worker hands the request over; outside the window: the template
                    async def template_sent() -> bool:
                        return any(m.get("ContentSid") == sid for m in tw.sent)

                    await until(template_sent, "the template was sent")
                    (sent,) = [m for m in tw.sent if m.get("ContentSid") == sid]
                    assert json.loads(sent["ContentVariables"]) == {
                        "1": reference, "2": "Foto Kartu Keluarga",
                        "3": "fotonya buram, tulisannya tidak terbaca",
                    }  # fmt: skip
                    assert tw.bodies_to(warga.to)[before:] == [sent["Body"]]  # no free text
                    assert tw.failed == []  # nothing was sent that WhatsApp would refuse

                    async def request_told() -> bool:
                        states = await notices_of(env["DATABASE_URL"], reference)
                        return ("document_request", "sent") in states

                    await until(request_told, "the desk shows the request sent")
                    await page.reload()
                    notices = page.locator("#notices")
                    await expect(notices).to_contain_text("Permintaan dokumen: Foto Kartu Keluarga")
                    await expect(notices).to_contain_text("terkirim")

                    # the citizen answers with a new photo: the full request first, then thanks
                    said = await warga.photo(pf.jpeg(pf.document(seed=77)))
                    assert "perlu diganti: fotonya buram" in said[0], said
                    assert "sudah kami terima dan diteruskan ke petugas" in said[-1], said
                    await app.delivered()

                    await page.reload()
                    kk = page.locator("section.document", has_text="Foto Kartu Keluarga")
                    await expect(kk.locator("h3")).to_contain_text("versi 2")
                    await expect(page.locator(".case-head .status")).to_contain_text(
                        "Sedang diperiksa"
                    )
                    await loaded(kk.locator(".viewer img"), 1)
                    await page.screenshot(path=str(SHOTS / "loop-revision.png"), full_page=True)
                    await kk.locator("button.accept").click()
                    await page.wait_for_load_state()
                    await page.select_option("#status-select", "registered")
                    await page.click("form[action$='/status'] button.primary")
                    await page.wait_for_load_state()

                    async def status_told() -> bool:
                        return any(
                            "Status: Sudah didaftarkan." in b for b in tw.bodies_to(warga.to)
                        )

                    await until(status_told, "the citizen was told the status")
                    told = [b for b in tw.bodies_to(warga.to) if "Status: Sudah didaftarkan." in b]
                    assert len(told) == 1 and "JKN Mobile" in told[0]
                    await page.reload()
                    await page.screenshot(path=str(SHOTS / "loop-told.png"), full_page=True)
                finally:
                    await browser.close()
        said = await warga.send("status")
        assert f"Pengajuan {reference}" in said[0] and "Sudah didaftarkan" in said[0], said
        assert await notices_of(env["DATABASE_URL"], reference) == [
            ("document_request", "sent"),
            ("document_reminder", "cancelled"),
            ("document_reminder", "cancelled"),
            ("status", "sent"),
        ]
