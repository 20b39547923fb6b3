"""`wargabot dtsen import` and `status` as an office's IT person runs them: a progress bar, the
report by problem with row numbers and never a row's content, a mapping from --column or
DTSEN_COLUMNS, and clear refusals (unknown office, bad mapping, unusable file) that change
nothing."""

from __future__ import annotations

from pathlib import Path

from benchmarks import dtsen_lists as lists
from tests.commands.test_db_desk import wargabot
from tests.kit.database import migrated_sqlite


def test_import_reports_the_problems_and_status_shows_the_list(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path)
    rows = [*lists.people(300, seed=6), ("7306011313130001", "", "Salah", "", "", "", "")]
    path = lists.write_csv(tmp_path / "dtsen.csv", rows)
    res = wargabot(tmp_path, "dtsen", "import", str(path), "--office", "dinsos_gowa",
                   "--as-of", "2026-10-01", DATABASE_URL=url)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "301 rows: 100%" in res.stderr  # the progress bar
    out = res.stdout
    assert "Imported the DTSEN list of dinsos_gowa as of 2026-10-01" in out
    assert "rows read                   301" in out and "kept                        300" in out
    assert "bad NIK                       1   rows 302" in out and "birth date 1" in out
    assert "skipped                       1   rows 302" in out
    assert "7306011313130001" not in out + res.stderr  # counts and rows, never a value
    status = wargabot(tmp_path, "dtsen", "status", DATABASE_URL=url)
    assert "alembic" not in status.stderr and "alembic" not in res.stderr  # no set-up chatter
    assert "dinsos_gowa          list of 2026-10-01: 300 entries" in status.stdout
    assert "dinsos_makassar      no list yet" in status.stdout

    again = wargabot(tmp_path, "dtsen", "import", str(path), "--office", "dinsos_gowa",
                     "--as-of", "2026-11-01", DATABASE_URL=url)  # fmt: skip
    assert "It replaces the list of 2026-10-01 (300 entries" in again.stdout


def test_a_mapping_from_the_setting_or_the_command_line(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path)
    header = ("ID_ART", "ID_KK", "Nama", "Desil", "Kecamatan", "Kelurahan", "Alamat")
    path = lists.write_csv(tmp_path / "odd.csv", lists.people(10), header=header)
    args = ("dtsen", "import", str(path), "--office", "dinsos_gowa", "--as-of", "2026-10-01")
    res = wargabot(tmp_path, *args, DATABASE_URL=url)
    assert res.returncode == 1 and "no column for NIK or No KK" in res.stderr
    assert "'ID_ART'" in res.stderr and "nothing was changed" in res.stderr
    res = wargabot(tmp_path, *args, "--column", "nik=ID_ART", DATABASE_URL=url,
                   DTSEN_COLUMNS="kk=ID_KK")  # fmt: skip
    assert res.returncode == 0 and "No KK <- 'ID_KK'" in res.stdout, res.stderr
    bad = wargabot(tmp_path, *args, "--column", "umur=UMUR", DATABASE_URL=url)
    assert bad.returncode == 2 and "'umur' is not a field" in bad.stderr
    nowhere = wargabot(tmp_path, "dtsen", "import", str(path), "--office", "dinsos_bone",
                       "--as-of", "2026-10-01", DATABASE_URL=url)  # fmt: skip
    assert nowhere.returncode == 2 and "no office 'dinsos_bone'" in nowhere.stderr
