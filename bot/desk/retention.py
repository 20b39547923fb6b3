"""Retention: a closed case's personal data is kept for its office's `retention_days` (in the
office's definition, default 365), then deleted: the photos and PDFs (through the media store,
unless another case still holds the same file), the dossier record, the answers, the search
columns, the chat and every free text of its timeline and of its messages to the citizen. A
stub stays for statistics (reference, office, service, dates, status); each deletion is audited.
Open cases are never touched here; `purge_case` also serves a citizen's approved deletion
request (bot/desk/privacy.py), which closes them first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.desk import audit, notices
from bot.desk.actor import Actor
from bot.desk.models import Case, CaseEvent, Document, DocumentFile, Notice
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore

log = logging.getLogger("wargabot.retention")

# Free texts a timeline event may carry (staff notes, reasons): personal data, deleted too.
EVENT_TEXTS = ("text", "reason")
# A stored file received again this recently (the same photo in a conversation under way or a
# dossier not yet delivered, which hold no case yet) is kept: see MediaStore.put.
RECEIVED_AGAIN = timedelta(days=30)


@dataclass(frozen=True)
class Purged:
    """One case past its office's retention: what was (or, in a dry run, would be) deleted."""

    reference: str
    office_id: str
    closed_at: datetime
    files: int  # stored files deleted
    shared: int  # files kept because another case still holds them
    answers: bool  # it still had its answers
    keys: tuple[str, ...] = ()  # the stored files deleted


def _files(case: Case) -> list[DocumentFile]:
    return [f for d in case.documents for f in d.files if f.media_key is not None]


async def due(db: AsyncSession, flows: FlowSet, now: datetime) -> list[Case]:
    """Closed cases past their office's retention, not yet purged, oldest first."""
    found: list[Case] = []
    for office in flows.offices:
        cutoff = now - timedelta(days=office.retention_days)
        query = (
            select(Case)
            .where(
                Case.office_id == office.id,
                Case.closed_at.is_not(None),
                Case.closed_at < cutoff,
                Case.purged_at.is_(None),
            )
            .options(selectinload(Case.documents).selectinload(Document.files))
            .order_by(Case.closed_at)
        )
        found += list((await db.scalars(query)).unique())
    return found


async def _held_elsewhere(db: AsyncSession, case: Case, keys: set[str]) -> set[str]:
    """Of `keys`, those another case (not purged) still refers to: the same photo sent twice
    is stored once."""
    if not keys:
        return set()
    query = (
        select(DocumentFile.media_key)
        .join(Document, Document.id == DocumentFile.document_id)
        .where(DocumentFile.media_key.in_(keys), Document.case_id != case.id)
    )
    return {k for k in await db.scalars(query) if k is not None}


def _received_since(media: MediaStore, key: str, since: datetime) -> bool:
    try:
        return media.path(key).stat().st_mtime >= since.timestamp()
    except FileNotFoundError:
        return False


def _scrub(case: Case, events: list[CaseEvent], told: list[Notice], now: datetime) -> None:
    case.answers = None
    case.name = case.name_norm = case.nik = case.kk = case.phone = None
    case.chat_id = ""  # on WhatsApp the chat is the phone number
    case.status_reason = None
    case.purged_at = case.updated_at = now
    for doc in case.documents:
        doc.reason_text = None
        for f in doc.files:
            f.media_key, f.sha256 = None, ""
    for notice in told:  # a reminder still to come has nothing left to remind of
        if notice.state == notices.PENDING:
            notice.state, notice.detail, notice.updated_at = notices.CANCELLED, "data deleted", now
    rows: list[CaseEvent | Notice] = [*events, *told]  # staff's words, in both
    for row in rows:
        data = dict(row.data or {})
        if any(data.get(k) for k in EVENT_TEXTS):
            row.data = {**data, **{k: None for k in EVENT_TEXTS if k in data}}


async def plan(db: AsyncSession, media: MediaStore, case: Case, now: datetime) -> Purged:
    """What purging `case` deletes; its documents and files must be loaded."""
    keys = {f.media_key for f in _files(case) if f.media_key}
    kept = await _held_elsewhere(db, case, keys)
    kept |= {k for k in keys - kept if _received_since(media, k, now - RECEIVED_AGAIN)}
    return Purged(case.reference, case.office_id, case.closed_at or now,
                  len(keys - kept), len(kept), case.answers is not None,
                  tuple(sorted(keys - kept)))  # fmt: skip


async def purge_case(
    db: AsyncSession,
    media: MediaStore,
    case: Case,
    now: datetime,
    *,
    action: str = audit.RETENTION_PURGE,
    actor: Actor | None = None,
    why: str = "",
) -> Purged:
    """Delete one case's personal data, the one way retention and a citizen's request both use:
    its files first (unless another case holds them), its dossier record, then its row's
    personal columns, its timeline's and notices' free texts, audited in the caller's
    transaction (committed by the caller). Its documents and files must be loaded."""
    item = await plan(db, media, case, now)
    for key in [*item.keys, f"dossiers/{case.reference}.json"]:
        await asyncio.to_thread(media.remove, key)
    events = list(await db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)))
    told = list(await db.scalars(select(Notice).where(Notice.case_id == case.id)))
    _scrub(case, events, told, now)
    audit.record(
        db,
        action,
        actor,
        office_id=case.office_id,
        username=None if actor else "retention",
        case_reference=case.reference,
        detail=(why or f"closed {item.closed_at:%Y-%m-%d}")
        + f": {item.files} files, answers, record"
        + (f" ({item.shared} files kept: in use elsewhere)" if item.shared else ""),
        at=now,
    )
    return item


async def purge(
    sessions: async_sessionmaker[AsyncSession],
    flows: FlowSet,
    media: MediaStore,
    now: datetime,
    dry_run: bool = False,
) -> list[Purged]:
    """Delete the personal data of every case past retention (or say what would go). Files go
    first, then the case's row changes in one transaction: a run cut short is run again."""
    done: list[Purged] = []
    async with sessions() as db:
        for case in await due(db, flows, now):
            if dry_run:
                done.append(await plan(db, media, case, now))
                continue
            item = await purge_case(db, media, case, now)
            done.append(item)
            await db.commit()
            log.info("retention: %s purged (%d files)", case.reference, item.files)
    return done


async def every(
    hours: float,
    stop: asyncio.Event,
    job: Callable[[], Awaitable[object]],
    first_after: float = 60.0,
) -> None:
    """Run `job` `first_after` seconds from now and then every `hours`, until `stop` is set
    (the worker's schedule). A failed run is logged and tried again at the next turn."""
    delay = first_after
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return
        except TimeoutError:
            pass
        try:
            await job()
        except Exception:
            log.exception("retention run failed; trying again in %.0f h", hours)
        delay = hours * 3600
