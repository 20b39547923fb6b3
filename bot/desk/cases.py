"""The case repository: every read and change of a case goes through here. It checks that the
case belongs to the staff member's office (another office's case is not found, never
"forbidden") and writes the audit log for each read of personal data and each change."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, defer, selectinload

from bot.desk import audit, notices, reasons, statuses, timeline
from bot.desk.actor import Actor
from bot.desk.i18n import N_
from bot.desk.models import Case, CaseEvent, Document, DocumentFile, Notice, User
from bot.desk.queries import PER_PAGE, CaseFilter
from bot.engine.flow import WITHDRAWN
from bot.engine.flowset import FlowSet

MAX_NOTE = 2000
MAX_REASON = 500
EXPORT_LIMIT = 100_000


class NotFound(Exception):
    """No such case (or document, or file) in the staff member's office."""


class Refused(Exception):
    """A change the desk does not make; `message` is a msgid of the desk's catalog."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class CasePage:
    cases: list[Case]
    total: int
    counts: dict[str, int] | None  # per status in the office (None for a search)
    filter: CaseFilter
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / PER_PAGE))


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CaseRepository:
    def __init__(
        self,
        session: AsyncSession,
        actor: Actor,
        flows: FlowSet,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.session, self.actor, self.flows, self.clock = session, actor, flows, clock

    # --- the list -------------------------------------------------------------------------------
    def _conditions(self, f: CaseFilter) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [Case.office_id == self.actor.office_id]
        if f.status:
            where.append(Case.status == f.status)
        if f.flow:
            where.append(Case.flow_id == f.flow)
        if (since := f.since()) is not None:
            where.append(Case.submitted_at >= since)
        if (until := f.until()) is not None:
            where.append(Case.submitted_at < until)
        if f.mine:
            where.append(Case.assigned_to == self.actor.user_id)
        if f.waiting_days is not None:
            cutoff = self.clock() - timedelta(days=f.waiting_days)
            where += [Case.closed_at.is_(None), Case.submitted_at < cutoff]
        search = f.search
        if f.q and search is None:
            where.append(Case.id < 0)  # nothing matches what cannot be searched for
        elif search is not None and search.kind == "reference":
            where.append(Case.reference == search.value)
        elif search is not None and search.kind in ("number", "number_prefix"):
            # the office is checked inside: with it outside too, SQLite scans the office's cases
            where[0] = Case.id.in_(self._by_number(search.value, search.kind == "number"))
        elif search is not None and search.kind == "phone":
            where.append(Case.phone == search.value)
        elif search is not None:
            pattern = "%" + search.value.replace("\\", "").replace("%", "").replace("_", "\\_")
            where.append(Case.name_norm.like(pattern + "%", escape="\\"))
        return where

    def _by_number(self, value: str, whole: bool) -> CompoundSelect[Any]:
        """Cases whose NIK or KK number is `value` (or starts with it): one index lookup per
        column, joined (an OR of the two lets SQLite scan the office's cases instead)."""

        def one(column: InstrumentedAttribute[str | None]) -> Select[Any]:
            match = (
                column == value
                if whole
                else and_(column >= value, column < value + ":")  # ':' sorts after '9'
            )
            return select(Case.id).where(Case.office_id == self.actor.office_id, match)

        return union(one(Case.nik), one(Case.kk))

    async def page(self, f: CaseFilter) -> CasePage:
        where = self._conditions(f)
        order = Case.submitted_at.asc() if f.sort == "old" else Case.submitted_at.desc()
        query = (
            select(Case)
            .where(*where)
            .options(defer(Case.answers, raiseload=True))
            .order_by(order, Case.id.desc())
            .offset(f.offset)
            .limit(PER_PAGE)
        )
        cases = list((await self.session.scalars(query)).unique())
        # the tabs' counts are the office's, which a search result does not show
        counts = None if f.q else await self.counts()
        if counts is not None and f == CaseFilter(status=f.status, sort=f.sort, page=f.page):
            total = sum(counts.values()) if f.status is None else counts.get(f.status, 0)
        else:  # other filters: count what they find
            total = await self.session.scalar(select(func.count(Case.id)).where(*where)) or 0
        action = audit.CASE_SEARCH if f.q else audit.CASE_LIST
        audit.record(
            self.session, action, self.actor, detail=f"{f.describe()} -> {len(cases)}/{total}"
        )
        await self.session.commit()
        return CasePage(cases, total, counts, f)

    async def counts(self) -> dict[str, int]:
        """Cases per status in the office, all of them (the list's tabs)."""
        rows = await self.session.execute(
            select(Case.status, func.count(Case.id))
            .where(Case.office_id == self.actor.office_id)
            .group_by(Case.status)
        )
        return {str(row[0]): int(row[1]) for row in rows}

    async def export(self, f: CaseFilter) -> list[Case]:
        """Every case the filter finds (up to EXPORT_LIMIT), oldest first, for a spreadsheet."""
        query = (
            select(Case)
            .where(*self._conditions(f))
            .options(defer(Case.answers, raiseload=True))
            .order_by(Case.submitted_at.asc(), Case.id.asc())
            .limit(EXPORT_LIMIT)
        )
        cases = list((await self.session.scalars(query)).unique())
        audit.record(
            self.session, audit.EXPORT, self.actor, detail=f"{f.describe()} -> {len(cases)}"
        )
        await self.session.commit()
        return cases

    # --- one case -------------------------------------------------------------------------------
    async def _load(self, reference: str) -> Case:
        query = (
            select(Case)
            .where(Case.reference == reference.strip().upper())
            .where(Case.office_id == self.actor.office_id)
            .options(selectinload(Case.documents).selectinload(Document.files))
        )
        case = (await self.session.scalars(query)).unique().one_or_none()
        if case is None:
            raise NotFound(reference)
        return case

    async def get(self, reference: str) -> Case:
        """The case with its answers and documents; the view is audited."""
        case = await self._load(reference)
        audit.record(self.session, audit.CASE_VIEW, self.actor, case_reference=case.reference)
        await self.session.commit()
        return case

    async def cover_sheet(self, reference: str) -> Case:
        case = await self._load(reference)
        audit.record(self.session, audit.COVER_SHEET, self.actor, case_reference=case.reference)
        await self.session.commit()
        return case

    async def events(self, case: Case) -> list[CaseEvent]:
        query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        return list((await self.session.scalars(query)).unique())

    async def notices(self, case: Case) -> list[Notice]:
        """The messages to the citizen about this case, and what became of each."""
        return await notices.of_case(self.session, case.id)

    async def file(self, reference: str, file_id: int) -> DocumentFile:
        """A photo or PDF of the case, for the authenticated photo route; audited."""
        case = await self._load(reference)
        for doc in case.documents:
            for f in doc.files:
                if f.id == file_id and f.media_key is not None:
                    audit.record(
                        self.session,
                        audit.PHOTO_VIEW,
                        self.actor,
                        case_reference=case.reference,
                        detail=f"{doc.step} rev {f.revision} page {f.page}",
                    )
                    await self.session.commit()
                    return f
        raise NotFound(f"{reference} file {file_id}")

    async def colleagues(self) -> list[User]:
        """Active staff of the office, for assignment."""
        query = (
            select(User)
            .where(User.office_id == self.actor.office_id, User.disabled_at.is_(None))
            .order_by(User.username)
        )
        return list(await self.session.scalars(query))

    # --- changes --------------------------------------------------------------------------------
    def _open(self, case: Case) -> None:
        if case.closed_at is not None:
            raise Refused(N_("Pengajuan ini sudah ditutup. Ubah statusnya dulu untuk membukanya."))

    def _event(self, case: Case, kind: str, **data: Any) -> CaseEvent:
        now = self.clock()
        case.updated_at = now
        return timeline.add(self.session, case.id, kind, now, self.actor.user_id, **data)

    async def decide(
        self,
        reference: str,
        document_id: int,
        decision: str,
        revision: int,
        reason: str | None = None,
        text: str = "",
    ) -> Document:
        """Accept a document, or ask for a new one with a reason from reasons.REASONS."""
        case = await self._load(reference)
        self._open(case)
        doc = next((d for d in case.documents if d.id == document_id), None)
        if doc is None:
            raise NotFound(f"{reference} document {document_id}")
        if revision != doc.revision:
            raise Refused(N_("Dokumen ini sudah diganti dengan kiriman baru. Muat ulang halaman."))
        text = " ".join(text.split())[:MAX_REASON]
        if decision == "accepted":
            reason, text = None, ""
        elif decision == "refused":
            if reason is None or not reasons.is_reason(reason):
                raise Refused(N_("Pilih alasan mengapa dokumen perlu diganti."))
            if reason in reasons.NEEDS_TEXT and len(text) < 3:
                raise Refused(N_("Tulis alasannya."))
        else:
            raise Refused(N_("Keputusan tidak dikenal."))
        now = self.clock()
        doc.decision, doc.reason, doc.reason_text = decision, reason, text or None
        doc.decided_by, doc.decided_at = self.actor.user_id, now
        kind = timeline.DOCUMENT_ACCEPTED if decision == "accepted" else timeline.DOCUMENT_REFUSED
        data: dict[str, Any] = {
            "document": doc.id,
            "step": doc.step,
            "label": doc.label,
            "revision": doc.revision,
        }
        if decision == "refused":
            data |= {"reason": reason, "text": text or None}
        event = self._event(case, kind, **data)
        if decision == "refused":  # the citizen is asked for a new one (bot/desk/notices.py)
            notices.document_requested(self.session, case, doc, event, now)
        else:
            await notices.cancel_reminders(self.session, case.id, doc.step, now)
        audit.record(
            self.session,
            audit.DOCUMENT_DECISION,
            self.actor,
            case_reference=case.reference,
            detail=f"{doc.step} rev {doc.revision}: {decision}"
            + (f" ({reason})" if reason else ""),
        )
        await self.session.commit()
        return doc

    async def set_status(self, reference: str, status_id: str, reason: str = "") -> Case:
        case = await self._load(reference)
        spec = statuses.find(self.flows, case.flow_id, status_id)
        if spec is None or status_id == WITHDRAWN:  # only with a deletion request (privacy.py)
            raise Refused(N_("Status tidak dikenal untuk layanan ini."))
        if status_id == case.status:
            raise Refused(N_("Pengajuan sudah berstatus itu."))
        reason = " ".join(reason.split())[:MAX_REASON]
        if spec.reason and len(reason) < 3:
            raise Refused(N_("Tulis alasannya: warga akan membacanya."))
        now = self.clock()
        before = case.status
        case.status, case.status_reason, case.status_changed_at = status_id, reason or None, now
        case.closed_at = now if spec.final else None
        event = self._event(
            case, timeline.STATUS_CHANGED, to=status_id, reason=reason or None, final=spec.final,
            **{"from": before},
        )  # fmt: skip
        notices.status_changed(self.session, case, spec, event, now)  # when the flow tells it
        audit.record(
            self.session,
            audit.STATUS_CHANGE,
            self.actor,
            case_reference=case.reference,
            detail=f"{before} -> {status_id}",
        )
        await self.session.commit()
        return case

    async def note(self, reference: str, text: str) -> None:
        case = await self._load(reference)
        text = text.strip()[:MAX_NOTE]
        if not text:
            raise Refused(N_("Catatan kosong."))
        self._event(case, timeline.NOTE_ADDED, text=text)
        audit.record(self.session, audit.NOTE, self.actor, case_reference=case.reference)
        await self.session.commit()

    async def assign(self, reference: str, user_id: int | None) -> None:
        case = await self._load(reference)
        user = None
        if user_id is not None:
            user = await self.session.get(User, user_id)
            if user is None or user.office_id != self.actor.office_id or user.disabled_at:
                raise Refused(N_("Petugas itu tidak ada di kantor ini."))
        if case.assigned_to == user_id:
            return
        case.assigned_to = user_id
        self._event(
            case, timeline.ASSIGNED, user_id=user_id, username=user.username if user else None
        )
        audit.record(
            self.session,
            audit.ASSIGN,
            self.actor,
            case_reference=case.reference,
            detail=f"to {user.username}" if user else "unassigned",
        )
        await self.session.commit()
