"""Reading and checking an export in a process of its own, so that on two cores the file is
parsed while the database writes the rows before it (threads would share one interpreter
lock). The process sends the columns, then batches of checked rows with the progress, then the
report; a refusal (DtsenError) comes back as itself. It never touches the database."""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from bot.desk.dtsen import errors
from bot.desk.dtsen.columns import Columns, locate
from bot.desk.dtsen.errors import ColumnsError, DtsenError
from bot.desk.dtsen.reading import Table, tables
from bot.desk.dtsen.rows import Checker, Report
from bot.desk.i18n import N_

BATCH = 5000
AHEAD = 8  # batches read ahead of the database at most


def find(path: Path, mapping: Mapping[str, str]) -> tuple[Table, Columns, Iterator[Table]]:
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


def _work(path: Path, mapping: Mapping[str, str], as_of: date, out: Any) -> None:
    """The process: columns, batches, report (or the refusal)."""
    try:
        table, columns, _rest = find(path, mapping)
        checker = Checker(columns, as_of)
        out.put(("columns", columns, table.kind, table.sheet))
        rows = table.rows
        while chunk := list(islice(rows, BATCH)):
            batch = checker.check(chunk)
            out.put(("batch", batch, table.done, table.size, checker.report.rows))
        out.put(("report", checker.report, table.size))
    except DtsenError as exc:
        out.put(("refused", type(exc).__name__, str(exc), exc.msgid, exc.values))
    except Exception as exc:  # said to the parent, which raises it
        out.put(("failed", f"{type(exc).__name__}: {exc}"))


def _refusal(kind: str, english: str, msgid: str, values: dict[str, str]) -> DtsenError:
    cls: type[DtsenError] = getattr(errors, kind, DtsenError)
    exc = cls.__new__(cls)
    ValueError.__init__(exc, english)
    exc.msgid, exc.values = msgid, values
    return exc


class ReaderFailed(RuntimeError):
    """The reading process failed or died (its message says why)."""


@dataclass
class Read:
    """The running reader: its columns once known, its batches, and its report at the end."""

    columns: Columns
    kind: str
    sheet: str | None
    _next: Callable[[], Any]
    _stop: Callable[[], None]
    report: Report | None = None

    async def batches(
        self, progress: Callable[[int, int, int], None] | None = None
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        while True:
            message = await self._next()
            if message[0] == "report":
                self.report = message[1]
                if progress is not None:
                    progress(message[2], message[2], self.report.rows)
                return
            _, batch, done, size, rows = message
            yield batch
            if progress is not None:
                progress(done, size, rows)

    def stop(self) -> None:
        self._stop()


async def start(path: Path, mapping: Mapping[str, str], as_of: date) -> Read:
    """Start reading `path` in a new process; returns once its columns are known (raises the
    DtsenError when the file or its columns cannot be used)."""
    context = multiprocessing.get_context("spawn")  # never fork a process that has threads
    out = context.Queue(maxsize=AHEAD)
    process = context.Process(target=_work, args=(path, dict(mapping), as_of, out), daemon=True)
    process.start()

    def get() -> Any:
        while True:
            try:
                return out.get(timeout=0.5)
            except queue.Empty:
                if not process.is_alive():
                    raise ReaderFailed(
                        f"the reading process ended (exit code {process.exitcode})"
                    ) from None

    async def next_message() -> Any:
        message = await asyncio.to_thread(get)
        if message[0] == "refused":
            raise _refusal(*message[1:])
        if message[0] == "failed":
            raise ReaderFailed(message[1])
        return message

    def stop() -> None:
        if process.is_alive():
            process.kill()
        process.join(5)
        out.close()
        out.cancel_join_thread()

    try:
        _, columns, kind, sheet = await next_message()
    except BaseException:
        stop()
        raise
    return Read(columns, kind, sheet, next_message, stop)
