"""Doctor check for the desk's database (DATABASE_URL): it answers, and its schema is at the
migrations' head. Reads only; never migrates (that is `wargabot db upgrade`)."""

from __future__ import annotations

import asyncio

from bot.commands.doctor.result import TIMEOUT, Result, _reason
from bot.config import Settings


async def check_database(s: Settings) -> list[Result]:
    from sqlalchemy import text

    from bot.commands.db import safe_url
    from bot.desk import migrate
    from bot.desk.db import make_engine

    shown = safe_url(s.DATABASE_URL)
    timeout = {"timeout": TIMEOUT} if s.DATABASE_URL.startswith("postgresql") else {}
    engine = make_engine(s.DATABASE_URL, connect_args=timeout)
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), TIMEOUT * 2)
        await asyncio.wait_for(migrate.require_current(engine), TIMEOUT * 2)
    except migrate.DatabaseBehind as exc:
        return [Result("database", "fail", f"{shown}: {exc}", "run `wargabot db upgrade`")]
    except Exception as exc:
        return [
            Result(
                "database",
                "fail",
                f"{shown}: cannot connect ({_reason(exc)})",
                "check DATABASE_URL (host, port, user, password, database name) and that the "
                "database server runs",
            )
        ]
    finally:
        await engine.dispose()
    usage = "the case store and the desk" if s.CASESTORE_ENABLED else "the desk (case store off)"
    return [Result("database", "ok", f"{shown}: reachable, schema current ({usage})")]
