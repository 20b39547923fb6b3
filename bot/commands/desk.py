"""`wargabot desk` (the staff web app on DESK_HOST:DESK_PORT) and `wargabot desk add-user`, which
creates an account and prints its one-time password (there is no default account)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings
from bot.engine.flowset import FlowSet
from bot.observe.logs import log_config


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    desk = sub.add_parser(
        "desk",
        help="run the office desk (staff web app), or add a staff account",
        description="With no ACTION: serve the desk on DESK_HOST:DESK_PORT (default "
        "127.0.0.1:8090), its own address, never the public webhook one.",
    )
    desk.add_argument("--host", help="address to listen on (default: DESK_HOST or 127.0.0.1)")
    desk.add_argument("--port", type=int, help="port to listen on (default: DESK_PORT or 8090)")
    dsub = desk.add_subparsers(dest="desk_command", metavar="ACTION")
    add = dsub.add_parser(
        "add-user",
        help="create a staff account; prints a one-time password to change at first sign-in",
    )
    add.add_argument("name", help="the sign-in name: lower-case letters, digits, . _ -")
    add.add_argument("--office", required=True, help="office id from the flows, e.g. dinsos_gowa")
    add.add_argument("--role", required=True, choices=("staff", "admin"), help="staff or admin")


def run(args: argparse.Namespace, settings: Settings, flows: FlowSet) -> int:
    from bot.commands.db import refuse_if_behind

    refused = refuse_if_behind(settings)
    if refused is not None:
        return refused
    if args.desk_command == "add-user":
        return asyncio.run(add_user(settings, flows, args.name, args.office, args.role))
    from bot.desk.dtsen.columns import parse_mapping
    from bot.desk.dtsen.errors import DtsenError

    try:
        parse_mapping(settings.DTSEN_COLUMNS)
    except DtsenError as exc:
        print(f"wargabot: DTSEN_COLUMNS: {exc}", file=sys.stderr)
        return 2
    unknown = settings.desk_admin_totp - {"*"} - {o.id for o in flows.offices}
    if unknown:
        print(
            f"wargabot: DESK_ADMIN_TOTP names unknown offices: {sorted(unknown)}", file=sys.stderr
        )
        return 2
    return serve(settings, flows, args.host, args.port)


async def add_user(settings: Settings, flows: FlowSet, name: str, office: str, role: str) -> int:
    from bot.desk.accounts import AccountError, create_user
    from bot.desk.db import make_engine, make_sessions

    offices = {o.id: o.name for o in flows.offices}
    engine = make_engine(settings.DATABASE_URL)
    try:
        async with make_sessions(engine)() as db:
            user, secret = await create_user(db, name, office, role, offices)
    except AccountError as exc:
        known = ", ".join(sorted(offices))
        hint = f" (offices: {known})" if "Kantor" in exc.message else ""
        print(f"wargabot: {exc.message}{hint}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    print(f"Created {user.role} {user.username} for {offices[office]} ({office}).")
    print(f"One-time password: {secret}")
    print("Give it to them in person; they choose their own at first sign-in.")
    return 0


def build_desk(settings: Settings, flows: FlowSet) -> object:
    from bot.desk import i18n
    from bot.desk.accounts import LoginPolicy
    from bot.desk.db import make_engine, make_sessions
    from bot.desk.dtsen.columns import parse_mapping
    from bot.desk.web.app import create_desk_app
    from bot.desk.web.context import Desk
    from bot.desk.websessions import SessionPolicy
    from bot.media.store import MediaStore

    desk = Desk(
        sessions=make_sessions(make_engine(settings.DATABASE_URL)),
        flows=flows,
        media=MediaStore.from_settings(settings),
        translators=i18n.load(settings.LOCALES_DIR),
        session_policy=SessionPolicy(
            settings.DESK_SESSION_IDLE_MINUTES, settings.DESK_SESSION_MAX_HOURS
        ),
        login_policy=LoginPolicy(lock_minutes=settings.DESK_LOCKOUT_MINUTES),
        public_url=settings.DESK_PUBLIC_URL,
        admin_totp_offices=settings.desk_admin_totp,
        dtsen_columns=parse_mapping(settings.DTSEN_COLUMNS),
    )
    return create_desk_app(desk)


def serve(settings: Settings, flows: FlowSet, host: str | None, port: int | None) -> int:
    import uvicorn

    uvicorn.run(
        build_desk(settings, flows),  # type: ignore[arg-type]
        host=host or settings.DESK_HOST,
        port=port or settings.DESK_PORT,
        log_level=settings.LOG_LEVEL,
        log_config=log_config(settings.LOG_LEVEL, settings.LOG_FORMAT),
        access_log=settings.LOG_LEVEL == "debug",
        proxy_headers=True,  # X-Forwarded-For from a proxy on this host (127.0.0.1) only
    )
    return 0
