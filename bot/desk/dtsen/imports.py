"""One import of an office's DTSEN list, from the file to the database: the file is read and
checked in a process of its own (reader.py) while its rows are stored in place of the previous
list, and the import is audited, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.desk import audit
from bot.desk.actor import Actor
from bot.desk.dtsen import reader, store
from bot.desk.dtsen.columns import Columns
from bot.desk.dtsen.errors import ImportRefused
from bot.desk.dtsen.reader import BATCH
from bot.desk.dtsen.rows import Report
from bot.desk.i18n import N_
from bot.desk.models import DtsenList

__all__ = ["BATCH", "Imported", "Progress", "import_list"]

# Progress: (done, size, rows read) with done/size in the table's units (bytes or rows).
Progress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class Imported:
    list: DtsenList
    report: Report
    columns: Columns
    kind: str
    sheet: str | None


def _summary(report: Report, as_of: date) -> str:
    return (
        f"list of {as_of.isoformat()}: {report.rows} rows, {report.entries} kept, "
        f"{report.nik.count} bad NIK, {report.kk.count} bad KK, {report.skipped.count} skipped"
    )


async def import_list(
    sessions: async_sessionmaker[AsyncSession],
    path: Path,
    office_id: str,
    as_of: date,
    *,
    source: str,
    now: datetime,
    actor: Actor | None = None,
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Imported:
    """Read `path` and make it the office's list (a DtsenError when it cannot be). `actor`: the
    admin at the desk; None for the command line."""
    if as_of > now.date():
        raise ImportRefused(
            "the list's date {date} is in the future",
            N_("Tanggal daftar {date} belum tiba."),
            date=as_of.isoformat(),
        )
    read = await reader.start(path, mapping or {}, as_of)
    details = {
        "columns": dict(read.columns.headers),
        "header_row": read.columns.header_row,
        "kind": read.kind,
        "sheet": read.sheet,
    }

    def report() -> Report:
        assert read.report is not None, "the reader ended without its report"
        return read.report

    try:
        async with sessions() as db:
            new = await store.replace(
                db,
                office_id,
                as_of,
                source,
                actor.username if actor else "cli",
                now,
                read.batches(progress),
                report,
                details,
            )
            audit.record(
                db,
                audit.DTSEN_IMPORT,
                actor,
                office_id=office_id,
                username="cli" if actor is None else None,
                detail=f"{source[:80]}: " + _summary(report(), as_of),
                at=now,
            )
            await db.commit()
            await store.sqlite_cache(db, store.SQLITE_DEFAULT_CACHE_KIB)
            await db.commit()
    finally:
        read.stop()
    return Imported(new, report(), read.columns, read.kind, read.sheet)
