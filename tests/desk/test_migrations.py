"""The migrations and the models tell one story, on SQLite and PostgreSQL: after `upgrade` the
database is exactly what models.py declares (Alembic's autogenerate finds nothing to do), and
the migration goes down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.desk import migrate
from bot.desk.models import Base


def _diff(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _down_and_up(conn: Connection) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, "base")
    command.upgrade(cfg, "head")


async def test_the_migrated_schema_is_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    assert await migrate.current(engine) == migrate.head()


async def test_the_migration_goes_down_and_up_again(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_down_and_up)
    await migrate.require_current(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
