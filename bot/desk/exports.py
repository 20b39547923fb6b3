"""The filtered case list as a spreadsheet (CSV or XLSX, openpyxl) for the monthly report.
Every cell is text (a NIK stays 16 digits, a name starting with "=" is never a formula)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

from bot.desk.i18n import N_
from bot.desk.models import Case

WITA = timezone(timedelta(hours=8), "WITA")
COLUMNS = (
    N_("Nomor pengajuan"),
    N_("Layanan"),
    N_("Nama"),
    N_("NIK"),
    N_("Nomor KK"),
    N_("Nomor HP"),
    N_("Status"),
    N_("Diajukan (WITA)"),
    N_("Ditutup (WITA)"),
    N_("Petugas"),
    N_("Saluran"),
)


def _when(t: datetime | None) -> str:
    return t.astimezone(WITA).strftime("%Y-%m-%d %H:%M") if t else ""


def _phone(p: str | None) -> str:
    return "0" + p.removeprefix("+62") if p and p.startswith("+62") else (p or "")


def rows(cases: Sequence[Case], status_label: Callable[[Case], str]) -> list[list[str]]:
    return [
        [
            c.reference,
            c.service,
            c.name or "",
            c.nik or "",
            c.kk or "",
            _phone(c.phone),
            status_label(c),
            _when(c.submitted_at),
            _when(c.closed_at),
            c.assignee.username if c.assignee else "",
            c.channel,
        ]
        for c in cases
    ]


def safe(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs (CSV/formula injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(header: Sequence[str], data: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe(cell) for cell in row] for row in data)
    return ("\ufeff" + out.getvalue()).encode()  # the BOM: Excel opens it as UTF-8


def to_xlsx(header: Sequence[str], data: Sequence[Sequence[str]], title: str) -> bytes:
    wb = Workbook(write_only=True)
    ws: Worksheet = wb.create_sheet(title[:31])

    def text(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # a string, even when it starts with "="
        return cell

    ws.append([text(h) for h in header])
    for row in data:
        ws.append([text(cell) for cell in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
