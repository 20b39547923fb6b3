"""The desk's pages at work (both databases): a review through the forms, the list's exports,
the cover sheet, an admin's accounts and audit log, a second factor at sign-in, English."""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pyotp
import pytest
from sqlalchemy import select

from bot.desk import intake
from bot.desk.models import User
from bot.engine.flowset import FlowSet
from bot.media.keyring import Keyring, new_key
from bot.media.store import MediaStore
from tests.desk import dossiers
from tests.desk.deskapp import GOOD_PASSWORD, DeskApp, desk_app


@pytest.fixture
async def app(db_url: str, flows: FlowSet, tmp_path: Path) -> AsyncIterator[DeskApp]:
    async with desk_app(db_url, flows, tmp_path / "media") as running:
        yield running


async def store(
    app: DeskApp, name: str = "Nurhayati Daeng Caya", nik: str = "7306015203850002"
) -> str:
    d = dossiers.gowa(app.desk.media, name=name, nik=nik)
    assert await intake.store_dossier(app.sessions, app.desk.flows, d, app.clock())
    return d.reference


async def test_a_review_through_the_forms(app: DeskApp) -> None:
    ref = await store(app)
    clerk = await app.signed_in("rahmat")
    page = await clerk.get(f"/cases/{ref}")
    ids = re.findall(rf'action="/cases/{ref}/documents/(\d+)"', page.text)
    assert len(ids) == 4
    url = f"/cases/{ref}/documents/{ids[1]}"
    res = await clerk.post(
        url, {"decision": "refused", "reason": "", "revision": "1"}, f"/cases/{ref}"
    )
    assert res.status_code == 400 and "Pilih alasan" in res.text  # said, nothing stored
    res = await clerk.post(url, {"decision": "refused", "reason": "blurred", "revision": "1"},
                           f"/cases/{ref}")  # fmt: skip
    assert res.status_code == 303
    for doc in (ids[0], ids[2], ids[3]):
        await clerk.post(f"/cases/{ref}/documents/{doc}", {"decision": "accepted", "revision": "1"},
                         f"/cases/{ref}")  # fmt: skip
    res = await clerk.post(f"/cases/{ref}/status", {"status": "needs_documents"}, f"/cases/{ref}")
    assert res.status_code == 303
    page = await clerk.get(f"/cases/{ref}")
    assert page.text.count("✔ Sesuai") == 3 and "✘ Perlu diganti: Buram" in page.text
    assert 'class="status s-needs_documents">Menunggu dokumen' in page.text
    assert "meminta ganti Foto Kartu Keluarga (Buram, tulisan tidak terbaca)" in page.text
    res = await clerk.post(f"/cases/{ref}/status", {"status": "rejected"}, f"/cases/{ref}")
    assert res.status_code == 400 and "Tulis alasannya" in res.text
    htmx = await clerk.post(f"/cases/{ref}/notes", {"text": "Ditelepon"}, f"/cases/{ref}",
                            headers={"HX-Request": "true"})  # fmt: skip
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == f"/cases/{ref}"


