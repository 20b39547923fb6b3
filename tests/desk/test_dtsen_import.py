"""The office's DTSEN list imported from the files offices really have (on both databases):
CSV with semicolons, a title above the header, Windows encoding and spelling variants of the
headers; XLSX with numbers for NIKs and a sheet of notes first; a mapping for unknown headers;
bad rows counted by row number and reason, never fatal; the previous list replaced in one
transaction (an import that fails half-way leaves it as it was); every import audited."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks import dtsen_lists as lists
from bot.desk.dtsen.columns import parse_mapping
from bot.desk.dtsen.errors import ColumnsError, ImportRefused, ReadError
from bot.desk.dtsen.imports import BATCH, import_list
from bot.desk.dtsen.lookup import current
from bot.desk.models import AuditEvent, DtsenEntry, DtsenList

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
AS_OF = date(2026, 10, 1)
GOWA = "dinsos_gowa"


def good(n: int, seed: int = 3) -> list[tuple[str, str, str, int, str, str, str]]:
    return list(lists.people(n, seed))


async def entries(sessions: async_sessionmaker[AsyncSession]) -> list[DtsenEntry]:
    async with sessions() as db:
        return list(await db.scalars(select(DtsenEntry).order_by(DtsenEntry.row)))


async def run(
    sessions: async_sessionmaker[AsyncSession], path: Path, **kw: object
) -> tuple[DtsenList, object]:
    kw.setdefault("source", path.name)
    done = await import_list(sessions, path, GOWA, kw.pop("as_of", AS_OF), now=NOW, **kw)  # type: ignore[arg-type]
    return done.list, done.report


async def test_a_semicolon_csv_in_windows_encoding_with_a_title_and_bad_rows(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    rnd = random.Random(5)
    ok = good(4)
    rows = [
        ("'" + ok[0][0], ok[0][1], "Andi Baso", "Desil 3", "Somba Opu", "Sungguminasa", "A"),  # 4
        ("7306 0152 0385 0002", ok[1][1], "Ince Caya", "2", "Bajeng", "Kalebajeng", "Jl. B"),  # 5
        ("730601520385000", ok[2][1], "Daeng Ngai", "1", "", "", ""),  # 6: 15 digits
        ("7,30602E+15", ok[2][1], "Wati", "1", "", "", ""),  # 7: shortened by Excel
        ("0006015203850002", "", "Nur", "1", "", "", ""),  # 8: no region, no KK: skipped
        ("7306013513850002", ok[3][1], "Hasna", "11", "", "", ""),  # 9: day 35 (no), desil 11
        ("7306015203850000", "7306010203150000", "Rahmat", "", "", "", ""),  # 10: both serial 0000
        ("", "", "", "", "", "", ""),  # 11: blank, not counted
        (lists.nik(rnd, 3), "73060102031500", "Fitri", "D4", "Pallangga", "Tetebatu", "C"),  # 12
    ]  # fmt: skip
    path = tmp_path / "DTSEN GOWA.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        fh.write(
            "DATA TERPADU SOSIAL EKONOMI NASIONAL;;;;;;\r\nKabupaten Gowa, Oktober 2026;;;;;;\r\n"
        )
        fh.write("NIK ART;NO. KK;NAMA_ART;DESIL NASIONAL;Kec.;Desa/Kelurahan;Alamat Lengkap\r\n")
        for r in rows:
            fh.write(";".join(r) + "\r\n")
        fh.write(
            "7306015203850002;7306010203150011;Désirée Daeng;5;Bajeng;Kalebajeng;Jl. é\r\n"
        )  # 13

    made, report = await run(sessions, path)

    r = report.to_dict()  # type: ignore[attr-defined]
    assert r["rows"] == 9 and r["entries"] == 7  # the blank row 11 is no row
    assert r["nik"]["rows"] == [6, 7, 8, 9, 10]
    assert r["nik"]["reasons"] == {"not_16_digits": 1, "scientific": 1, "region": 1,
                                   "birth_date": 1, "serial": 1}  # fmt: skip
    assert r["kk"]["rows"] == [8, 10, 12]
    assert r["kk"]["reasons"] == {"missing": 1, "region": 1, "not_16_digits": 1}
    assert r["skipped"]["rows"] == [8, 10] and r["desil"]["rows"] == [9]
    assert r["duplicate_niks"] == 1  # rows 5 and 13
    assert made.report["columns"] == {"nik": "NIK ART", "kk": "NO. KK", "nama": "NAMA_ART",
                            "desil": "DESIL NASIONAL", "kecamatan": "Kec.",
                            "kelurahan": "Desa/Kelurahan", "alamat": "Alamat Lengkap"}  # fmt: skip
    assert (
        made.report["header_row"] == 3
        and made.report["nik"] == r["nik"]
        and (made.rows, made.entries) == (9, 7)
    )
    kept = {e.row: e for e in await entries(sessions)}
    assert sorted(kept) == [4, 5, 6, 7, 9, 12, 13]
    assert (kept[4].nik, kept[4].kk, kept[4].desil) == (ok[0][0], ok[0][1], 3)
    assert kept[5].nik == "7306015203850002" and kept[5].name == "Ince Caya"
    assert kept[6].nik is None and kept[6].kk == ok[2][1]  # kept for the KK lookup
    assert kept[9].desil is None and kept[12].desil == 4 and kept[12].kk is None
    assert kept[13].name == "Désirée Daeng" and kept[13].address == "Jl. é"


async def test_an_xlsx_with_numbers_for_niks_after_a_sheet_of_notes(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    ok = good(3, seed=8)
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Petunjuk"
    notes.append(["Data ini rahasia. Jangan disebarkan."])
    data = book.create_sheet("Data")
    data.append(["Nomor Induk Kependudukan", "Nomor Kartu Keluarga", "Nama Lengkap", "Desil"])
    data.append([int(ok[0][0]), int(ok[0][1]), "Baso", 2])  # numbers, as a careless export has
    data.append([ok[1][0], ok[1][1], "Ince", 7.0])
    data.append([ok[2][0], None, "Caya", None])
    path = book_path = tmp_path / "dtsen.xlsx"
    book.save(book_path)

    made, report = await run(sessions, path)

    r = report.to_dict()  # type: ignore[attr-defined]
    assert (r["rows"], r["entries"], r["numbers"]["count"]) == (3, 3, 2)
    assert r["numbers"]["rows"] == [2, 2] and r["kk"]["rows"] == [4]
    assert made.report["sheet"] == "Data" and made.report["kind"] == "xlsx"
    assert set(made.report["columns"]) == {"nik", "kk", "nama", "desil"}
    kept = {e.row: e for e in await entries(sessions)}
    assert (kept[2].nik, kept[2].kk, kept[2].desil) == (ok[0][0], ok[0][1], 2)
    assert kept[3].desil == 7 and kept[4].kecamatan is None


async def test_excels_unicode_text_export_is_read(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """Excel's "Unicode Text" is UTF-16, tab-separated."""
    path = lists.write_csv(tmp_path / "dtsen.txt", good(7), delimiter="\t", encoding="utf-16")
    made, _ = await run(sessions, path)
    assert made.entries == 7 and made.report["columns"]["nik"] == "NIK"


