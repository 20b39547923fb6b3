"""The case pages: the list (filters, search, counts, paging, export), one case with its answers
and documents, a decision per document, status, notes, assignment, the photos (never cached)
and the cover sheet. Everything goes through the case repository."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.desk import coversheet, exports, notices, queries, reasons, statuses
from bot.desk.cases import CaseRepository, NotFound, Refused
from bot.desk.models import Case
from bot.desk.web import dtsen
from bot.desk.web.context import Ctx, staff_page
from bot.engine.model import MediaRef
from bot.media.keyring import SealedFileError

log = logging.getLogger("wargabot.desk")

INLINE = {"image/jpeg", "image/png", "image/webp", "application/pdf"}


def repo(ctx: Ctx) -> CaseRepository:
    return CaseRepository(ctx.db, ctx.actor, ctx.desk.flows, ctx.desk.clock)


def _filter(ctx: Ctx) -> queries.CaseFilter:
    office = ctx.user.office_id
    flows = {f.id for f in ctx.desk.flows.flows_of(office)}
    ids = {s.id for s in statuses.of_office(ctx.desk.flows, office)}
    return queries.parse(ctx.request.query_params, flows, ids)


async def home(ctx: Ctx) -> Response:
    return RedirectResponse("/cases", status_code=303)


@staff_page()
async def case_list(ctx: Ctx) -> Response:
    f = _filter(ctx)
    page = await repo(ctx).page(f)
    office = ctx.user.office_id
    context: dict[str, Any] = {
        "page": page,
        "f": f,
        "statuses": statuses.of_office(ctx.desk.flows, office),
        "services": ctx.desk.flows.flows_of(office),
        "search_unclear": bool(f.q) and f.search is None,
    }
    if ctx.request.headers.get("hx-request") and ctx.request.headers.get("hx-target") == "results":
        return ctx.page("_case_table.html", **context)
    return ctx.page("cases.html", **context)


@staff_page()
async def case_export(ctx: Ctx) -> Response:
    kind = ctx.request.path_params["kind"]
    if kind not in ("csv", "xlsx"):
        return ctx.not_found()
    f = _filter(ctx)
    cases = await repo(ctx).export(f)
    header = [ctx._(c) for c in exports.COLUMNS]

    def label(c: Case) -> str:
        return ctx.status_label(c.flow_id, c.status)

    data = exports.rows(cases, label)
    stamp = ctx.desk.clock().astimezone(queries.WITA).strftime("%Y%m%d-%H%M")
    name = f"pengajuan-{ctx.user.office_id}-{stamp}"
    if kind == "xlsx":
        body = await asyncio.to_thread(exports.to_xlsx, header, data, ctx._("Pengajuan"))
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.to_csv(header, data)
        media = "text/csv; charset=utf-8"
    disposition = f'attachment; filename="{name}.{kind}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


async def _case_page(ctx: Ctx, error: str = "", status: int = 200) -> Response:
    reference = ctx.request.path_params["reference"]
    r = repo(ctx)
    try:
        case = await r.get(reference)
    except NotFound:
        return ctx.not_found()
    flow = ctx.desk.flows.flows.get(case.flow_id)
    return ctx.page(
        "case.html",
        status,
        case=case,
        events=await r.events(case),
        notices=await r.notices(case),
        notice_kinds=notices.KIND_LABELS,
        notice_states=notices.STATE_LABELS,
        statuses=statuses.chosen_by_hand(ctx.desk.flows, case.flow_id),
        reasons=reasons.REASONS,
        colleagues=await r.colleagues(),
        requirements=flow.service.requirements if flow else (),
        error=error,
        waiting=(ctx.desk.clock() - case.submitted_at) // timedelta(days=1),
        dtsen=await dtsen.hint(ctx, case),
    )


@staff_page()
async def case_page(ctx: Ctx) -> Response:
    return await _case_page(ctx)


async def _change(ctx: Ctx, action: str) -> Response:
    reference = ctx.request.path_params["reference"]
    form, r = ctx.form, repo(ctx)
    try:
        if action == "decide":
            await r.decide(
                reference,
                int(ctx.request.path_params["document"]),
                str(form.get("decision", "")),
                _int(form.get("revision")),
                str(form.get("reason", "")) or None,
                str(form.get("text", "")),
            )
        elif action == "status":
            await r.set_status(reference, str(form.get("status", "")), str(form.get("reason", "")))
        elif action == "note":
            await r.note(reference, str(form.get("text", "")))
        else:
            user = str(form.get("user", ""))
            await r.assign(reference, int(user) if user.isdigit() else None)
    except NotFound:
        return ctx.not_found()
    except Refused as exc:
        await ctx.undo()
        return await _case_page(ctx, ctx._(exc.message), 400)
    return ctx.back(f"/cases/{reference}")


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1


@staff_page()
async def decide(ctx: Ctx) -> Response:
    return await _change(ctx, "decide")


@staff_page()
async def set_status(ctx: Ctx) -> Response:
    return await _change(ctx, "status")


@staff_page()
async def add_note(ctx: Ctx) -> Response:
    return await _change(ctx, "note")


@staff_page()
async def assign(ctx: Ctx) -> Response:
    return await _change(ctx, "assign")


@staff_page()
async def case_file(ctx: Ctx) -> Response:
    """A photo or PDF, only to a signed-in member of the case's office; never cached."""
    reference = ctx.request.path_params["reference"]
    try:
        f = await repo(ctx).file(reference, int(ctx.request.path_params["file"]))
        data = await asyncio.to_thread(
            ctx.desk.media.read, MediaRef(f.media_key or "", f.mime, f.sha256, f.size)
        )
    except (NotFound, FileNotFoundError, ValueError):
        return ctx.not_found()
    except SealedFileError:  # a wrong DATA_KEY, or a damaged file: said, never a crash
        log.error("case %s: a stored file cannot be opened (key or damage)", reference)
        message = ctx._("File ini tidak dapat dibuka (kunci enkripsi salah atau file rusak).")
        return ctx.page("error.html", 503, message=message)
    disposition = "inline" if f.mime in INLINE else "attachment"
    return Response(
        data,
        media_type=f.mime if f.mime in INLINE else "application/octet-stream",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'{disposition}; filename="{reference}-{f.id}"',
        },
    )


