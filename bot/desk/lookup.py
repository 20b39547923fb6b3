"""A citizen asks how their application stands: the cases of their own chat, newest first, as
the office has them now. Only the chat that submitted a case ever learns anything about it (a
reference typed from another chat finds nothing). Read-only, and no personal data in the answer
beyond what that chat itself sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import defer, selectinload

from bot.desk import notices
from bot.desk.models import Case, Document, Notice
from bot.engine.model import CaseStatus, DocumentRequested, StatusChanged

MAX_CASES = 3  # the newest ones; older cases are a call to the office
TOLD = (notices.SENT, notices.WAITING, notices.QUEUED)


async def _last_told(session: AsyncSession, case: Case) -> DocumentRequested | StatusChanged | None:
    query = (
        select(Notice)
        .where(
            Notice.case_id == case.id,
            Notice.kind.in_((notices.DOCUMENT_REQUEST, notices.STATUS)),
            Notice.state.in_(TOLD),
        )
        .order_by(Notice.id.desc())
        .limit(1)
    )
    notice = await session.scalar(query)
    if notice is None:
        return None
    event = notices.event_of(notice, case)
    return event if isinstance(event, DocumentRequested | StatusChanged) else None


async def chat_cases(
    sessions: async_sessionmaker[AsyncSession], channel: str, chat_id: str, reference: str = ""
) -> tuple[CaseStatus, ...]:
    """This chat's cases (only `reference`, when given), newest first."""
    query = (
        select(Case)
        .where(Case.chat_id == chat_id, Case.channel == channel)
        .options(
            defer(Case.answers),
            selectinload(Case.documents).load_only(Document.step, Document.decision),
        )
        .order_by(Case.submitted_at.desc())
        .limit(MAX_CASES)
    )
    if reference:
        query = query.where(Case.reference == reference)
    found = []
    async with sessions() as session:
        for case in (await session.scalars(query)).unique():
            found.append(
                CaseStatus(
                    case.reference,
                    case.flow_id,
                    case.status,
                    case.status_reason or "",
                    tuple(d.step for d in case.documents if d.decision == "refused"),
                    await _last_told(session, case),
                )
            )
    return tuple(found)
