"""A citizen's own data, as UU PDP 27/2022 lets them ask for it from their chat (the engine's side
is bot/engine/privacy.py): what the office keeps about the chat ("data saya": the answers and the
list of documents, never the photos, audited as read by the chat itself), and deletion requests
("hapus data saya"): one per office whose cases the chat has, decided by an admin of that office.
Approving purges the chat's cases there with retention's own purge (an open case is closed as
`withdrawn` first); refusing keeps the admin's reason. Either way the citizen is told through a
notice written in the decision's transaction, which the loop hands to the chat that asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.desk import audit, notices, retention, timeline
from bot.desk.actor import Actor
from bot.desk.i18n import N_
from bot.desk.models import Case, Document, PrivacyRequest
from bot.engine.flow import WITHDRAWN
from bot.engine.model import CaseData
from bot.media.store import MediaStore
from bot.observe.logs import chat_ref

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
STATE_LABELS = {
    PENDING: N_("menunggu keputusan"),
    APPROVED: N_("disetujui, data dihapus"),
    REFUSED: N_("ditolak"),
}
DOCUMENT_FIELDS = (Document.step, Document.label, Document.decision)  # never the files
MAX_CASES = 5  # the chat's newest cases shown in "data saya"
MAX_REASON = 500
CITIZEN = "citizen"  # the audit log's name for the chat acting on its own data


class RequestError(Exception):
    """A decision that cannot be made; `message` is a desk msgid."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the chat's side -----------------------------------------------------------------------------


def _of_chat(channel: str, chat_id: str) -> ColumnElement[bool]:
    return and_(Case.channel == channel, Case.chat_id == chat_id)


def _data(case: Case, purged: bool = False) -> CaseData:
    if purged or case.purged_at is not None:
        return CaseData(case.reference, case.flow_id, case.status, case.office_id, purged=True)
    answers = tuple(
        (str(a.get("step", "")), str(a.get("label", "")), str(a.get("display") or a.get("value")))
        for a in case.answers or ()
        if a.get("kind") != "photo"  # the documents say those, below
    )
    documents = tuple((d.step, d.label, d.decision) for d in case.documents)
    return CaseData(case.reference, case.flow_id, case.status, case.office_id, answers, documents)


async def chat_data(
    sessions: async_sessionmaker[AsyncSession], channel: str, chat_id: str, now: datetime
) -> tuple[CaseData, ...]:
    """What the office keeps about this chat: its newest cases, and those a deletion request of
    it emptied (their stubs no longer name the chat). Each case read is audited."""
    query = (
        select(Case)
        .where(_of_chat(channel, chat_id))
        .options(selectinload(Case.documents).load_only(*DOCUMENT_FIELDS))
        .order_by(Case.submitted_at.desc())
        .limit(MAX_CASES)
    )
    async with sessions() as db:
        found = [_data(c) for c in (await db.scalars(query)).unique()]
        approved = await db.scalars(
            select(PrivacyRequest).where(
                PrivacyRequest.channel == channel,
                PrivacyRequest.chat_id == chat_id,
                PrivacyRequest.state == APPROVED,
            )
        )
        erased = {ref: r.office_id for r in approved for ref in r.references}
        stubs = select(Case).where(Case.reference.in_(erased)).order_by(Case.submitted_at.desc())
        found += [_data(c, purged=True) for c in await db.scalars(stubs.limit(MAX_CASES))]
        for case in found:
            audit.record(
                db,
                audit.DATA_READ,
                office_id=case.office_id,
                username=CITIZEN,
                case_reference=case.reference,
                detail=f"read by its own chat {chat_ref(channel, chat_id)}",
                at=now,
            )
        await db.commit()
    return tuple(found)


