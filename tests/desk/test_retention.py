"""Retention with an injected clock (both databases): a case closed 366 days ago loses its
photos, dossier record, answers, chat and timeline texts, and its stub stays; one closed 364
days ago, and an open one however old, are untouched; a photo another case still holds is
kept; a dry run changes nothing; each deletion is audited; the worker's schedule runs it."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.desk import accounts, intake
from bot.desk.actor import Actor
from bot.desk.cases import CaseRepository
from bot.desk.models import AuditEvent, Case, CaseEvent, Document, Notice, User
from bot.desk.retention import every, purge
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore
from tests.desk import dossiers

NOW = datetime(2027, 12, 1, 2, 0, tzinfo=UTC)


async def closed(
    sessions: async_sessionmaker[AsyncSession], flows: FlowSet, media: MediaStore,
    days_ago: float | None, seed: int,
) -> str:  # fmt: skip
    at = NOW - timedelta(days=days_ago if days_ago is not None else 800)
    d = dossiers.makassar(media, submitted=at - timedelta(days=30), photo_seed=seed,
                          nik=f"73710145069{seed:04d}1"[:16])  # fmt: skip
    assert await intake.store_dossier(sessions, flows, d, at - timedelta(days=30))
    media.write(f"dossiers/{d.reference}.json", b'{"nik": "7371014506900001"}')
    if days_ago is not None:
        async with sessions() as db:
            user = await db.scalar(select(User).where(User.username == "rina"))
            if user is None:
                user, _ = await accounts.create_user(db, "rina", "dinsos_makassar", "staff",
                                                     {"dinsos_makassar"})  # fmt: skip
            clerk = Actor(user.id, user.username, user.office_id, user.role)
            repo = CaseRepository(db, clerk, flows, clock=lambda: at)
            case = await repo._load(d.reference)
            doc = case.documents[0]
            await repo.decide(d.reference, doc.id, "refused", 1, "other", "KK milik Siti Aminah")
            await repo.note(d.reference, "Ibu Siti, HP 081234567890, rumah dekat masjid")
            await repo.set_status(d.reference, "rejected", "NIK Siti tidak ada di DTSEN")
    return d.reference


async def load(sessions: async_sessionmaker[AsyncSession], ref: str) -> Case:
    async with sessions() as db:
        query = select(Case).where(Case.reference == ref).options(
            selectinload(Case.documents).selectinload(Document.files))  # fmt: skip
        return (await db.scalars(query)).unique().one()


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


async def test_past_retention_loses_its_personal_data_and_keeps_a_stub(
    sessions: async_sessionmaker[AsyncSession], flows: FlowSet, media: MediaStore
) -> None:
    old = await closed(sessions, flows, media, 366, seed=21)
    recent = await closed(sessions, flows, media, 364, seed=22)
    shared_old = await closed(sessions, flows, media, 400, seed=23)
    still_open = await closed(sessions, flows, media, None, seed=23)  # holds the same photo
    before = {ref: await load(sessions, ref) for ref in (old, recent, shared_old, still_open)}
    key = {ref: c.documents[0].files[0].media_key or "" for ref, c in before.items()}

    dry = await purge(sessions, flows, media, NOW, dry_run=True)
    assert [(p.reference, p.files, p.shared) for p in dry] == [(shared_old, 0, 1), (old, 1, 0)]
    assert (await load(sessions, old)).answers is not None and media.path(key[old]).exists()

    done = await purge(sessions, flows, media, NOW)
    assert [p.reference for p in done] == [shared_old, old]
    assert (done[1].files, done[1].shared, done[1].answers) == (1, 0, True)
    stub = await load(sessions, old)
    assert stub.answers is None and (stub.nik, stub.kk, stub.name, stub.phone) == (None,) * 4
    assert stub.chat_id == "" and stub.status_reason is None and stub.purged_at == NOW
    assert (stub.reference, stub.office_id, stub.flow_id, stub.status) == (
        old, "dinsos_makassar", "makassar-kis-pbi", "rejected")  # fmt: skip
    assert stub.closed_at == before[old].closed_at and stub.submitted_at is not None
    assert stub.documents[0].files[0].media_key is None and stub.documents[0].reason_text is None
    assert not media.path(key[old]).exists()
    assert not media.path(f"dossiers/{old}.json").exists()
    async with sessions() as db:
        texts = [e.data for e in await db.scalars(select(CaseEvent).where(
            CaseEvent.case_id == stub.id))]  # fmt: skip
        audits = list(await db.scalars(select(AuditEvent).where(
            AuditEvent.action == "retention_purge").order_by(AuditEvent.id)))  # fmt: skip
    assert "Siti" not in repr(texts) and "081234567890" not in repr(texts)
    async with sessions() as db:  # what the citizen was told: staff's reason and text go too
        told = [n.data for n in await db.scalars(select(Notice).where(Notice.case_id == stub.id))]
    assert {"text", "reason"} <= {k for d in told for k in d} and "Siti" not in repr(told)
    assert [(a.case_reference, a.username, a.office_id) for a in audits] == [
        (shared_old, "retention", "dinsos_makassar"),
        (old, "retention", "dinsos_makassar"),
    ]
    assert "1 files kept: in use elsewhere" in (audits[0].detail or "")

    for ref in (recent, still_open):  # 364 days, and open: untouched
        case = await load(sessions, ref)
        assert case.answers is not None and case.nik and case.purged_at is None
        assert media.path(key[ref]).exists() and media.path(f"dossiers/{ref}.json").exists()
    assert media.path(key[shared_old]).exists()  # the open case still holds that photo
    assert await purge(sessions, flows, media, NOW) == []  # done once


async def test_a_photo_received_again_lately_is_kept(
    sessions: async_sessionmaker[AsyncSession], flows: FlowSet, media: MediaStore
) -> None:
    """The same photo sent again in a conversation (no case yet) must outlive the old case."""
    old = await closed(sessions, flows, media, 400, seed=31)
    key = (await load(sessions, old)).documents[0].files[0].media_key or ""
    path = media.path(key)
    os.utime(path, (0, 0))
    assert dossiers.photo(media, 31).key == key and path.stat().st_mtime > 0  # put() touches it
    os.utime(path, (NOW.timestamp() - 86400, NOW.timestamp() - 86400))  # a day before NOW
    done = await purge(sessions, flows, media, NOW)
    assert [(p.reference, p.files, p.shared) for p in done] == [(old, 0, 1)]
    assert path.exists() and (await load(sessions, old)).answers is None


async def test_the_worker_schedule_runs_the_job_until_stopped() -> None:
    runs: list[float] = []
    stop = asyncio.Event()

    async def job() -> None:
        runs.append(asyncio.get_running_loop().time())
        if len(runs) == 1:
            raise RuntimeError("the database was restarting")  # logged, tried again
        if len(runs) == 3:
            stop.set()

    await asyncio.wait_for(every(0.01 / 3600, stop, job, first_after=0.01), timeout=5)
    assert len(runs) == 3
