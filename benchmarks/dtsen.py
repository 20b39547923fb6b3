"""`wargabot bench dtsen`: a synthetic DTSEN list of 1,000,000 people imported as CSV and as
XLSX, on SQLite and on a throwaway PostgreSQL server (durable: fsync on, like an office's),
twice each: into an empty database, and again replacing that list. Target: under 60 s."""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks import dtsen_lists as lists
from bot.desk import migrate
from bot.desk.db import make_engine, make_sessions
from bot.desk.dtsen.imports import import_list

TARGET = 60.0
CACHE = Path("var/bench")


def files(rows: int, formats: Sequence[str]) -> dict[str, Path]:
    """The synthetic exports, made once and kept in var/bench/ (they take a while to write)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    out = {}
    for kind in formats:
        path = CACHE / f"dtsen-{rows}.{kind}"
        if not path.exists():
            started = time.perf_counter()
            tmp = path.with_suffix(".part")
            writer = lists.write_csv if kind == "csv" else lists.write_xlsx
            writer(tmp, lists.people(rows))
            tmp.rename(path)
            print(f"  wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in "
                  f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        out[kind] = path
    return out


def _cpu() -> float:
    """CPU seconds of this process and the reading processes it waited for."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


async def measure(url: str, path: Path) -> list[tuple[float, float]]:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        sessions = make_sessions(engine)
        times = []
        for as_of in (date(2026, 9, 1), date(2026, 10, 1)):
            started, cpu = time.perf_counter(), _cpu()
            done = await import_list(sessions, path, "dinsos_gowa", as_of, source=path.name,
                                     now=datetime.now(UTC))  # fmt: skip
            times.append((time.perf_counter() - started, _cpu() - cpu))
            assert done.report.entries > 0
        return times
    finally:
        await engine.dispose()


def run(rows: int, dbs: Sequence[str], formats: Sequence[str]) -> int:
    from benchmarks.postgres import PostgresMissing, UnknownDatabase, bench_database

    load = f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(f"DTSEN import, {rows:,} rows: into an empty database / replacing that list; wall "
          f"time (target < {TARGET:.0f} s) and CPU time of wargabot's processes (PostgreSQL's "
          f"own not counted); {load}")  # fmt: skip
    paths = files(rows, formats)
    ok = True
    for db in dbs:
        for kind, path in paths.items():
            try:
                with bench_database(db, durable=True) as url:
                    first, again = asyncio.run(measure(url, path))
            except (PostgresMissing, UnknownDatabase) as exc:
                print(f"wargabot: {exc}")
                return 2
            verdict = "ok" if max(first[0], again[0]) < TARGET else "MISSED"
            ok = ok and verdict == "ok"
            print(f"  {db:10} {kind:5} {first[0]:6.1f} s / {again[0]:6.1f} s   {verdict:6}  "
                  f"CPU {first[1]:5.1f} s / {again[1]:5.1f} s   "
                  f"(load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    return 0 if ok else 1
