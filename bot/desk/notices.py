"""Messages to the citizen about their case, as rows of `case_notices`: a document asked again, a
status the flow tells, reminders of a document still awaited. Written here in the transaction of
the event they come from, handed to the chat by the worker (bot/loop/), and marked with what
became of them. No sending here, and no text: the engine words them in the citizen's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.desk.i18n import N_
from bot.desk.models import Case, CaseEvent, Document, Notice, PrivacyRequest
from bot.engine.flow import StatusSpec
from bot.engine.model import (
    DocumentRequested,
    ErasureDecided,
    OfficeEvent,
    ReminderDue,
    StatusChanged,
)

DOCUMENT_REQUEST = "document_request"  # {reference, step, label, revision, reason, text}
STATUS = "status"  # {reference, status, reason, final}
DOCUMENT_REMINDER = "document_reminder"  # {reference, step, label, n}
# A deletion request decided (privacy.py): {reference, request, approved, reason, references}.
# It hangs on one of the request's cases, but goes to the chat of the request (chat_of).
ERASURE = "privacy_request"
KINDS = (DOCUMENT_REQUEST, STATUS, DOCUMENT_REMINDER, ERASURE)

PENDING = "pending"  # written; the worker hands it to the chat when it is due
QUEUED = "queued"  # in the chat's queue
WAITING = "waiting"  # WhatsApp: outside the 24-hour window with no template; sent when they write
SENT = "sent"  # the platform took it
FAILED = "failed"  # the platform refused it for good (detail: blocked, ...)
SKIPPED = "skipped"  # not sent, rightly: reminders stopped, the document came meanwhile, ...
CANCELLED = "cancelled"  # a reminder no longer due: the document arrived
STATES = (PENDING, QUEUED, WAITING, SENT, FAILED, SKIPPED, CANCELLED)
OPEN = (PENDING, QUEUED, WAITING)  # not settled yet

# What staff read at the desk (msgids of the desk's catalog).
KIND_LABELS = {
    DOCUMENT_REQUEST: N_("Permintaan dokumen"),
    STATUS: N_("Status"),
    DOCUMENT_REMINDER: N_("Pengingat dokumen"),
    ERASURE: N_("Keputusan hapus data"),
}
STATE_LABELS = {
    PENDING: N_("belum dikirim"),
    QUEUED: N_("dalam antrean"),
    WAITING: N_("menunggu warga menulis"),
    SENT: N_("terkirim"),
    FAILED: N_("gagal"),
    SKIPPED: N_("tidak dikirim"),
    CANCELLED: N_("dibatalkan"),
}


def _add(
    session: AsyncSession,
    case: Case,
    kind: str,
    event: CaseEvent | None,
    due: datetime,
    now: datetime,
    **data: Any,
) -> Notice:
    notice = Notice(
        case_id=case.id,
        kind=kind,
        data={"reference": case.reference, **data},
        due_at=due,
        state=PENDING,
        created_at=now,
        updated_at=now,
    )
    notice.event = event  # its id once flushed: the notice names the fact it tells
    session.add(notice)
    return notice


def document_requested(
    session: AsyncSession, case: Case, doc: Document, event: CaseEvent, now: datetime
) -> Notice:
    """Staff asked for a new copy of `doc`: the citizen is told why and how to send it."""
    return _add(
        session,
        case,
        DOCUMENT_REQUEST,
        event,
        now,
        now,
        step=doc.step,
        label=doc.label,
        revision=doc.revision,
        reason=doc.reason,
        text=doc.reason_text,
    )


def status_changed(
    session: AsyncSession, case: Case, spec: StatusSpec, event: CaseEvent, now: datetime
) -> Notice | None:
    """A status its flow marks `tell: true` is told, with the staff's reason when it has one."""
    if not spec.tell:
        return None
    data = {"status": spec.id, "reason": case.status_reason, "final": spec.final}
    return _add(session, case, STATUS, event, now, now, **data)


