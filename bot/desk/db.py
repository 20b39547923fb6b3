"""The database connection: an async SQLAlchemy engine for SQLite (aiosqlite) or PostgreSQL
(asyncpg), and the session factory. Opening connections only; the tables are in models.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class DatabaseUrlError(ValueError):
    """DATABASE_URL names a driver wargabot does not speak."""


def check_url(url: str) -> str:
    """`sqlite:///x.db` and `postgresql://...` are completed with their async driver."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseUrlError(
            "DATABASE_URL must look like sqlite+aiosqlite:///var/wargabot.db or "
            "postgresql+asyncpg://user:password@host:5432/wargabot"
        ) from exc
    driver = parsed.drivername
    if driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    if parsed.drivername not in SCHEMES:
        raise DatabaseUrlError(
            f"DATABASE_URL uses {driver}; use sqlite+aiosqlite:///FILE or postgresql+asyncpg://..."
        )
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None in memory)."""
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: the desk reads while the delivery worker writes; a writer waits up to 5 s for another.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = check_url(url)
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None and not path.exists():  # personal data: the service user only
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
