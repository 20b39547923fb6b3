"""The desk end to end, as an office would run it: a citizen applies through the Telegram
webhook of a real `wargabot serve` (its worker hands the dossier to the case store), an account
is made with `wargabot desk add-user`, and a clerk in Debian's headless chromium (driven by
playwright, never a downloaded browser) signs in, finds the case by NIK, refuses the KK photo as
blurred, accepts the others, sets a status and prints the cover sheet. Screenshots of the list
and the case page go to var/screenshots/ for anyone to look at."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.desk.db import make_engine, make_sessions
from bot.desk.models import AuditEvent, Case, CaseEvent
from tests.kit import photo_factory as pf
from tests.kit.citizens import GOWA
from tests.kit.desk_cli import add_desk_user
from tests.kit.fake_telegram import FakeTelegram, contact_update, photo_update, text_update
from tests.kit.ports import free_port
from tests.kit.serve import post_update, serve
from tests.kit.webapp import telegram_env

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
CHAT = 5557001
NIK = "7306015203850002"
NEW_PASSWORD = "kopi susu di sungguminasa"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Citizen:
    """Posts updates to a running `serve` and waits for its answers to settle."""

    def __init__(self, port: int, tg: FakeTelegram) -> None:
        self.port, self.tg, self.update_id = port, tg, 1000

    async def send(self, update_for: Any) -> list[str]:
        self.update_id += 1
        before = len(self.tg.texts_to(CHAT))
        assert await post_update(self.port, update_for(self.update_id)) == 200
        await self.tg.wait_for_messages(CHAT, before + 1, timeout=20)
        while True:  # answers of one turn can come as several messages: wait for quiet
            count = len(self.tg.texts_to(CHAT))
            await asyncio.sleep(0.3)
            if len(self.tg.texts_to(CHAT)) == count:
                return self.tg.texts_to(CHAT)[before:]

    async def say(self, text: str) -> list[str]:
        return await self.send(lambda n: text_update(n, CHAT, text))

    async def photo(self, data: bytes) -> list[str]:
        file_id = self.tg.add_file(data)
        return await self.send(lambda n: photo_update(n, CHAT, file_id, len(data)))


@contextmanager
def desk_process(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    full = {**os.environ, **env, "DESK_PORT": str(port), "DESK_HOST": "127.0.0.1"}
    with log.open("w+b") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "desk"], env=full, stderr=out)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            yield url
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


async def apply_for_gowa(port: int, tg: FakeTelegram) -> str:
    citizen = Citizen(port, tg)
    for step in GOWA:
        if isinstance(step, str):
            await citizen.say(step)
        else:
            await citizen.photo(pf.jpeg(pf.document(seed=int(step[1]))))
    await citizen.send(lambda n: contact_update(n, CHAT, "+6285299998888"))
    done = await citizen.say("Kirim pengajuan")
    found = re.search(r"Nomor pengajuan: (GWA-[\w-]+)", "\n".join(done))
    assert found, done
    return found.group(1)


async def wait_for_case(url: str, reference: str) -> None:
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + 30
        while True:
            async with engine.connect() as conn:
                if await conn.scalar(select(Case.id).where(Case.reference == reference)):
                    return
            assert time.monotonic() < deadline, f"{reference} never reached the case store"
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()


async def sign_in(page: Any, desk: str, username: str, password: str, first: bool = False) -> None:
    """Sign in at the desk's page and end on the list of cases. `first`: a one-time password,
    which the desk makes the user replace (by NEW_PASSWORD here) before anything else."""
    if "/login" not in page.url:
        await page.goto(f"{desk}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit].primary")
    if first:  # first sign-in: a password of one's own
        await page.wait_for_url(f"{desk}/password")
        await page.fill("input[name=current]", password)
        await page.fill("input[name=new]", NEW_PASSWORD)
        await page.fill("input[name=again]", NEW_PASSWORD)
        await page.click("button.primary")
    await page.wait_for_url(re.compile(r"/cases"))


async def loaded(images: Any, count: int) -> None:
    """Wait until `count` images have loaded (a function call, not a string: the page's CSP
    forbids eval, and playwright's string predicates need it)."""
    deadline = time.monotonic() + 15
    while True:
        widths = await images.evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
        if len(widths) == count and all(w > 0 for w in widths):
            return
        assert time.monotonic() < deadline, f"images not loaded: {widths}"
        await asyncio.sleep(0.1)


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF made by fpdf2 (its page streams are zlib-compressed)."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(out)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)")
async def test_a_clerk_reviews_a_telegram_application_in_chromium(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    from playwright.async_api import async_playwright, expect

    env = telegram_env(tmp_path, redis_url, tg, LOG_FORMAT="text")
    serve_port = free_port()
    with serve(env, serve_port, tmp_path / "serve.log"):
        reference = await apply_for_gowa(serve_port, tg)
        await wait_for_case(env["DATABASE_URL"], reference)
    once = add_desk_user(env, "rahmat", "dinsos_gowa")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with desk_process(env, free_port(), tmp_path / "desk.log") as desk:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                await page.goto(f"{desk}/cases")  # no session: the sign-in page
                assert "/login" in page.url
                await sign_in(page, desk, "rahmat", once, first=True)
                await page.screenshot(path=str(SHOTS / "desk-cases.png"), full_page=True)
                assert await page.locator(f"text={reference}").count() == 1

                await page.fill("#q", NIK)  # htmx: the table follows the search box
                rows = page.locator("table.cases tbody tr")
                await expect(rows).to_have_count(1)  # one row left...
                await expect(page).to_have_url(re.compile(rf"q={NIK}"))  # ...and in the address
                await page.click(f"a[href='/cases/{reference}']")
                await page.wait_for_url(f"{desk}/cases/{reference}")
                await loaded(page.locator(".viewer img"), 4)  # through the authenticated route
                await page.locator("figure.page button.zoom-in").first.click()
                await page.locator("figure.page button.rotate").first.click()
                await page.screenshot(path=str(SHOTS / "desk-case.png"), full_page=True)

                cards = page.locator("section.document")
                assert await cards.count() == 4
                for i in range(4):
                    card = page.locator("section.document").nth(i)
                    title = await card.locator("h3").inner_text()
                    if "Kartu Keluarga" in title:
                        await card.locator("select[name=reason]").select_option("blurred")
                        await card.locator("button.refuse").click()
                    else:
                        await card.locator("button.accept").click()
                    await page.wait_for_load_state()
                await page.select_option("#status-select", "needs_documents")
                await page.click("form[action$='/status'] button.primary")
                await page.wait_for_load_state()
                assert "Perlu diganti" in await page.locator("section.d-refused h3").inner_text()
                await page.screenshot(path=str(SHOTS / "desk-case-reviewed.png"), full_page=True)

                pdf = await page.request.get(f"{desk}/cases/{reference}/cover.pdf")
                assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
                body = await pdf.body()
                (SHOTS / "desk-cover.pdf").write_bytes(body)
                text = pdf_text(body)
                assert reference in text and "Buram, tulisan tidak terbaca" in text
                assert "Dinas Sosial Kabupaten Gowa" in text
            finally:
                await browser.close()
    await check_the_record(env["DATABASE_URL"], reference)


async def check_the_record(url: str, reference: str) -> None:
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as db:
            case = await db.scalar(select(Case).where(Case.reference == reference))
            assert case is not None and case.status == "needs_documents"
            kinds = list(
                await db.scalars(
                    select(CaseEvent.kind)
                    .where(CaseEvent.case_id == case.id)
                    .order_by(CaseEvent.id)
                )
            )
            assert kinds[0] == "received" and kinds[-1] == "status_changed"
            assert sorted(kinds[1:-1]) == ["document_accepted"] * 3 + ["document_refused"]
            refused = await db.scalar(select(CaseEvent).where(CaseEvent.kind == "document_refused"))
            assert refused is not None
            assert (refused.data["step"], refused.data["reason"]) == ("foto_kk", "blurred")
            actions = set(await db.scalars(select(AuditEvent.action)))
            assert {"user_created", "login", "password_changed", "case_search", "case_view",
                    "photo_view", "document_decision", "status_change", "cover_sheet",
                    } <= actions  # fmt: skip
    finally:
        await engine.dispose()