async def test_the_filtered_list_exports_as_csv_and_xlsx(app: DeskApp) -> None:
    a = await store(app, name='=HYPERLINK("http://x")', nik="7306011111110001")
    b = await store(app, name="Baso", nik="7306012222220002")
    clerk = await app.signed_in("rahmat")
    await clerk.post(f"/cases/{b}/status", {"status": "in_review"}, f"/cases/{b}")
    res = await clerk.get("/cases/export.csv?status=in_review")
    assert res.status_code == 200 and "attachment" in res.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Nomor pengajuan", "Layanan", "Nama", "NIK"]
    assert [r[0] for r in rows[1:]] == [b] and rows[1][6] == "Sedang diperiksa"
    res = await clerk.get("/cases/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(res.content)).active
    assert sheet is not None
    values = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(values) == {a, b}
    name = values[a][2]
    assert name.value == '=HYPERLINK("http://x")' and name.data_type == "s"  # text, not formula
    assert values[a][3].value == "7306011111110001"  # 16 digits kept as text
    res = await clerk.get("/cases/export.csv")
    assert "'=HYPERLINK" in res.content.decode("utf-8-sig")
    assert (await clerk.get("/cases/export.json")).status_code == 404


async def test_the_cover_sheet_has_the_reference_the_checklist_and_a_qr_code(app: DeskApp) -> None:
    ref = await store(app)
    clerk = await app.signed_in("rahmat")
    page = await clerk.get(f"/cases/{ref}")
    ids = re.findall(rf'action="/cases/{ref}/documents/(\d+)"', page.text)
    refuse = {"decision": "refused", "reason": "cut_off", "revision": "1"}
    await clerk.post(f"/cases/{ref}/documents/{ids[1]}", refuse, f"/cases/{ref}")
    res = await clerk.get(f"/cases/{ref}/cover.pdf")
    assert res.status_code == 200 and res.content.startswith(b"%PDF-")
    assert res.headers["cache-control"] == "no-store"
    text = "".join(
        zlib.decompress(s).decode("latin-1")
        for s in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", res.content, re.S)
        if s[:1] == b"x"
    )
    for expected in (ref, "Dinas Sosial Kabupaten Gowa", "Kelengkapan dokumen",
                     "Perlu diganti: Terpotong", "Nurhayati Daeng Caya",
                     "Belum diperiksa"):  # fmt: skip
        assert expected in text, expected
    assert b"/Subtype /Image" in res.content  # the QR code


async def test_an_admin_creates_and_resets_accounts_and_reads_the_audit_log(app: DeskApp) -> None:
    admin = await app.signed_in("kepala", role="admin")
    res = await admin.post("/admin/users", {"username": "wati", "role": "staff"})
    otp = re.search(r'<p class="otp"><code>([a-z0-9-]+)</code>', res.text)
    assert res.status_code == 200 and otp
    assert (
        await admin.post("/admin/users", {"username": "wati", "role": "staff"})
    ).status_code == 400
    new = app.client()
    assert (await new.login("wati", otp.group(1))).status_code == 303
    async with app.sessions() as db:
        wati = await db.scalar(select(User).where(User.username == "wati"))
        assert wati is not None
    res = await admin.post(f"/admin/users/{wati.id}", {"action": "reset"}, "/admin/users")
    again = re.search(r'<p class="otp"><code>([a-z0-9-]+)</code>', res.text)
    assert again and again.group(1) != otp.group(1)
    assert (await new.get("/cases")).status_code == 303  # the reset ended her session
    log = await admin.get("/admin/audit?action=password_reset")
    assert "password_reset" in log.text and "wati" in log.text
    res = await admin.get("/admin/audit.csv")
    rows = list(csv.DictReader(io.StringIO(res.text)))
    actions = [r["action"] for r in rows]
    assert {"user_created", "login", "password_reset", "audit_view"} <= set(actions)
    other = await app.signed_in("andi", "dinsos_makassar", "admin")  # another office's admin
    assert "wati" not in (await other.get("/admin/users")).text
    assert "kepala" not in (await other.get("/admin/audit")).text


async def test_a_second_factor_at_sign_in_and_never_the_same_code_twice(app: DeskApp) -> None:
    browser = await app.signed_in("rahmat")
    page = await browser.get("/account")
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text)
    assert secret and "<svg" in page.text  # the QR code, inline
    totp = pyotp.TOTP(secret.group(1))
    code = totp.at(app.clock())
    assert (await browser.post("/account/totp", {"action": "enable", "secret": secret.group(1),
            "code": "000000"}, "/account")).status_code == 400  # fmt: skip
    res = await browser.post("/account/totp", {"action": "enable", "secret": secret.group(1),
                             "code": code}, "/account")  # fmt: skip
    assert res.status_code == 303
    app.clock.advance(seconds=30)
    other = app.client()
    res = await other.login("rahmat", GOOD_PASSWORD)
    assert res.headers["location"].startswith("/login/totp")
    assert (await other.get("/cases")).status_code == 303  # not in yet
    used = await other.post("/login/totp", {"code": code}, "/login/totp")
    assert used.status_code == 401  # the enrolment's code, once more: refused
    fresh = totp.at(app.clock())
    res = await other.post("/login/totp", {"code": fresh}, "/login/totp")
    assert res.status_code == 303
    assert (await other.get("/cases")).status_code == 200


