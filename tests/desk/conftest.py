"""The desk's fixtures: one contract, two databases. `db_url` is a fresh, migrated database per
test on SQLite and on a real PostgreSQL server started for the session (benchmarks/postgres.py)."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from benchmarks.postgres import PostgresMissing, PostgresServer
from bot.desk import migrate
from bot.desk.db import make_engine, make_sessions
from tests.kit import database

T = TypeVar("T")
_names = itertools.count(1)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from sync code, even inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except PostgresMissing as exc:
        pytest.fail(str(exc))
    try:
        run_sync(server.create_database("wargabot_template"))
        run_sync(_migrate(server.url("wargabot_template")))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template() -> Path:
    return database.template()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[str]:
    """A migrated, empty database: the same tests run on both."""
    if request.param == "sqlite":
        path = tmp_path / "wargabot.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    yield await server.create_database(f"test_{next(_names)}", template="wargabot_template")


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessions(engine)


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with small costs in the tests (a production hash takes ~0.2 s; many tests sign
    in). test_passwords checks the production parameters themselves."""
    from argon2 import PasswordHasher

    from bot.desk import passwords

    monkeypatch.setattr(
        passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