async def test_headers_nobody_spells_that_way_need_the_mapping(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    header = ("ID_ART", "ID_KELUARGA", "Nama", "Peringkat", "Kecamatan", "Kelurahan", "Alamat")
    path = lists.write_csv(tmp_path / "odd.csv", good(5), header=header)
    with pytest.raises(ColumnsError) as refused:
        await run(sessions, path)
    assert "'ID_ART'" in str(refused.value) and "ID_KELUARGA" in refused.value.values["headers"]
    assert refused.value.said(lambda m: m).startswith("Tidak ada kolom NIK atau No KK")
    with pytest.raises(ColumnsError) as missing:
        await run(sessions, path, mapping={"nik": "ID_ART", "desil": "Desil Nasional"})
    assert "desil=Desil Nasional" in str(missing.value)

    mapping = parse_mapping("nik = ID_ART; kk=id keluarga ;desil=PERINGKAT")
    made, _ = await run(sessions, path, mapping=mapping)
    assert made.entries == 5 and made.report["columns"]["kk"] == "ID_KELUARGA"
    assert all(e.desil for e in await entries(sessions))
    with pytest.raises(ColumnsError):
        parse_mapping("umur=UMUR")
    with pytest.raises(ColumnsError):
        parse_mapping("nik")


async def test_a_new_list_replaces_the_old_one_and_each_import_is_audited(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    first = lists.write_csv(tmp_path / "september.csv", good(30, seed=1))
    second = lists.write_csv(tmp_path / "oktober.csv", good(20, seed=2))
    old, _ = await run(sessions, first, as_of=date(2026, 9, 1))
    new, _ = await run(sessions, second)
    async with sessions() as db:
        now = await current(db, GOWA)
        assert now is not None and now.id == new.id and now.as_of == AS_OF
        assert await current(db, "dinsos_makassar") is None
        lists_ = {x.id: x for x in await db.scalars(select(DtsenList))}
        assert lists_[old.id].replaced_at == NOW and lists_[new.id].replaced_at is None
        by_list = dict((await db.execute(select(DtsenEntry.list_id, func.count())
                                         .group_by(DtsenEntry.list_id))).all())  # fmt: skip
        assert by_list == {new.id: 20}  # the old list's people are gone
        rows = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "dtsen_import")))
    assert [(a.office_id, a.username) for a in rows] == [(GOWA, "cli"), (GOWA, "cli")]
    assert "oktober.csv: list of 2026-10-01: 20 rows, 20 kept" in (rows[1].detail or "")


async def test_an_import_that_fails_half_way_leaves_the_old_list_as_it_was(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    old, _ = await run(sessions, lists.write_csv(tmp_path / "old.csv", good(10)))
    big = lists.write_csv(tmp_path / "big.csv", good(BATCH * 3, seed=9))
    calls = []

    def crash(done: int, size: int, rows: int) -> None:
        calls.append(rows)
        if len(calls) == 2:  # two batches are written by now
            raise RuntimeError("the power went out")

    with pytest.raises(RuntimeError):
        await run(sessions, big, progress=crash)
    async with sessions() as db:
        kept = await current(db, GOWA)
        assert kept is not None and kept.id == old.id and kept.replaced_at is None
        assert await db.scalar(select(func.count()).select_from(DtsenList)) == 1
    assert len(await entries(sessions)) == 10


async def test_what_cannot_be_imported_is_said_and_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    good_file = lists.write_csv(tmp_path / "ok.csv", good(3))
    with pytest.raises(ImportRefused, match="in the future"):
        await run(sessions, good_file, as_of=date(2026, 12, 1))
    pdf = tmp_path / "dtsen.xlsx"
    pdf.write_bytes(b"%PDF-1.4 not a list")
    with pytest.raises(ReadError, match="PDF"):
        await run(sessions, pdf)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(ReadError, match="cannot be read"):
        await run(sessions, broken)
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(ColumnsError, match="no rows"):
        await run(sessions, empty)
    assert await entries(sessions) == []
