"""Deletion requests at the desk (both databases): the admins of the request's office find it
under /admin/requests (linked from the admin navigation) with the chat's cases by reference;
staff and admins of another office see and decide nothing; a refusal needs a reason; a form
without its CSRF token is refused; approving purges the cases and the page shows the decision."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.desk import intake, privacy
from bot.desk.models import Case, Notice, PrivacyRequest
from bot.engine.flowset import FlowSet
from tests.desk import dossiers
from tests.desk.deskapp import DeskApp, desk_app


@pytest.fixture
async def app(db_url: str, flows: FlowSet, tmp_path: Path) -> AsyncIterator[DeskApp]:
    async with desk_app(db_url, flows, tmp_path / "media") as running:
        yield running


async def test_an_admin_of_the_office_refuses_then_approves_a_request(app: DeskApp) -> None:
    d = dossiers.gowa(app.desk.media)
    assert await intake.store_dossier(app.sessions, app.desk.flows, d, app.clock())
    assert await privacy.file_request(app.sessions, "telegram", "5551001", app.clock()) == (
        ("dinsos_gowa",), ())  # fmt: skip
    async with app.sessions() as db:
        request_id = (await db.scalars(select(PrivacyRequest.id))).one()

    admin = await app.signed_in("rahmat", role="admin")
    home = await admin.get("/cases")
    assert 'href="/admin/requests"' in home.text
    page = await admin.get("/admin/requests")
    assert page.status_code == 200 and "Menunggu keputusan" in page.text
    assert f'href="/cases/{d.reference}"' in page.text and "Nurhayati" not in page.text

    clerk = await app.signed_in("rina")  # staff: no such page
    assert (await clerk.get("/admin/requests")).status_code == 404
    assert 'href="/admin/requests"' not in (await clerk.get("/cases")).text
    other = await app.signed_in("andi", office="dinsos_makassar", role="admin")
    assert d.reference not in (await other.get("/admin/requests")).text
    res = await other.post(f"/admin/requests/{request_id}", {"action": "approve", "confirm": "yes"},
                           form_page="/admin/requests")  # fmt: skip
    assert res.status_code == 400 and "tidak ada di kantor ini" in res.text

    url = f"/admin/requests/{request_id}"
    forged = await admin.http.post(url, data={"action": "approve", "csrf": "x"})
    assert forged.status_code == 403
    res = await admin.post(url, {"action": "refuse", "reason": ""}, form_page="/admin/requests")
    assert res.status_code == 400 and "Tulis alasan penolakan" in res.text
    async with app.sessions() as db:
        assert (await db.scalars(select(Case.answers))).one() is not None
        assert (await db.scalars(select(PrivacyRequest.state))).one() == "pending"

    res = await admin.post(url, {"action": "approve"}, form_page="/admin/requests")
    assert res.status_code == 400 and "Centang konfirmasi" in res.text  # irreversible: ticked
    async with app.sessions() as db:
        assert (await db.scalars(select(PrivacyRequest.state))).one() == "pending"
    res = await admin.post(
        url, {"action": "approve", "confirm": "yes"}, form_page="/admin/requests"
    )
    assert res.status_code == 303 and res.headers["location"] == "/admin/requests"
    page = await admin.get("/admin/requests")
    assert "Tidak ada permintaan yang menunggu" in page.text
    assert "disetujui, data dihapus" in page.text and d.reference in page.text
    async with app.sessions() as db:
        case = (await db.scalars(select(Case))).one()
        kinds = [n.kind for n in await db.scalars(select(Notice))]
    assert (case.status, case.answers, case.purged_at) == ("withdrawn", None, app.clock())
    assert kinds == ["privacy_request"]
    again = await admin.post(
        url, {"action": "refuse", "reason": "sudah"}, form_page="/admin/requests"
    )
    assert again.status_code == 400 and "sudah diputuskan" in again.text