def remind_later(
    session: AsyncSession, request: Notice, case: Case, delays: Sequence[timedelta], now: datetime
) -> list[Notice]:
    """The reminders of a document request, counted from when it was handed to the chat."""
    d = request.data
    return [
        _add(
            session,
            case,
            DOCUMENT_REMINDER,
            None,
            now + delay,
            now,
            step=d["step"],
            label=d["label"],
            n=n,
            request=request.id,
        )
        for n, delay in enumerate(delays, 1)
    ]


def erasure_decided(
    session: AsyncSession, case: Case, request: PrivacyRequest, now: datetime
) -> Notice:
    """A deletion request decided: the citizen is told, in the chat that asked (chat_of)."""
    return _add(session, case, ERASURE, None, now, now, request=request.id,
                approved=request.state == "approved", reason=request.reason,
                references=list(request.references))  # fmt: skip


async def chat_of(session: AsyncSession, notice: Notice, case: Case) -> tuple[str, str]:
    """The chat a notice goes to, (channel, chat id): its case's, or for a deletion request's
    decision the chat that asked (an approved one leaves its cases without a chat)."""
    if notice.kind == ERASURE:
        request = await session.get(PrivacyRequest, int(notice.data.get("request") or 0))
        return (request.channel, request.chat_id) if request is not None else (case.channel, "")
    return case.channel, case.chat_id


async def cancel_reminders(session: AsyncSession, case_id: int, step: str, now: datetime) -> int:
    """The document came (or was accepted after all): its reminders still pending are dropped."""
    rows = await session.scalars(
        select(Notice).where(
            Notice.case_id == case_id,
            Notice.kind == DOCUMENT_REMINDER,
            Notice.state == PENDING,
        )
    )
    count = 0
    for notice in rows:
        if notice.data.get("step") == step:
            notice.state, notice.updated_at = CANCELLED, now
            count += 1
    return count


async def of_case(session: AsyncSession, case_id: int) -> list[Notice]:
    query = select(Notice).where(Notice.case_id == case_id).order_by(Notice.id)
    return list(await session.scalars(query))


async def due(session: AsyncSession, now: datetime, limit: int = 100) -> list[Notice]:
    """Pending notices whose time has come, oldest first, each with its case (the chat)."""
    query = (
        select(Notice)
        .where(Notice.state == PENDING, Notice.due_at <= now)
        .options(joinedload(Notice.case))
        .order_by(Notice.due_at, Notice.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).unique())


async def mark(
    session: AsyncSession,
    notice_id: int,
    state: str,
    now: datetime,
    detail: str | None = None,
) -> bool:
    """Record what became of a notice; False when nothing changed. A settled notice (sent,
    failed, skipped, cancelled) is not changed again, and `sent` is never taken back: receipts
    may come twice or late."""
    if state not in STATES:
        raise ValueError(f"unknown notice state {state!r}")
    values: dict[str, Any] = {"state": state, "updated_at": now, "detail": detail}
    if state == SENT:
        values["sent_at"] = now
    result = await session.execute(
        update(Notice)
        .where(Notice.id == notice_id, Notice.state.in_(OPEN), Notice.state != state)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def event_of(notice: Notice, case: Case) -> OfficeEvent:
    """The office event a notice is, as the citizen's chat receives it."""
    d = notice.data
    if notice.kind == DOCUMENT_REQUEST:
        reason = str(d.get("reason") or "other")
        return DocumentRequested(
            case.reference, case.flow_id, d["step"], reason, d.get("text") or ""
        )
    if notice.kind == STATUS:
        return StatusChanged(case.reference, case.flow_id, d["status"], d.get("reason") or "")
    if notice.kind == DOCUMENT_REMINDER:
        return ReminderDue("document", reference=case.reference, step=d["step"])
    if notice.kind == ERASURE:
        refs = tuple(str(r) for r in d.get("references") or ())
        return ErasureDecided(case.office_id, bool(d.get("approved")), d.get("reason") or "", refs)
    raise ValueError(f"unknown notice kind {notice.kind!r}")
