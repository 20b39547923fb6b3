"""`wargabot dtsen import FILE --office ID --as-of DATE` (an office's DTSEN list, with a progress
bar and the report of what was wrong) and `wargabot dtsen status` (each office's list in force).
Never prints a row: counts and row numbers only."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.engine.flowset import FlowSet


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-10-01") from None


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dtsen = sub.add_parser("dtsen", help="the offices' DTSEN lists: import one, see them")
    dsub = dtsen.add_subparsers(dest="dtsen_command", required=True, metavar="ACTION")
    imp = dsub.add_parser(
        "import",
        help="replace an office's DTSEN list with an export (CSV, XLSX, XLS or ODS)",
        description="Reads the office's export, maps its columns (NIK, No KK, Nama, Desil, "
        "Kecamatan, Kelurahan, Alamat and their usual spellings; DTSEN_COLUMNS or --column for "
        "others), checks each row and replaces the office's list in one transaction. Bad NIKs "
        "are counted and reported by row number; they never stop the import.",
    )
    imp.add_argument("file", type=Path, help="the export: CSV (any separator) or a spreadsheet")
    imp.add_argument("--office", required=True, help="office id from the flows, e.g. dinsos_gowa")
    imp.add_argument(
        "--as-of", required=True, type=_date, help="the date of the list, e.g. 2026-10-01"
    )
    imp.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help="the file's header for a field (nik, kk, nama, desil, kecamatan, kelurahan, "
        "alamat), e.g. --column 'nik=NIK ART'; repeat for several",
    )
    dsub.add_parser("status", help="each office's list in force: its date, size, who imported it")


def add_bench_parser(bsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dt = bsub.add_parser(
        "dtsen", help="import a DTSEN list of 1,000,000 rows, CSV and XLSX, SQLite and PostgreSQL"
    )
    dt.add_argument("--rows", type=int, default=1_000_000, help="rows (default 1000000)")
    dt.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    dt.add_argument("--format", default="csv,xlsx", help="csv, xlsx or both (default)")


def run(args: argparse.Namespace, settings: Settings, flows: FlowSet) -> int:
    from bot.commands.db import refuse_if_behind
    from bot.desk.dtsen.columns import parse_mapping
    from bot.desk.dtsen.errors import DtsenError

    if refused := refuse_if_behind(settings):
        return refused
    if args.dtsen_command == "status":
        return asyncio.run(_status(settings, flows))
    offices = {o.id for o in flows.offices}
    if args.office not in offices:
        print(f"wargabot: no office {args.office!r} (offices: {', '.join(sorted(offices))})",
              file=sys.stderr)  # fmt: skip
        return 2
    if not args.file.is_file():
        print(f"wargabot: {args.file} is not a file", file=sys.stderr)
        return 2
    try:
        mapping = parse_mapping(settings.DTSEN_COLUMNS) | parse_mapping(";".join(args.column))
    except DtsenError as exc:
        print(f"wargabot: column mapping: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_import(settings, args.file, args.office, args.as_of, mapping))
    except DtsenError as exc:
        print(f"wargabot: {args.file.name}: {exc}; nothing was changed", file=sys.stderr)
        return 1


async def _import(
    settings: Settings, path: Path, office: str, as_of: date, mapping: dict[str, str]
) -> int:
    from tqdm import tqdm

    from bot.desk.db import make_engine, make_sessions
    from bot.desk.dtsen.imports import import_list
    from bot.desk.dtsen.lookup import current

    engine = make_engine(settings.DATABASE_URL)
    sessions = make_sessions(engine)
    bar: Any = None

    def progress(done: int, size: int, rows: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=max(size, 1), file=sys.stderr, dynamic_ncols=True,
                       bar_format="{l_bar}{bar}| [{elapsed}<{remaining}]")  # fmt: skip
        bar.n = min(done, bar.total)
        bar.set_description_str(f"{rows:>9,} rows", refresh=True)

    started = time.perf_counter()
    try:
        async with sessions() as db:
            before = await current(db, office)
        print(f"reading {path.name} ...", file=sys.stderr)
        done = await import_list(
            sessions, path, office, as_of, source=path.name, now=datetime.now(UTC),
            mapping=mapping, progress=progress,
        )  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
        await engine.dispose()
    print(report(done, time.perf_counter() - started))
    if before is not None:
        print(f"It replaces the list of {before.as_of} ({before.entries:,} entries, imported "
              f"{before.imported_at:%Y-%m-%d} by {before.imported_by}).")  # fmt: skip
    return 0


def _rows(problem: Any) -> str:
    rows = ", ".join(str(r) for r in problem.rows[:10])
    more = problem.count - min(len(problem.rows), 10)
    return f"rows {rows}" + (f" and {more:,} more" if more else "")


def _reasons(problem: Any) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in problem.reasons.most_common())


def report(done: Any, seconds: float) -> str:
    from bot.desk.dtsen.columns import FIELDS, LABELS

    r, c = done.report, done.columns
    where = f"{done.kind}" + (f", sheet {done.sheet!r}" if done.sheet else "")
    lines = [
        f"Imported the DTSEN list of {done.list.office_id} as of {done.list.as_of} "
        f"({where}, header on row {c.header_row}) in {seconds:.1f} s:",
        f"  rows read            {r.rows:>10,}",
        f"  kept                 {r.entries:>10,}   (a valid NIK or KK number)",
    ]
    for name, problem, note in (
        ("bad NIK", r.nik, "kept for the KK lookup when the KK number is valid"),
        ("bad KK number", r.kk, ""),
        ("skipped", r.skipped, "neither a valid NIK nor a valid KK number"),
        ("desil unreadable", r.desil, "kept without a desil"),
    ):
        if problem.count:
            lines.append(f"  {name:20} {problem.count:>10,}   {_rows(problem)}")
            detail = _reasons(problem) or note
            if detail:
                lines.append(f"  {'':20} {'':>10}   {detail}" + (f"; {note}" if problem.reasons
                                                                   and note else ""))  # fmt: skip
    if r.numbers.count:
        lines.append(
            f"  numbers              {r.numbers.count:>10,}   NIK or KK cells stored as numbers: "
            "Excel keeps only 15 digits of a number, so format those columns as Text"
        )
    if r.duplicate_niks:
        twice = f"{r.duplicate_niks:>10,}"
        lines.append(f"  NIK more than once   {twice}   (the lookup shows the first)")
    mapped = [f"{LABELS[f]} <- {c.headers[f]!r}" for f in FIELDS if f in c.headers]
    absent = [LABELS[f] for f in FIELDS if f not in c.headers]
    lines.append("  columns: " + "; ".join(mapped))
    if absent:
        lines.append("  not in the file: " + ", ".join(absent))
    return "\n".join(lines)


async def _status(settings: Settings, flows: FlowSet) -> int:
    from bot.desk.db import make_engine, make_sessions
    from bot.desk.dtsen.lookup import current

    engine = make_engine(settings.DATABASE_URL)
    try:
        async with make_sessions(engine)() as db:
            for office in flows.offices:
                found = await current(db, office.id)
                if found is None:
                    print(f"{office.id:20} no list yet")
                else:
                    print(f"{office.id:20} list of {found.as_of}: {found.entries:,} entries, "
                          f"imported {found.imported_at:%Y-%m-%d %H:%M} UTC by "
                          f"{found.imported_by} from {found.source}")  # fmt: skip
    finally:
        await engine.dispose()
    return 0
