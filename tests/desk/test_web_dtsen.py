"""The DTSEN list at the desk (both databases): an admin uploads the office's export and sees
the report; the case page shows whether the case's NIK and KK number are in it, with the desil
and the list's date, in Indonesian and English; each lookup is in the audit log; staff of
another office see nothing of it, and only admins upload."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks import dtsen_lists as lists
from bot.desk import intake
from bot.desk.models import AuditEvent, User
from bot.engine.flowset import FlowSet
from tests.desk import dossiers
from tests.desk.deskapp import Browser, DeskApp, desk_app

NIK, KK = "7306015203850002", "7306010203150011"  # the Gowa dossier's


@pytest.fixture
async def app(db_url: str, flows: FlowSet, tmp_path: Path) -> AsyncIterator[DeskApp]:
    async with desk_app(db_url, flows, tmp_path / "media") as running:
        yield running


def export(folder: Path, extra: list[tuple[object, ...]]) -> Path:
    rows = [*lists.people(40, seed=4), *extra, ("12345", "", "Salah", "", "", "", "")]
    return lists.write_csv(folder / "DTSEN Gowa Oktober.csv", rows, delimiter=";")


async def upload(admin: Browser, path: Path, as_of: str = "2026-10-01", **data: str) -> None:
    with path.open("rb") as fh:
        res = await admin.post("/admin/dtsen", {"as_of": as_of, **data},
                               files={"file": (path.name, fh, "text/csv")})  # fmt: skip
    assert res.status_code == 303, res.text
    for _ in range(200):
        res = await admin.get("/admin/dtsen/progress", headers={"HX-Request": "true"})
        if res.status_code == 204:
            assert res.headers["HX-Refresh"] == "true"
            return
        assert "Mengimpor" in res.text
        await asyncio.sleep(0.05)
    raise AssertionError("the import never finished")


async def test_an_admin_uploads_the_list_and_the_case_page_shows_the_hint(
    app: DeskApp, tmp_path: Path
) -> None:
    d = dossiers.gowa(app.desk.media, nik=NIK, kk="7306019999990001")
    assert await intake.store_dossier(app.sessions, app.desk.flows, d, app.clock())
    admin = await app.signed_in("rahmat", role="admin")
    page = await admin.get(f"/cases/{d.reference}")
    assert "Kantor ini belum punya daftar DTSEN" in page.text and 'href="/admin/dtsen"' in page.text

    await upload(admin, export(tmp_path, [(NIK, KK, "Nurhayati", 3, "Somba Opu", "", "")]))
    page = await admin.get("/admin/dtsen")
    assert "Daftar per 2026-10-01: 41 orang" in page.text
    assert 'class="problem-nik"' in page.text and "baris 43" in page.text  # the bad row
    assert "bukan 16 angka: 1" in page.text

    case = await admin.get(f"/cases/{d.reference}")
    assert "ditemukan: desil 3, daftar per 2026-10-01" in case.text  # the NIK
    assert "tidak ditemukan di daftar per 2026-10-01" in case.text  # the KK number
    assert "bukan keputusan" in case.text

    async with app.sessions() as db:
        user = (await db.scalars(select(User).where(User.username == "rahmat"))).one()
        user.lang = "en"
        await db.commit()
        looked = list(await db.scalars(select(AuditEvent).where(
            AuditEvent.action == "dtsen_lookup").order_by(AuditEvent.id)))  # fmt: skip
    english = await admin.get(f"/cases/{d.reference}")
    assert "found: desil 3, list of 2026-10-01" in english.text
    assert "not found in the list of 2026-10-01" in english.text
    assert [(a.case_reference, a.username) for a in looked] == [(d.reference, "rahmat")]
    assert looked[0].detail == "list of 2026-10-01: NIK found, KK not found"
    async with app.sessions() as db:
        imported = (await db.scalars(select(AuditEvent).where(
            AuditEvent.action == "dtsen_import"))).one()  # fmt: skip
    assert imported.username == "rahmat" and imported.office_id == "dinsos_gowa"


async def test_only_admins_upload_and_another_office_sees_nothing(
    app: DeskApp, tmp_path: Path
) -> None:
    admin = await app.signed_in("rahmat", role="admin")
    await upload(admin, export(tmp_path, [(NIK, KK, "Nurhayati", 3, "", "", "")]))
    clerk = await app.signed_in("ani")
    assert (await clerk.get("/admin/dtsen")).status_code == 404
    res = await clerk.http.post("/admin/dtsen", data={"csrf": "x"})
    assert res.status_code in (403, 404)
    other = await app.signed_in("andi", office="dinsos_makassar", role="admin")
    page = await other.get("/admin/dtsen")
    assert "Belum ada daftar" in page.text and "41 orang" not in page.text
    m = dossiers.makassar(app.desk.media, nik=NIK, kk=KK)  # the same person, in Makassar
    assert await intake.store_dossier(app.sessions, app.desk.flows, m, app.clock())
    case = await other.get(f"/cases/{m.reference}")
    assert "belum punya daftar DTSEN" in case.text and "desil 3" not in case.text


async def test_a_file_that_cannot_be_imported_is_said_on_the_page(
    app: DeskApp, tmp_path: Path
) -> None:
    admin = await app.signed_in("rahmat", role="admin")
    header = ("ID_ART", "ID_KK", "Nama", "Desil", "Kecamatan", "Kelurahan", "Alamat")
    odd = lists.write_csv(tmp_path / "odd.csv", lists.people(5), header=header)
    await upload(admin, odd)
    page = await admin.get("/admin/dtsen")
    assert "Tidak ada kolom NIK atau No KK" in page.text and "ID_ART" in page.text
    await upload(admin, odd, column_nik="ID_ART", column_kk="id kk")
    page = await admin.get("/admin/dtsen")
    assert "Daftar per 2026-10-01: 5 orang" in page.text
    res = await admin.post("/admin/dtsen", {"as_of": ""},
                           files={"file": ("x.csv", b"NIK\n", "text/csv")})  # fmt: skip
    assert res.status_code == 400 and "Isi tanggal daftar" in res.text
