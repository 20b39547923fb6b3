"""The lookup a clerk sees beside a case's answers: are its NIK and KK number in the office's
current DTSEN list, with which desil, in the list of which date. A hint, never a decision; each
lookup is audited (which case, found or not, never the numbers). Only the desk calls this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import audit
from bot.desk.actor import Actor
from bot.desk.models import Case, DtsenEntry, DtsenList


@dataclass(frozen=True)
class Match:
    found: bool
    desil: int | None = None  # of the first row found
    rows: int = 0  # rows with this number (a KK: the household's members in the list)


@dataclass(frozen=True)
class Hint:
    as_of: date | None  # None: the office has no list yet
    nik: Match | None = None  # None: the case has no NIK (or it was deleted)
    kk: Match | None = None


async def current(db: AsyncSession, office_id: str) -> DtsenList | None:
    """The office's list in force (the latest import that was not replaced)."""
    query = (
        select(DtsenList)
        .where(DtsenList.office_id == office_id, DtsenList.replaced_at.is_(None))
        .order_by(DtsenList.id.desc())
        .limit(1)
    )
    return (await db.scalars(query)).first()


async def _match(db: AsyncSession, list_id: int, column: str, value: str | None) -> Match | None:
    if not value:
        return None
    col = getattr(DtsenEntry, column)
    first = (
        await db.execute(
            select(DtsenEntry.desil)
            .where(DtsenEntry.list_id == list_id, col == value)
            .order_by(DtsenEntry.row)
            .limit(1)
        )
    ).first()
    if first is None:
        return Match(False)
    count = await db.scalar(select(func.count()).where(DtsenEntry.list_id == list_id, col == value))
    return Match(True, first[0], int(count or 0))


def _said(m: Match | None) -> str:
    return "-" if m is None else ("found" if m.found else "not found")


async def hint(db: AsyncSession, actor: Actor, case: Case) -> Hint:
    """The case's NIK and KK number in its office's list; audited when a lookup is made."""
    if case.office_id != actor.office_id:  # the repository never hands over another's case
        raise PermissionError("a case of another office")
    found = await current(db, actor.office_id)
    if found is None:
        return Hint(None)
    result = Hint(
        found.as_of,
        await _match(db, found.id, "nik", case.nik),
        await _match(db, found.id, "kk", case.kk),
    )
    if result.nik is not None or result.kk is not None:
        audit.record(
            db,
            audit.DTSEN_LOOKUP,
            actor,
            case_reference=case.reference,
            detail=f"list of {found.as_of.isoformat()}: NIK {_said(result.nik)}, "
            f"KK {_said(result.kk)}",
        )
        await db.commit()
    return result
