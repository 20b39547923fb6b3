"""A citizen's own data at the office (both databases): "data saya" returns the chat's answers and
documents, never another chat's, and is audited as read by that chat; "hapus data saya" files one
request per office, once; an admin of that office approves (the cases are closed, purged with
retention's purge, the audit names the admin) or refuses with a reason; an admin of another
office, or staff, cannot; the citizen's notice is written with the decision and goes to the chat
that asked, as the office event the engine words."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.desk import accounts, intake, notices, privacy, statuses
from bot.desk.actor import Actor
from bot.desk.cases import CaseRepository, Refused
from bot.desk.models import AuditEvent, Case, Document, Notice, PrivacyRequest
from bot.engine.flowset import FlowSet
from bot.engine.model import ErasureDecided
from bot.media.store import MediaStore
from tests.desk import dossiers

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
CHAT = ("telegram", "5551001")


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


async def admin_of(
    sessions: async_sessionmaker[AsyncSession], name: str, office: str, role: str = "admin"
) -> Actor:
    async with sessions() as db:
        offices = {"dinsos_gowa", "dinsos_makassar"}
        user, _ = await accounts.create_user(db, name, office, role, offices)
        await db.commit()
        return Actor(user.id, user.username, user.office_id, user.role)


async def stored(sessions: async_sessionmaker[AsyncSession], flows: FlowSet, d: object) -> None:
    assert await intake.store_dossier(sessions, flows, d, NOW)  # type: ignore[arg-type]


async def test_data_saya_is_the_chats_own_answers_and_documents_and_is_audited(
    sessions: async_sessionmaker[AsyncSession], flows: FlowSet, media: MediaStore
) -> None:
    mine = dossiers.gowa(media)
    other = dossiers.gowa(media, name="Sitti Rahma", nik="7306014101900003", chat_id="5559999")
    for d in (mine, other):
        await stored(sessions, flows, d)

    found = await privacy.chat_data(sessions, *CHAT, NOW)
    assert [c.reference for c in found] == [mine.reference]
    case = found[0]
    assert ("nama", "Nama lengkap", "Nurhayati Daeng Caya") in case.answers
    assert ("nik", "NIK", "7306015203850002") in case.answers
    assert all(step != "foto_ktp" for step, _, _ in case.answers)  # photos: as documents only
    assert ("foto_ktp", "Foto KTP", "pending") in case.documents and not case.purged
    assert "Sitti" not in repr(found)
    assert await privacy.chat_data(sessions, "whatsapp", "5551001", NOW) == ()

    async with sessions() as db:
        read = list(
            await db.scalars(select(AuditEvent).where(AuditEvent.action == "citizen_data_read"))
        )
    assert [(a.case_reference, a.username, a.office_id) for a in read] == [
        (mine.reference, "citizen", "dinsos_gowa")
    ]
    assert "telegram:5551001" in (read[0].detail or "") and "7306015203850002" not in repr(
        [a.detail for a in read]
    )


async def test_a_request_per_office_once_then_approved_by_that_offices_admin(
    sessions: async_sessionmaker[AsyncSession], flows: FlowSet, media: MediaStore
) -> None:
    gowa = dossiers.gowa(media)
    await stored(sessions, flows, gowa)
    assert await privacy.file_request(sessions, "telegram", "5550000", NOW) == ((), ())  # none

    assert await privacy.file_request(sessions, *CHAT, NOW) == (("dinsos_gowa",), ())
    assert await privacy.file_request(sessions, *CHAT, NOW) == ((), ("dinsos_gowa",))  # waiting
    async with sessions() as db:
        request = (await db.scalars(select(PrivacyRequest))).one()
    assert (request.office_id, request.state, request.references) == (
        "dinsos_gowa", "pending", [gowa.reference])  # fmt: skip

    makassar = await admin_of(sessions, "andi", "dinsos_makassar")
    clerk = await admin_of(sessions, "rina", "dinsos_gowa", role="staff")
    admin = await admin_of(sessions, "rahmat", "dinsos_gowa")
    for wrong in (makassar, clerk):
        async with sessions() as db:
            with pytest.raises(privacy.RequestError):
                await privacy.decide(db, media, wrong, request.id, True, "", NOW)

    async with sessions() as db:  # a document asked again, not yet handed to the chat
        repo = CaseRepository(db, admin, flows, clock=lambda: NOW)
        kk = (await repo.get(gowa.reference)).documents[1]
        await repo.decide(gowa.reference, kk.id, "refused", 1, "other", "KK Nurhayati buram")
    key = f"dossiers/{gowa.reference}.json"
    media.write(key, b"{}")
    async with sessions() as db:
        await privacy.decide(db, media, admin, request.id, True, "", NOW)
    async with sessions() as db:
        case = (await db.scalars(select(Case).options(
            selectinload(Case.documents).selectinload(Document.files)))).unique().one()  # fmt: skip
        request = (await db.scalars(select(PrivacyRequest))).one()
        asked, told = await db.scalars(select(Notice).order_by(Notice.id))
        audits = [
            (a.action, a.username, a.case_reference)
            for a in await db.scalars(
                select(AuditEvent).where(AuditEvent.action.like("erasure%")).order_by(AuditEvent.id)
            )
        ]
        chat = await notices.chat_of(db, told, case)
    assert (case.status, case.answers, case.nik, case.chat_id) == ("withdrawn", None, None, "")
    assert case.closed_at == NOW and case.purged_at == NOW
    assert all(f.media_key is None for d in case.documents for f in d.files)
    assert not media.path(key).exists()
    assert (request.state, request.decided_by, request.decided_at) == ("approved", "rahmat", NOW)
    assert audits == [
        ("erasure_requested", "citizen", None),
        ("erasure_approved", "rahmat", gowa.reference),
    ]
    assert told.kind == notices.ERASURE and told.state == notices.PENDING
    assert (asked.kind, asked.state) == (notices.DOCUMENT_REQUEST, notices.CANCELLED)
    assert "Nurhayati" not in repr(asked.data)  # nothing left to tell, nor its words
    assert chat == CHAT  # the case no longer names the chat; the request does
    assert notices.event_of(told, case) == ErasureDecided(
        "dinsos_gowa", True, "", (gowa.reference,)
    )
    async with sessions() as db:
        with pytest.raises(privacy.RequestError):  # decided once
            await privacy.decide(db, media, admin, request.id, False, "terlambat", NOW)

    again = await privacy.chat_data(sessions, *CHAT, NOW)  # the stub, by the request
    assert [(c.reference, c.purged, c.answers) for c in again] == [(gowa.reference, True, ())]
    assert await privacy.file_request(sessions, *CHAT, NOW) == ((), ())  # nothing kept now


async def test_a_refusal_needs_a_reason_and_keeps_the_data(
    sessions: async_sessionmaker[AsyncSession], flows: FlowSet, media: MediaStore
) -> None:
    gowa = dossiers.gowa(media)
    await stored(sessions, flows, gowa)
    await privacy.file_request(sessions, *CHAT, NOW)
    admin = await admin_of(sessions, "rahmat", "dinsos_gowa")
    async with sessions() as db:
        request = (await db.scalars(select(PrivacyRequest))).one()
        with pytest.raises(privacy.RequestError):
            await privacy.decide(db, media, admin, request.id, False, "  ", NOW)
    async with sessions() as db:
        reason = "Pengajuan masih diperiksa BPJS; data dihapus setelah selesai"
        await privacy.decide(db, media, admin, request.id, False, reason, NOW)
    async with sessions() as db:
        case = (await db.scalars(select(Case))).one()
        told = (await db.scalars(select(Notice))).one()
        refused = (await db.scalars(select(AuditEvent).where(
            AuditEvent.action == "erasure_refused"))).one()  # fmt: skip
    assert case.answers is not None and case.purged_at is None and case.chat_id == CHAT[1]
    assert notices.event_of(told, case) == ErasureDecided(
        "dinsos_gowa", False, reason, (gowa.reference,))  # fmt: skip
    assert "BPJS" not in (refused.detail or "")  # the reason is not the audit log's


async def test_withdrawn_is_never_set_by_hand(
    sessions: async_sessionmaker[AsyncSession], flows: FlowSet, media: MediaStore
) -> None:
    gowa = dossiers.gowa(media)
    await stored(sessions, flows, gowa)
    admin = await admin_of(sessions, "rahmat", "dinsos_gowa")
    assert "withdrawn" in {s.id for s in statuses.of_flow(flows, gowa.flow_id)}
    assert "withdrawn" not in {s.id for s in statuses.chosen_by_hand(flows, gowa.flow_id)}
    async with sessions() as db:
        with pytest.raises(Refused):
            await CaseRepository(db, admin, flows).set_status(gowa.reference, "withdrawn")