async def test_an_office_can_require_a_second_factor_for_admins(
    db_url: str, flows: FlowSet, tmp_path: Path
) -> None:
    async with desk_app(
        db_url, flows, tmp_path, admin_totp_offices=frozenset({"dinsos_gowa"})
    ) as app:
        admin = await app.signed_in("kepala", role="admin")
        res = await admin.get("/cases")
        assert res.status_code == 303 and res.headers["location"] == "/account?totp=required"
        staff = await app.signed_in("rahmat")  # staff are not asked
        assert (await staff.get("/cases")).status_code == 200


async def test_english_for_a_staff_member_who_chooses_it(app: DeskApp) -> None:
    ref = await store(app)
    clerk = await app.signed_in("rahmat")
    await clerk.post("/account/lang", {"lang": "en"}, "/account")
    page = await clerk.get(f"/cases/{ref}")
    assert "Print the cover sheet (PDF)" in page.text and 'lang="en"' in page.text
    assert ">Received<" in page.text  # the flow's status label, from desk.po
    login = await app.client().get("/login?lang=en")
    assert "Sign in to the service desk" in login.text


async def test_photos_sealed_at_rest_open_with_their_key_and_a_wrong_key_is_said(
    db_url: str, flows: FlowSet, tmp_path: Path
) -> None:
    key, other = new_key(), new_key()
    sealed = MediaStore(tmp_path / "media", Keyring(key))
    d = dossiers.gowa(sealed)
    raw = next((tmp_path / "media").rglob("*.jpg")).read_bytes()
    assert not raw.startswith(b"\xff\xd8")  # encrypted on disk
    for keyring, status in ((Keyring(key), 200), (Keyring(other), 503)):
        media = MediaStore(tmp_path / "media", keyring)
        async with desk_app(db_url, flows, tmp_path, media=media) as app:
            await intake.store_dossier(app.sessions, app.desk.flows, d, app.clock())
            clerk = await app.signed_in(f"rahmat{status}")
            page = await clerk.get(f"/cases/{d.reference}")
            photo = re.search(rf'src="(/cases/{d.reference}/files/\d+)"', page.text)
            assert photo
            res = await clerk.get(photo.group(1))
            assert res.status_code == status
            if status == 200:
                assert res.content.startswith(b"\xff\xd8\xff")
            else:
                assert "kunci enkripsi salah" in res.text


async def test_the_case_page_shows_each_message_to_the_citizen_and_its_state(
    app: DeskApp,
) -> None:
    from bot.desk import notices
    from bot.desk.models import Notice

    ref = await store(app)
    clerk = await app.signed_in("rahmat")
    page = await clerk.get(f"/cases/{ref}")
    assert "Belum ada pesan ke warga." in page.text
    ids = re.findall(rf'action="/cases/{ref}/documents/(\d+)"', page.text)
    await clerk.post(f"/cases/{ref}/documents/{ids[1]}",
                     {"decision": "refused", "reason": "blurred", "revision": "1"},
                     f"/cases/{ref}")  # fmt: skip
    await clerk.post(f"/cases/{ref}/status", {"status": "recommendation_sent"}, f"/cases/{ref}")
    async with app.sessions() as s:
        request, status = list(await s.scalars(select(Notice).order_by(Notice.id)))
        await notices.mark(s, request.id, notices.WAITING, app.clock())
        await notices.mark(s, status.id, notices.FAILED, app.clock(), "blocked")
        await s.commit()
    page = await clerk.get(f"/cases/{ref}")
    section = page.text[page.text.index('id="notices"') :]
    assert "Permintaan dokumen: Foto Kartu Keluarga" in section
    assert "menunggu warga menulis" in section
    assert "Status: Rekomendasi dikirim ke BPJS" in section and "gagal" in section
