"""Storing an office's DTSEN list in place of its previous one, in one transaction: until it
commits every lookup reads the old list, after it the new one, and a failed import leaves the
old one as it was. PostgreSQL takes the rows by COPY (asyncpg), SQLite by batched inserts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.desk.dtsen.rows import Report
from bot.desk.models import DtsenEntry, DtsenList

ENTRY_COLUMNS = (
    "list_id", "row", "nik", "kk", "name", "desil", "kecamatan", "kelurahan", "address",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO dtsen_entries ({', '.join(ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in ENTRY_COLUMNS)})"
)
Batches = AsyncIterator[list[tuple[Any, ...]]]
SQLITE_IMPORT_CACHE_KIB = 256 * 1024  # the indexes of a million entries stay in memory
SQLITE_DEFAULT_CACHE_KIB = 2000


async def sqlite_cache(db: AsyncSession, kib: int) -> None:
    """SQLite's page cache of this connection (2 MB by default: a large import, and the deletion
    of the list it replaces, would otherwise read and write the same index pages many times)."""
    conn = await db.connection()
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql(f"PRAGMA cache_size=-{int(kib)}")


async def _copy(conn: AsyncConnection, list_id: int, batches: Batches) -> None:
    raw = await conn.get_raw_connection()
    pg: Any = raw.driver_connection  # asyncpg's connection, inside the session's transaction
    async for batch in batches:  # one COPY per batch: no per-row await
        records = [(list_id, *entry) for entry in batch]
        await pg.copy_records_to_table("dtsen_entries", records=records, columns=ENTRY_COLUMNS)


async def _inserts(conn: AsyncConnection, list_id: int, batches: Batches) -> None:
    async for batch in batches:
        await conn.exec_driver_sql(_INSERT, [(list_id, *entry) for entry in batch])


async def replace(
    db: AsyncSession,
    office_id: str,
    as_of: date,
    source: str,
    imported_by: str,
    now: datetime,
    batches: Batches,
    report: Callable[[], Report],
    details: dict[str, Any] | None = None,
) -> DtsenList:
    """Write the new list from `batches`, then replace the office's current one with it; the
    caller commits (with its audit row). `report` is read once every batch is written, and
    kept with `details` (the columns found, the sheet) on the list's row."""
    conn = await db.connection()
    postgres = conn.dialect.name == "postgresql"
    if postgres:  # two imports for one office at once: the second waits for the first
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": office_id})
    else:
        await sqlite_cache(db, SQLITE_IMPORT_CACHE_KIB)
    new = DtsenList(
        office_id=office_id, as_of=as_of, imported_at=now, imported_by=imported_by[:64],
        source=source[:200], rows=0, entries=0, report={},
    )  # fmt: skip
    db.add(new)
    await db.flush()
    await (_copy if postgres else _inserts)(conn, new.id, batches)
    found = report()
    found.duplicate_niks = int(
        await db.scalar(
            select(func.count(DtsenEntry.nik) - func.count(DtsenEntry.nik.distinct())).where(
                DtsenEntry.list_id == new.id
            )
        )
        or 0
    )
    old = list(
        await db.scalars(
            select(DtsenList.id).where(
                DtsenList.office_id == office_id,
                DtsenList.replaced_at.is_(None),
                DtsenList.id != new.id,
            )
        )
    )
    if old:
        await db.execute(update(DtsenList).where(DtsenList.id.in_(old)).values(replaced_at=now))
        await db.execute(delete(DtsenEntry).where(DtsenEntry.list_id.in_(old)))
    new.rows, new.entries = found.rows, found.entries
    new.report = found.to_dict() | (details or {})
    await db.flush()
    return new