async def file_request(
    sessions: async_sessionmaker[AsyncSession], channel: str, chat_id: str, now: datetime
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A deletion request with every office that keeps a case of this chat (unless one is
    waiting there already): the offices filed with, and those already waiting."""
    async with sessions() as db:
        cases = list(
            await db.scalars(
                select(Case).where(_of_chat(channel, chat_id), Case.purged_at.is_(None))
            )
        )
        waiting = {
            r.office_id
            for r in await db.scalars(
                select(PrivacyRequest).where(
                    PrivacyRequest.channel == channel,
                    PrivacyRequest.chat_id == chat_id,
                    PrivacyRequest.state == PENDING,
                )
            )
        }
        filed = sorted({c.office_id for c in cases} - waiting)
        for office_id in filed:
            refs = sorted(c.reference for c in cases if c.office_id == office_id)
            db.add(PrivacyRequest(channel=channel, chat_id=chat_id, office_id=office_id,
                                  state=PENDING, references=refs, created_at=now))  # fmt: skip
            audit.record(
                db,
                audit.ERASURE_REQUESTED,
                office_id=office_id,
                username=CITIZEN,
                detail=f"by chat {chat_ref(channel, chat_id)}: {', '.join(refs)}",
                at=now,
            )
        await db.commit()
    return tuple(filed), tuple(sorted(waiting))


# --- the office's side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A request as an admin sees it: the row and the chat's cases at the office by reference."""

    row: PrivacyRequest
    chat: str  # masked, as in the logs
    cases: tuple[Case, ...]


async def _cases(db: AsyncSession, request: PrivacyRequest) -> list[Case]:
    query = (
        select(Case)
        .where(
            _of_chat(request.channel, request.chat_id),
            Case.office_id == request.office_id,
            Case.purged_at.is_(None),
        )
        .options(selectinload(Case.documents).selectinload(Document.files))
        .order_by(Case.submitted_at)
    )
    return list((await db.scalars(query)).unique())


async def of_office(db: AsyncSession, office_id: str, decided: int = 20) -> list[Request]:
    """The office's pending requests (oldest first), then its latest decided ones."""
    base = select(PrivacyRequest).where(PrivacyRequest.office_id == office_id)
    waiting = await db.scalars(
        base.where(PrivacyRequest.state == PENDING).order_by(PrivacyRequest.id)
    )
    done = await db.scalars(
        base.where(PrivacyRequest.state != PENDING)
        .order_by(PrivacyRequest.id.desc())
        .limit(decided)
    )
    out = []
    for row in [*waiting, *done]:
        cases = await _cases(db, row) if row.state == PENDING else []
        out.append(Request(row, chat_ref(row.channel, row.chat_id), tuple(cases)))
    return out


def _close(db: AsyncSession, case: Case, actor: Actor, now: datetime) -> None:
    """An open case is closed as withdrawn before its data goes (the timeline says so)."""
    before = case.status
    case.status, case.status_reason, case.status_changed_at = WITHDRAWN, None, now
    case.closed_at = case.updated_at = now
    timeline.add(db, case.id, timeline.STATUS_CHANGED, now, actor.user_id,
                 to=WITHDRAWN, reason=None, final=True, **{"from": before})  # fmt: skip


async def decide(
    db: AsyncSession,
    media: MediaStore,
    actor: Actor,
    request_id: int,
    approve: bool,
    reason: str,
    now: datetime,
) -> PrivacyRequest:
    """An admin of the request's office approves it (the chat's cases there lose their personal
    data) or refuses it with a reason; the citizen's notice is written in the same transaction."""
    request = await db.get(PrivacyRequest, request_id, with_for_update=True)
    if request is None or not actor.is_admin or request.office_id != actor.office_id:
        raise RequestError(N_("Permintaan itu tidak ada di kantor ini."))
    if request.state != PENDING:
        raise RequestError(N_("Permintaan ini sudah diputuskan."))
    reason = " ".join(reason.split())[:MAX_REASON]
    if not approve and len(reason) < 3:
        raise RequestError(N_("Tulis alasan penolakan: warga akan membacanya."))
    cases = await _cases(db, request)
    why = f"request {request.id} of {chat_ref(request.channel, request.chat_id)}"
    if approve:
        for case in cases:
            if case.closed_at is None:
                _close(db, case, actor, now)
            await retention.purge_case(
                db, media, case, now, action=audit.ERASURE_APPROVED, actor=actor, why=why
            )
        request.references = sorted({*request.references, *(c.reference for c in cases)})
        if not cases:  # emptied meanwhile (retention): the decision is still on record
            audit.record(db, audit.ERASURE_APPROVED, actor, detail=why)
    else:  # the reason stays on the request (and reaches the citizen), not in the audit log
        audit.record(db, audit.ERASURE_REFUSED, actor, detail=why)
    request.state = APPROVED if approve else REFUSED
    request.reason, request.decided_by, request.decided_at = reason or None, actor.username, now
    anchor = await db.scalar(
        select(Case).where(Case.reference.in_(request.references)).order_by(Case.id.desc())
    )
    if anchor is not None:  # the notice hangs on one of its cases; the chat is the request's
        notices.erasure_decided(db, anchor, request, now)
    await db.commit()
    return request
