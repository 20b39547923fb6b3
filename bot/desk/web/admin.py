"""The admin pages of an office: its staff accounts (create with a one-time password, disable,
enable, reset) and its audit log (read, filter, export as CSV). Admins of one office see and
change nothing of another's."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.desk import accounts, audit
from bot.desk.accounts import AccountError
from bot.desk.web.context import Ctx, staff_page


async def _users_page(
    ctx: Ctx, error: str = "", created: tuple[str, str] | None = None
) -> Response:
    users = await accounts.office_users(ctx.db, ctx.user.office_id)
    return ctx.page(
        "admin_users.html", 400 if error else 200, users=users, error=error, created=created
    )


@staff_page(admin=True)
async def users(ctx: Ctx) -> Response:
    return await _users_page(ctx)


@staff_page(admin=True)
async def create_user(ctx: Ctx) -> Response:
    offices = {o.id for o in ctx.desk.flows.offices}
    try:
        user, secret = await accounts.create_user(
            ctx.db,
            str(ctx.form.get("username", "")),
            ctx.user.office_id,
            str(ctx.form.get("role", "staff")),
            offices,
            ctx.actor,
            ctx.desk.clock(),
        )
    except AccountError as exc:
        await ctx.undo()
        return await _users_page(ctx, ctx._(exc.message))
    return await _users_page(ctx, created=(user.username, secret))


@staff_page(admin=True)
async def change_user(ctx: Ctx) -> Response:
    user_id, action = int(ctx.request.path_params["user"]), str(ctx.form.get("action", ""))
    now = ctx.desk.clock()
    try:
        if action in ("disable", "enable"):
            await accounts.set_disabled(ctx.db, ctx.actor, user_id, action == "disable", now)
        elif action == "reset":
            secret = await accounts.reset(ctx.db, ctx.actor, user_id, now)
            users = await accounts.office_users(ctx.db, ctx.user.office_id)
            name = next(u.username for u in users if u.id == user_id)
            return await _users_page(ctx, created=(name, secret))
        else:
            return ctx.not_found()
    except AccountError as exc:
        await ctx.undo()
        return await _users_page(ctx, ctx._(exc.message))
    return ctx.back("/admin/users")


def _audit_filter(ctx: Ctx, limit: int) -> audit.AuditFilter:
    q = ctx.request.query_params
    before = q.get("before", "")
    action = q.get("action") or None
    return audit.AuditFilter(
        action=action if action in audit.ACTIONS else None,
        username=(q.get("user") or "")[:64] or None,
        reference=(q.get("case") or "")[:20] or None,
        before_id=int(before) if before.isdigit() else None,
        limit=limit,
    )


@staff_page(admin=True)
async def audit_log(ctx: Ctx) -> Response:
    f = _audit_filter(ctx, 100)
    rows = await audit.rows(ctx.db, ctx.user.office_id, f)
    audit.record(ctx.db, audit.AUDIT_VIEW, ctx.actor, at=ctx.desk.clock())
    await ctx.db.commit()
    return ctx.page("admin_audit.html", rows=rows, f=f, actions=audit.ACTIONS)


@staff_page(admin=True)
async def audit_export(ctx: Ctx) -> Response:
    rows = await audit.rows(ctx.db, ctx.user.office_id, _audit_filter(ctx, 1_000_000))
    audit.record(ctx.db, audit.AUDIT_EXPORT, ctx.actor, detail=str(len(rows)))
    await ctx.db.commit()
    name = f"audit-{ctx.user.office_id}-{ctx.desk.clock():%Y%m%d-%H%M}.csv"
    return Response(
        audit.to_csv(rows).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


routes = [
    Route("/admin/users", users, methods=["GET"]),
    Route("/admin/users", create_user, methods=["POST"]),
    Route("/admin/users/{user:int}", change_user, methods=["POST"]),
    Route("/admin/audit", audit_log),
    Route("/admin/audit.csv", audit_export),
]
