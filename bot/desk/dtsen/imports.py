"""One import of an office's DTSEN list, from the file to the database: find the sheet and its
header, check the rows in batches in a thread (the next batch is read while the last one is
written), store them in place of the previous list and audit it, in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.desk import audit
from bot.desk.actor import Actor
from bot.desk.dtsen import store
from bot.desk.dtsen.columns import Columns, locate
from bot.desk.dtsen.errors import ColumnsError, ImportRefused
from bot.desk.dtsen.reading import Table, tables
from bot.desk.dtsen.rows import Checker, Report
from bot.desk.i18n import N_
from bot.desk.models import DtsenList

BATCH = 5000

# Progress: (done, size, rows read) with done/size in the table's units (bytes or rows).
Progress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class Imported:
    list: DtsenList
    report: Report
    columns: Columns
    kind: str
    sheet: str | None


def _find(path: Path, mapping: Mapping[str, str]) -> tuple[Table, Columns, Iterator[Table]]:
    """The first table (sheet) whose header names NIK or KK, and its columns."""
    first_error: ColumnsError | None = None
    found = tables(path)
    for table in found:
        try:
            return table, locate(table.head(20), mapping), found
        except ColumnsError as exc:
            first_error = first_error or exc
    raise first_error or ColumnsError(
        "the file has no sheet with rows", N_("Berkas ini tidak punya lembar yang berisi baris.")
    )


def _batches(table: Table, checker: Checker) -> Iterator[list[tuple[Any, ...]]]:
    rows = table.rows
    while chunk := list(islice(rows, BATCH)):
        yield checker.check(chunk)


async def _prefetched(
    it: Iterator[list[tuple[Any, ...]]], after: Callable[[], None]
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Each batch, checked in a thread while the one before is being written."""
    pending = asyncio.ensure_future(asyncio.to_thread(next, it, None))
    try:
        while (batch := await pending) is not None:
            pending = asyncio.ensure_future(asyncio.to_thread(next, it, None))
            yield batch
            after()
    finally:
        if not pending.done():
            await asyncio.wait([pending])


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
    table, columns, rest = await asyncio.to_thread(_find, path, mapping or {})
    checker = Checker(columns, as_of)

    def tick() -> None:
        if progress is not None:
            progress(table.done, table.size, checker.report.rows)

    details = {
        "columns": dict(columns.headers),
        "header_row": columns.header_row,
        "kind": table.kind,
        "sheet": table.sheet,
    }
    async with sessions() as db:
        new = await store.replace(
            db,
            office_id,
            as_of,
            source,
            actor.username if actor else "cli",
            now,
            _prefetched(_batches(table, checker), tick),
            lambda: checker.report,
            details,
        )
        audit.record(
            db,
            audit.DTSEN_IMPORT,
            actor,
            office_id=office_id,
            username="cli" if actor is None else None,
            detail=f"{source[:80]}: " + _summary(checker.report, as_of),
            at=now,
        )
        await db.commit()
        await store.sqlite_cache(db, store.SQLITE_DEFAULT_CACHE_KIB)
        await db.commit()
    await asyncio.to_thread(_close, rest)
    if progress is not None:
        progress(table.size, table.size, checker.report.rows)
    return Imported(new, checker.report, columns, table.kind, table.sheet)


def _close(rest: Iterator[Table]) -> None:
    close = getattr(rest, "close", None)
    if close is not None:
        close()
