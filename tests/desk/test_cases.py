"""The case store's contract, on SQLite and PostgreSQL alike: a dossier becomes one case (once),
the repository sees only its own office, every read of personal data and every change is in
the audit log, and every change is a fact on the case's timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.desk import intake
from bot.desk.actor import Actor
from bot.desk.cases import CaseRepository, NotFound, Refused
from bot.desk.models import AuditEvent, Case, DocumentFile, User
from bot.desk.queries import CaseFilter, classify
from bot.engine.flowset import FlowSet
from bot.engine.model import MediaRef
from bot.media.store import MediaStore
from tests.desk import dossiers

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


async def add_user(sessions: Sessions, username: str, office: str, role: str = "staff") -> Actor:
    async with sessions() as s:
        user = User(
            username=username, office_id=office, role=role, password_hash="x",
            must_change_password=False, lang="id", failed_logins=0, created_at=NOW,
        )  # fmt: skip
        s.add(user)
        await s.commit()
        return Actor(user.id, username, office, role, "127.0.0.1")


async def audit_rows(sessions: Sessions) -> list[tuple[str, str | None, str | None]]:
    async with sessions() as s:
        rows = await s.execute(
            select(AuditEvent.action, AuditEvent.case_reference, AuditEvent.detail).order_by(
                AuditEvent.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


async def test_a_dossier_becomes_one_case_with_its_documents(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    d = dossiers.gowa(media)
    assert await intake.store_dossier(sessions, flows, d, NOW) is True
    assert await intake.store_dossier(sessions, flows, d, NOW) is False  # a redelivery
    gowa = await add_user(sessions, "rahmat", "dinsos_gowa")
    async with sessions() as s:
        assert await s.scalar(select(func.count(Case.id))) == 1
        case = await CaseRepository(s, gowa, flows, lambda: NOW).get(d.reference)
        assert case.office_id == "dinsos_gowa" and case.status == "received"
        assert (case.name, case.nik, case.kk) == (
            "Nurhayati Daeng Caya",
            "7306015203850002",
            "7306010203150011",
        )
        assert case.phone == "+6285299998888" and case.name_norm == "nurhayati daeng caya"
        assert [doc.step for doc in case.documents] == [
            "foto_ktp",
            "foto_kk",
            "foto_rumah",
            "foto_keluarga",
        ]
        assert all(doc.decision == "pending" and doc.revision == 1 for doc in case.documents)
        kk = case.documents[1].current_files[0]
        assert media.read(_ref(kk)) == media.read(d.photos[1][1])
        answers = {a["step"]: a for a in case.answers or []}
        assert answers["dtks"]["display"] == "Sudah terdaftar" and answers["nik"]["kind"] == "nik"
        assert answers["foto_kk"]["value"] is None  # the photos live in the documents
        events = await CaseRepository(s, gowa, flows).events(case)
    assert [e.kind for e in events] == ["received"]
    assert events[0].data["documents"] == ["foto_ktp", "foto_kk", "foto_rumah", "foto_keluarga"]


def _ref(f: DocumentFile) -> MediaRef:
    return MediaRef(f.media_key or "", f.mime, f.sha256, f.size)


async def test_another_offices_case_is_not_found(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    d = dossiers.gowa(media)
    await intake.store_dossier(sessions, flows, d, NOW)
    makassar = await add_user(sessions, "andi", "dinsos_makassar")
    async with sessions() as s:
        repo = CaseRepository(s, makassar, flows)
        with pytest.raises(NotFound):
            await repo.get(d.reference)
        page = await repo.page(CaseFilter(q=d.reference))
        assert page.total == 0 and page.cases == []
        with pytest.raises(NotFound):
            await repo.set_status(d.reference, "done")


async def test_reviewing_a_case_is_on_its_timeline_and_in_the_audit_log(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    d = dossiers.gowa(media)
    await intake.store_dossier(sessions, flows, d, NOW)
    clerk = await add_user(sessions, "rahmat", "dinsos_gowa")
    other = await add_user(sessions, "wati", "dinsos_gowa")
    async with sessions() as s:
        repo = CaseRepository(s, clerk, flows, lambda: NOW)
        case = await repo.get(d.reference)
        ktp, kk = case.documents[0], case.documents[1]
        with pytest.raises(Refused):  # a refusal needs a reason
            await repo.decide(d.reference, kk.id, "refused", 1)
        with pytest.raises(Refused):  # "other" needs the reason written
            await repo.decide(d.reference, kk.id, "refused", 1, "other", "")
        with pytest.raises(Refused):  # a decision on a page showing an older revision
            await repo.decide(d.reference, kk.id, "accepted", 2)
        await repo.decide(d.reference, kk.id, "refused", 1, "blurred")
        await repo.decide(d.reference, ktp.id, "accepted", 1)
        with pytest.raises(Refused):  # rejected needs a reason the citizen will read
            await repo.set_status(d.reference, "rejected")
        with pytest.raises(Refused):
            await repo.set_status(d.reference, "no_such_status")
        await repo.set_status(d.reference, "needs_documents")
        await repo.note(d.reference, "Ditelepon, <b>akan kirim ulang</b>")
        await repo.assign(d.reference, other.user_id)
        await repo.set_status(d.reference, "rejected", "Tidak terdaftar di DTKS")
        with pytest.raises(Refused):  # closed: no more decisions until reopened
            await repo.decide(d.reference, kk.id, "accepted", 1)
        case = await repo.get(d.reference)
        assert case.closed_at == NOW and case.status_reason == "Tidak terdaftar di DTKS"
        assert case.assigned_to == other.user_id
        assert [(doc.decision, doc.reason) for doc in case.documents[:2]] == [
            ("accepted", None),
            ("refused", "blurred"),
        ]
        events = await repo.events(case)
    kinds = [e.kind for e in events]
    assert kinds == [
        "received",
        "document_refused",
        "document_accepted",
        "status_changed",
        "note_added",
        "assigned",
        "status_changed",
    ]
    refused = events[1]
    assert refused.actor_id == clerk.user_id and refused.data == {
        "document": kk.id,
        "step": "foto_kk",
        "label": "Foto Kartu Keluarga",
        "revision": 1,
        "reason": "blurred",
        "text": None,
    }
    assert events[-1].data == {
        "from": "needs_documents",
        "to": "rejected",
        "reason": "Tidak terdaftar di DTKS",
        "final": True,
    }
    assert len({e.id for e in events}) == len(events)
    actions = [a for a, _, _ in await audit_rows(sessions)]
    assert actions == [
        "case_view",
        "document_decision",
        "document_decision",
        "status_change",
        "note",
        "assign",
        "status_change",
        "case_view",
    ]


async def test_the_list_filters_counts_and_searches(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    old = NOW - timedelta(days=10)
    a = dossiers.gowa(media, name="Andi Baso", nik="7306011111110001", submitted=old)
    b = dossiers.gowa(media, name="Nurhayati", kk="7306019999990002", phone="+6281111122222")
    c = dossiers.makassar(media)
    for d in (a, b, c):
        await intake.store_dossier(sessions, flows, d, NOW)
    clerk = await add_user(sessions, "rahmat", "dinsos_gowa")
    async with sessions() as s:
        repo = CaseRepository(s, clerk, flows, lambda: NOW)
        await repo.set_status(b.reference, "in_review")
        await repo.assign(a.reference, clerk.user_id)

        async def refs(**kw: object) -> list[str]:
            return [x.reference for x in (await repo.page(CaseFilter(**kw))).cases]  # type: ignore[arg-type]

        assert await refs() == [b.reference, a.reference]  # newest first; not Makassar's
        assert await refs(sort="old") == [a.reference, b.reference]
        assert await refs(status="in_review") == [b.reference]
        assert await refs(mine=True) == [a.reference]
        assert await refs(waiting_days=5) == [a.reference]
        assert await refs(received_from=NOW.date() - timedelta(days=3)) == [b.reference]
        assert await refs(q="7306011111110001") == [a.reference]  # NIK
        assert await refs(q="7306 0199 9999 0002") == [b.reference]  # KK, spaced
        assert await refs(q="730601111") == [a.reference]  # the first digits of a NIK
        assert await refs(q="0811-1112-2222") == [b.reference]  # phone
        assert await refs(q="baso") == [a.reference]  # part of a name
        assert await refs(q=b.reference.lower().replace("-", " ")) == [b.reference]
        assert await refs(q="7371014506900001") == []  # Makassar's citizen: another office
        assert await refs(q="%") == []
        page = await repo.page(CaseFilter())
        assert page.counts == {"received": 1, "in_review": 1} and page.total == 2
    rows = await audit_rows(sessions)
    searches = [d for a_, _, d in rows if a_ == "case_search"]
    assert searches and all("7306011111110001" not in (d or "") for d in searches)
    assert any("7306********0001" in (d or "") for d in searches)  # masked, still useful


def test_a_search_box_tells_a_reference_a_number_a_phone_and_a_name_apart() -> None:
    assert classify("gwa-k7h-w3x-9ar") is not None
    assert classify("GWA K7H W3X 9AR").kind == "reference"  # type: ignore[union-attr]
    assert classify("7306015203850002").kind == "number"  # type: ignore[union-attr]
    assert classify("+62 812-3456-7890").value == "+6281234567890"  # type: ignore[union-attr]
    assert classify("Daeng Caya").value == "daeng caya"  # type: ignore[union-attr]
    assert classify("   ") is None and classify("12") is None


async def test_the_audit_log_is_append_only(sessions: Sessions, engine: object) -> None:
    async with sessions() as s:
        s.add(AuditEvent(at=NOW, action="login", username="x"))
        await s.commit()
    for sql in ("UPDATE audit_log SET action = 'logout'", "DELETE FROM audit_log"):
        async with sessions() as s:
            with pytest.raises((IntegrityError, DBAPIError)):
                await s.execute(text(sql))
                await s.commit()
    assert [a for a, _, _ in await audit_rows(sessions)] == ["login"]
