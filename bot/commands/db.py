"""`wargabot db upgrade | status`: the desk's database schema (Alembic migrations), and the check
every process that writes cases makes before it starts."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="the database of cases and staff accounts (DATABASE_URL)")
    dsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    dsub.add_parser("upgrade", help="create or update the tables (run after every update)")
    dsub.add_parser("status", help="the schema's revision and the one this wargabot needs")


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def _upgrade(url: str) -> int:
    from bot.desk import migrate
    from bot.desk.db import make_engine

    engine = make_engine(url)
    try:
        before, head = await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    if before == head:
        print(f"{safe_url(url)}: already at revision {head}")
    else:
        print(f"{safe_url(url)}: upgraded from {before or 'an empty database'} to {head}")
    return 0


async def problem(url: str) -> str | None:
    """Why the database cannot be used as it is (None: at the head)."""
    from bot.desk import migrate
    from bot.desk.db import make_engine

    engine = make_engine(url)
    try:
        await migrate.require_current(engine)
    except migrate.DatabaseBehind as exc:
        return f"{exc} [{safe_url(url)}]"
    finally:
        await engine.dispose()
    return None


def refuse_if_behind(settings: Settings) -> int | None:
    """For serve, worker and desk: 2 (after saying why) when the schema is not current."""
    why = asyncio.run(problem(settings.DATABASE_URL))
    if why is None:
        return None
    print(f"wargabot: {why}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command == "upgrade":
        return asyncio.run(_upgrade(settings.DATABASE_URL))
    from bot.desk import migrate

    why = asyncio.run(problem(settings.DATABASE_URL))
    print(why or f"{safe_url(settings.DATABASE_URL)}: at revision {migrate.head()} (current)")
    return 1 if why else 0
