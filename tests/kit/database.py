"""A fresh SQLite database at the migrations' head for a test (the case store is on by default,
and serve, worker and chat refuse a database that is behind): a copy of one migrated once per
test run, so each costs a file copy, not a migration."""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_template: Path | None = None


async def _migrate(url: str) -> None:
    from bot.desk import migrate
    from bot.desk.db import make_engine

    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def template() -> Path:
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="wargabot-db-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        with ThreadPoolExecutor(1) as pool:  # also from inside a running event loop
            pool.submit(asyncio.run, _migrate(f"sqlite+aiosqlite:///{path}")).result()
        _template = path
    return _template


def migrated_sqlite(folder: Path, name: str = "wargabot.db") -> str:
    """The DATABASE_URL of a new, migrated, empty SQLite database in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(template(), target)
    return f"sqlite+aiosqlite:///{target}"
