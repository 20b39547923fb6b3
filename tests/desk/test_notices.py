"""The desk's side of the loop back to the citizen, on SQLite and PostgreSQL alike: a refused
document and a status the flow tells become notices in the same transaction as their timeline
fact; a document sent again becomes revision 2 of the same case (once), puts the case back in
review and drops its pending reminders; another chat cannot add to a case."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.desk import intake, notices
from bot.desk.cases import CaseRepository
from bot.desk.models import Case, CaseEvent, Notice
from bot.desk.revisions import NotTheirs, store_revision
from bot.engine.flowset import FlowSet
from bot.engine.model import Revision
from bot.media.store import MediaStore
from tests.desk import dossiers
from tests.desk.test_cases import NOW, add_user

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


async def _all(sessions: Sessions) -> list[Notice]:
    async with sessions() as s:
        return list(await s.scalars(select(Notice).order_by(Notice.id)))


async def test_a_refused_document_and_a_told_status_become_notices(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    d = dossiers.gowa(media)
    await intake.store_dossier(sessions, flows, d, NOW)
    clerk = await add_user(sessions, "rahmat", "dinsos_gowa")
    async with sessions() as s:
        repo = CaseRepository(s, clerk, flows, lambda: NOW)
        case = await repo.get(d.reference)
        ktp, kk = case.documents[0], case.documents[1]
        await repo.decide(d.reference, kk.id, "refused", 1, "blurred", "bagian bawah gelap")
        await repo.decide(d.reference, ktp.id, "accepted", 1)
        await repo.set_status(d.reference, "needs_documents")  # not told: no notice
        await repo.set_status(d.reference, "recommendation_sent")  # tell: true in the flow
    request, status = await _all(sessions)
    assert (request.kind, request.state, request.due_at) == ("document_request", "pending", NOW)
    assert request.data == {
        "reference": d.reference, "step": "foto_kk", "label": "Foto Kartu Keluarga",
        "revision": 1, "reason": "blurred", "text": "bagian bawah gelap",
    }  # fmt: skip
    assert (status.kind, status.data["status"], status.data["final"]) == (
        "status",
        "recommendation_sent",
        False,
    )
    async with sessions() as s:  # each names the timeline fact it tells (its idempotency key)
        refused = await s.get(CaseEvent, request.event_id)
        changed = await s.get(CaseEvent, status.event_id)
        assert refused is not None and refused.kind == "document_refused"
        assert changed is not None and changed.data["to"] == "recommendation_sent"


async def test_a_rejection_is_told_with_its_reason(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    d = dossiers.gowa(media)
    await intake.store_dossier(sessions, flows, d, NOW)
    clerk = await add_user(sessions, "rahmat", "dinsos_gowa")
    async with sessions() as s:
        await CaseRepository(s, clerk, flows, lambda: NOW).set_status(
            d.reference, "rejected", "Tidak terdaftar di DTKS"
        )
    (notice,) = await _all(sessions)
    assert notice.data["status"] == "rejected" and notice.data["final"] is True
    assert notice.data["reason"] == "Tidak terdaftar di DTKS"


async def test_marking_a_notice_never_takes_back_what_is_settled(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    d = dossiers.gowa(media)
    await intake.store_dossier(sessions, flows, d, NOW)
    clerk = await add_user(sessions, "rahmat", "dinsos_gowa")
    async with sessions() as s:
        repo = CaseRepository(s, clerk, flows, lambda: NOW)
        kk = (await repo.get(d.reference)).documents[1]
        await repo.decide(d.reference, kk.id, "refused", 1, "cut_off")
    (notice,) = await _all(sessions)
    async with sessions() as s:
        assert await notices.mark(s, notice.id, notices.QUEUED, NOW)
        assert await notices.mark(s, notice.id, notices.WAITING, NOW, "outside the window")
        assert await notices.mark(s, notice.id, notices.SENT, NOW + timedelta(hours=30))
        assert not await notices.mark(s, notice.id, notices.WAITING, NOW)  # a late receipt
        assert not await notices.mark(s, notice.id, notices.FAILED, NOW)
        await s.commit()
        with pytest.raises(ValueError):
            await notices.mark(s, notice.id, "delivered", NOW)
    (notice,) = await _all(sessions)
    assert notice.state == "sent" and notice.sent_at == NOW + timedelta(hours=30)


async def _refused_with_reminders(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> tuple[str, str]:
    d = dossiers.gowa(media)
    await intake.store_dossier(sessions, flows, d, NOW)
    clerk = await add_user(sessions, "rahmat", "dinsos_gowa")
    async with sessions() as s:
        repo = CaseRepository(s, clerk, flows, lambda: NOW)
        kk = (await repo.get(d.reference)).documents[1]
        await repo.decide(d.reference, kk.id, "refused", 1, "blurred")
        await repo.set_status(d.reference, "needs_documents")
    async with sessions() as s:
        (request,) = await notices.due(s, NOW)
        assert request.case.reference == d.reference  # the chat it goes to comes with it
        delays = [timedelta(days=1), timedelta(days=3)]
        notices.remind_later(s, request, request.case, delays, NOW)
        await s.commit()
        assert await notices.due(s, NOW + timedelta(days=2)) != []
    return d.reference, d.chat_id


async def test_a_document_sent_again_is_revision_two_of_the_same_case(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    reference, chat_id = await _refused_with_reminders(sessions, flows, media)
    new_kk = dossiers.photo(media, 99)
    revision = Revision(
        f"{reference}/foto_kk/1", reference, "foto_kk", "id", "telegram", chat_id,
        NOW + timedelta(hours=2), (new_kk,),
    )  # fmt: skip
    later = NOW + timedelta(hours=2)
    assert await store_revision(sessions, flows, revision, later) is True
    assert await store_revision(sessions, flows, revision, later) is False  # a redelivery
    async with sessions() as s:
        assert await s.scalar(select(func.count(Case.id))) == 1  # never a second dossier
    clerk = await add_user(sessions, "wati", "dinsos_gowa")
    async with sessions() as s:
        repo = CaseRepository(s, clerk, flows, lambda: later)
        case = await repo.get(reference)
        kk = case.documents[1]
        assert (kk.revision, kk.decision, kk.reason) == (2, "pending", None)
        assert [f.sha256 for f in kk.current_files] == [new_kk.sha256]
        assert len(kk.files) == 2  # revision 1 is kept
        assert case.status == "in_review"
        kinds = [e.kind for e in await repo.events(case)]
        assert kinds[-2:] == ["revision_received", "status_changed"]
        await repo.decide(reference, kk.id, "accepted", 2)  # the page shows revision 2
    states = [(n.kind, n.state) for n in await _all(sessions)]
    assert states == [
        ("document_request", "pending"),
        ("document_reminder", "cancelled"),
        ("document_reminder", "cancelled"),
    ]


async def test_only_the_chat_that_applied_can_send_a_revision(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    reference, chat_id = await _refused_with_reminders(sessions, flows, media)
    photo = (dossiers.photo(media, 7),)
    stranger = Revision(
        f"{reference}/foto_kk/1", reference, "foto_kk", "id", "telegram", "999", NOW, photo
    )
    with pytest.raises(NotTheirs):
        await store_revision(sessions, flows, stranger, NOW)
    no_such_step = Revision(
        f"{reference}/sktm/1", reference, "sktm", "id", "telegram", chat_id, NOW, photo
    )
    with pytest.raises(NotTheirs):
        await store_revision(sessions, flows, no_such_step, NOW)
    async with sessions() as s:
        case = await s.scalar(select(Case).where(Case.reference == reference))
        assert case is not None and case.status == "needs_documents"


async def test_a_chat_learns_the_status_of_its_own_cases_only(
    sessions: Sessions, flows: FlowSet, media: MediaStore
) -> None:
    from bot.desk.lookup import chat_cases
    from bot.engine.model import DocumentRequested

    reference, chat_id = await _refused_with_reminders(sessions, flows, media)
    async with sessions() as s:
        (request,) = [n for n in await _all(sessions) if n.kind == "document_request"]
        await notices.mark(s, request.id, notices.SENT, NOW)
        await s.commit()
    (mine,) = await chat_cases(sessions, "telegram", chat_id)
    assert (mine.reference, mine.status, mine.waiting_for) == (
        reference,
        "needs_documents",
        ("foto_kk",),
    )
    assert mine.last == DocumentRequested(
        reference, "gowa-kis-reaktivasi", "foto_kk", "blurred", ""
    )
    assert await chat_cases(sessions, "telegram", chat_id, reference) == (mine,)
    assert await chat_cases(sessions, "telegram", "999", reference) == ()  # another chat
    assert await chat_cases(sessions, "whatsapp", chat_id) == ()  # another channel
