"""Checking each row of a DTSEN export: a NIK is kept when it is 16 digits with a real region
and birth date, a KK number when it is 16 digits with a real region; the desil is 1 to 10. A
row with neither a NIK nor a KK number is skipped. Problems are counted with their row numbers
(never their values), and none is fatal."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.desk.dtsen.columns import Columns
from bot.engine.understanding.identity import PROVINCES, nik_birth_date

ROWS_SHOWN = 50  # row numbers kept per problem for the report; the count has them all
_PROVINCES = frozenset(f"{p:02d}" for p in PROVINCES)
_SCIENTIFIC = re.compile(r"\d([.,]\d+)?[eE]\+?\d+")
_SEPARATORS = re.compile(r"[\s.\-']")
_DESIL = re.compile(r"(?:desil|d)?\s*(\d{1,2})(?:[.,]0+)?", re.IGNORECASE)

# Why a NIK or KK number was not kept (the report's keys; the desk translates them).
MISSING = "missing"
NOT_16_DIGITS = "not_16_digits"
SCIENTIFIC = "scientific"  # "7.30601E+15": a spreadsheet wrote the number in short form
REGION = "region"
BIRTH_DATE = "birth_date"
SERIAL = "serial"


@dataclass
class Problem:
    count: int = 0
    rows: list[int] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, row: int, reason: str = "") -> None:
        self.count += 1
        if len(self.rows) < ROWS_SHOWN:
            self.rows.append(row)
        if reason:
            self.reasons[reason] += 1

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "rows": self.rows, "reasons": dict(self.reasons)}


@dataclass
class Report:
    """What the import found, by problem. `numbers` counts NIKs and KK numbers that were
    number cells in a spreadsheet: Excel keeps 15 digits of a number, so check that column."""

    rows: int = 0
    entries: int = 0
    nik: Problem = field(default_factory=Problem)
    kk: Problem = field(default_factory=Problem)
    skipped: Problem = field(default_factory=Problem)
    desil: Problem = field(default_factory=Problem)
    numbers: Problem = field(default_factory=Problem)
    duplicate_niks: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "entries": self.entries,
            "nik": self.nik.to_dict(),
            "kk": self.kk.to_dict(),
            "skipped": self.skipped.to_dict(),
            "desil": self.desil.to_dict(),
            "numbers": self.numbers.to_dict(),
            "duplicate_niks": self.duplicate_niks,
        }


def nik_problem(d: str, today: date, _dates: dict[str, bool] | None = None) -> str | None:
    """Why 16 digits are no NIK (None: they are one). `_dates` remembers birth dates seen."""
    if d[:2] not in _PROVINCES or d[2:4] == "00" or d[4:6] == "00":
        return REGION
    born = d[6:12]
    ok = _dates.get(born) if _dates is not None else None
    if ok is None:
        ok = nik_birth_date(d, today) is not None
        if _dates is not None:
            _dates[born] = ok
    if not ok:
        return BIRTH_DATE
    if d.endswith("0000"):
        return SERIAL
    return None


def kk_problem(d: str) -> str | None:
    if d[:2] not in _PROVINCES or d[2:4] == "00" or d[4:6] == "00" or d.endswith("0000"):
        return REGION
    return None


def _text(cell: Any, limit: int) -> str | None:
    if type(cell) is str:
        return cell.strip()[:limit] or None
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()[:limit] or None


class Checker:
    """Turns raw rows into entries (row, nik, kk, name, desil, kecamatan, kelurahan, address),
    counting what it finds wrong in `report`."""

    def __init__(self, columns: Columns, today: date) -> None:
        self.columns, self.today, self.report = columns, today, Report()
        self._dates: dict[str, bool] = {}  # a birth date's check, done once per date

    def _number(self, cell: Any, row: int) -> tuple[str | None, str]:
        """(the 16 digits, "") or (None, why)."""
        if isinstance(cell, str):
            d = cell.strip()
            if not (len(d) == 16 and d.isdigit() and d.isascii()):
                if not d:
                    return None, MISSING
                if _SCIENTIFIC.fullmatch(d):
                    return None, SCIENTIFIC
                d = _SEPARATORS.sub("", d)
                if not (d.isdigit() and d.isascii()):
                    return None, NOT_16_DIGITS
        elif isinstance(cell, bool) or cell is None:
            return None, MISSING
        elif isinstance(cell, int | float) and float(cell).is_integer():
            self.report.numbers.add(row)
            d = str(int(cell))
        else:
            return None, NOT_16_DIGITS
        return (d, "") if len(d) == 16 else (None, NOT_16_DIGITS)

    def check(self, numbered: Iterable[tuple[int, Any]]) -> list[tuple[Any, ...]]:
        # a field without a column reads position -1: the None appended to every row
        at = {f: (-1 if p is None else p) for f, p in self.columns.positions.items()}
        i_nik, i_kk, i_name, i_desil = at["nik"], at["kk"], at["nama"], at["desil"]
        i_kec, i_kel, i_addr = at["kecamatan"], at["kelurahan"], at["alamat"]
        width = max(at.values()) + 1
        padding = [None] * width
        report, today, header, out = self.report, self.today, self.columns.header_row, []
        dates = self._dates
        for number, raw in numbered:
            if number <= header:
                continue
            report.rows += 1
            row = [*raw, *padding[len(raw) :], None]
            nik = kk = None
            if i_nik >= 0:
                nik = row[i_nik]
                if not (type(nik) is str and len(nik) == 16 and nik.isdigit() and nik.isascii()):
                    nik, why = self._number(nik, number)
                if nik is not None and (why := nik_problem(nik, today, dates) or ""):
                    nik = None
                if nik is None:
                    report.nik.add(number, why)
            if i_kk >= 0:
                kk = row[i_kk]
                if not (type(kk) is str and len(kk) == 16 and kk.isdigit() and kk.isascii()):
                    kk, why = self._number(kk, number)
                if kk is not None and (why := kk_problem(kk) or ""):
                    kk = None
                if kk is None:
                    report.kk.add(number, why)
            if nik is None and kk is None:
                report.skipped.add(number)
                continue
            desil = None
            if (value := row[i_desil]) is not None and value != "":
                desil = self._desil(value)
                if desil is None:
                    report.desil.add(number)
            out.append(
                (
                    number,
                    nik,
                    kk,
                    _text(row[i_name], 200),
                    desil,
                    _text(row[i_kec], 100),
                    _text(row[i_kel], 100),
                    _text(row[i_addr], 300),
                )
            )
        report.entries += len(out)
        return out

    @staticmethod
    def _desil(raw: Any) -> int | None:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            value = int(raw) if float(raw).is_integer() else 0
        else:
            found = _DESIL.fullmatch(str(raw).strip())
            value = int(found.group(1)) if found else 0
        return value if 1 <= value <= 10 else None
