"""The admin page of citizens' deletion requests ("hapus data saya"): an office's admins see the
requests of their own office only, with the chat's cases there by reference, and approve them
(the cases lose their personal data) or refuse them with a reason; the citizen is told either
way (bot/desk/privacy.py). Staff who are not admins, and admins of another office, find nothing."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.desk import privacy
from bot.desk.web.context import Ctx, staff_page


async def _page(ctx: Ctx, error: str = "", done: str = "") -> Response:
    found = await privacy.of_office(ctx.db, ctx.user.office_id)
    return ctx.page(
        "admin_requests.html",
        400 if error else 200,
        pending=[r for r in found if r.row.state == privacy.PENDING],
        decided=[r for r in found if r.row.state != privacy.PENDING],
        states=privacy.STATE_LABELS,
        error=error,
        done=done,
    )


@staff_page(admin=True)
async def requests(ctx: Ctx) -> Response:
    return await _page(ctx)


@staff_page(admin=True)
async def decide(ctx: Ctx) -> Response:
    action = str(ctx.form.get("action", ""))
    if action not in ("approve", "refuse"):
        return ctx.not_found()
    if action == "approve" and ctx.form.get("confirm") != "yes":  # irreversible: said twice
        return await _page(
            ctx, ctx._("Centang konfirmasi sebelum menyetujui: data dihapus permanen.")
        )
    try:
        await privacy.decide(
            ctx.db,
            ctx.desk.media,
            ctx.actor,
            int(ctx.request.path_params["request"]),
            action == "approve",
            str(ctx.form.get("reason", "")),
            ctx.desk.clock(),
        )
    except privacy.RequestError as exc:
        await ctx.undo()
        return await _page(ctx, ctx._(exc.message))
    return ctx.back("/admin/requests")


routes = [
    Route("/admin/requests", requests, methods=["GET"]),
    Route("/admin/requests/{request:int}", decide, methods=["POST"]),
]
