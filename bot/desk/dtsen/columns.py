"""Which column of an office's DTSEN export holds what: the fields the desk keeps, the header
spellings seen in real exports, a mapping given by the office for others, and finding the
header row (exports often open with a title). Names and positions only; no cell values."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.desk.dtsen.errors import ColumnsError
from bot.desk.i18n import N_

# The fields kept per person, in the order of DtsenEntry's columns.
FIELDS = ("nik", "kk", "nama", "desil", "kecamatan", "kelurahan", "alamat")
LABELS = {
    "nik": "NIK",
    "kk": "No KK",
    "nama": "Nama",
    "desil": "Desil",
    "kecamatan": "Kecamatan",
    "kelurahan": "Kelurahan",
    "alamat": "Alamat",
}

# Header spellings, compared without case, spaces or punctuation ("No. KK" = "NO_KK" = "nokk").
ALIASES: Mapping[str, tuple[str, ...]] = {
    "nik": (
        "nik", "nik art", "nik anggota", "nik ktp", "no nik", "nomor nik", "nomer nik",
        "nomor induk kependudukan", "no induk kependudukan",
    ),
    "kk": (
        "no kk", "nomor kk", "nomer kk", "kk", "nkk", "no kartu keluarga", "nomor kartu keluarga",
        "kartu keluarga", "nik kk", "no kk art",
    ),
    "nama": (
        "nama", "nama lengkap", "nama art", "nama anggota", "nama anggota keluarga",
        "nama penduduk", "nama penerima",
    ),
    "desil": (
        "desil", "desil nasional", "desil kesejahteraan", "peringkat desil", "kelompok desil",
        "status desil", "desil dtsen",
    ),
    "kecamatan": ("kecamatan", "kec", "nama kecamatan", "nm kec", "nmkec"),
    "kelurahan": (
        "kelurahan", "desa", "kelurahan desa", "desa kelurahan", "kel", "kel desa", "desa kel",
        "nama kelurahan", "nama desa", "nm desa", "nmdesa", "nm kel",
    ),
    "alamat": ("alamat", "alamat lengkap", "alamat rumah", "alamat domisili", "alamat tinggal"),
}  # fmt: skip

HEADER_SEARCH_ROWS = 15  # a title, a date and blank lines may stand above the header


def compact(header: object) -> str:
    """A header as compared: lower case letters and digits only."""
    return re.sub(r"[^0-9a-z]+", "", str(header or "").casefold())


_KNOWN = {compact(alias): field for field, aliases in ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class Columns:
    """Where each field is: its position in a row (None: the file has no such column)."""

    positions: Mapping[str, int | None]
    headers: Mapping[str, str]  # field -> the header as written in the file
    header_row: int  # 1-based row number of the header in the file

    def get(self, field: str) -> int | None:
        return self.positions.get(field)


def parse_mapping(text: str) -> dict[str, str]:
    """`nik=NIK ART; kk=NOMOR KK` (the DTSEN_COLUMNS setting, `--column`) -> {field: header}."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        field, sep, header = part.partition("=")
        field = field.strip().lower()
        if not sep or not header.strip():
            raise ColumnsError(
                "{part!r}: write FIELD=HEADER, e.g. nik=NIK ART",
                N_("{part}: tulis KOLOM=JUDUL, mis. nik=NIK ART"),
                part=part.strip(),
            )
        if field not in FIELDS:
            raise ColumnsError(
                "{field!r} is not a field; fields: {fields}",
                N_("{field} bukan kolom yang dikenal; kolom: {fields}"),
                field=field,
                fields=", ".join(FIELDS),
            )
        out[field] = header.strip()
    return out


def _match(headers: Sequence[object], mapping: Mapping[str, str]) -> dict[str, int]:
    """Field -> position of its column in a header row (the first column that names it)."""
    wanted = {compact(h): f for f, h in mapping.items()}
    found: dict[str, int] = {}
    for i, header in enumerate(headers):
        key = compact(header)
        field = wanted.get(key)
        if field is None and (usual := _KNOWN.get(key)) not in mapping:
            field = usual  # a usual spelling, unless the office named another column for it
        if field is not None and field not in found:
            found[field] = i
    return found


def locate(rows: Sequence[Sequence[object]], mapping: Mapping[str, str] | None = None) -> Columns:
    """The header among the first rows: the one naming the most fields (NIK or KK among them).
    `mapping` names the headers of fields the usual spellings do not find."""
    mapping = dict(mapping or {})
    best: tuple[int, dict[str, int]] | None = None
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        found = _match(row, mapping)
        if ("nik" in found or "kk" in found) and (best is None or len(found) > len(best[1])):
            best = (number, found)
    if best is None:
        seen = next((r for r in rows[:HEADER_SEARCH_ROWS] if any(str(c or "").strip() for c in r)),
                    ())  # fmt: skip
        if not seen:
            raise ColumnsError("the file has no rows", N_("Berkas ini tidak berisi baris."))
        raise ColumnsError(
            "no column for NIK or No KK in the first rows (the first row with text has: "
            "{headers}); name them with a column mapping, e.g. nik=NIK ART; kk=NOMOR KK",
            N_("Tidak ada kolom NIK atau No KK di baris-baris pertama (baris pertama yang berisi: "
               "{headers}). Tulis judul kolomnya di pemetaan kolom."),
            headers=_shown(seen),
        )  # fmt: skip
    number, found = best
    header = rows[number - 1]
    missing = [f"{f}={h}" for f, h in mapping.items() if f not in found]
    if missing:
        raise ColumnsError(
            "the header (row {row}) has no column {missing}; its columns are: {headers}",
            N_("Baris judul (baris {row}) tidak punya kolom {missing}. Kolomnya: {headers}"),
            row=number,
            missing=", ".join(missing),
            headers=_shown(header),
        )
    return Columns(
        positions={f: found.get(f) for f in FIELDS},
        headers={f: str(header[i]).strip() for f, i in found.items()},
        header_row=number,
    )


def _shown(row: Sequence[object]) -> str:
    return ", ".join(repr(str(c).strip()) for c in row if str(c or "").strip())[:500]
