"""Schema migrations: `wargabot db upgrade` runs Alembic's scripts (migrations/) to the head,
and every process that uses the database checks first that it is not behind."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations

SCRIPTS = Path(migrations.__file__).resolve().parent


class DatabaseBehind(Exception):
    """The database's schema is older than this code: `wargabot db upgrade` first."""


def alembic_config(url: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations/ has {len(heads)} heads; merge them")
    return heads[0]


def _upgrade(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def _current(connection: Connection) -> str | None:
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)  # "Context impl SQLiteImpl" at every start-up: noise
    try:
        return MigrationContext.configure(connection).get_current_revision()
    finally:
        alembic_log.setLevel(level)


async def upgrade(engine: AsyncEngine) -> tuple[str | None, str]:
    """Migrate to the head; returns (the revision before, the head)."""
    async with engine.connect() as conn:
        before = await conn.run_sync(_current)
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
    return before, head()


async def current(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def require_current(engine: AsyncEngine) -> None:
    """Refuse a database whose schema is behind (or ahead of) this code, naming the fix."""
    try:
        revision = await current(engine)
    except Exception as exc:
        raise DatabaseBehind(
            f"cannot read the database at DATABASE_URL ({type(exc).__name__}: {exc})"
        ) from exc
    latest = head()
    if revision == latest:
        return
    if revision is None:
        raise DatabaseBehind(
            "the database has no tables yet: run `wargabot db upgrade` (DATABASE_URL)"
        )
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision not in known:
        raise DatabaseBehind(
            f"the database is at revision {revision}, newer than this wargabot knows "
            f"({latest}): update wargabot"
        )
    raise DatabaseBehind(
        f"the database is behind (revision {revision}, this wargabot needs {latest}): "
        "run `wargabot db upgrade`"
    )
