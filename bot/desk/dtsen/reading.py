"""Reading an office's DTSEN export: a CSV file (UTF-8 or Windows encoding; comma, semicolon,
tab or bar between cells, as Indonesian Excel saves it) or a spreadsheet (XLSX, XLS, ODS, read
by python-calamine). Rows come out as they are, numbered as a spreadsheet numbers them."""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from bot.desk.dtsen.errors import ReadError
from bot.desk.i18n import N_

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
csv.field_size_limit(1 << 20)


Row = Sequence[Any]


@dataclass
class Table:
    """One sheet (or the CSV file): its rows from the first, numbered from 1, and how far the
    reading has come (`done` of `size`, in bytes for a CSV and rows for a spreadsheet)."""

    kind: str  # csv | xlsx | xls | ods
    sheet: str | None
    size: int
    rows: Iterator[tuple[int, Row]]
    _counter: _Counting | None = None
    _rows_done: list[int] = field(default_factory=lambda: [0])

    @property
    def done(self) -> int:
        return self._counter.count if self._counter is not None else self._rows_done[0]

    def head(self, n: int) -> list[Row]:
        """The first `n` rows (blank ones included), read once and given again by `rows`."""
        first: list[tuple[int, Row]] = []
        for item in self.rows:
            first.append(item)
            if len(first) >= n:
                break
        rest = self.rows
        self.rows = _chain(first, rest)
        out: list[Row] = []
        for number, row in first:
            out += [()] * (number - len(out) - 1) + [row]
        return out[:n]


Numbered = Iterator[tuple[int, Row]]


def _chain(first: list[tuple[int, Row]], rest: Numbered) -> Numbered:
    yield from first
    yield from rest


def kind_of(path: Path) -> str:
    """What the file is, from its first bytes (never its name)."""
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"PK\x03\x04"):
        return "ods" if _is_ods(path) else "xlsx"
    if magic.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if magic.startswith(b"%PDF"):
        raise ReadError(
            "this is a PDF; export the list as CSV or XLSX",
            N_("Berkas ini PDF. Ekspor daftarnya sebagai CSV atau XLSX."),
        )
    return "csv"


def _is_ods(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return z.read("mimetype").startswith(b"application/vnd.oasis.opendocument.spreadsheet")
    except (KeyError, zipfile.BadZipFile):
        return False


def tables(path: Path) -> Iterator[Table]:
    """The file as one table (CSV) or each visible worksheet in order (a spreadsheet)."""
    kind = kind_of(path)
    if kind == "csv":
        yield _csv(path)
        return
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise ReadError(
            "the spreadsheet cannot be read ({error})",
            N_("Spreadsheet ini tidak dapat dibaca ({error})."),
            error=f"{type(exc).__name__}: {exc}"[:300],
        ) from exc
    try:
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue
            sheet = book.get_sheet_by_name(meta.name)  # the whole sheet, read at once
            rows_done = [0]
            yield Table(
                kind, meta.name, sheet.height, _sheet_rows(sheet, rows_done), None, rows_done
            )
    finally:
        book.close()


def _sheet_rows(sheet: Any, done: list[int]) -> Iterator[tuple[int, Row]]:
    start = sheet.start[0] if sheet.start else 0  # rows above the first cell are not listed
    for number, row in enumerate(sheet.iter_rows(), start=start + 1):
        done[0] += 1
        if any(c != "" for c in row):
            yield number, row


class _Counting(io.RawIOBase):
    """A file that counts the bytes read from it (a CSV's progress)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


def _encoding(sample: bytes) -> str:
    """UTF-16 after its byte-order mark (Excel's "Unicode text"), UTF-8 (with or without BOM)
    when the start of the file is UTF-8, else Windows-1252, as Excel saves "CSV" on an
    Indonesian Windows."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _delimiter(lines: list[str]) -> str:
    """The separator that splits the first lines most evenly into the most cells."""
    best, score = ",", 0
    for d in DELIMITERS:
        counts = [line.count(d) for line in lines if line.strip()]
        if counts and min(counts[:3]) > 0 and sum(counts) > score:
            best, score = d, sum(counts)
    return best


def _csv(path: Path) -> Table:
    size = os.path.getsize(path)
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    encoding = _encoding(sample)
    text = sample.decode(encoding, errors="replace")
    lines = text.splitlines()[:20]
    delimiter, skip = _delimiter(lines), 0
    if lines and lines[0].lower().startswith("sep=") and len(lines[0].strip()) == 5:
        delimiter, skip = lines[0].strip()[4], 1  # Excel's "sep=;" line
    counter = _Counting(path.open("rb"))
    stream = io.TextIOWrapper(
        io.BufferedReader(counter, 1 << 16), encoding=encoding, errors="replace", newline=""
    )

    def rows() -> Iterator[tuple[int, Row]]:
        try:
            reader = csv.reader(stream, delimiter=delimiter)
            for number, row in enumerate(reader, start=1 - skip):
                if number >= 1 and any(c.strip() for c in row):
                    yield number, row
        except csv.Error as exc:
            raise ReadError(
                "the CSV file is damaged near line {line}: {error}",
                N_("Berkas CSV rusak di sekitar baris {line}: {error}"),
                line=reader.line_num,
                error=str(exc)[:200],
            ) from exc
        finally:
            stream.close()

    return Table("csv", None, size, rows(), counter)