@staff_page()
async def cover_sheet(ctx: Ctx) -> Response:
    reference = ctx.request.path_params["reference"]
    r = repo(ctx)
    try:
        case = await r.cover_sheet(reference)
    except NotFound:
        return ctx.not_found()
    events = await r.events(case)
    flow = ctx.desk.flows.flows.get(case.flow_id)
    office = coversheet.Office(
        ctx.desk.office_name(case.office_id), flow.office.address if flow else ""
    )
    pdf = await asyncio.to_thread(
        coversheet.build,
        case,
        office,
        ctx.status_label(case.flow_id, case.status),
        events,
        ctx.user.username,
        ctx.desk.clock(),
        ctx.tr.gettext,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{case.reference}.pdf"'},
    )


REF = "{reference:str}"
routes = [
    Route("/", staff_page()(home)),
    Route("/cases", case_list),
    Route("/cases/export.{kind:str}", case_export),
    Route(f"/cases/{REF}", case_page),
    Route(f"/cases/{REF}/documents/{{document:int}}", decide, methods=["POST"]),
    Route(f"/cases/{REF}/status", set_status, methods=["POST"]),
    Route(f"/cases/{REF}/notes", add_note, methods=["POST"]),
    Route(f"/cases/{REF}/assign", assign, methods=["POST"]),
    Route(f"/cases/{REF}/files/{{file:int}}", case_file),
    Route(f"/cases/{REF}/cover.pdf", cover_sheet),
]
