"""A document sent again becomes the next revision of that document of the same case: its files
added under the new revision number, the document back to "not reviewed", the case back to "in
review", a `revision_received` fact on the timeline and its reminders dropped. Idempotent by the
revision's key, so the delivery sink can retry; only the chat that submitted the case can add to
it (anything else is refused, never stored)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.desk import notices, statuses, timeline
from bot.desk.models import Case, CaseEvent, Document, DocumentFile
from bot.engine.flowset import FlowSet
from bot.engine.model import Revision

log = logging.getLogger("wargabot.casestore")

IN_REVIEW = "in_review"  # the status a case returns to when a document comes again, if it has it


class NotTheirs(Exception):
    """The revision names a case or document the sending chat cannot add to: never stored."""


async def _case(session: AsyncSession, revision: Revision) -> Case:
    query = (
        select(Case)
        .where(Case.reference == revision.reference)
        .options(selectinload(Case.documents).selectinload(Document.files))
    )
    case = (await session.scalars(query)).unique().one_or_none()
    if case is None or (case.channel, case.chat_id) != (revision.channel, revision.chat_id):
        raise NotTheirs(f"{revision.reference} is not a case of the chat that sent {revision.key}")
    return case


async def _seen(session: AsyncSession, case: Case, key: str) -> bool:
    query = select(CaseEvent.data).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == timeline.REVISION_RECEIVED
    )
    found: list[dict[str, object]] = list(await session.scalars(query))
    return any(data.get("key") == key for data in found)


async def store_revision(
    sessions: async_sessionmaker[AsyncSession],
    flows: FlowSet,
    revision: Revision,
    now: datetime | None = None,
) -> bool:
    """Add the revision to its case; False when it was stored before (a repeated delivery)."""
    now = now or datetime.now(UTC)
    async with sessions() as session:
        case = await _case(session, revision)
        if await _seen(session, case, revision.key):
            return False
        doc = next((d for d in case.documents if d.step == revision.step), None)
        if doc is None or not revision.media:
            raise NotTheirs(f"{revision.reference} has no document {revision.step!r} to replace")
        doc.revision += 1
        for page, ref in enumerate(revision.media, 1):
            doc.files.append(
                DocumentFile(
                    revision=doc.revision,
                    page=page,
                    media_key=ref.key,
                    mime=ref.mime,
                    sha256=ref.sha256,
                    size=ref.size,
                    received_at=revision.sent_at.astimezone(UTC),
                )
            )
        doc.decision, doc.reason, doc.reason_text = "pending", None, None
        doc.decided_by = doc.decided_at = None
        case.updated_at = now
        timeline.add(
            session, case.id, timeline.REVISION_RECEIVED, now, None,
            document=doc.id, step=doc.step, label=doc.label, revision=doc.revision,
            files=len(revision.media), key=revision.key,
        )  # fmt: skip
        back = statuses.find(flows, case.flow_id, IN_REVIEW)
        if back is not None and case.closed_at is None and case.status != back.id:
            timeline.add(
                session, case.id, timeline.STATUS_CHANGED, now, None,
                to=back.id, reason=None, final=False, **{"from": case.status},
            )  # fmt: skip
            case.status, case.status_reason, case.status_changed_at = back.id, None, now
        await notices.cancel_reminders(session, case.id, doc.step, now)
        await session.commit()
    log.info("case %s: %s revision %d stored", revision.reference, revision.step, doc.revision)
    return True
