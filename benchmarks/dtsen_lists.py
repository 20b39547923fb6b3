"""Synthetic DTSEN lists for the import benchmark and the tests: invented people of Gowa with
NIKs and KK numbers of real shape (region 73 06 kk, a birth date, a serial), written as CSV or as
XLSX the way Excel writes it (shared strings; NIK and KK as text, desil as a number)."""

from __future__ import annotations

import csv
import random
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ("NIK", "No KK", "Nama", "Desil", "Kecamatan", "Kelurahan", "Alamat")
KECAMATAN = {
    1: ("Bontonompo", "Kalebarembeng"), 2: ("Bajeng", "Kalebajeng"), 3: ("Pallangga", "Tetebatu"),
    4: ("Bontomarannu", "Romang Lompoa"), 5: ("Tinggimoncong", "Malino"),
    6: ("Somba Opu", "Sungguminasa"),
    7: ("Parangloe", "Lanna"), 8: ("Bungaya", "Bontoparang"), 9: ("Tompobulu", "Cikoro"),
    10: ("Barombong", "Tinggimae"),
}  # fmt: skip
NAMES = ("Andi", "Siti", "Nur", "Muhammad", "Rahmat", "Hasna", "Baso", "Ince", "Daeng", "Wati",
         "Syamsul", "Aminah", "Fitri", "Kaharuddin", "Nurhayati", "Caya")  # fmt: skip


def nik(rnd: random.Random, kecamatan: int, woman: bool | None = None) -> str:
    """A NIK of Kabupaten Gowa (73 06): kecamatan, birth date (day + 40 for women), serial."""
    day = rnd.randint(1, 28) + (40 if (rnd.random() < 0.5 if woman is None else woman) else 0)
    born = f"{day:02d}{rnd.randint(1, 12):02d}{rnd.randint(40, 99):02d}"
    return f"7306{kecamatan:02d}{born}{rnd.randint(1, 9999):04d}"


def kk(rnd: random.Random, kecamatan: int) -> str:
    return f"7306{kecamatan:02d}{rnd.randint(10**5, 10**6 - 1)}{rnd.randint(1, 9999):04d}"


def people(n: int, seed: int = 1) -> Iterator[tuple[str, str, str, int, str, str, str]]:
    """`n` rows of households of one to five people sharing a KK number and a desil."""
    rnd = random.Random(seed)
    made = 0
    while made < n:
        k = rnd.randint(1, 10)
        kec, kel = KECAMATAN[k]
        family, desil = kk(rnd, k), rnd.randint(1, 10)
        surname = rnd.choice(NAMES)
        street = f"Jl. {rnd.choice(NAMES)} No. {rnd.randint(1, 200)}"
        for _ in range(min(rnd.randint(1, 5), n - made)):
            made += 1
            yield (nik(rnd, k), family, f"{rnd.choice(NAMES)} {surname}", desil, kec, kel, street)


def write_csv(
    path: Path, rows: Iterator[Sequence[object]] | Sequence[Sequence[object]],
    header: Sequence[str] = HEADER, delimiter: str = ",", encoding: str = "utf-8",
) -> Path:  # fmt: skip
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS = "http://schemas.openxmlformats.org"
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = f"{_NS}/officeDocument/2006/relationships"


def _override(part: str, kind: str) -> str:
    return f'<Override PartName="/xl/{part}" ContentType="{_SML}.{kind}+xml"/>'


def _relationship(n: int, kind: str, target: str) -> str:
    return f'<Relationship Id="rId{n}" Type="{_REL}/{kind}" Target="{target}"/>'


_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_NS}/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    + _override("workbook.xml", "sheet.main")
    + _override("worksheets/sheet1.xml", "worksheet")
    + _override("sharedStrings.xml", "sharedStrings")
    + _override("styles.xml", "styles")
    + "</Types>"
)
_RELS = (
    f'{_XML}<Relationships xmlns="{_NS}/package/2006/relationships">'
    + _relationship(1, "officeDocument", "xl/workbook.xml")
    + "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_NS}/spreadsheetml/2006/main" xmlns:r="{_REL}">'
    '<sheets><sheet name="DTSEN" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_NS}/package/2006/relationships">'
    + _relationship(1, "worksheet", "worksheets/sheet1.xml")
    + _relationship(2, "sharedStrings", "sharedStrings.xml")
    + _relationship(3, "styles", "styles.xml")
    + "</Relationships>"
)
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_NS}/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="1"><xf/></cellXfs>'
    "</styleSheet>"
)


def _column(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def write_xlsx(
    path: Path, rows: Iterator[Sequence[object]] | Sequence[Sequence[object]],
    header: Sequence[str] = HEADER,
) -> Path:  # fmt: skip
    """An XLSX as Excel writes one (text in the shared strings table, numbers inline), streamed:
    openpyxl's write-only mode writes inline strings instead, and a million rows slowly."""
    strings: dict[str, int] = {}

    def cell(ref: str, value: object) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f'<c r="{ref}"><v>{value}</v></c>'
        if value is None or value == "":
            return ""
        index = strings.setdefault(str(value), len(strings))
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'

    names = [_column(i) for i in range(64)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f'{_XML}<worksheet xmlns="{_NS}/spreadsheetml/2006/main"><sheetData>'.encode())
            for r, row in enumerate((header, *rows) if isinstance(rows, Sequence) else
                                    _prepend(header, rows), start=1):  # fmt: skip
                cells = "".join(cell(f"{names[i]}{r}", v) for i, v in enumerate(row))
                fh.write(f'<row r="{r}">{cells}</row>'.encode())
            fh.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            head = f'{_XML}<sst xmlns="{_NS}/spreadsheetml/2006/main" uniqueCount="{len(strings)}">'
            fh.write(head.encode())
            for text in strings:
                fh.write(f"<si><t>{escape(text)}</t></si>".encode())
            fh.write(b"</sst>")
    return path


def _prepend(header: Sequence[str], rows: Iterator[Sequence[object]]) -> Iterator[Sequence[object]]:
    yield header
    yield from rows
