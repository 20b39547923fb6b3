"""The office's DTSEN list at the desk: the admin page that uploads an export (CSV or a
spreadsheet; the import runs in the background while the page shows its progress) and shows the
list in force and the report of each import; and the hint beside a case's answers."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from bot.desk.actor import Actor
from bot.desk.dtsen import lookup
from bot.desk.dtsen.columns import FIELDS, LABELS
from bot.desk.dtsen.errors import DtsenError
from bot.desk.dtsen.imports import import_list
from bot.desk.dtsen.rows import BIRTH_DATE, MISSING, NOT_16_DIGITS, REGION, SCIENTIFIC, SERIAL
from bot.desk.i18n import N_
from bot.desk.models import Case, DtsenList
from bot.desk.web.context import Ctx, Desk, staff_page

log = logging.getLogger("wargabot.desk")

REASONS = {
    MISSING: N_("kosong"),
    NOT_16_DIGITS: N_("bukan 16 angka"),
    SCIENTIFIC: N_("ditulis spreadsheet sebagai angka pendek (mis. 7,30601E+15)"),
    REGION: N_("kode wilayah tidak ada"),
    BIRTH_DATE: N_("tanggal lahir tidak ada"),
    SERIAL: N_("nomor urut 0000"),
}
PROBLEMS = (
    ("nik", N_("NIK tidak sah"), N_("tetap disimpan untuk pencarian No KK bila No KK-nya sah")),
    ("kk", N_("No KK tidak sah"), ""),
    ("skipped", N_("Dilewati"), N_("NIK dan No KK sama-sama tidak sah")),
    ("desil", N_("Desil tidak terbaca"), N_("disimpan tanpa desil")),
    ("numbers", N_("NIK/No KK tersimpan sebagai angka"),
     N_("Excel hanya menyimpan 15 digit sebuah angka: jadikan kolom itu Teks sebelum mengekspor")),
)  # fmt: skip


@dataclass
class Job:
    """An import under way in this desk process (one per office at a time)."""

    office_id: str
    by: str
    source: str
    started: datetime
    done: int = 0
    size: int = 1
    rows: int = 0
    finished: bool = False
    error: DtsenError | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.done / max(self.size, 1)))


def _jobs(ctx: Ctx) -> dict[str, Job]:
    state = ctx.request.app.state
    if not hasattr(state, "dtsen_jobs"):
        state.dtsen_jobs = {}
    jobs: dict[str, Job] = state.dtsen_jobs
    return jobs


async def _history(ctx: Ctx) -> list[DtsenList]:
    query = (
        select(DtsenList)
        .where(DtsenList.office_id == ctx.user.office_id)
        .order_by(DtsenList.id.desc())
        .limit(10)
    )
    return list(await ctx.db.scalars(query))


async def _page(ctx: Ctx, error: str = "", status: int = 200) -> Response:
    history = await _history(ctx)
    job = _jobs(ctx).get(ctx.user.office_id)
    return ctx.page(
        "admin_dtsen.html",
        status,
        history=history,
        current=next((h for h in history if h.replaced_at is None), None),
        job=job,
        error=error or (job.error.said(ctx._) if job and job.error else ""),
        fields=FIELDS,
        labels=LABELS,
        problems=PROBLEMS,
        reasons=REASONS,
        today=ctx.desk.clock().date().isoformat(),
    )


@staff_page(admin=True)
async def page(ctx: Ctx) -> Response:
    return await _page(ctx)


@staff_page(admin=True)
async def progress(ctx: Ctx) -> Response:
    job = _jobs(ctx).get(ctx.user.office_id)
    if job is None or job.finished:  # done: the whole page again, with the report
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return ctx.page("_dtsen_progress.html", job=job)


@staff_page(admin=True)
async def upload(ctx: Ctx) -> Response:
    office, jobs = ctx.user.office_id, _jobs(ctx)
    if (running := jobs.get(office)) is not None and not running.finished:
        return await _page(ctx, ctx._("Impor lain untuk kantor ini sedang berjalan."), 409)
    file, as_of_text = ctx.form.get("file"), str(ctx.form.get("as_of", ""))
    if not isinstance(file, UploadFile) or not file.filename:
        return await _page(ctx, ctx._("Pilih berkas daftar DTSEN (CSV atau XLSX)."), 400)
    try:
        as_of = date.fromisoformat(as_of_text)
    except ValueError:
        return await _page(ctx, ctx._("Isi tanggal daftar (tanggal data DTSEN itu)."), 400)
    mapping = {f: h for f in FIELDS if (h := str(ctx.form.get(f"column_{f}", "")).strip())}
    folder = Path(tempfile.mkdtemp(prefix="wargabot-dtsen-"))  # owner-only (0700)
    path = folder / "upload"
    await asyncio.to_thread(_save, file, path)
    source = Path(file.filename).name[:200]
    job = Job(office, ctx.user.username, source, ctx.desk.clock())
    jobs[office] = job
    mapping = dict(ctx.desk.dtsen_columns) | mapping  # the page's mapping over DTSEN_COLUMNS
    job.task = asyncio.create_task(_run(ctx.desk, ctx.actor, job, path, as_of, mapping))
    return ctx.back("/admin/dtsen")


def _save(file: UploadFile, path: Path) -> None:
    file.file.seek(0)
    with path.open("xb") as out:
        shutil.copyfileobj(file.file, out, 1 << 20)
    path.chmod(0o600)


async def _run(
    desk: Desk, actor: Actor, job: Job, path: Path, as_of: date, mapping: dict[str, str]
) -> None:
    def tick(done: int, size: int, rows: int) -> None:
        job.done, job.size, job.rows = done, size, rows

    try:
        await import_list(
            desk.sessions, path, job.office_id, as_of, source=job.source,
            now=desk.clock(), actor=actor, mapping=mapping, progress=tick,
        )  # fmt: skip
    except DtsenError as exc:
        job.error = exc
    except Exception:
        log.exception("the DTSEN import of %s failed", job.office_id)
        job.error = DtsenError("the import failed", N_("Impor gagal; lihat log desk."))
    finally:
        job.finished = True
        shutil.rmtree(path.parent, ignore_errors=True)


async def hint(ctx: Ctx, case: Case) -> lookup.Hint:
    """The case's NIK and KK number in the office's list (audited), for the case page."""
    return await lookup.hint(ctx.db, ctx.actor, case)


routes = [
    Route("/admin/dtsen", page, methods=["GET"]),
    Route("/admin/dtsen", upload, methods=["POST"]),
    Route("/admin/dtsen/progress", progress),
]
