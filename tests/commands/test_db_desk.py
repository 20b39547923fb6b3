"""`wargabot db`, `wargabot desk add-user` and the schema check of every process that writes or
reads cases: a database behind the migrations is refused with the command that fixes it. And the
terminal chat's application arrives as a case (what `make run` + `make desk` show)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.console import ConsoleChat
from bot.delivery.sinks.casestore import CaseStoreSink
from bot.delivery.sinks.maildir import MaildirSink
from bot.desk import accounts, migrate
from bot.desk.db import make_engine, make_sessions
from bot.desk.models import Case, Document, PrivacyRequest
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore
from tests.channels.test_console import _script
from tests.conftest import NOW
from tests.kit.database import migrated_sqlite
from tests.kit.images import png
from tests.kit.ports import free_port


def wargabot(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "MEDIA_DIR": str(tmp / "media"), "INBOX_MAILDIR": str(tmp / "inbox")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**full, **env},
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_creates_the_tables_once_and_status_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/office.db"  # completed with its async driver
    status = wargabot(tmp_path, "db", "status", DATABASE_URL=url)
    assert status.returncode == 1 and "run `wargabot db upgrade`" in status.stdout
    head = migrate.head()  # the newest migration's revision
    first = wargabot(tmp_path, "db", "upgrade", DATABASE_URL=url)
    assert first.returncode == 0 and f"upgraded from an empty database to {head}" in first.stdout
    again = wargabot(tmp_path, "db", "upgrade", DATABASE_URL=url)
    assert again.returncode == 0 and f"already at revision {head}" in again.stdout
    assert wargabot(tmp_path, "db", "status", DATABASE_URL=url).returncode == 0
    assert (tmp_path / "office.db").stat().st_mode & 0o077 == 0  # personal data: owner only


@pytest.mark.parametrize(
    "command",
    [["serve"], ["worker"], ["desk"], ["desk", "add-user", "x1", "--office", "dinsos_gowa",
     "--role", "staff"], ["chat"], ["dtsen", "status"], ["retention", "run", "--dry-run"]],
    ids=["serve", "worker", "desk", "add-user", "chat", "dtsen", "retention"],
)  # fmt: skip
def test_a_database_behind_the_migrations_is_refused_at_start_up(
    tmp_path: Path, command: list[str]
) -> None:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/old.db",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # never reached: the check comes first
        "PORT": str(free_port()),
        "DESK_PORT": str(free_port()),
    }
    if command == ["serve"]:
        env["REDIS_URL"] = ""
    res = wargabot(tmp_path, *command, **env)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "run `wargabot db upgrade`" in res.stderr and "old.db" in res.stderr


def test_serve_without_the_case_store_needs_no_database(tmp_path: Path) -> None:
    """CASESTORE_ENABLED=false: nothing writes cases, so nothing checks the schema."""
    res = wargabot(tmp_path, "worker", CASESTORE_ENABLED="false", REDIS_URL="")
    assert res.returncode == 2 and "needs REDIS_URL" in res.stderr  # the next check, not the DB


def test_add_user_prints_a_one_time_password_that_signs_in_once_changed(
    tmp_path: Path,
) -> None:
    url = migrated_sqlite(tmp_path)
    bad = wargabot(tmp_path, "desk", "add-user", "siti", "--office", "nowhere", "--role",
                   "staff", DATABASE_URL=url)  # fmt: skip
    assert bad.returncode == 2 and "dinsos_gowa" in bad.stderr and "dinsos_makassar" in bad.stderr
    res = wargabot(tmp_path, "desk", "add-user", "Siti", "--office", "dinsos_makassar",
                   "--role", "admin", DATABASE_URL=url)  # fmt: skip
    assert res.returncode == 0, res.stderr
    found = re.search(r"One-time password: (\S+)", res.stdout)
    assert found and "admin siti for Dinas Sosial Kota Makassar" in res.stdout
    twice = wargabot(tmp_path, "desk", "add-user", "siti", "--office", "dinsos_makassar",
                     "--role", "staff", DATABASE_URL=url)  # fmt: skip
    assert twice.returncode == 2 and "sudah dipakai" in twice.stderr

    async def sign_in() -> tuple[str, bool]:
        engine = make_engine(url)
        try:
            async with make_sessions(engine)() as db:
                policy = accounts.LoginPolicy()
                result = await accounts.authenticate(db, "siti", found.group(1), None, policy)
                return result.outcome, bool(result.user and result.user.must_change_password)
        finally:
            await engine.dispose()

    assert asyncio.run(sign_in()) == ("ok", True)


def test_the_terminal_chats_application_arrives_as_a_case(tmp_path: Path, flows: FlowSet) -> None:
    media = MediaStore(tmp_path / "media")
    url = migrated_sqlite(tmp_path)
    chat = ConsoleChat(
        flows, media, MaildirSink(tmp_path / "inbox", media), clock=lambda: NOW,
        casestore=CaseStoreSink(url, flows),
    )  # fmt: skip
    kk = tmp_path / "kk.png"
    kk.write_bytes(png(seed=3))
    lines = ["ya", "2", "mulai", "1", "Siti Aminah", "7371014506900001", "7371010101100021",
             f"/photo {kk}", "2", "sudah", "/contact 0812 3456 7890", "Puskesmas Kassi-Kassi",
             "1", "cek pengajuan", "data sy apa aja yg disimpan", "hapus data saya pak",
             "iya hapus"]  # fmt: skip
    try:
        out = "\n".join(_script(chat, lines))
    finally:
        chat.close()
    reference = re.search(r"Nomor pengajuan: (MKS-[\w-]+)", out)
    assert reference, out[-2000:]
    # "cek pengajuan" finds it at the desk: the terminal chat asks the case store
    service = "Pendaftaran/Peralihan KIS PBI (APBD)"
    assert f"Pengajuan {reference.group(1)} ({service}): Diterima." in out
    # "data saya" shows what the office keeps, and "hapus data saya" files a request there
    assert "Data yang disimpan kantor tentang Anda" in out and "Siti Aminah" in out
    said = " ".join(out.split())  # as the citizen reads it, unwrapped
    assert "Permintaan penghapusan data Anda sudah dicatat untuk Dinas Sosial Kota Makassar" in said

    async def stored() -> tuple[Case | None, list[Document]]:
        engine = make_engine(url)
        try:
            async with make_sessions(engine)() as db:
                case = await db.scalar(select(Case).where(Case.reference == reference.group(1)))
                docs = list(await db.scalars(select(Document)))
                asked = list(await db.scalars(select(PrivacyRequest)))
                assert [(r.channel, r.office_id, r.state) for r in asked] == [
                    ("console", "dinsos_makassar", "pending")
                ]
                return case, docs
        finally:
            await engine.dispose()

    case, docs = asyncio.run(stored())
    assert case is not None and case.channel == "console" and case.office_id == "dinsos_makassar"
    assert (case.name, case.nik, case.phone) == (
        "Siti Aminah",
        "7371014506900001",
        "+6281234567890",
    )
    assert [d.step for d in docs] == ["foto_kk"]
